"""What a step's exit status means, said for a person: 137 is the OOM killer or a kill -9."""

from __future__ import annotations

import signal

KILLED = "killed (out of memory, or a signal)"


def describe_exit(code: int) -> str:
    """``exit code 137: killed (out of memory, or a signal)``; a process ended by a signal (the
    local backend sees ``-N``) or a shell's ``128 + N`` names the signal."""
    number = -code if code < 0 else code - 128 if 128 < code < 128 + 65 else 0
    if number == signal.SIGKILL:
        return f"exit code {code}: {KILLED}"
    try:
        name = signal.Signals(number).name if number else ""
    except ValueError:
        name = ""
    if not name:
        return f"exit code {code}"
    return (
        f"exit code {code}: killed by {name}"
        if code < 0
        else f"exit code {code} (128 + {name}: killed by a signal)"
    )
