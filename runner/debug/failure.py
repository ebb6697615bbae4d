"""A failed node's log read as a post-mortem: the Python traceback as data, and its last error line.

``parse_traceback`` finds the last traceback in the log (the exception that ended the process;
chained causes come before it) and returns the exception in full and its frames. Paths under
``/valohai/repository`` map to the local code folder (never outside it). Log text is untrusted:
nothing here evaluates or executes it, and sizes are capped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

REPOSITORY = "/valohai/repository"
MAX_MESSAGE = 20_000  # characters of an exception message kept (a repr of a huge tensor...)
MAX_FRAMES = 200  # a deep recursion's frames beyond this are summarised

_START = re.compile(r"^\s*Traceback \(most recent call last\):\s*$")
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+?))?\s*$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$")
_CARETS = re.compile(r"^\s*[\^~]+\s*$")
_ERRORISH = re.compile(
    r"\b(error|fatal|failed|failure|exception|panic|cannot|can't|denied|not found|no such file|killed)\b",
    re.IGNORECASE,
)
_REPEATED = re.compile(r"^\s*\[Previous line repeated (\d+) more times?\]\s*$")


@dataclass(frozen=True)
class Frame:
    file: str  # as printed in the traceback (a container path)
    line: int
    function: str
    source: str  # the line of code the traceback printed ("" if none)
    local_path: Path | None = None  # the file in the local code folder, when it is one of ours


@dataclass(frozen=True)
class Failure:
    exception: str  # "ValueError" (dotted for module-level classes: "torch.cuda.OutOfMemoryError")
    message: str  # in full, several lines if the exception said so
    frames: tuple[Frame, ...] = ()
    locals: dict[int, dict[str, str]] = field(default_factory=dict)  # frame index -> name -> repr

    @property
    def headline(self) -> str:
        """One line: ``ValueError: bad shape`` (the first line of the message)."""
        first = self.message.split("\n", 1)[0]
        return f"{self.exception}: {first}" if first else self.exception

    @property
    def failing_frame(self) -> Frame | None:
        """The innermost frame in the user's own code, else the innermost frame."""
        ours = [f for f in self.frames if f.local_path is not None]
        if ours:
            return ours[-1]
        return self.frames[-1] if self.frames else None


def map_to_local(container_path: str, root: Path | None) -> Path | None:
    """``/valohai/repository/src/x.py`` -> ``root/src/x.py`` when it stays inside ``root``."""
    if root is None:
        return None
    path = PurePosixPath(container_path)
    try:
        rel = path.relative_to(REPOSITORY)
    except ValueError:
        if path.is_absolute():
            return None
        rel = path  # a relative path: the working directory is the repository
    if any(part == ".." for part in rel.parts) or not rel.parts:
        return None
    local = (root / Path(*rel.parts)).resolve()
    try:
        local.relative_to(root.resolve())
    except ValueError:  # a symlink out of the folder
        return None
    return local if local.is_file() else None


def parse_traceback(lines: Iterable[str], root: Path | None = None) -> Failure | None:
    """The last Python traceback of ``lines`` (stderr of the node), or None if there is none."""
    text = list(lines)
    starts = [i for i, line in enumerate(text) if _START.match(line)]
    if not starts:
        return _syntax_error(text, root)
    return _parse_block(text[starts[-1] + 1 :], root)


def _parse_block(block: list[str], root: Path | None) -> Failure | None:
    frames: list[Frame] = []
    i = 0
    while i < len(block):
        match = _FRAME.match(block[i])
        if match is None:
            if _CARETS.match(block[i]) or _REPEATED.match(block[i]):
                i += 1
                continue
            break
        source = ""
        if i + 1 < len(block) and block[i + 1].startswith("    ") and not _FRAME.match(block[i + 1]):
            source = block[i + 1].strip()
            i += 1
        file = match["file"]
        frames.append(
            Frame(file, int(match["line"]), (match["func"] or "").strip(), source, map_to_local(file, root))
        )
        i += 1
    if len(frames) > MAX_FRAMES:
        frames = frames[: MAX_FRAMES // 2] + frames[-MAX_FRAMES // 2 :]
    rest = block[i:]
    if not rest:
        return None
    exc = _EXCEPTION.match(rest[0].strip())
    if exc is None:
        return None
    message_lines = [exc["message"] or ""]
    for line in rest[1:]:
        if _START.match(line) or line.startswith(("During handling of", "The above exception")):
            break
        message_lines.append(line)
    message = "\n".join(message_lines).rstrip()
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + f"\n[... {len(message) - MAX_MESSAGE} more characters]"
    return Failure(exc["type"], message, tuple(frames))


def _syntax_error(text: list[str], root: Path | None) -> Failure | None:
    """``python bad.py`` with a syntax error prints no "Traceback" header, only the frame."""
    for i in range(len(text) - 1, -1, -1):
        exc = _EXCEPTION.match(text[i].strip())
        if exc is None or not exc["type"].endswith(("SyntaxError", "IndentationError", "TabError")):
            continue
        for j in range(i - 1, max(i - 6, -1), -1):
            frame = _FRAME.match(text[j])
            if frame is not None:
                source = text[j + 1].strip() if j + 1 < i else ""
                file = frame["file"]
                local = map_to_local(file, root)
                frames = (Frame(file, int(frame["line"]), "", source, local),)
                return Failure(exc["type"], exc["message"] or "", frames)
    return None


def last_error_line(lines: Iterable[str]) -> str:
    """The line that best says why a node failed: a traceback's exception line, else the last
    line that looks like an error, else the last non-blank line ("" for an empty log)."""
    text = [line.rstrip() for line in lines]
    failure = parse_traceback(text)
    if failure is not None:
        return failure.headline
    last = ""
    for line in reversed(text):
        if not line.strip():
            continue
        if not last:
            last = line.strip()
        if _ERRORISH.search(line):
            return line.strip()
    return last


def locals_path(log_path: Path) -> Path:
    """Where an execution's captured locals are kept: beside its log."""
    return Path(log_path).with_suffix(".locals.json")


def attach_locals(failure: Failure, record: dict[str, object]) -> Failure:
    """``failure`` with the captured locals of its frames (matched by file and line; untrusted
    text: strings only, capped again here)."""
    captured = record.get("frames")
    if not isinstance(captured, list):
        return failure
    by_index: dict[int, dict[str, str]] = {}
    used: set[int] = set()
    for entry in captured:
        if not isinstance(entry, dict) or not isinstance(entry.get("locals"), dict):
            continue
        for index in range(len(failure.frames) - 1, -1, -1):  # innermost first: recursion repeats frames
            frame = failure.frames[index]
            if index not in used and frame.file == entry.get("file") and frame.line == entry.get("line"):
                used.add(index)
                values = list(entry["locals"].items())[:100]
                by_index[index] = {str(k)[:200]: str(v)[:2000] for k, v in values}
                break
    return Failure(failure.exception, failure.message, failure.frames, by_index)


def source_context(path: Path, line: int, around: int = 3) -> list[tuple[int, str]]:
    """Lines ``line-around .. line+around`` of a local file as (number, text); [] if unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            all_lines = fh.read(2_000_000).splitlines()
    except OSError:
        return []
    lo, hi = max(1, line - around), min(len(all_lines), line + around)
    return [(n, all_lines[n - 1]) for n in range(lo, hi + 1)]
