"""What an execution read of its code folder, and whether that is all it could have read.

The injected audit hook (runner/execution/inject/site/_pd_reads.py) reports, per Python
process, the repository files it opened, folders it listed, paths it probed and module names it
looked up. That is the whole truth only if every program the step ran was such a Python:

- the command (``command_programs``) runs nothing but ``python``/``pip`` (and shell built-ins
  that read no file: cd, echo, export, ...), with no input redirection, command substitution or
  unquoted glob (the shell itself would read the folder);
- each of those Pythons loaded the hook (there is a report of it), and no Python started a
  program that is not a hooked Python.

Otherwise ``Reads.complete`` is False and ``why`` says what the runner could not see; the
whole code folder then counts, never a guess.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Shell built-ins and programs that read no file of the repository.
_QUIET = {"cd", "echo", "printf", "export", "set", "unset", "true", "false", ":", "mkdir", "sleep", "exit"}
_PREFIXES = {"exec", "time", "nohup", "env"}  # run the next word as the command
_SEPARATORS = {";", "&", "&&", "|", "||", "\n", "(", ")"}


def _is_python(word: str) -> bool:
    name = os.path.basename(word)
    return name.startswith("python") or name.startswith("pip")


def _shell_reads(script: str) -> str:
    """Why the shell itself reads files ("" if it does not): redirected input, command
    substitution, unquoted globs."""
    quote = ""
    escaped = False
    for i, ch in enumerate(script):
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = ""
            elif quote == '"' and (ch == "`" or script.startswith("$(", i)):
                return "a command substitution"
        elif ch in "'\"":
            quote = ch
        elif ch == "`" or script.startswith("$(", i):
            return "a command substitution"
        elif ch == "<":
            return "an input redirection"
        elif ch in "*?[":
            return "a file name pattern"
        elif ch == "#" and (i == 0 or script[i - 1] in " \t\n;"):
            end = script.find("\n", i)
            return _shell_reads(script[end:]) if end >= 0 else ""
    return ""


def command_programs(script: str) -> tuple[int, str]:
    """(how many Python programs the step's command starts, "") or (-1, why not all its
    readers are Python)."""
    body = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    why = _shell_reads(body)
    if why:
        return -1, f"its command has {why}"
    lexer = shlex.shlex(body, posix=True, punctuation_chars=";&|()\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as exc:
        return -1, f"its command could not be read ({exc})"
    pythons, start = 0, True
    for token in tokens:
        if token in _SEPARATORS:
            start = True
            continue
        if not start or ("=" in token and not token.startswith("=")):  # NAME=value before the program
            continue
        if token in _PREFIXES:
            continue
        start = False
        if _is_python(token):
            pythons += 1
        elif token not in _QUIET:
            return -1, f"its command runs {os.path.basename(token)}"
    return pythons, ""


@dataclass
class Reads:
    """The dependencies of one execution on its code folder."""

    complete: bool
    why: str = ""  # when not complete: what the runner could not see
    dependencies: set[str] = field(default_factory=set)  # "f:PATH", "d:PATH", "s:PATH", "m:DIR:NAME"

    @property
    def files(self) -> list[str]:
        return sorted(d[2:] for d in self.dependencies if d.startswith("f:"))

    def record(self, state: Any) -> dict[str, Any]:
        """The store's ``reads`` value: each dependency with its state now (``state(dep)``)."""
        if not self.complete:
            return {"complete": False, "why": self.why}
        return {"complete": True, "dependencies": {d: state(d) for d in sorted(self.dependencies)}}


def from_reports(reports: Mapping[str, bytes], script: str, hooked: bool = True) -> Reads:
    """Interpret the ``reads/*.jsonl`` reports of one execution whose command was ``script``."""
    if not hooked:
        return Reads(False, "the runner's hook was not injected")
    expected, why = command_programs(script)
    if expected < 0:
        return Reads(False, why)
    processes: list[dict[str, Any]] = []
    facts: list[tuple[int, dict[str, Any]]] = []
    for name, data in sorted(reports.items()):
        if not name.startswith("reads/"):
            continue
        pid = -1
        for line in data.decode("utf-8", "replace").splitlines():
            try:
                fact = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill
            if "process" in fact:
                processes.append(fact["process"])
                pid = int(fact["process"].get("pid", -1))
            else:
                facts.append((pid, fact))
    return _combine(processes, facts, expected)


def _combine(
    processes: list[dict[str, Any]], facts: Iterable[tuple[int, dict[str, Any]]], expected: int
) -> Reads:
    pids = {int(p.get("pid", -1)) for p in processes}
    started = [p for p in processes if p.get("via") == "start"]
    top = [p for p in started if int(p.get("ppid", -1)) not in pids]
    if len(top) < expected:
        missing = expected - len(top)
        return Reads(False, f"{missing} of its Python processes did not load the runner's hook")
    deps: set[str] = set()
    spawned: dict[int, int] = {}
    for pid, fact in facts:
        if "unknown" in fact:
            return Reads(False, f"it {fact['unknown']}")
        if "spawn" in fact:
            spawned[pid] = spawned.get(pid, 0) + 1
        for kind in ("r", "d", "s"):
            if isinstance(fact.get(kind), str):
                deps.add(("f" if kind == "r" else kind) + ":" + fact[kind])
        if isinstance(fact.get("m"), list) and len(fact["m"]) == 2:
            deps.add(f"m:{fact['m'][0]}:{fact['m'][1]}")
    for pid, count in spawned.items():
        children = sum(1 for p in started if int(p.get("ppid", -1)) == pid)
        if children < count:
            return Reads(False, "a Python it started did not load the runner's hook")
    return Reads(True, dependencies=deps)
