"""Shared pieces of the Python drivers of Scripts/interop.

Every driver defines one task whose outcome depends on two things only:
its arguments (i, k) and a Redis flag key. Job i fails with
InteropError("boom i") when k > 0, i % k == 0 and the key
interop:fail:<framework> exists; otherwise it succeeds. Each execution
INCRs interop:runs:<framework>, and then interop:done:<framework> on
success or interop:fails:<framework> on failure, so a run's outcome can be
counted independently of the framework's own bookkeeping.
"""

import json
import os
import sys
import time

import redis

VERBOSE = bool(os.environ.get("MQCTL_INTEROP_VERBOSE"))


class InteropError(Exception):
    """The error every failing job raises: message "boom <i>"."""


def flag_key(fw):
    return f"interop:fail:{fw}"


def counter_keys(fw):
    return f"interop:runs:{fw}", f"interop:done:{fw}", f"interop:fails:{fw}"


def client(url):
    return redis.Redis.from_url(url, decode_responses=True)


def run_task(r, fw, i, k):
    """The body of every framework's task."""
    runs, done, fails = counter_keys(fw)
    r.incr(runs)
    i, k = int(i), int(k)
    if k > 0 and i % k == 0 and r.exists(flag_key(fw)):
        r.incr(fails)
        raise InteropError(f"boom {i}")
    r.incr(done)
    return i


def counters(r, fw):
    vals = r.mget(*counter_keys(fw))
    return {"runs": int(vals[0] or 0), "done": int(vals[1] or 0), "fails": int(vals[2] or 0)}


def failing_count(count, k):
    return sum(1 for i in range(1, count + 1) if k > 0 and i % k == 0)


def set_failing(r, fw, on):
    if on:
        r.set(flag_key(fw), "1")
    else:
        r.delete(flag_key(fw))
    return {"framework": fw, "failing": on, "flag_key": flag_key(fw)}


def out(obj):
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def die(msg, code=2):
    sys.stderr.write(f"interop: {msg}\n")
    sys.exit(code)


def log(msg):
    if VERBOSE:
        sys.stderr.write(f"interop: {msg}\n")


class Stopwatch:
    def __init__(self):
        self.t0 = time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.t0


def wait_until_quiet(is_idle, r, fw, seconds, settle=0.6, interval=0.1, stay=False):
    """Polls until is_idle() holds and the run counter has not moved for
    `settle` seconds, or `seconds` have passed. Returns True on a timeout.
    With stay, waits the full `seconds` (a worker kept running) and returns
    False."""
    sw = Stopwatch()
    if stay:
        while sw.elapsed() < seconds:
            is_idle()  # still checks that the worker is alive
            time.sleep(interval)
        return False
    quiet_since = None
    last = None
    while True:
        runs = counters(r, fw)["runs"]
        if is_idle() and runs == last:
            if quiet_since is None:
                quiet_since = time.monotonic()
            if time.monotonic() - quiet_since >= settle:
                return False
        else:
            quiet_since = None
        last = runs
        if sw.elapsed() > seconds:
            return True
        time.sleep(interval)


def work_result(fw, queue, before, after, sw, timed_out, summary, **extra):
    res = {
        "framework": fw,
        "queue": queue,
        "ran": after["runs"] - before["runs"],
        "succeeded": after["done"] - before["done"],
        "failed": after["fails"] - before["fails"],
        "timed_out": timed_out,
        "seconds": round(sw.elapsed(), 2),
        "counts": summary,
    }
    res.update(extra)
    return res
