"""Reads Prometheus text exposition on stdin with prometheus_client's own
parser, and with the rules its parser lets pass but Prometheus and
node_exporter's textfile collector refuse (a family's HELP and TYPE once and
before its samples, no series twice, label names valid); prints the
families as JSON, or the first problem on stderr with exit 1.

    $VENV/bin/python prometheus_check.py < mqctl.prom

Used by the exporter tests (Tests/MQCommandsTests/PrometheusTests.swift);
the venv is Scripts/interop setup's.
"""
import json
import math
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def fail(message):
    print(f"prometheus_check: {message}", file=sys.stderr)
    sys.exit(1)


def check_order(text):
    """HELP and TYPE once per family, before its samples, families not interleaved."""
    seen_help, seen_type, closed = set(), set(), set()
    current = None
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            name = line.split(" ")[2]
            kind = seen_help if line.startswith("# HELP ") else seen_type
            if name in kind:
                fail(f"line {number}: a second {line[2:6]} for {name}")
            kind.add(name)
            if name != current:
                if current is not None:
                    closed.add(current)
                if name in closed:
                    fail(f"line {number}: family {name} comes back after another")
                current = name
            continue
        if line.startswith("#"):
            continue
        name = re.split(r"[{ ]", line, maxsplit=1)[0]
        if name != current and not (current and name.startswith(current + "_")):
            fail(f"line {number}: sample {name} outside its family (under {current})")
        if current not in seen_type:
            fail(f"line {number}: sample {name} before its TYPE")
    if not text.endswith("\n"):
        fail("the text does not end with a newline")


def main():
    text = sys.stdin.read()
    check_order(text)
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as error:  # the parser raises ValueError and others
        fail(f"prometheus_client cannot parse it: {error!r}")
    out, series = {}, set()
    for family in families:
        if not NAME.match(family.name):
            fail(f"bad metric name {family.name!r}")
        samples = []
        for sample in family.samples:
            for label in sample.labels:
                if not LABEL.match(label) or label.startswith("__"):
                    fail(f"bad label name {label!r} in {sample.name}")
            key = (sample.name, tuple(sorted(sample.labels.items())))
            if key in series:
                fail(f"series {sample.name}{sample.labels} given twice")
            series.add(key)
            if math.isnan(sample.value):
                fail(f"{sample.name}{sample.labels} is NaN")
            samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
        out[family.name] = {"type": family.type, "help": family.documentation, "samples": samples}
    json.dump(out, sys.stdout)


main()
