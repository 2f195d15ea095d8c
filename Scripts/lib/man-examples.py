#!/usr/bin/env python3
"""Checks every EXAMPLES line of the man pages, for Scripts/check-docs.

    man-examples.py MQCTL MANDIR

Each line of a literal display under EXAMPLES (a crontab line's schedule
dropped; redirections and pipes cut off, stdin from /dev/null) is run
twice, in a scratch folder with its own HOME and XDG folders, a
./handle-order, ./mqctl.toml and the config of Scripts/examples/openpenpal.toml:

1. Against a closed port (redis://127.0.0.1:1, -u/--url values replaced):
   it must parse, so it exits 69 (Redis unreachable) or 0 (needs no Redis;
   3 UNKNOWN for check). 64 or anything else fails: the example does not
   parse, or names a file or option that is not there.
2. The read-only ones (and every --dry-run) against a scratch redis-server
   seeded with what they name (queues, a dead letter of each message id,
   streams and groups, counters): each must exit 0 (0 to 3 for check; a
   --watch or events run is stopped after a few seconds) and leave the data
   as it was (DEBUG DIGEST before and after).

Examples that change data are only parse-checked. Prints one line per
failure; exits 1 when there is one.
"""
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

CLOSED_URL = "redis://127.0.0.1:1/0"
READ_ONLY = {
    "ping", "doctor", "stats", "check", "peek", "show", "dlq list", "dlq show", "dlq export",
    "delayed list", "retry list", "streams list", "streams groups", "streams consumers",
    "streams pending", "seq get", "seq dump", "seq export", "queues list", "layouts list",
    "layouts show", "layouts check", "depth", "workers", "help", "completion", "events",
    # queues config without settings only shows them; with settings it is not run (see below).
}
QUEUE_FIRST = {"stats", "check", "peek", "show", "dlq list", "dlq show", "dlq export", "dlq replay",
               "dlq purge", "dlq import", "delayed list", "delayed cancel", "delayed run-now",
               "retry list", "retry kill", "retry run-now", "queues config", "queues pause",
               "queues resume", "queues delete", "enqueue", "work", "events"}
MESSAGE_SECOND = {"show", "dlq show"}
STREAM_GROUP = {"streams groups", "streams consumers", "streams pending", "streams claim",
                "streams dead", "streams delconsumer"}
FOLLOWS = {"events"}  # runs until stopped
CUT = {"|", "||", "&&", ";", "&", ">", ">>", "<", "2>", "&>"}


def extract(mandir):
    """(page, line) for each line of a literal display under EXAMPLES."""
    examples = []
    for name in sorted(os.listdir(mandir)):
        if not name.endswith((".1", ".7")):
            continue
        section, literal = None, False
        with open(os.path.join(mandir, name)) as handle:
            for line in handle.read().split("\n"):
                if line.startswith((".Sh ", ".SH ")):
                    section = line[4:].strip('"')
                    literal = False
                elif section == "EXAMPLES" and line.startswith(".Bd -literal"):
                    literal = True
                elif line.startswith(".Ed"):
                    literal = False
                elif literal and section == "EXAMPLES":
                    text = line.replace("\\&", "").replace("\\e", "\\")
                    if text.strip() and not text.lstrip().startswith("#"):
                        examples.append((name, text.strip()))
    return examples


def split(text):
    """argv of the mqctl command, the stdin file (or None), whether it is a crontab line."""
    words = text.split()
    cron = len(words) > 5 and all(set(w) <= set("0123456789*/,-") for w in words[:5]) and words[5] == "mqctl"
    if cron:
        text = text.split(None, 5)[5]
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    tokens = list(lexer)
    argv, stdin = [], None
    for i, token in enumerate(tokens):
        if token in CUT:
            if token == "<" and i + 1 < len(tokens):
                stdin = tokens[i + 1]
            break
        argv.append(token)
    return argv, stdin, cron


class Commands:
    """The command tree of `mqctl --experimental-dump-help`."""

    def __init__(self, binary):
        dump = json.loads(subprocess.run([binary, "--experimental-dump-help"], capture_output=True, check=True).stdout)
        self.root = dump["command"]

    @staticmethod
    def takes_value(node):
        names = set()
        for argument in node.get("arguments", []):
            if argument["kind"] == "option":
                for name in argument.get("names", []):
                    names.add(("--" if name["kind"] == "long" else "-") + name["name"])
        return names

    def parse(self, argv):
        """(path, positionals, options{name: [values]}) of argv (after 'mqctl')."""
        node, path, positionals, options = self.root, [], [], {}
        # Global options may come first: take their arities from any leaf.
        leaf_options = self.takes_value(self.root["subcommands"][0])
        i = 0
        while i < len(argv):
            word = argv[i]
            subs = {s["commandName"]: s for s in node.get("subcommands", [])}
            if word == "--":
                positionals.append("--")
                break
            if word.startswith("-") and len(word) > 1:
                name, _, value = word.partition("=")
                values = options.setdefault(name, [])
                if not value and name in (self.takes_value(node) | leaf_options):
                    i += 1
                    value = argv[i] if i < len(argv) else ""
                values.append(value)
            elif not positionals and word in subs:
                node = subs[word]
                path.append(word)
            else:
                positionals.append(word)
            i += 1
        return " ".join(path), positionals, options


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rewrite(argv, url, scratch):
    """The argv to run: URL options pointed at `url`, --output into the scratch folder."""
    out = list(argv)
    for i, word in enumerate(out):
        if word in ("-u", "--url") and i + 1 < len(out):
            out[i + 1] = url
        elif word.startswith("--url="):
            out[i] = "--url=" + url
        elif word == "--output" and i + 1 < len(out):
            out[i + 1] = os.path.join(scratch, "out", os.path.basename(out[i + 1]))
    return out


def main():
    binary, mandir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    commands = Commands(binary)
    examples = extract(mandir)
    failures = []
    scratch = tempfile.mkdtemp(prefix="mqctl-examples.")
    server = None
    started = time.monotonic()
    try:
        for folder in ("home", "config/mqctl", "state", "work", "out", "redis"):
            os.makedirs(os.path.join(scratch, folder), exist_ok=True)
        config = os.path.join(root, "Scripts/examples/openpenpal.toml")
        shutil.copy(config, os.path.join(scratch, "config/mqctl/config.toml"))
        shutil.copy(config, os.path.join(scratch, "work/mqctl.toml"))
        handler = os.path.join(scratch, "work/handle-order")
        with open(handler, "w") as handle:
            handle.write("#!/bin/sh\ncat >/dev/null\n")
        os.chmod(handler, 0o755)
        for name in ("orders-dead.jsonl", "counters.jsonl"):
            open(os.path.join(scratch, "work", name), "w").close()
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.path.join(scratch, "home"),
                    "XDG_CONFIG_HOME": os.path.join(scratch, "config"), "XDG_STATE_HOME": os.path.join(scratch, "state"),
                    "LANG": "C.UTF-8", "NO_COLOR": "1"}

        def run(argv, url, timeout=20, stdin=None):
            env = dict(base_env, MQCTL_URL=url)
            try:
                with open(stdin or os.devnull, "rb") as source:
                    done = subprocess.run([binary] + argv, stdin=source, capture_output=True, env=env,
                                          cwd=os.path.join(scratch, "work"), timeout=timeout)
                return done.returncode, done.stderr.decode(errors="replace").strip()
            except subprocess.TimeoutExpired as expired:
                return 124, (expired.stderr or b"").decode(errors="replace").strip()

        def run_context(argv, path, number):
            config = os.path.join(scratch, "work", "contexts-%d.toml" % number)
            adding = argv[argv.index("add") + 1] if path == "context add" else None
            for name in ("prod", "staging"):
                if name != adding:
                    subprocess.run([binary, "context", "add", name, "--url", CLOSED_URL, "-q", "--config", config], check=True,
                                   env=base_env, capture_output=True)
            return run(argv + ["--config", config], CLOSED_URL)

        parsed = []
        for page, text in examples:
            argv, stdin, _ = split(text)
            if not argv or argv[0] != "mqctl":
                failures.append("%s: not an mqctl command line: %s" % (page, text))
                continue
            path, positionals, options = commands.parse(argv[1:])
            if path.startswith("context"):
                # Contexts need no Redis but a config file: each line gets its
                # own, holding the contexts the examples name (not the one added).
                code, err = run_context(argv[1:], path, len(parsed))
                allowed = {0}
            else:
                code, err = run(rewrite(argv[1:], CLOSED_URL, scratch), CLOSED_URL)
                allowed = {0, 69} | ({3} if path == "check" else set())
            if code not in allowed:
                failures.append("%s: does not parse (exit %d, not 69): %s\n    %s" % (page, code, text, err.replace("\n", "\n    ")))
                continue
            parsed.append((page, text, argv, path, positionals, options))

        # The read-only ones, against a seeded scratch server.
        port = free_port()
        url = "redis://127.0.0.1:%d/0" % port
        server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--enable-debug-command", "local",
                                   "--dir", os.path.join(scratch, "redis")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True).stdout.strip() == b"PONG":
                break
            time.sleep(0.05)

        def cli(*args):
            return subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True).stdout.decode().strip()

        def is_read_only(path, options):
            if "--help" in options or "-h" in options or "--dry-run" in options or path == "help":
                return True
            if path == "queues config":
                return False
            return path in READ_ONLY

        chosen = [p for p in parsed if is_read_only(p[3], p[5])]
        queues, messages, groups, counters, dead_streams = set(), set(), set(), set(), set()
        for _, _, _, path, positionals, options in chosen:
            if "--help" in options or "-h" in options:
                continue
            if path in QUEUE_FIRST and path not in ("events",) and "--layout" not in options:
                names = positionals if path in ("stats", "check") else positionals[:1]
                queues.update(n for n in names if ":" not in n and "*" not in n)
                if path in MESSAGE_SECOND and len(positionals) > 1:
                    messages.add((positionals[0], positionals[1]))
            if path in STREAM_GROUP and positionals:
                groups.add((positionals[0], positionals[1] if len(positionals) > 1 else None))
            for stream in options.get("--stream", []):
                for group in options.get("--group", []) or [None]:
                    groups.add((stream, group))
            if path == "seq get" and positionals:
                counters.add(positionals[0])
            if path == "streams replay" and positionals and positionals[0].endswith(":dead"):
                dead_streams.add(positionals[0])
        for queue in sorted(queues):
            code, err = run(["queues", "create", queue, "-q"], url)
            if code not in (0, 1):
                failures.append("seed: queues create %s: exit %d: %s" % (queue, code, err))
        for queue, message in sorted(messages):
            letter = os.path.join(scratch, "letter.jsonl")
            with open(letter, "w") as handle:
                handle.write(json.dumps({"id": message, "payload": "{}", "last_error": "timeout"}) + "\n")
            code, err = run(["dlq", "import", queue, "-q"], url, stdin=letter)
            if code != 0:
                failures.append("seed: dlq import %s %s: exit %d: %s" % (queue, message, code, err))
        for stream, group in sorted(groups, key=str):
            cli("XADD", stream, "*", "order", "42")
            if group:
                cli("XGROUP", "CREATE", stream, group, "0")
                cli("XREADGROUP", "GROUP", group, "reader-1", "COUNT", "1", "STREAMS", stream, ">")
        for counter in sorted(counters):
            cli("SET", counter, "998")
        for dead in sorted(dead_streams):
            # A dead letter as `streams dead` writes it.
            source = dead[:-len(":dead")]
            cli("XADD", source, "*", "order", "42")
            cli("XGROUP", "CREATE", source, "seed-dead", "0")
            cli("XREADGROUP", "GROUP", "seed-dead", "reader-1", "STREAMS", source, ">")
            code, err = run(["streams", "dead", source, "seed-dead", "--max-deliveries", "1", "-q"], url)
            if code != 0:
                failures.append("seed: streams dead %s: exit %d: %s" % (source, code, err))

        for page, text, argv, path, positionals, options in chosen:
            follows = path in FOLLOWS or "--watch" in options
            before = cli("DEBUG", "DIGEST")
            code, err = run(rewrite(argv[1:], url, scratch), url, timeout=3 if follows else 30)
            after = cli("DEBUG", "DIGEST")
            # check exits as Nagios reads it; doctor exits 1 when a setting is not OK.
            allowed = ({0} | ({1, 2, 3} if path == "check" else set()) | ({1} if path == "doctor" else set())
                       | ({124} if follows else set()))
            if code not in allowed:
                failures.append("%s: exit %d against a scratch server: %s\n    %s" % (page, code, text, err.replace("\n", "\n    ")))
            elif before != after:
                failures.append("%s: a read-only example changed the data: %s" % (page, text))
        print("check-docs: %d examples in %d pages parse; %d read-only ones ran against a scratch server (%.0fs)"
              % (len(parsed), len({e[0] for e in examples}), len(chosen), time.monotonic() - started), file=sys.stderr)
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    for failure in failures:
        print("check-docs: " + failure, file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
