"""Huey driver: RedisHuey named after the queue, task calls to enqueue,
the Consumer (thread workers) in this process, pending/scheduled/result
counts, and a replay of failed tasks.

Huey has no dead or failed set. A task that fails with no retries left is
recorded only as an Error result in the result store (HASH
huey.results.<name>, field = task id, value = pickled Error({error,
retries, traceback, task_id})), and the message itself is gone. So that
failed tasks can be replayed at all, the harness connects to Huey's own
SIGNAL_ERROR and, on the final failure, pushes huey.serialize_task(task) to
a LIST it owns, interop:huey:dead:<name> (not a Huey key); replay
deserializes each with huey.deserialize_task and calls huey.enqueue (same
task id, so the success overwrites the Error result).

The task is "interop_job" with retries=1 (per call: --retry) and
retry_delay=0, so a failing task is re-enqueued at once and fails for good
on its second run.
"""

import logging

import huey as huey_pkg
import redis
from huey import RedisHuey
from huey.constants import EmptyData
from huey.signals import SIGNAL_ERROR
from huey.utils import Error

import common

FW = "huey"
TASK = "interop_job"

logging.getLogger("huey").setLevel(logging.DEBUG if common.VERBOSE else logging.CRITICAL)


def dead_key(h):
    return f"interop:huey:dead:{h.storage.name}"


def _setup(url, queue, retries=1):
    h = RedisHuey(name=queue, url=url, results=True)
    r = common.client(url)

    @h.task(retries=retries, retry_delay=0, name=TASK)
    def interop_job(i, k):
        return common.run_task(r, FW, i, k)

    @h.signal(SIGNAL_ERROR)
    def on_error(signal, task, exc=None):
        if task.retries == 0:  # Huey decrements after the signal: this was the last try
            r.rpush(dead_key(h), h.serialize_task(task))

    return h, interop_job, r


def enqueue(url, queue, count, k, retries):
    h, task, _ = _setup(url, queue, retries)
    ids = [task(i, k).id for i in range(1, count + 1)]
    return {"framework": FW, "version": huey_pkg.__version__, "queue": queue, "huey_name": h.storage.name,
            "enqueued": len(ids), "task": h._registry.task_to_string(task.task_class),
            "retries": retries, "ids": ids}


def _errors(h):
    n = 0
    for _, raw in h.all_results().items():
        if raw is EmptyData:
            continue
        try:
            if isinstance(h.serializer.deserialize(raw), Error):
                n += 1
        except Exception:
            pass
    return n


def _api(h, r):
    return {
        "pending_count": h.pending_count(),
        "scheduled_count": h.scheduled_count(),
        "result_count": h.result_count(),
        "Error results": _errors(h),
        "harness dead list (" + dead_key(h) + ")": r.llen(dead_key(h)),
    }


def _summary(api, done):
    return {"ready": api["pending_count"], "scheduled": api["scheduled_count"], "retry": 0,
            "failed": api["Error results"], "running": 0, "done": done}


def counts(url, queue):
    h, _, r = _setup(url, queue)
    api = _api(h, r)
    return {"framework": FW, "version": huey_pkg.__version__, "queue": queue, "huey_name": h.storage.name,
            "api": api, "summary": _summary(api, common.counters(r, FW)["done"])}


def work(url, queue, seconds, stay=False):
    """Huey has no burst mode: run its Consumer (2 thread workers) until
    nothing is pending or in flight and the run counter is still, then stop
    it gracefully."""
    h, _, r = _setup(url, queue)
    before = common.counters(r, FW)
    sw = common.Stopwatch()
    consumer = h.create_consumer(workers=2, worker_type="thread", periodic=False,
                                 initial_delay=0.05, backoff=1.1, max_delay=0.2,
                                 check_worker_health=False)
    consumer.start()
    try:
        timed_out = common.wait_until_quiet(
            lambda: h.pending_count() == 0 and not h._tasks_in_flight, r, FW, seconds, stay=stay)
    finally:
        consumer.stop(graceful=True)
    after = common.counters(r, FW)
    return common.work_result(FW, queue, before, after, sw, timed_out, _summary(_api(h, r), after["done"]))


def replay(url, queue):
    h, _, r = _setup(url, queue)
    raw = redis.Redis.from_url(url)  # the kept tasks are pickles: no decoding
    ids = []
    while True:
        data = raw.lpop(dead_key(h))
        if data is None:
            break
        task = h.deserialize_task(data)
        h.enqueue(task)
        ids.append(task.id)
    return {"framework": FW, "queue": queue,
            "api": "huey.deserialize_task + huey.enqueue (tasks the harness kept from SIGNAL_ERROR)",
            "replayed": len(ids), "ids": ids}
