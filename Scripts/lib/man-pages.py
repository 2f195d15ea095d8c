#!/usr/bin/env python3
"""Finishes the pages generate-manual wrote, for Scripts/man.

    man-pages.py DIR DUMP.json TEMPLATE

DIR holds generate-manual's mqctl*.1; DUMP.json is `mqctl
--experimental-dump-help`; TEMPLATE is man/src/mqctl.1.in.

Every per-command page: blank lines become .Pp; the discussion's
"Example: ..." / "Example (cron): ..." lines and "Examples:" blocks move out
of DESCRIPTION into an EXAMPLES section of literal displays; EXIT STATUS
says what mqctl's codes are instead of ">0 if an error occurs"; SEE ALSO
names pages by the dashed names they are installed under (mqctl-dlq-replay)
and adds mqctl(1), mqctl(7) and the command's group.

mqctl.1 is written whole from TEMPLATE: its @COMMANDS@, @GLOBAL_OPTIONS@,
@OPTIONS@, @EXAMPLES@ and @SEE_ALSO@ lines are filled from the dump, so the
command list and the options cannot go stale. Output is deterministic.
"""
import json
import os
import re
import sys

CRON = re.compile(r"^((?:[0-9*/,\-]+\s+){5})(mqctl\b.*)$")
EXAMPLE = re.compile(r"^Examples?(?: \((?P<note>[^)]*)\))?:\s*(?P<text>.*)$")


def dashed(page_name):
    """mqctl.dlq.replay -> mqctl-dlq-replay."""
    return page_name.replace(".", "-")


def roff_literal(line):
    """A line as a text line of a literal display."""
    line = line.replace("\\", "\\e")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def examples_section(examples):
    """examples: list of (kind, text) with kind 'shell' or 'cron'."""
    if not examples:
        return []
    out = [".Sh EXAMPLES"]
    shell = [text for kind, text in examples if kind == "shell"]
    cron = [text for kind, text in examples if kind == "cron"]
    if shell:
        out += [".Bd -literal -offset indent"] + [roff_literal(t) for t in shell] + [".Ed"]
    if cron:
        if shell:
            out.append(".Pp")
        out.append("As a crontab line:" if len(cron) == 1 else "As crontab lines:")
        out += [".Bd -literal -offset indent"] + [roff_literal(t) for t in cron] + [".Ed"]
    return out


def classify(text):
    return ("cron", text) if CRON.match(text) else ("shell", text)


def take_examples(lines):
    """Removes the example lines from DESCRIPTION; returns (lines, examples)."""
    try:
        start = lines.index(".Sh DESCRIPTION")
    except ValueError:
        return lines, []
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(".Sh ")), len(lines))
    kept, examples = [], []
    i = start + 1
    while i < end:
        match = EXAMPLE.match(lines[i])
        if not match:
            kept.append(lines[i])
            i += 1
            continue
        if match.group("text"):
            examples.append(classify(match.group("text")))
            i += 1
        else:
            # "Examples:" and the indented lines under it.
            i += 1
            while i < end and lines[i].startswith(" ") and lines[i].strip():
                examples.append(classify(lines[i].strip()))
                i += 1
    return lines[:start + 1] + kept + lines[end:], examples


def tidy(lines):
    """Drops paragraph breaks that break nothing (before .It, .El, .Sh, .Bl, another .Pp, or at the end of a section)."""
    out = []
    for line in lines:
        if line.startswith((".It", ".El", ".Sh", ".Ss", ".Bl", ".Pp")) and out and out[-1] == ".Pp":
            out.pop()
        if line == ".Pp" and out and (out[-1].startswith(".Sh") or out[-1].startswith(".Bl")):
            continue
        out.append(line)
    while out and out[-1] == ".Pp":
        out.pop()
    return out


def section_bounds(lines, title):
    heads = {".Sh " + title, '.Sh "' + title + '"'}
    start = next((i for i, line in enumerate(lines) if line in heads), None)
    if start is None:
        return None, None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(".Sh ")), len(lines))
    return start, end


def exit_status_lines(page):
    if page == "mqctl.check":
        return [".Sh EXIT STATUS",
                "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Redis unreachable included), as",
                "Nagios reads them; 64 for a usage error.",
                "See",
                ".Xr mqctl 1 ."]
    return [".Sh EXIT STATUS",
            "0 on success; 1 when the operation ran but failed, 64 for a usage error,",
            "69 when Redis cannot be reached, 75 when it is busy or a lock is held;",
            "the full list is in",
            ".Xr mqctl 1 ."]


def named_as_typed(lines):
    """NAME gives a subcommand's page as people type it, mqctl-dlq-replay:
    lexgrog cannot read the quoted "mqctl dlq replay", so whatis and
    apropos would not find the page. The synopsis keeps the spaces."""
    start, end = section_bounds(lines, "NAME")
    if start is None:
        return lines
    full = None
    for index in range(start + 1, end):
        match = re.match(r'^\.Nm "(.+ .+)"$', lines[index])
        if match:
            full = match.group(1)
            lines[index] = ".Nm " + full.replace(" ", "-")
    if full is None:
        return lines
    return ['.Nm "%s"' % full if line == ".Nm" else line for line in lines]


def versioned(lines, version):
    """The version in the footer, as `mqctl --version` says it."""
    return [".Os mqctl " + version if line == ".Os" else line for line in lines]


def finish_command_page(path, version):
    page = os.path.basename(path)[:-2]
    with open(path) as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [".Pp" if line == "" else line for line in lines]
    lines = versioned(named_as_typed(lines), version)
    lines, examples = take_examples(lines)
    # EXIT STATUS: mqctl's codes, not .Ex -std's "0 on success, and >0 if an error occurs".
    start, end = section_bounds(lines, "EXIT STATUS")
    if start is not None:
        lines[start:end] = exit_status_lines(page)
    # EXAMPLES after EXIT STATUS, as mdoc orders sections.
    start, end = section_bounds(lines, "EXIT STATUS")
    lines[end:end] = examples_section(examples)
    # SEE ALSO: dashed names; mqctl(1) and mqctl(7) on every page.
    references = []
    start, end = section_bounds(lines, "SEE ALSO")
    if start is not None:
        for line in lines[start + 1:end]:
            match = re.match(r"^\.Xr (\S+) (\d)", line)
            if match:
                references.append((dashed(match.group(1)), match.group(2)))
        del lines[start:end]
    parent = page.rsplit(".", 1)[0]
    references = [("mqctl", "1"), ("mqctl", "7")] + ([(dashed(parent), "1")] if parent != "mqctl" else []) + references
    start, end = section_bounds(lines, "AUTHORS")
    see_also = ['.Sh "SEE ALSO"'] + [
        ".Xr %s %s%s" % (name, section, " ," if n < len(references) - 1 else "")
        for n, (name, section) in enumerate(references)]
    lines[start if start is not None else len(lines):start if start is not None else len(lines)] = see_also
    lines = tidy(lines)
    leftover = [line for line in lines if EXAMPLE.match(line)]
    if leftover:
        sys.exit("man-pages: %s: example lines left in the text: %r" % (page, leftover))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return examples


# MARK: - mqctl.1


def escape_text(text):
    """Text for a roff text line (not a macro line)."""
    text = text.replace("\\", "\\e")
    return "\\&" + text if text.startswith((".", "'")) else text


def option_head(argument):
    names = argument.get("names", [])
    parts = []
    for name in names:
        parts.append(("Fl " if not parts else "") + ("-" if name["kind"] == "long" else "") + name["name"])
    head = ".It Fl " + " , ".join(p[3:] if p.startswith("Fl ") else p for p in parts)
    if argument["kind"] == "option":
        head += " Ar " + argument["valueName"]
    return head


def option_items(arguments):
    out = []
    for argument in arguments:
        if not argument.get("shouldDisplay", True):
            continue
        out.append(option_head(argument))
        text = argument.get("abstract", "")
        if argument.get("allValues"):
            text += " (values: %s%s)" % (", ".join(argument["allValues"]),
                                          "; default: " + argument["defaultValue"] if "defaultValue" in argument else "")
        out.append(escape_text(text))
        if argument.get("discussion"):
            for paragraph in argument["discussion"].split("\n\n"):
                out += [".Pp", escape_text(" ".join(paragraph.split("\n")))]
    return out


def walk(command, path=()):
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True):
            yield path + (sub["commandName"],), sub
            yield from walk(sub, path + (sub["commandName"],))


def commands_list(root):
    out = [".Bl -tag -width Ds"]
    for path, command in walk(root):
        name = " ".join(path)
        head = ".It Cm " + name
        if command.get("subcommands"):
            head += " Ar subcommand"
        out.append(head)
        out.append(escape_text(command.get("abstract", "")))
    out.append(".El")
    return out


def global_options(root):
    for _, command in walk(root):
        arguments = [a for a in command.get("arguments", []) if a.get("sectionTitle") == "Global options"]
        if arguments:
            return arguments
    sys.exit("man-pages: no command has global options in the dump")


def write_root_page(directory, dump, template, version):
    root = dump["command"]
    root_examples = []
    for paragraph in root.get("discussion", "").split("\n"):
        match = EXAMPLE.match(paragraph.strip())
        if match and match.group("text"):
            root_examples.append(match.group("text"))
    with open(template) as handle:
        lines = handle.read().rstrip("\n").split("\n")
    out = []
    for line in lines:
        if line == "@ABSTRACT@":
            out.append('.Nd "%s"' % root.get("abstract", "").rstrip("."))
        elif line == "@COMMANDS@":
            out += commands_list(root)
        elif line == "@GLOBAL_OPTIONS@":
            out += [".Bl -tag -width 6n"] + option_items(global_options(root)) + [".El"]
        elif line == "@OPTIONS@":
            out += [".Bl -tag -width 6n"] + option_items(root.get("arguments", [])) + [".El"]
        elif line == "@EXAMPLES@":
            # The root's own examples (from its discussion) come first.
            out += [roff_literal(t) for t in root_examples]
        elif line == "@SEE_ALSO@":
            names = [dashed("mqctl." + ".".join(path)) for path, _ in walk(root)]
            refs = ["mqctl 7"] + ["%s 1" % n for n in names] + ["redis-server 1", "redis-cli 1"]
            out += [".Xr %s%s" % (r, " ," if i < len(refs) - 1 else "") for i, r in enumerate(refs)]
        elif line.startswith(".\\\"") and "@" not in line:
            # Comments of the template stay out of the page.
            continue
        else:
            out.append(line)
    with open(os.path.join(directory, "mqctl.1"), "w") as handle:
        handle.write('.\\" Generated by Scripts/man from man/src/mqctl.1.in and the commands\' help; do not edit.\n')
        handle.write("\n".join(versioned(out, version)) + "\n")


def main():
    directory, dump_path, template, version = sys.argv[1:5]
    with open(dump_path) as handle:
        dump = json.load(handle)
    for name in sorted(os.listdir(directory)):
        if name.endswith(".1") and name != "mqctl.1":
            finish_command_page(os.path.join(directory, name), version)
    write_root_page(directory, dump, template, version)


if __name__ == "__main__":
    main()
