"""Entry point of the Python drivers: Scripts/interop F COMMAND [options].

  F enqueue --url URL --queue Q --count N [--fail-every K] [--retry R]
  F work    --url URL --queue Q [--seconds S]
  F counts  --url URL --queue Q
  F replay  --url URL --queue Q
  F set-failing on|off --url URL

F is rq, celery, bullmq, dramatiq or huey. Each prints one JSON object.
"""

import argparse
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

DRIVERS = {
    "rq": "rq_driver",
    "celery": "celery_driver",
    "bullmq": "bullmq_driver",
    "dramatiq": "dramatiq_driver",
    "huey": "huey_driver",
}


def parse(argv):
    p = argparse.ArgumentParser(prog="Scripts/interop")
    p.add_argument("framework", choices=sorted(DRIVERS))
    p.add_argument("command", choices=["enqueue", "work", "counts", "replay", "set-failing"])
    p.add_argument("onoff", nargs="?", choices=["on", "off"])
    p.add_argument("--url", required=True, help="redis://HOST:PORT/DB")
    p.add_argument("--queue")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--fail-every", type=int, default=0)
    p.add_argument("--retry", type=int, default=None,
                   help="retries before a job is dead/failed (default 1)")
    p.add_argument("--seconds", type=float, default=60.0,
                   help="work: give up after this long (default 60)")
    p.add_argument("--stay", action="store_true",
                   help="work: keep the worker running for --seconds even when idle")
    a = p.parse_args(argv)
    if a.command == "set-failing" and a.onoff is None:
        p.error("set-failing takes on or off")
    if a.command != "set-failing" and not a.queue:
        p.error("--queue is required")
    return a


def main(argv):
    a = parse(argv)
    try:
        drv = importlib.import_module(DRIVERS[a.framework])
    except ImportError as e:
        common.die(f"{a.framework}: cannot import its framework ({e}) — run Scripts/interop setup")
    r = common.client(a.url)
    if a.command == "set-failing":
        common.out(common.set_failing(r, a.framework, a.onoff == "on"))
        return 0
    if a.command == "enqueue":
        # Enqueueing failing jobs turns the failure flag on (set-failing off to stop).
        if a.fail_every > 0:
            common.set_failing(r, a.framework, True)
        res = drv.enqueue(a.url, a.queue, a.count, a.fail_every, 1 if a.retry is None else a.retry)
        res.setdefault("failing", common.failing_count(a.count, a.fail_every))
    elif a.command == "work":
        res = drv.work(a.url, a.queue, a.seconds, stay=a.stay)
    elif a.command == "counts":
        res = drv.counts(a.url, a.queue)
        res["counters"] = common.counters(r, a.framework)
        res["failing"] = bool(r.exists(common.flag_key(a.framework)))
    else:
        res = drv.replay(a.url, a.queue)
    common.out(res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
