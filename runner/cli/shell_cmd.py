"""``pipeline-designer shell RUN/NODE [-- COMMAND ...]``: a shell in a node's world.

Without a command: an interactive shell on this terminal (raw mode; window size followed).
With one: runs it there, prints its output and exits with its status (for scripts and tests).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from runner.debug.session import TerminalSession
    from runner.debug.shell import Shell

EPILOG = (
    "A running node: a shell in its container (its working directory and environment). "
    "A finished, failed or reused node: a fresh debug container of its image with its inputs in "
    "/valohai/inputs, its parameters and config files in /valohai/config, its environment and "
    "its outputs (read-only) in /valohai/outputs; removed when the shell ends. "
    "Exit status: the command's; 2 when the shell cannot be opened."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "shell",
        help="open a shell in a node's container, or in a rebuilt copy of its world",
        description="A shell in the world of one execution: RUN/NODE, where RUN is a run id "
        "(see `history`) or `latest`, and NODE a node (a task's executions: NODE#K).",
        epilog=EPILOG,
    )
    p.add_argument("target", metavar="RUN/NODE", help="e.g. latest/train")
    p.add_argument(
        "command", nargs=argparse.REMAINDER, help="after --: the command to run instead of a shell"
    )
    p.add_argument(
        "--network",
        default=None,
        help="network of a debug container (default: Preferences' network, else the engine's); "
        "options go before RUN/NODE",
    )
    p.set_defaults(func=shell)


def shell(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    from runner.cli.run_args import saved_network
    from runner.debug.shell import open_shell
    from runner.debug.world import ShellError

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    try:
        sh = open_shell(args.target, network=saved_network(args))
    except (ShellError, ValueError) as exc:
        print(f"pipeline-designer shell: error: {exc}", file=sys.stderr)
        return 2
    try:
        if command:
            return _run(sh, command)
        if not sys.stdin.isatty():
            print(
                "pipeline-designer shell: error: no terminal for an interactive shell; "
                "give a command after -- (e.g. -- ls /valohai/inputs)",
                file=sys.stderr,
            )
            return 2
        sys.stderr.write(sh.banner)
        sys.stderr.flush()
        return _interactive(sh.terminal())
    except ShellError as exc:
        print(f"pipeline-designer shell: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # a closed output pipe ends quietly in run_headless
    except Exception as exc:  # the engine refused the container (no such network, engine gone): in words
        from runner.api import describe_engine_error

        print(f"pipeline-designer shell: error: {describe_engine_error(exc)}", file=sys.stderr)
        return 2
    finally:
        sh.close()


def _run(sh: Shell, command: list[str]) -> int:
    def sink(stream: str, data: bytes) -> None:
        target = sys.stdout if stream == "stdout" else sys.stderr
        target.flush()
        target.buffer.write(data)
        target.buffer.flush()

    return sh.run(command, sink)


def _interactive(term: TerminalSession) -> int:
    """Raw mode on this terminal; keys go in, output comes out, SIGWINCH resizes."""
    import select
    import signal
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    done = threading.Event()

    def resize(*_: object) -> None:
        with contextlib.suppress(OSError):
            size = os.get_terminal_size(sys.stdout.fileno())
            term.resize(size.lines, size.columns)

    def pump() -> None:
        while data := term.read():
            os.write(sys.stdout.fileno(), data)
        done.set()

    previous = signal.signal(signal.SIGWINCH, resize)
    threading.Thread(target=pump, daemon=True).start()
    resize()
    try:
        tty.setraw(fd)
        while not done.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                data = os.read(fd, 4096)
                if not data:
                    break
                term.write(data)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        signal.signal(signal.SIGWINCH, previous)
    code = term.exit_code()
    term.close()
    return 0 if code is None else code
