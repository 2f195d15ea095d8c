"""RQ driver: Queue.enqueue, Worker.work(burst=True), the registries' counts,
FailedJobRegistry.requeue.

The task is rq_driver.job (the callable path a direct enqueue must name);
RQ's worker imports it, so its process needs this folder on sys.path (the
work command runs the worker in this process, which has it).
"""

import time

import redis
import rq
from rq import Queue, Retry, Worker
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

import common

FW = "rq"
TASK = "rq_driver.job"


def job(i, k):
    """The harness's task (see common.run_task)."""
    from rq import get_current_job

    return common.run_task(get_current_job().connection, FW, i, k)


def _conn(url):
    return redis.Redis.from_url(url)


def enqueue(url, queue, count, k, retries):
    q = Queue(queue, connection=_conn(url))
    ids = []
    for i in range(1, count + 1):
        kw = {"retry": Retry(max=retries)} if retries > 0 else {}
        ids.append(q.enqueue(TASK, i, k, **kw).id)
    return {"framework": FW, "version": rq.VERSION, "queue": queue, "enqueued": len(ids),
            "task": TASK, "retry": retries, "ids": ids}


def counts(url, queue):
    c = _conn(url)
    q = Queue(queue, connection=c)
    regs = {
        "Queue.count": q.count,
        "FailedJobRegistry.count": FailedJobRegistry(queue=q).count,
        "ScheduledJobRegistry.count": ScheduledJobRegistry(queue=q).count,
        "StartedJobRegistry.count": StartedJobRegistry(queue=q).count,
        "FinishedJobRegistry.count": FinishedJobRegistry(queue=q).count,
        "DeferredJobRegistry.count": DeferredJobRegistry(queue=q).count,
        "CanceledJobRegistry.count": CanceledJobRegistry(queue=q).count,
    }
    r = common.client(url)
    return {
        "framework": FW, "version": rq.VERSION, "queue": queue, "api": regs,
        "summary": {
            "ready": regs["Queue.count"],
            "scheduled": regs["ScheduledJobRegistry.count"],
            "retry": 0,  # RQ retries are re-enqueued (or scheduled) jobs, not a set
            "failed": regs["FailedJobRegistry.count"],
            "running": regs["StartedJobRegistry.count"],
            "done": common.counters(r, FW)["done"],
        },
    }


def work(url, queue, seconds, stay=False):
    """RQ's own burst mode: work until the queue is empty, then return. The
    scheduler runs too, so due scheduled jobs (and retries with an interval)
    are enqueued first."""
    r = common.client(url)
    before = common.counters(r, FW)
    sw = common.Stopwatch()
    c = _conn(url)
    w = Worker([Queue(queue, connection=c)], connection=c)
    w.work(burst=True, with_scheduler=True,
           logging_level=LOG_LEVEL)
    # Retries without interval are re-enqueued by the failing run itself, so
    # one burst sees them; loop while the queue still has work (e.g. a job
    # enqueued by the scheduler as the burst ended). With stay, keep
    # starting bursts (10 a second) until the time is up.
    while (stay or Queue(queue, connection=c).count) and sw.elapsed() < seconds:
        if stay:
            time.sleep(0.1)
        w = Worker([Queue(queue, connection=c)], connection=c)
        w.work(burst=True, with_scheduler=True,
               logging_level=LOG_LEVEL)
    after = common.counters(r, FW)
    return common.work_result(FW, queue, before, after, sw, not stay and sw.elapsed() >= seconds,
                              counts(url, queue)["summary"])


def replay(url, queue):
    """FailedJobRegistry.requeue for every failed job of the queue (what
    `rq requeue --all` does)."""
    c = _conn(url)
    reg = FailedJobRegistry(queue=Queue(queue, connection=c))
    ids = reg.get_job_ids()
    for jid in ids:
        reg.requeue(jid)
    return {"framework": FW, "queue": queue, "api": "FailedJobRegistry.requeue",
            "replayed": len(ids), "ids": ids}


# A failing job is expected here; RQ logs each with a traceback at ERROR.
LOG_LEVEL = "INFO" if common.VERBOSE else "CRITICAL"
