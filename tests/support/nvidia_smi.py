"""A fake ``nvidia-smi`` answering the runner's system-metrics query from a fixture capture
(tests/runner/sysmetrics/fixtures), for machines without a GPU: put its folder first on a
``PATH`` (this process's, or the test sshd's ``path_first``)."""

from __future__ import annotations

import shlex
from pathlib import Path

CAPTURES = Path(__file__).resolve().parents[1] / "runner" / "sysmetrics" / "fixtures"
# The query the captures answer; the runner asking another one is a failure, not a fake answer.
CAPTURED_QUERY = "index,uuid,utilization.gpu,memory.used,memory.total"
NO_DRIVER_STATUS = 9  # nvidia-smi's exit status when it cannot reach the driver


def fake_nvidia_smi(folder: Path, capture: str = "nvidia-smi-2xH100.csv", status: int = 0) -> Path:
    """``folder`` with an ``nvidia-smi`` printing ``capture`` (its rows again every N seconds
    with ``-l N``); with ``status`` it prints the capture and exits so (a failing tool)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = shlex.quote(str(CAPTURES / capture))
    script = folder / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        'case "$*" in\n'
        f"  *--query-gpu={CAPTURED_QUERY}\\ --format=csv*) ;;\n"
        '  *) echo "fake nvidia-smi: not the captured query: $*"; exit 2 ;;\n'
        "esac\n"
        f"if [ {status} -ne 0 ]; then cat {path}; exit {status}; fi\n"
        "loop=0\n"
        'while [ $# -gt 0 ]; do [ "$1" = -l ] && loop=$2; shift; done\n'
        f"head -n 1 {path}\n"
        f'while :; do tail -n +2 {path}; [ "$loop" -gt 0 ] || exit 0; sleep "$loop"; done\n'
    )
    script.chmod(0o755)
    return folder
