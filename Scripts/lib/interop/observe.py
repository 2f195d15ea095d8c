"""Dumps what is in a Redis database: every key (SCAN), its TYPE, its size,
and one sample member (truncated), with sorted-set scores read as times
next to the wall clock. Used by `Scripts/interop --quick --observe FILE`
and runnable alone:

  python3 observe.py --url redis://127.0.0.1:PORT/DB [--match PATTERN]
"""

import argparse
import datetime
import sys
import time

import redis

WIDTH = 150


def show(v, width=WIDTH):
    if v is None:
        return "(nil)"
    if isinstance(v, bytes):
        try:
            s = v.decode("utf-8")
            if any(ord(c) < 32 and c not in "\t\n" for c in s):
                raise UnicodeDecodeError("utf-8", v, 0, 1, "control")
        except UnicodeDecodeError:
            s = repr(v)[2:-1]
            s = "b'" + s
            if len(s) > width:
                return s[:width] + f"…' ({len(v)} bytes, binary)"
            return s + "'"
    else:
        s = str(v)
    s = s.replace("\n", "\\n")
    if len(s) > width:
        return s[:width] + f"… ({len(s)} chars)"
    return s


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def read_score(score, now):
    """Names the unit a score is in by where it lands near now."""
    if score in (float("inf"), float("-inf")):
        return str(score)
    if score == 0:
        return "0"
    for unit, div in (("epoch s", 1.0), ("epoch ms", 1e3), ("epoch ms*0x1000", 1e3 * 4096), ("epoch ns", 1e9)):
        t = score / div
        if abs(t - now) < 400 * 86400:
            d = t - now
            return f"{unit} = {utc(t)} (now{'+' if d >= 0 else ''}{d:.1f}s)"
    return "not a time near now"


def dump(url, match="*", out=sys.stdout, width=WIDTH):
    r = redis.Redis.from_url(url)
    now = time.time()
    out.write(f"# {url}  wall clock {now:.3f} = {utc(now)}\n")
    keys = sorted(r.scan_iter(match=match, count=1000))
    for k in keys:
        t = r.type(k).decode()
        ttl = r.ttl(k)
        ttl_s = f" ttl={ttl}s" if ttl >= 0 else ""
        name = show(k, 200)
        if t == "string":
            v = r.get(k)
            out.write(f"{name}  string{ttl_s}  = {show(v, width)}\n")
        elif t == "list":
            n = r.llen(k)
            out.write(f"{name}  list len={n}{ttl_s}  [0] = {show(r.lindex(k, 0), width)}\n")
        elif t == "set":
            n = r.scard(k)
            first = sorted(r.smembers(k))[:1]
            out.write(f"{name}  set card={n}{ttl_s}  e.g. {show(first[0] if first else None, width)}\n")
        elif t == "zset":
            n = r.zcard(k)
            first = r.zrange(k, 0, 0, withscores=True)
            if first:
                m, sc = first[0]
                out.write(f"{name}  zset card={n}{ttl_s}  first score={sc!r} [{read_score(sc, now)}]  member = {show(m, width)}\n")
            else:
                out.write(f"{name}  zset card=0\n")
        elif t == "hash":
            n = r.hlen(k)
            fields = sorted(r.hkeys(k))
            out.write(f"{name}  hash len={n}{ttl_s}  fields={show(b','.join(fields), 300)}\n")
            # Small hashes (job hashes) field by field; big ones by one field.
            for f in (fields if n <= 25 else fields[:1]):
                out.write(f"    {show(f, 60)} = {show(r.hget(k, f), width)}\n")
        elif t == "stream":
            n = r.xlen(k)
            first = r.xrange(k, count=1)
            out.write(f"{name}  stream len={n}{ttl_s}  first = {show(first[0] if first else None, width)}\n")
        else:
            out.write(f"{name}  {t}\n")
    out.write(f"# {len(keys)} keys\n")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--match", default="*")
    p.add_argument("--width", type=int, default=WIDTH)
    a = p.parse_args()
    dump(a.url, a.match, width=a.width)
