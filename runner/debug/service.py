"""What the designer uses to debug a node (``runner.api.debug``): shells, failures, attaching.

shell = debug.open_shell("RUN/NODE")          # debug.ShellError says why not
failure = debug.failure_of(home, run_id, node) # the traceback of a failed node, or None
"""

from __future__ import annotations

from pathlib import Path

from runner.debug.attach_config import write_vscode_launch
from runner.debug.editor import editor_command
from runner.debug.failure import Failure, Frame, last_error_line, parse_traceback, source_context
from runner.debug.shell import Shell, open_shell
from runner.debug.world import ShellError, code_root

__all__ = [
    "Failure",
    "Frame",
    "Shell",
    "ShellError",
    "editor_command",
    "failure_of",
    "last_error_line",
    "log_lines",
    "open_shell",
    "open_terminal",
    "parse_traceback",
    "source_context",
    "write_vscode_launch",
]


def log_lines(log_path: str | Path, streams: tuple[str, ...] = ("stderr", "stdout")) -> list[str]:
    """A node's log file (``<time> <stream> <text>`` lines) as the text of those streams."""
    out = []
    try:
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                _time, _, rest = line.rstrip("\n").partition(" ")
                stream, _, text = rest.partition(" ")
                if stream in streams:
                    out.append(text)
    except OSError:
        return []
    return out


def failure_of(execution: dict, run: dict | None = None) -> Failure | None:  # type: ignore[type-arg]
    """The Python traceback that ended a failed execution (a store row), frames mapped to the
    run's code folder; None when its log has none."""
    root = code_root(run) if run else None
    return parse_traceback(log_lines(execution.get("log_path") or "", ("stderr",)), root)


class _OwnedTerminal:
    """A terminal session that also closes the shell's engine connection when it ends."""

    def __init__(self, shell: Shell, argv: list[str] | None) -> None:
        self._shell = shell
        try:
            self._term = shell.terminal(argv)
        except BaseException:
            shell.close()
            raise
        self.banner = self._term.banner

    def write(self, data: bytes) -> None:
        self._term.write(data)

    def read(self) -> bytes:
        return self._term.read()

    def resize(self, rows: int, cols: int) -> None:
        self._term.resize(rows, cols)

    def exit_code(self, timeout: float = 5.0) -> int | None:
        return self._term.exit_code(timeout)

    def close(self) -> None:
        self._term.close()
        self._shell.close()


def open_terminal(
    target: str,
    home: Path | None = None,
    network: str | None = None,
    labels: dict[str, str] | None = None,
    argv: list[str] | None = None,
) -> _OwnedTerminal:
    """An interactive shell (pseudo-terminal) in ``RUN/NODE``'s world; raises ShellError."""
    return _OwnedTerminal(open_shell(target, home=home, labels=labels, network=network), argv)
