"""Running the CLI with --debug on a thread and waiting for its "debugger listening" line."""

from __future__ import annotations

import io
import re
import threading

from runner.cli.main import build_parser

LISTENING = re.compile(r"debugger listening on 127\.0\.0\.1:(\d+)")


class _Out(io.StringIO):
    """The CLI's output, watched from the test thread."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            self.lines.append(text)
            self.changed.notify_all()
        return super().write(text)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 60) -> re.Match[str]:
        found: list[re.Match[str]] = []

        def seen() -> bool:
            found[:] = [m for m in (pattern.search(t) for t in self.lines) if m]
            return bool(found)

        with self.changed:
            assert self.changed.wait_for(seen, timeout), "".join(self.lines)
        return found[0]


def run_debug_cli(argv: list[str]) -> tuple[_Out, threading.Thread, list[int]]:
    args = build_parser().parse_args(argv)
    out, code = _Out(), []
    thread = threading.Thread(target=lambda: code.append(args.func(args, out)), daemon=True)
    thread.start()
    return out, thread, code
