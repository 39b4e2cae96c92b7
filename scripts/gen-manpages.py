#!/usr/bin/env python3
"""Writes conduit.8 and conduit.toml.5 into OUTDIR from their one source each:

- conduit(8): man/conduit.8.in (what no code knows: exit statuses, files,
  signals, examples) with @COMMANDS@ filled from the binary's own
  description of its subcommands (`conduit --experimental-dump-help`), so
  every subcommand, argument and option is there as the code declares it;
- conduit.toml(5): man/conduit.toml.5.in with @KEYS@ filled from the README's
  configuration reference (between the config-reference markers), which
  ConfigReferenceTests keeps equal to ConduitConfig's keys, defaults and
  reload behaviour.

Usage: gen-manpages.py CONDUIT_BINARY MAN8DIR MAN5DIR (created if missing).
Python's standard library only."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def roff(text: str) -> str:
    """Markdown-ish inline text → roff: `code` bold, escapes for \\ and -."""
    text = text.replace("\\", "\\e")
    parts = re.split(r"`([^`]*)`", text)
    out = []
    for i, part in enumerate(parts):
        part = part.replace("-", "\\-")
        out.append(f"\\fB{part}\\fR" if i % 2 else part)
    line = "".join(out)
    line = re.sub(r"\*([^*]+)\*", r"\\fI\1\\fR", line)
    line = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line)  # links: keep the text
    # A line starting with . or ' is a roff request.
    return "\\&" + line if line[:1] in (".", "'") else line


def argument_synopsis(arg: dict) -> str:
    names = arg.get("names") or []
    value = arg.get("valueName", "")
    if arg["kind"] == "positional":
        text = f"\\fI{value.upper()}\\fR"
    else:
        long = next((n["name"] for n in names if n["kind"] == "long"), None)
        short = next((n["name"] for n in names if n["kind"] == "short"), None)
        flag = f"\\-\\-{long}" if long else f"\\-{short}"
        text = f"\\fB{flag}\\fR" + (f" \\fI{value.upper()}\\fR" if arg["kind"] == "option" else "")
    return f"[{text}]" if arg.get("isOptional") else text


def command_section(command: dict, prefix: str) -> list[str]:
    name = f"{prefix} {command['commandName']}".strip()
    args = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True) and a.get("valueName") != "help"]
    lines = [".TP", f"\\fB{name.replace('-', chr(92) + '-')}\\fR " + " ".join(argument_synopsis(a) for a in args)]
    lines.append(roff(command.get("abstract", "")))
    for arg in args:
        if arg.get("abstract"):
            lines += [".RS", ".TP", argument_synopsis(arg).strip("[]"), roff(arg["abstract"]), ".RE"]
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True):
            lines += command_section(sub, name)
    return lines


def commands(binary: str) -> str:
    dump = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True).stdout)
    lines = []
    for sub in dump["command"].get("subcommands", []):
        if sub["commandName"] == "help" or not sub.get("shouldDisplay", True):
            continue
        lines += command_section(sub, "conduit")
    return "\n".join(lines)


def config_keys() -> str:
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- config-reference:begin -->", 1)[1].split("<!-- config-reference:end -->", 1)[0]
    lines, section = [], None
    for row in block.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`"):
            continue
        key, default, reload, meaning = cells[0].strip("`"), cells[1], cells[2], "|".join(cells[3:])
        table, name = key.split(".", 1)
        if table != section:
            section = table
            lines += [".SS", f"[{table}]"]
        # `\ ` (unpaddable spaces) around `=`: a default that wraps is
        # adjusted, and `name = ` must read as it does in the file.
        lines += [".TP", f"\\fB{name}\\fR\\ =\\ {roff(default)}", f"{roff(meaning)}.", ".br", f"Reload: \\fI{reload}\\fR."]
    if not lines:
        sys.exit("gen-manpages: no configuration reference found in README.md")
    return "\n".join(lines)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen-manpages.py CONDUIT_BINARY MAN8DIR MAN5DIR")
    binary, man8, man5 = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    version = subprocess.run([binary, "version"], check=True, capture_output=True, text=True).stdout.strip()
    pages = (
        (man8 / "conduit.8", "@COMMANDS@", commands(binary)),
        (man5 / "conduit.toml.5", "@KEYS@", config_keys()),
    )
    for path, placeholder, fill in pages:
        template = (ROOT / "man" / f"{path.name}.in").read_text()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.replace("@VERSION@", version).replace(placeholder, fill))
        path.chmod(0o644)


if __name__ == "__main__":
    main()
