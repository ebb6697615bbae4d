"""What the designer uses to debug a node (``runner.api.debug``): shells, failures, attaching
(VS Code's launch.json, PyCharm's run configuration and its ``PyCharmTarget`` for RunOptions).

shell = debug.open_shell("RUN/NODE")          # debug.ShellError says why not
failure = debug.failure_of(home, run_id, node) # the traceback of a failed node, or None
"""

from __future__ import annotations

import json
from pathlib import Path

from runner.debug.attach_config import AttachConfigError, write_vscode_launch
from runner.debug.debugger import BREAKPOINT
from runner.debug.editor import editor_command
from runner.debug.failure import (
    Failure,
    Frame,
    attach_locals,
    last_error_line,
    locals_path,
    parse_traceback,
    source_context,
)
from runner.debug.local_pty import LocalTerminal
from runner.debug.pycharm import DEFAULT_PORT as PYCHARM_PORT
from runner.debug.pycharm import PyCharmSetupError, PyCharmTarget
from runner.debug.pycharm import launcher as pycharm_launcher
from runner.debug.pycharm_config import configuration_name, configured_port, write_pycharm_config
from runner.debug.shell import Shell, open_shell
from runner.debug.world import ShellError, code_root

__all__ = [
    "BREAKPOINT",
    "PYCHARM_PORT",
    "AttachConfigError",
    "Failure",
    "Frame",
    "PyCharmSetupError",
    "PyCharmTarget",
    "Shell",
    "ShellError",
    "code_root",
    "configuration_name",
    "configured_port",
    "editor_command",
    "failure_of",
    "last_error_line",
    "locals_path",
    "log_lines",
    "open_local_terminal",
    "open_shell",
    "open_terminal",
    "parse_traceback",
    "pycharm_launcher",
    "source_context",
    "write_pycharm_config",
    "write_vscode_launch",
]


TAIL_BYTES = 2_000_000  # the end of a log holds its traceback; a huge log is not read whole


def log_lines(log_path: str | Path, streams: tuple[str, ...] = ("stderr", "stdout")) -> list[str]:
    """The last TAIL_BYTES of a node's log file (``<time> <stream> <text>`` lines) as the text of
    those streams."""
    out = []
    try:
        with open(log_path, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - TAIL_BYTES))
            data = fh.read()
    except OSError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    if len(data) == TAIL_BYTES and lines:
        lines = lines[1:]  # cut mid-line
    for line in lines:
        _time, _, rest = line.partition(" ")
        stream, _, text = rest.partition(" ")
        if stream in streams:
            out.append(text)
    return out


def failure_of(execution: dict, run: dict | None = None) -> Failure | None:  # type: ignore[type-arg]
    """The Python traceback that ended a failed execution (a store row), frames mapped to the
    run's code folder; None when its log has none."""
    root = code_root(run) if run else None
    log = execution.get("log_path") or ""
    failure = parse_traceback(log_lines(log, ("stderr",)), root)
    if failure is None or not log:
        return failure
    try:
        record = json.loads(locals_path(Path(log)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return failure  # none captured (the run did not ask), or unreadable
    return attach_locals(failure, record) if isinstance(record, dict) else failure


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


def open_local_terminal(argv: list[str], cwd: str | None = None) -> LocalTerminal:
    """``argv`` on this machine under a pseudo-terminal (a terminal editor)."""
    return LocalTerminal(argv, cwd)
