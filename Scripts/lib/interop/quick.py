"""Scripts/interop --quick [--observe FILE] [--same-db] [--keep] [FRAMEWORK...]

Smoke check of every framework against a redis-server started here on a
free port (--save '' --appendonly no), each framework in its own database
(all in db 0 with --same-db). Per framework, through the Scripts/interop
commands themselves: enqueue 6 with every 3rd failing -> work -> counts show
2 dead/failed -> set-failing off -> the framework's own replay -> work ->
all 6 done. One line per framework; exit 1 on any failure.

--observe FILE writes a key dump (observe.py) of each framework's database
while its failed jobs sit there and again at the end.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import observe  # noqa: E402

INTEROP = os.path.join(os.path.dirname(os.path.dirname(HERE)), "interop")
FRAMEWORKS = ["sidekiq", "rq", "celery", "bullmq", "dramatiq", "huey"]
QUEUE = "default"


class Failed(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(tmp):
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", tmp, "--databases", "16"],
        stdout=open(os.path.join(tmp, "redis.log"), "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"interop: redis-server exited ({open(os.path.join(tmp, 'redis.log')).read()[-500:]})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("interop: redis-server did not answer PING within 10 s")


def call(fw, *args, url):
    cmd = [INTEROP, fw, *args, "--url", url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise Failed(f"`{' '.join(cmd[1:])}` exited {p.returncode}: {p.stderr.strip()[-800:]}")
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise Failed(f"`{' '.join(cmd[1:])}` printed no JSON: {p.stdout[-300:]!r} {p.stderr[-300:]!r}")


def expect(what, got, want):
    if got != want:
        raise Failed(f"{what}: got {got!r}, want {want!r}")


obs_width = 150


def run_one(fw, url, obs):
    q = ["--queue", QUEUE]
    e = call(fw, "enqueue", *q, "--count", "6", "--fail-every", "3", url=url)
    expect("enqueue: enqueued", e["enqueued"], 6)
    if obs:
        obs.write(f"\n## {fw}: after enqueue (6 ready)\n")
        observe.dump(url, out=obs, width=obs_width)
    w1 = call(fw, "work", *q, "--seconds", "60", url=url)
    expect("work 1: timed_out", w1["timed_out"], False)
    expect("work 1: succeeded", w1["succeeded"], 4)
    expect("work 1: failed runs (2 jobs x 2 attempts)", w1["failed"], 4)
    c1 = call(fw, "counts", *q, url=url)
    expect("counts 1: dead/failed", c1["summary"]["failed"], 2)
    expect("counts 1: ready", c1["summary"]["ready"], 0)
    expect("counts 1: done", c1["summary"]["done"], 4)
    if obs:
        obs.write(f"\n## {fw}: after the first work (2 dead/failed)\n")
        observe.dump(url, out=obs, width=obs_width)
    call(fw, "set-failing", "off", url=url)
    rp = call(fw, "replay", *q, url=url)
    expect("replay: replayed", rp["replayed"], 2)
    w2 = call(fw, "work", *q, "--seconds", "60", url=url)
    expect("work 2: timed_out", w2["timed_out"], False)
    expect("work 2: succeeded", w2["succeeded"], 2)
    expect("work 2: failed", w2["failed"], 0)
    c2 = call(fw, "counts", *q, url=url)
    expect("counts 2: dead/failed", c2["summary"]["failed"], 0)
    expect("counts 2: ready", c2["summary"]["ready"], 0)
    expect("counts 2: done", c2["summary"]["done"], 6)
    if obs:
        obs.write(f"\n## {fw}: at the end (all 6 done)\n")
        observe.dump(url, out=obs, width=obs_width)
    return (f"enqueue 6 (2 failing) -> work ran {w1['ran']}: {w1['succeeded']} ok, {w1['failed']} failed "
            f"-> {c1['summary']['failed']} dead/failed -> replay {rp['replayed']} -> work {w2['succeeded']} ok "
            f"-> done {c2['summary']['done']}")


def main():
    p = argparse.ArgumentParser(prog="Scripts/interop --quick")
    p.add_argument("frameworks", nargs="*", metavar="FRAMEWORK", help=" ".join(FRAMEWORKS))
    p.add_argument("--observe", metavar="FILE")
    p.add_argument("--observe-width", type=int, default=150, help="truncate samples to this many chars")
    p.add_argument("--same-db", action="store_true")
    p.add_argument("--keep", action="store_true", help="leave redis-server running and print its port")
    a = p.parse_args()
    fws = a.frameworks or FRAMEWORKS
    global obs_width
    obs_width = a.observe_width
    for fw in fws:
        if fw not in FRAMEWORKS:
            p.error(f"unknown framework {fw!r} (want {' '.join(FRAMEWORKS)})")
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="mqctl-interop-")
    proc, port = start_redis(tmp)
    obs = open(a.observe, "w") if a.observe else None
    failures = 0
    try:
        for n, fw in enumerate(fws, start=1):
            db = 0 if a.same_db else n
            url = f"redis://127.0.0.1:{port}/{db}"
            t = time.monotonic()
            try:
                msg = run_one(fw, url, obs)
                print(f"interop: {fw:8s} ok   {time.monotonic() - t:5.1f}s  {msg}", flush=True)
            except (Failed, subprocess.TimeoutExpired) as e:
                failures += 1
                print(f"interop: {fw:8s} FAIL {time.monotonic() - t:5.1f}s  {e}", flush=True)
    finally:
        if obs:
            obs.close()
        if a.keep:
            print(f"interop: redis-server left running on 127.0.0.1:{port} (pid {proc.pid})")
        else:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            shutil.rmtree(tmp, ignore_errors=True)
    total = time.monotonic() - t0
    ok = len(fws) - failures
    print(f"interop: {len(fws)} frameworks in {total:.1f}s")
    # The plain closing line test runners are read by.
    print(f"interop: {ok} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
