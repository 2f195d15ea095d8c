"""Fault injection for mqctl (run by Scripts/chaos; see its header).

Each scenario owns a redis-server (AOF, appendfsync everysec) on a free port,
enqueues messages with known ids, injects its fault, waits until the queue
is drained, and accounts for every id: handled by the handler, dead, still
waiting, or lost. A scenario fails when anything is lost or stuck, or when
what it expects of mqctl (an exit code, an error message) does not happen.
Duplicates are counted and printed: delivery is at least once.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

MQCTL = os.environ["MQCTL"]
QUICK = os.environ.get("CHAOS_QUICK") == "1"
SEED = int(os.environ.get("CHAOS_SEED") or time.time())
rng = random.Random(SEED)

# A pipe handler: logs each id (one os.write, so appends never interleave)
# and answers ok at once.
PIPE_HANDLER = r'''
import json, os, sys
log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for line in sys.stdin:
    message = json.loads(line)
    os.write(log, (message["id"] + "\n").encode())
    sys.stdout.write(json.dumps({"id": message["id"], "ok": True}) + "\n")
    sys.stdout.flush()
'''

# An exec handler whose behaviour the payload chooses.
EXEC_HANDLER = r'''#!/bin/sh
payload=$(cat)
case "$payload" in
  hang*) exec sleep 600 ;;
  crash*) kill -SEGV $$ ;;
  flood*) head -c 4194304 /dev/zero | tr '\0' x >&2 ;;
esac
echo "$MQ_ID" >> "$HANDLED_LOG"
'''


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A redis-server this scenario starts, stops, pauses and restarts."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder,
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--logfile", "redis.log"],
            stdout=subprocess.DEVNULL)
        for _ in range(100):
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise Failure("redis-server did not start; see %s/redis.log" % self.folder)

    def restart(self):
        """A clean restart: SHUTDOWN writes the AOF, the new server loads it."""
        self.cli("SHUTDOWN")
        self.process.wait(10)
        self.start()

    def crash(self):
        """SIGKILL, no shutdown, and start again from the AOF."""
        self.process.kill()
        self.process.wait(10)
        self.start()

    def cli(self, *args):
        done = subprocess.run(["redis-cli", "-p", str(self.port), "--raw", *args],
                              capture_output=True, timeout=30)
        return done.stdout.decode(errors="replace").strip()

    def set_bytes(self, key, field, value):
        """HSET with a binary value (redis-cli -x reads it from stdin)."""
        subprocess.run(["redis-cli", "-p", str(self.port), "-x", "HSET", key, field],
                       input=value, capture_output=True, timeout=30, check=True)

    def members(self, *args):
        text = self.cli(*args)
        return set(text.split("\n")) if text else set()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port


class Scenario:
    """One fault, one Redis, one ledger of ids."""

    def __init__(self, name):
        self.name = name
        self.folder = tempfile.mkdtemp(prefix="mqctl-chaos-")
        self.redis = Redis(self.folder)
        self.log = os.path.join(self.folder, "handled.log")
        self.env = dict(os.environ, MQCTL_URL=self.redis.url, HANDLED_LOG=self.log)
        self.enqueued = {}  # queue -> ids
        self.notes = []
        self.workers = []

    def mqctl(self, *args, stdin=None, check=True):
        done = subprocess.run([MQCTL, *args], input=stdin, capture_output=True, env=self.env, timeout=120)
        if check and done.returncode != 0:
            raise Failure("mqctl %s exited %d: %s" % (" ".join(args), done.returncode, done.stderr.decode(errors="replace")))
        return done

    def enqueue(self, queue, payloads, max_attempts=None):
        ids = ["%s-%06d" % (queue, i) for i in range(len(payloads))]
        lines = "".join('{"id":"%s","payload":"%s"}\n' % pair for pair in zip(ids, payloads))
        args = ["enqueue", queue, "--stdin", "--ndjson", "-q"]
        if max_attempts:
            args += ["--max-attempts", str(max_attempts)]
        self.mqctl(*args, stdin=lines.encode())
        self.enqueued.setdefault(queue, set()).update(ids)
        return ids

    def pipe_worker(self, queue, *options):
        handler = os.path.join(self.folder, "handler.py")
        with open(handler, "w") as f:
            f.write(PIPE_HANDLER)
        return self.worker(queue, "--pipe", *options, "--", sys.executable, handler, self.log)

    def worker(self, queue, *args):
        stderr = open(os.path.join(self.folder, "worker-%d.log" % len(self.workers)), "wb")
        process = subprocess.Popen([MQCTL, "work", queue, "--log-level", "warn", *args], env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        self.workers.append(process)
        return process

    def waiting(self, queue):
        """Messages not yet acked or dead, counted in one script so that a
        message moving between sets (a lease expiring) is never missed."""
        base = "mq:{%s}" % queue
        script = ("local n = 0 for i = 1, 3 do n = n + redis.call('LLEN', KEYS[i]) end "
                  "for i = 4, 6 do n = n + redis.call('ZCARD', KEYS[i]) end return n")
        keys = ["%s:ready:%s" % (base, t) for t in ("express", "urgent", "normal")]
        keys += ["%s:%s" % (base, z) for z in ("delayed", "retry", "inflight")]
        return int(self.redis.cli("EVAL", script, "6", *keys) or 0)

    def expect_waiting(self, queue):
        """A fault must land while there is work, or it tests nothing."""
        if self.waiting(queue) == 0:
            raise Failure("%s drained before the fault: enqueue more messages" % queue)

    def drain(self, queue, timeout=120):
        deadline = time.time() + timeout
        while self.waiting(queue) > 0:
            if time.time() > deadline:
                raise Failure("%s: %d messages still waiting after %ds" % (queue, self.waiting(queue), timeout))
            time.sleep(0.1)

    def handled(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [line.strip() for line in f if line.strip()]

    def account(self, queue):
        """Counts for the summary line; raises when a message is lost."""
        base = "mq:{%s}" % queue
        ids = self.enqueued[queue]
        handled = [i for i in self.handled() if i in ids]
        dead = self.redis.members("ZRANGE", base + ":dead", "0", "-1") & ids
        waiting = set()
        for tier in ("express", "urgent", "normal"):
            waiting |= self.redis.members("LRANGE", "%s:ready:%s" % (base, tier), "0", "-1")
        for zset in ("delayed", "retry", "inflight"):
            waiting |= self.redis.members("ZRANGE", "%s:%s" % (base, zset), "0", "-1")
        lost = ids - set(handled) - dead - waiting
        acked = int(self.redis.cli("GET", base + ":count:processed") or 0)
        return {"enqueued": len(ids), "acked": acked, "dead": len(dead), "lost": len(lost),
                "duplicated": len(handled) - len(set(handled)), "waiting": len(waiting), "lost_ids": sorted(lost)[:5]}

    def finish(self):
        for process in self.workers:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.redis.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def wait_until_signals_blocked(process, timeout=30):
    """A worker takes SIGTERM gracefully once it has blocked it for its
    sigwait thread; before that (process start-up) SIGTERM kills it."""
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        with open("/proc/%d/status" % process.pid) as f:
            blocked = next(int(l.split()[1], 16) for l in f if l.startswith("SigBlk:"))
        if blocked & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.01)


def stop_worker(process, timeout=30):
    wait_until_signals_blocked(process)
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise Failure("worker did not stop within %ds of SIGTERM" % timeout)


# --- scenarios ---------------------------------------------------------------

def worker_killed(s):
    """The worker SIGKILLed at random moments under load, then restarted."""
    count, kills = (10000, 6) if QUICK else (60000, 20)
    s.enqueue("jobs", ["job %d" % i for i in range(count)])
    options = ("--batch", "20", "--concurrency", "2", "--lease", "1s", "--backoff", "fixed", "--backoff-base", "10ms")
    under_load = 0
    for _ in range(kills):
        process = s.pipe_worker("jobs", *options)
        time.sleep(rng.uniform(0.05, 0.4))
        process.kill()
        process.wait()
        under_load += s.waiting("jobs") > 0  # counted after the kill
    if under_load == 0:
        raise Failure("the queue drained before the first kill: enqueue more messages")
    s.notes.append("%d SIGKILLs, %d with messages waiting" % (kills, under_load))
    finisher = s.pipe_worker("jobs", *options)
    s.drain("jobs")
    code = stop_worker(finisher)
    if code != 0:
        raise Failure("the last worker exited %d after SIGTERM" % code)
    return s.account("jobs")


def redis_fault(s, inject, *options, settle=0):
    """Drains a queue with a pipe worker while `inject` hits Redis twice;
    the worker must ride it out without exiting. `settle`: seconds between
    enqueueing and starting, so the messages reach the disk first."""
    count = 10000 if QUICK else 60000
    s.enqueue("jobs", ["job %d" % i for i in range(count)])
    time.sleep(settle)
    worker = s.pipe_worker("jobs", *options, "--batch", "20", "--lease", "2s", "--backoff", "fixed", "--backoff-base", "10ms")
    for _ in range(2):
        time.sleep(0.3)
        s.expect_waiting("jobs")
        inject()
    s.drain("jobs")
    if worker.poll() is not None:
        raise Failure("the worker exited (%d) instead of reconnecting" % worker.returncode)
    stop_worker(worker)
    return s.account("jobs")


def redis_paused(s):
    """Redis SIGSTOPped for longer than --timeout, then SIGCONT, twice."""
    def pause():
        s.redis.process.send_signal(signal.SIGSTOP)
        time.sleep(1.5)
        s.redis.process.send_signal(signal.SIGCONT)
    s.notes.append("2 pauses of 1.5s with --timeout 500ms")
    return redis_fault(s, pause, "--timeout", "500ms")


def redis_restarted(s):
    """Redis (AOF everysec) shut down and started again twice mid-run."""
    s.notes.append("2 restarts")
    return redis_fault(s, s.redis.restart)


def redis_crashed(s):
    """Redis SIGKILLed twice mid-run and started from its AOF (everysec).
    Were the machine to crash, acks of the last second could vanish (those
    messages run again); the messages were enqueued over a second before,
    so none may be lost either way."""
    s.notes.append("2 SIGKILLs of Redis, restarted from the AOF")
    return redis_fault(s, s.redis.crash, settle=1.5)


def bad_handlers(s):
    """Handlers that hang, crash on a signal, or write megabytes to stderr."""
    handler = os.path.join(s.folder, "handler.sh")
    with open(handler, "w") as f:
        f.write(EXEC_HANDLER)
    os.chmod(handler, 0o755)
    kinds = ["hang", "crash", "flood"] + ["fine"] * 7
    count = 40 if QUICK else 200
    payloads = ["%s %d" % (kinds[i % len(kinds)], i) for i in range(count)]
    ids = s.enqueue("jobs", payloads, max_attempts=2)
    worker = s.worker("jobs", "--concurrency", "8", "--handler-timeout", "1s", "--backoff", "fixed",
                      "--backoff-base", "10ms", "--", handler)
    s.drain("jobs", timeout=180)
    stop_worker(worker)
    counts = s.account("jobs")
    doomed = {i for i, p in zip(ids, payloads) if p.startswith(("hang", "crash"))}
    dead = s.redis.members("ZRANGE", "mq:{jobs}:dead", "0", "-1")
    if dead != doomed:
        raise Failure("dead letters are not exactly the hanging and crashing messages (%d dead, %d expected)"
                      % (len(dead), len(doomed)))
    hung = sorted(i for i, p in zip(ids, payloads) if p.startswith("hang"))[0]
    error = s.redis.cli("HGET", "mq:{jobs}:msg:" + hung, "last_error")
    if "timeout" not in error and "timed out" not in error:
        raise Failure("a hung handler's last_error does not say it timed out: %r" % error)
    s.notes.append("hang, crash, 4 MiB of stderr")
    return counts


def bad_data(s):
    """Keys of the wrong type and envelopes with missing or garbage fields:
    each gets a clear error, and other queues are not disturbed."""
    good = s.enqueue("good", ["fine %d" % i for i in range(50)])
    ids = s.enqueue("broken", ["fine %d" % i for i in range(20)])
    base = "mq:{broken}:msg:"
    s.redis.cli("HDEL", base + ids[0], "payload")
    s.redis.set_bytes(base + ids[1], "attempts", b"\xff\xfe")
    s.redis.cli("HSET", base + ids[2], "headers", "not json")
    s.redis.set_bytes(base + ids[3], "priority", b"\x00\x01")
    s.redis.cli("DEL", base + ids[4])
    s.redis.cli("DEL", base + ids[5])
    s.redis.cli("SET", base + ids[5], "a string, not a hash")
    corrupt = set(ids[:6])
    s.redis.cli("SADD", "mq:queues", "typo")
    s.redis.cli("SET", "mq:{typo}:ready:normal", "a string, not a list")
    s.redis.cli("HSET", "mq:{typo}:dead", "a", "hash")

    def expect(args, code, *words):
        done = s.mqctl(*args, check=False)
        text = done.stderr.decode(errors="replace")
        if done.returncode != code or not all(w in text for w in words):
            raise Failure("mqctl %s: expected exit %d naming %s, got %d: %s"
                          % (" ".join(args), code, words, done.returncode, text.strip()))

    expect(["stats", "typo"], 65, "mq:{typo}:")
    expect(["peek", "typo"], 65, "mq:{typo}:ready:normal")
    expect(["dlq", "list", "typo"], 65, "mq:{typo}:dead")
    expect(["work", "typo", "--burst", "--", "true"], 65, "mq:{typo}:")
    s.mqctl("stats", "good")

    worker = s.pipe_worker("broken", "--burst")
    if worker.wait(60) != 0:
        raise Failure("the worker on the broken queue exited %d" % worker.returncode)
    dead = s.redis.members("ZRANGE", "mq:{broken}:dead", "0", "-1")
    if dead != corrupt:
        raise Failure("unreadable messages are not exactly the dead letters: %s" % sorted(dead ^ corrupt))
    reason = s.redis.cli("HGET", base + ids[1], "last_error")
    listed = s.mqctl("dlq", "list", "broken", "-o", "ndjson", check=False)
    if listed.returncode not in (0, 65) or b"attempts" not in listed.stdout + listed.stderr:
        raise Failure("dlq list does not say which field is unreadable (exit %d)" % listed.returncode)
    if s.waiting("good") != len(good) or int(s.redis.cli("LLEN", "mq:{good}:ready:normal")) != len(good):
        raise Failure("the good queue was disturbed")
    if "attempts" not in reason:
        raise Failure("the dead letter's last_error does not name the bad field: %r" % reason)
    s.notes.append("wrong types: exit 65 naming the key; 6 unreadable envelopes dead-lettered")
    return s.account("broken")

def corrupted_state(s):
    """Each key of a queue given each wrong type in turn, and a garbage
    envelope in every state: every moving command runs on it, and when
    the key is put back every message is in exactly one state. Nothing
    is acked here, so a message in no state is lost, in two is doubled."""
    queue, base = "q", "mq:{q}"
    keys = ["ready:normal", "ready:express", "delayed", "retry", "inflight", "dead", "wake", "config",
            "count:enqueued", "count:dead", "transfers"]
    wrong = {"string": ("SET", "x"), "hash": ("HSET", "f", "v"), "set": ("SADD", "m")}
    if QUICK:
        wrong = {"string": wrong["string"]}
    ids = s.enqueue(queue, ["ready %d" % i for i in range(20)])
    later = ["%s-later-%d" % (queue, i) for i in range(10)]
    s.mqctl("enqueue", queue, "--stdin", "--ndjson", "-q", "--delay", "1h",
            stdin="".join('{"id":"%s","payload":"later"}\n' % i for i in later).encode())
    s.enqueued[queue].update(later)
    now = int(time.time() * 1000)
    for state, count in (("retry", 10), ("inflight", 10), ("dead", 10)):
        for i in range(count):
            mid = "%s-%s-%d" % (queue, state, i)
            s.redis.cli("HSET", "%s:msg:%s" % (base, mid), "payload", "p", "headers", "{}", "priority", "normal",
                        "attempts", "1", "max_attempts", "3", "enqueued_at", str(now), "run_at", str(now), "state", state,
                        "failed_at", str(now))
            s.redis.cli("ZADD", "%s:%s" % (base, state), str(now - 1000), mid)
            s.enqueued[queue].add(mid)
    for state, key in (("ready", "ready:urgent"), ("delayed", "delayed"), ("retry", "retry"),
                       ("inflight", "inflight"), ("dead", "dead")):
        mid = "%s-garbage-%s" % (queue, state)
        s.redis.cli("SET", "%s:msg:%s" % (base, mid), "garbage")
        if key.startswith("ready"):
            s.redis.cli("RPUSH", "%s:%s" % (base, key), mid)
        else:
            s.redis.cli("ZADD", "%s:%s" % (base, key), str(now - 1000), mid)
        s.enqueued[queue].add(mid)
    commands = [["promote", queue, "--no-lock"], ["reap", queue, "--no-lock"],
                ["dlq", "replay", queue, "--all", "--keep-attempts", "--no-lock"],
                ["retry", "run-now", queue, "--all"], ["delayed", "run-now", queue, later[0], later[1]],
                ["dlq", "replay", queue, "--all", "--to-queue", "other", "--no-lock"], ["enqueue", queue, "--stdin", "-q"]]
    runs = 0
    for key in keys:
        for kind, (command, *args) in wrong.items():
            full = "%s:%s" % (base, key)
            saved = s.redis.cli("EXISTS", full) == "1"
            if saved:
                s.redis.cli("RENAME", full, full + ".saved")
            s.redis.cli(command, full, *args)
            for line in commands:
                stdin = b"from stdin\n" if line[0] == "enqueue" else None
                done = s.mqctl(*line, stdin=stdin, check=False)
                runs += 1
                if done.returncode not in (0, 1, 65):
                    raise Failure("mqctl %s with %s a %s exited %d: %s" % (" ".join(line), full, kind, done.returncode,
                                                                          done.stderr.decode(errors="replace").strip()))
            s.redis.cli("DEL", full)
            if saved:
                s.redis.cli("RENAME", full + ".saved", full)
            check_one_state(s, queue, base, "%s as a %s" % (key, kind))
    s.notes.append("%d moving commands over %d keys x %d wrong types; every message in one state"
                   % (runs, len(keys), len(wrong)))
    # Ids that left for `other` are accounted there.
    counts = s.account(queue)
    moved = s.redis.members("LRANGE", "mq:{other}:ready:normal", "0", "-1") & s.enqueued[queue]
    counts["lost"] -= len(moved)
    # Nothing here runs a worker: waiting is where the messages are meant to be.
    counts["waiting"] = 0
    return counts


def check_one_state(s, queue, base, when):
    """Every id in exactly one state (including a move to `other`); raises otherwise."""
    seen = {}
    for tier in ("express", "urgent", "normal"):
        for mid in s.redis.cli("LRANGE", "%s:ready:%s" % (base, tier), "0", "-1").split():
            seen.setdefault(mid, []).append(tier)
    for zset in ("delayed", "retry", "inflight", "dead"):
        for mid in s.redis.members("ZRANGE", "%s:%s" % (base, zset), "0", "-1"):
            seen.setdefault(mid, []).append(zset)
    for mid in s.redis.cli("LRANGE", "mq:{other}:ready:normal", "0", "-1").split():
        seen.setdefault(mid, []).append("other")
    ids = s.enqueued[queue]
    stranded = sorted(i for i in ids if i not in seen)
    doubled = sorted(i for i, states in seen.items() if i in ids and len(states) > 1)
    if stranded or doubled:
        raise Failure("after %s: in no state %s, in two %s" % (when, stranded[:5], [(i, seen[i]) for i in doubled[:5]]))


def stream_failing(s):
    """Two stream workers (work --stream, --pipe, 2 slots each) over
    entries whose handler always fails, with --max-attempts 3 and a 1s
    lease: every entry is delivered exactly 3 times, attempts 1, 2, 3, and
    then it is in the dead stream, nothing left pending. One script adds
    the entries, so they share a millisecond and their sequence numbers
    run into the hundreds, where ids compared as text go wrong."""
    count, attempts = (300 if QUICK else 3000), 3
    stream, group, dead_stream = "events", "billing", "events:dead"
    s.redis.cli("XGROUP", "CREATE", stream, group, "$", "MKSTREAM")
    s.redis.cli("EVAL", "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'payload', 'job ' .. i) end",
                "1", stream, str(count))
    ids = set(s.redis.cli("EVAL", "local ids = {} for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do "
                          "ids[#ids + 1] = e[1] end return ids", "1", stream).split())
    handler = os.path.join(s.folder, "failing.py")
    with open(handler, "w") as f:
        # PIPE_HANDLER, but logging "id attempt" and failing every entry.
        f.write(r'''
import json, os, sys
log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for line in sys.stdin:
    message = json.loads(line)
    os.write(log, ("%s %d\n" % (message["id"], message["attempt"])).encode())
    sys.stdout.write(json.dumps({"id": message["id"], "ok": False, "error": "always fails"}) + "\n")
    sys.stdout.flush()
''')
    # s.worker puts its first argument right after `work`: `--stream=` keeps the option whole.
    workers = [s.worker("--stream=" + stream, "--group", group, "--pipe", "--concurrency", "2",
                        "--max-attempts", str(attempts), "--lease", "1s", "--", sys.executable, handler, s.log)
               for _ in range(2)]
    deadline = time.time() + (30 if QUICK else 120)
    while int(s.redis.cli("XLEN", dead_stream) or 0) < count:
        if time.time() > deadline:
            raise Failure("%s of %d entries dead after %ds" % (s.redis.cli("XLEN", dead_stream), count, 30 if QUICK else 120))
        if any(w.poll() is not None for w in workers):
            raise Failure("a stream worker exited early")
        time.sleep(0.1)
    # Dead entries are acknowledged, so none is delivered again: the log is complete.
    for worker in workers:
        code = stop_worker(worker)
        if code != 0:
            raise Failure("a stream worker exited %d after SIGTERM" % code)

    seen = {}
    for line in s.handled():
        entry, attempt = line.split()
        seen.setdefault(entry, []).append(int(attempt))
    wrong = sorted((e, a) for e, a in seen.items() if a != list(range(1, attempts + 1)))
    if wrong or set(seen) != ids:
        raise Failure("%d entries not delivered as attempts 1..%d (e.g. %s); %d never delivered"
                      % (len(wrong), attempts, wrong[:3], len(ids - set(seen))))
    script = ("local out = {} for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do "
              "local f = {} for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end "
              "out[#out + 1] = f.source_id .. ' ' .. f.deliveries .. ' ' .. f.consumer end return out")
    dead = [line.split() for line in s.redis.cli("EVAL", script, "1", dead_stream).split("\n")]
    if sorted(d[0] for d in dead) != sorted(ids) or any(d[1] != str(attempts) for d in dead):
        raise Failure("the dead stream does not hold each entry once, with %d deliveries" % attempts)
    pending = int(s.redis.cli("XPENDING", stream, group).split("\n")[0])
    s.notes.append("%d deliveries, attempts 1..%d each; dead from %d consumers"
                   % (sum(map(len, seen.values())), attempts, len({d[2] for d in dead})))
    # Every delivery beyond the 3 attempts would have failed the check above.
    return {"enqueued": count, "acked": 0, "dead": len(dead), "lost": len(ids) - len(dead), "duplicated": 0,
            "waiting": pending, "lost_ids": sorted(ids - {d[0] for d in dead})[:5]}


# A pipe handler whose behaviour the payload chooses: answer, flood stdout
# with junk lines, or write one endless line without a newline.
FLOOD_HANDLER = r'''
import json, os, sys
log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for line in sys.stdin:
    message = json.loads(line)
    if message["payload"].startswith("junk"):
        chunk = "x\n" * 65536
        while True:
            sys.stdout.write(chunk)
    if message["payload"].startswith("endless"):
        chunk = "y" * 65536
        while True:
            sys.stdout.write(chunk)
    os.write(log, (message["id"] + "\n").encode())
    sys.stdout.write(json.dumps({"id": message["id"], "ok": True}) + "\n")
    sys.stdout.flush()
'''


def pipe_flood(s):
    """Pipe handlers that flood stdout (junk lines, or one line without
    end): the worker's memory stays bounded, the timeout fires, the good
    messages are handled and the flooders end as dead letters."""
    handler = os.path.join(s.folder, "flood.py")
    with open(handler, "w") as f:
        f.write(FLOOD_HANDLER)
    kinds = ["junk", "endless"] + ["fine"] * 8
    count = 40 if QUICK else 200
    payloads = ["%s %d" % (kinds[i % len(kinds)], i) for i in range(count)]
    ids = s.enqueue("flood", payloads, max_attempts=2)
    worker = s.worker("flood", "--pipe", "--batch", "1", "--concurrency", "2", "--handler-timeout", "1s",
                      "--backoff", "fixed", "--backoff-base", "10ms", "--", sys.executable, handler, s.log)
    peak = 0
    deadline = time.time() + 180
    while s.waiting("flood") > 0:
        if time.time() > deadline:
            raise Failure("flood: %d messages still waiting" % s.waiting("flood"))
        with open("/proc/%d/status" % worker.pid) as f:
            peak = max([peak] + [int(l.split()[1]) for l in f if l.startswith("VmHWM:")])
        time.sleep(0.1)
    stop_worker(worker)
    if peak > 128 * 1024:
        raise Failure("the worker's peak RSS was %d KiB while handlers flooded it" % peak)
    doomed = {i for i, p in zip(ids, payloads) if not p.startswith("fine")}
    dead = s.redis.members("ZRANGE", "mq:{flood}:dead", "0", "-1")
    if dead != doomed:
        raise Failure("dead letters are not exactly the flooding messages (%d dead, %d expected)" % (len(dead), len(doomed)))
    s.notes.append("junk lines and an endless line on stdout; peak RSS %d MiB" % (peak // 1024))
    return s.account("flood")


SCENARIOS = [worker_killed, redis_paused, redis_restarted, redis_crashed, bad_handlers, pipe_flood, bad_data, corrupted_state,
             stream_failing]


def main():
    names = sys.argv[1:]
    chosen = [f for f in SCENARIOS if not names or f.__name__ in names]
    print("chaos: seed %d%s" % (SEED, ", quick" if QUICK else ""))
    print("%-16s %8s %8s %6s %5s %10s  %s" % ("SCENARIO", "ENQUEUED", "ACKED", "DEAD", "LOST", "DUPLICATED", "NOTES"))
    failed = []
    for scenario in chosen:
        s = Scenario(scenario.__name__)
        started = time.time()
        try:
            c = scenario(s)
            ok = c["lost"] == 0 and c["waiting"] == 0
            note = "; ".join(s.notes) + " (%.1fs)" % (time.time() - started)
            if not ok:
                note = "LOST %s, waiting %d; " % (c["lost_ids"], c["waiting"]) + note
            print("%-16s %8d %8d %6d %5d %10d  %s" % (scenario.__name__, c["enqueued"], c["acked"], c["dead"],
                                                       c["lost"], c["duplicated"], note))
        except (Failure, subprocess.TimeoutExpired) as error:
            ok = False
            print("%-16s FAILED: %s" % (scenario.__name__, error))
            for log in sorted(os.listdir(s.folder)):
                if log.startswith("worker-") or log == "redis.log":
                    with open(os.path.join(s.folder, log), errors="replace") as f:
                        tail = f.read()[-1500:]
                    if tail.strip():
                        print("  --- %s (tail)\n%s" % (log, tail))
        finally:
            s.finish()
        sys.stdout.flush()
        if not ok:
            failed.append(scenario.__name__)
    if failed:
        print("chaos: FAILED: %s (seed %d)" % (", ".join(failed), SEED))
        sys.exit(1)
    print("chaos: every scenario lost nothing")


if __name__ == "__main__":
    main()
