"""A fake ``nvidia-smi`` for machines without a GPU: put its folder first on a ``PATH`` (this
process's, or the test sshd's ``path_first``). It answers the queries the runner asks:

- the system metrics' query (runner.sysmetrics.nvidia_smi) from a fixture capture
  (tests/runner/sysmetrics/fixtures), every N seconds with ``-l N``;
- the hosts' GPU listing (runner.hosts.gpus) and ``-L`` with ``SMI_GPUS``/``SMI_APPS``.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

CAPTURES = Path(__file__).resolve().parents[1] / "runner" / "sysmetrics" / "fixtures"
# The query the captures answer; the runner asking another one is a failure, not a fake answer.
CAPTURED_QUERY = "index,uuid,utilization.gpu,memory.used,memory.total"
NO_DRIVER_STATUS = 9  # nvidia-smi's exit status when it cannot reach the driver
# What nvidia-smi prints for the hosts' queries on a two-GPU machine (formats as the NVIDIA tools
# document them): GPU 1 is busy with two processes of someone else.
SMI_GPUS = (
    "0, GPU-3b1f0c2e-0000-4000-8000-000000000000, NVIDIA H100 80GB HBM3, 81559, 1, 0\n"
    "1, GPU-9a7d5e11-0000-4000-8000-000000000001, NVIDIA H100 80GB HBM3, 81559, 40960, 97\n"
)
SMI_APPS = "GPU-9a7d5e11-0000-4000-8000-000000000001, 4242\nGPU-9a7d5e11-0000-4000-8000-000000000001, 4243\n"


def fake_nvidia_smi(
    folder: Path, capture: str = "nvidia-smi-2xH100.csv", status: int = 0, block: int = 0
) -> Path:
    """``folder`` with that ``nvidia-smi``; with ``status`` it prints ``capture`` and exits so
    whatever it is asked (a failing tool). ``block``: with ``-l`` it prints the capture's rows
    this many at a time, one block a report, round and round (0: all of them each time)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = shlex.quote(str(CAPTURES / capture))
    script = folder / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        f"if [ {status} -ne 0 ]; then cat {path}; exit {status}; fi\n"
        'case "$*" in\n'
        f"  --query-gpu={CAPTURED_QUERY}\\ --format=csv*) ;;\n"
        f"  --query-gpu=*) printf '%s' '{SMI_GPUS}'; exit 0 ;;\n"
        f"  --query-compute-apps=*) printf '%s' '{SMI_APPS}'; exit 0 ;;\n"
        "  -L) echo 'GPU 0: NVIDIA H100 80GB HBM3'; echo 'GPU 1: NVIDIA H100 80GB HBM3'; exit 0 ;;\n"
        '  *) echo "fake nvidia-smi: unknown query $*" >&2; exit 2 ;;\n'
        "esac\n"
        "loop=0\n"
        'while [ $# -gt 0 ]; do [ "$1" = -l ] && loop=$2; shift; done\n'
        f"head -n 1 {path}\n"
        f"rows=$(($(wc -l < {path}) - 1)); block={block or 0}; [ $block -gt 0 ] || block=$rows; at=2\n"
        "while :; do\n"
        f'  sed -n "${{at}},$((at + block - 1))p" {path}\n'
        "  at=$((at + block)); [ $at -le $((rows + 1)) ] || at=2\n"
        '  [ "$loop" -gt 0 ] || exit 0; sleep "$loop"\n'
        "done\n"
    )
    script.chmod(0o755)
    return folder


def smi_processes(smi: Path) -> list[int]:
    """The processes still running this fake nvidia-smi (its path in their command line)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(smi).encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def smi_gone(smi: Path, within: float = 30.0) -> list[int]:
    """[] once no process runs ``smi`` (polled: a loaded machine is slow to tear a session
    down); what still runs it after ``within`` seconds."""
    deadline = time.monotonic() + within
    while (left := smi_processes(smi)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left
