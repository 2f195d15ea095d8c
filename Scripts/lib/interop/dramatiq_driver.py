"""Dramatiq driver: RedisBroker, actor.send_with_options, dramatiq.Worker
with broker.join, queue/DQ/XQ sizes, replay from the dead-letter queue.

The actor is "interop_job" on queue Q, declared at run time with
max_retries=1 (per message: --retry), min_backoff=10 ms, max_backoff=100 ms,
so a failing message goes through one delayed retry (Q.DQ) and is then
nacked into the dead-letter set dramatiq:Q.XQ within a second.
"""

import logging
import time

import dramatiq
from dramatiq import Message, Worker
from dramatiq.brokers.redis import RedisBroker

import common

FW = "dramatiq"
ACTOR = "interop_job"
NAMESPACE = "dramatiq"

logging.getLogger("dramatiq").setLevel(logging.DEBUG if common.VERBOSE else logging.CRITICAL)


def _setup(url, queue):
    broker = RedisBroker(url=url, namespace=NAMESPACE)
    dramatiq.set_broker(broker)
    r = common.client(url)

    def interop_job(i, k):
        return common.run_task(r, FW, i, k)

    actor = dramatiq.actor(interop_job, actor_name=ACTOR, queue_name=queue, broker=broker,
                           max_retries=1, min_backoff=10, max_backoff=100)
    return broker, actor, r


def _keys(queue):
    base = f"{NAMESPACE}:{queue}"
    return base, base + ".DQ", base + ".XQ"


def enqueue(url, queue, count, k, retries):
    broker, actor, _ = _setup(url, queue)
    ids = [actor.send_with_options(args=(i, k), max_retries=retries).message_id
           for i in range(1, count + 1)]
    return {"framework": FW, "version": dramatiq.__version__, "queue": queue, "enqueued": len(ids),
            "actor": ACTOR, "max_retries": retries, "ids": ids}


def _api_counts(broker, queue):
    c = broker.client
    q, dq, xq = _keys(queue)
    return {
        # do_qsize is the dispatch script's own "qsize" (used by broker.join):
        # messages in Q.msgs + DQ.msgs + this broker's unacked sets.
        "broker.do_qsize": broker.do_qsize(queue),
        "LLEN " + q: c.llen(q),
        "LLEN " + dq: c.llen(dq),
        "ZCARD " + xq: c.zcard(xq),
        "HLEN " + q + ".msgs": c.hlen(q + ".msgs"),
        "HLEN " + dq + ".msgs": c.hlen(dq + ".msgs"),
        "HLEN " + xq + ".msgs": c.hlen(xq + ".msgs"),
    }


def _summary(api, queue, done):
    q, dq, xq = _keys(queue)
    return {
        "ready": api["LLEN " + q],
        "scheduled": api["HLEN " + dq + ".msgs"],
        "retry": 0,  # retries are delayed messages in Q.DQ
        "failed": api["ZCARD " + xq],
        "running": max(api["HLEN " + q + ".msgs"] - api["LLEN " + q], 0),
        "done": done,
    }


def counts(url, queue):
    broker, _, r = _setup(url, queue)
    api = _api_counts(broker, queue)
    return {"framework": FW, "version": dramatiq.__version__, "queue": queue, "api": api,
            "summary": _summary(api, queue, common.counters(r, FW)["done"])}


def work(url, queue, seconds, stay=False):
    """dramatiq.Worker in this process; broker.join(Q) (Dramatiq's own
    drain wait: Q and Q.DQ empty and nothing unacked) then worker.join()."""
    broker, _, r = _setup(url, queue)
    before = common.counters(r, FW)
    sw = common.Stopwatch()
    worker = Worker(broker, queues={queue, queue + ".DQ"}, worker_threads=2, worker_timeout=100)
    worker.start()
    timed_out = False
    try:
        try:
            if stay:
                time.sleep(seconds)
            else:
                broker.join(queue, timeout=int(seconds * 1000))
                worker.join()
        except dramatiq.errors.QueueJoinTimeout:
            timed_out = True
    finally:
        worker.stop()
    after = common.counters(r, FW)
    api = _api_counts(broker, queue)
    return common.work_result(FW, queue, before, after, sw, timed_out, _summary(api, queue, after["done"]))


def replay(url, queue):
    """Dramatiq has no replay API. This uses its own pieces: each message in
    dramatiq:Q.XQ.msgs is decoded with Message.decode and re-sent with
    broker.enqueue (which gives it a new options.redis_message_id and RPUSHes
    it through the dispatch script), then its id is removed from the XQ
    (ZREM) and XQ.msgs (HDEL). Not atomic: enqueue first, so a crash leaves
    a duplicate, never a loss. options.retries is kept as it was."""
    broker, _, _ = _setup(url, queue)
    c = broker.client
    _, _, xq = _keys(queue)
    ids = []
    for rid in c.zrange(xq, 0, -1):
        data = c.hget(xq + ".msgs", rid)
        if data is None:
            c.zrem(xq, rid)
            continue
        msg = Message.decode(data)
        sent = broker.enqueue(msg)
        c.zrem(xq, rid)
        c.hdel(xq + ".msgs", rid)
        ids.append({"message_id": msg.message_id, "old_redis_message_id": rid.decode(),
                    "new_redis_message_id": sent.options["redis_message_id"]})
    return {"framework": FW, "queue": queue, "api": "Message.decode + broker.enqueue, then ZREM/HDEL XQ",
            "replayed": len(ids), "ids": ids}
