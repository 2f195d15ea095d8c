"""Celery driver (kombu's Redis transport as broker, the Redis result
backend on the same database): apply_async, a `celery worker` subprocess,
kombu queue size + unacked + result-backend states, and a replay.

Celery keeps no dead or failed set in Redis. What exists after a task has
failed for good:
  - nothing in the broker: the message was acked (task_acks_late=True here,
    and task_acks_on_failure_or_timeout stays True, Celery's default);
  - the result backend's STRING celery-task-meta-<task id>, JSON with
    status FAILURE, result {exc_type, exc_message, exc_module}, traceback,
    and (result_extended=True here) name, args, kwargs, queue, retries.
So "failed" counts are FAILURE results whose queue is Q, and replay re-sends
each with app.send_task(name, args, kwargs, queue=Q, task_id=<same id>),
which is what Task.retry does too (a new message, same task id); the
success then overwrites the FAILURE result.

The task is "interop.job" (autoretry_for InteropError, max_retries=1,
countdown 0): a failing task is re-published at once with retries=1 and
fails for good on its second run. Celery's max_retries is a task setting,
so --retry is not per message here (--retry other than 1 is refused).
"""

import json
import os
import signal
import subprocess
import sys

import celery
import kombu
from celery import Celery
from kombu.exceptions import ChannelError

import common

FW = "celery"
TASK = "interop.job"
HERE = os.path.dirname(os.path.abspath(__file__))

URL = os.environ.get("MQCTL_INTEROP_URL", "redis://127.0.0.1:6379/0")


def make_app(url):
    app = Celery("interop", broker=url, backend=url)
    app.conf.update(
        result_extended=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        task_create_missing_queues=True,
    )

    @app.task(name=TASK, bind=True, autoretry_for=(common.InteropError,),
              max_retries=1, default_retry_delay=0, retry_backoff=False, retry_jitter=False)
    def job(self, i, k):
        return common.run_task(common.client(url), FW, i, k)

    return app


# The worker subprocess loads this module with -A celery_driver:app.
app = make_app(URL)


def enqueue(url, queue, count, k, retries):
    if retries != 1:
        common.die("celery: max_retries is a task setting here (1), not per message; drop --retry", 64)
    a = make_app(url)
    ids = [a.send_task(TASK, args=(i, k), queue=queue).id for i in range(1, count + 1)]
    return {"framework": FW, "version": celery.__version__, "kombu": kombu.__version__, "queue": queue,
            "enqueued": len(ids), "task": TASK, "max_retries": 1, "ids": ids}


def _queue_size(a, queue):
    with a.connection_for_write() as conn:
        ch = conn.default_channel
        try:
            _, size, _ = ch.queue_declare(queue=queue, passive=True)
        except ChannelError:
            size = 0  # kombu: the queue has no keys yet
        unacked = ch.client.hvals(ch.unacked_key)
    mine = 0
    for v in unacked:
        try:
            _, _, rkey = json.loads(v)
            mine += rkey == queue
        except Exception:
            pass
    return size, mine, len(unacked)


def _results(a, queue):
    """States of the result-backend entries whose queue is Q."""
    states = {}
    metas = []
    prefix = a.backend.task_keyprefix
    prefix = prefix.decode() if isinstance(prefix, bytes) else prefix
    for key in a.backend.client.scan_iter(match=prefix + "*"):
        key = key.decode() if isinstance(key, bytes) else key
        tid = key[len(prefix):]
        meta = a.backend.get_task_meta(tid)
        if meta.get("queue") != queue:
            continue
        states[meta["status"]] = states.get(meta["status"], 0) + 1
        metas.append(meta)
    return states, metas


def counts(url, queue):
    a = make_app(url)
    size, mine, unacked = _queue_size(a, queue)
    states, _ = _results(a, queue)
    done = common.counters(common.client(url), FW)["done"]
    return {
        "framework": FW, "version": celery.__version__, "kombu": kombu.__version__, "queue": queue,
        "api": {"queue_declare(passive).message_count": size, "unacked (this queue)": mine,
                "unacked (all)": unacked, "result states": states},
        "summary": {"ready": size, "scheduled": 0, "retry": states.get("RETRY", 0),
                    "failed": states.get("FAILURE", 0), "running": mine, "done": done},
    }


def work(url, queue, seconds, stay=False):
    """`celery worker` (solo pool) as a subprocess, until the queue is
    empty, nothing of it is unacked and the run counter is still; then
    TERM (warm shutdown)."""
    r = common.client(url)
    a = make_app(url)
    before = common.counters(r, FW)
    sw = common.Stopwatch()
    env = dict(os.environ, MQCTL_INTEROP_URL=url,
               PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "celery", "-A", "celery_driver:app", "worker",
           "-Q", queue, "-P", "solo", "-c", "1", "-n", f"interop-{os.getpid()}@%h",
           "--without-gossip", "--without-mingle", "--without-heartbeat",
           "-l", "INFO" if common.VERBOSE else "CRITICAL"]
    proc = subprocess.Popen(cmd, cwd=HERE, env=env, stdin=subprocess.DEVNULL,
                            stdout=sys.stderr if common.VERBOSE else subprocess.DEVNULL,
                            stderr=sys.stderr if common.VERBOSE else subprocess.DEVNULL)
    try:
        # Give the worker a moment to consume before "idle" can be believed.
        def idle():
            if proc.poll() is not None:
                common.die(f"celery worker exited with {proc.returncode} (MQCTL_INTEROP_VERBOSE=1 shows why)")
            size, mine, _ = _queue_size(a, queue)
            return size == 0 and mine == 0

        timed_out = common.wait_until_quiet(idle, r, FW, seconds, settle=0.8, stay=stay)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    after = common.counters(r, FW)
    return common.work_result(FW, queue, before, after, sw, timed_out, counts(url, queue)["summary"])


def replay(url, queue):
    a = make_app(url)
    _, metas = _results(a, queue)
    ids = []
    for m in metas:
        if m["status"] != "FAILURE":
            continue
        a.send_task(m["name"], args=m.get("args") or (), kwargs=m.get("kwargs") or {},
                    queue=queue, task_id=m["task_id"])
        ids.append(m["task_id"])
    return {"framework": FW, "queue": queue,
            "api": "app.send_task(name, args, kwargs, queue, task_id) from the FAILURE results",
            "replayed": len(ids), "ids": ids}
