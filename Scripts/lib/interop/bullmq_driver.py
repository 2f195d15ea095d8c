"""BullMQ driver (the Python port, which runs BullMQ's own Lua scripts):
Queue.add, Worker, Queue.getJobCounts, Job.retry.

Job name "interop", data {"i": i, "k": k}; attempts = retries + 1 with no
backoff, so a failing job is retried at once (retryJob) and lands in the
failed set on its last attempt (moveToFinished).
"""

import asyncio

import bullmq
from bullmq import Job, Queue, Worker

import common

FW = "bullmq"
JOB_NAME = "interop"


def _run(coro):
    return asyncio.run(coro)


def enqueue(url, queue, count, k, retries):
    async def go():
        q = Queue(queue, {"connection": url})
        ids = []
        try:
            for i in range(1, count + 1):
                job = await q.add(JOB_NAME, {"i": i, "k": k}, {"attempts": retries + 1})
                ids.append(job.id)
        finally:
            await q.close()
        return ids

    ids = _run(go())
    return {"framework": FW, "version": bullmq.__version__, "queue": queue, "enqueued": len(ids),
            "job_name": JOB_NAME, "attempts": retries + 1, "ids": ids}


async def _counts(q):
    return await q.getJobCounts()


def _summary(c, done):
    return {
        "ready": c.get("waiting", 0) + c.get("prioritized", 0) + c.get("paused", 0),
        "scheduled": c.get("delayed", 0),
        "retry": 0,  # retries go back to wait (or delayed with a backoff)
        "failed": c.get("failed", 0),
        "running": c.get("active", 0),
        "done": done,
    }


def counts(url, queue):
    async def go():
        q = Queue(queue, {"connection": url})
        try:
            return await _counts(q)
        finally:
            await q.close()

    c = _run(go())
    done = common.counters(common.client(url), FW)["done"]
    return {"framework": FW, "version": bullmq.__version__, "queue": queue,
            "api": {"Queue.getJobCounts": c}, "summary": _summary(c, done)}


def work(url, queue, seconds, stay=False):
    """BullMQ has no burst mode: run a Worker until getJobCounts shows
    nothing waiting, active, prioritized or delayed (and the run counter is
    still), then Worker.close()."""
    r = common.client(url)
    before = common.counters(r, FW)
    sw = common.Stopwatch()

    async def process(job, token):
        return common.run_task(r, FW, job.data["i"], job.data["k"])

    async def go():
        q = Queue(queue, {"connection": url})
        # Draining: a short block on the marker ends the run soon. Staying: BullMQ's
        # default (5 s), so a job is taken at once only if its writer set the marker.
        options = {"connection": url, "concurrency": 2}
        if not stay:
            options["drainDelay"] = 1
        worker = Worker(queue, process, options)
        timed_out = False
        quiet_since = None
        last = None
        try:
            while True:
                c = await _counts(q)
                busy = sum(c.get(t, 0) for t in ("waiting", "active", "prioritized", "delayed", "paused"))
                runs = common.counters(r, FW)["runs"]
                if stay:
                    if sw.elapsed() >= seconds:
                        break
                elif busy == 0 and runs == last:
                    quiet_since = quiet_since or sw.elapsed()
                    if sw.elapsed() - quiet_since >= 0.6:
                        break
                else:
                    quiet_since = None
                last = runs
                if sw.elapsed() > seconds:
                    timed_out = True
                    break
                await asyncio.sleep(0.1)
        finally:
            await worker.close()
            c = await _counts(q)
            await q.close()
        return timed_out, c

    timed_out, c = _run(go())
    after = common.counters(r, FW)
    return common.work_result(FW, queue, before, after, sw, timed_out, _summary(c, after["done"]))


def replay(url, queue):
    """Job.retry("failed") for every job in the failed set (reprocessJob)."""
    async def go():
        q = Queue(queue, {"connection": url})
        ids = []
        try:
            for job in await q.getFailed(0, -1):
                await job.retry("failed")
                ids.append(job.id)
        finally:
            await q.close()
        return ids

    ids = _run(go())
    return {"framework": FW, "queue": queue, "api": "Job.retry('failed')", "replayed": len(ids), "ids": ids}
