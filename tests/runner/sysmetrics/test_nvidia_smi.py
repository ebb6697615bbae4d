"""nvidia-smi's output read from captures, and the per-host watch that runs it (a fake
nvidia-smi serving the captures: this machine has no GPU)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.events import GpuFigures
from runner.sysmetrics.gpu_watch import GpuWatch, LocalCommand
from runner.sysmetrics.nvidia_smi import QUERY, SmiReader
from tests.support.nvidia_smi import (
    CAPTURED_QUERY,
    CAPTURES,
    NO_DRIVER_STATUS,
    fake_nvidia_smi,
    smi_gone,
    smi_processes,
)

MIB = 1 << 20


def _read(name: str) -> SmiReader:
    return SmiReader().feed_all((CAPTURES / name).read_text().splitlines())


def test_the_runner_asks_the_query_the_captures_answer() -> None:
    assert QUERY == CAPTURED_QUERY


def test_a_capture_gives_each_gpus_utilisation_and_memory() -> None:
    reader = _read("nvidia-smi-2xH100.csv")
    assert reader.gpus == {
        "0": GpuFigures("0", 87.0, 30567 * MIB, 81559 * MIB),
        "1": GpuFigures("1", 0.0, 4 * MIB, 81559 * MIB),
    }
    assert reader.problem(0, "host 'gpubox'") == ""
    # a unit's GPUs by host index or by UUID, in its order; one nvidia-smi does not list is named
    figures, note = reader.select(["1", "GPU-5b3f0b7c-9a34-2f1e-4b6d-1c0e8f2a7d11", "3"], "host 'gpubox'")
    assert [f.index for f in figures] == ["1", "0"]
    assert note == "nvidia-smi on host 'gpubox' does not list GPU 3"


def test_a_looping_capture_leaves_each_gpus_latest_figures() -> None:
    reader = _read("nvidia-smi-loop-2xH100.csv")  # -l 1: the header once, then the rows every second
    assert reader.gpus["0"] == GpuFigures("0", 98.0, 30591 * MIB, 81559 * MIB)
    assert reader.gpus["1"] == GpuFigures("1", 0.0, 4 * MIB, 81559 * MIB)


def test_a_figure_the_driver_does_not_give_is_none() -> None:
    reader = _read("nvidia-smi-A100-mig.csv")  # utilisation is [N/A] on a GPU in MIG mode
    assert reader.gpus["0"] == GpuFigures("0", None, 13 * MIB, 40960 * MIB)
    assert reader.gpus["1"].util_percent == 42.0


def test_why_there_are_no_figures() -> None:
    failed = _read("nvidia-smi-no-driver.txt")
    assert failed.gpus == {}
    assert failed.problem(NO_DRIVER_STATUS, "host 'gpubox'") == (
        "nvidia-smi failed on host 'gpubox': NVIDIA-SMI has failed because it couldn't communicate "
        "with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."
    )
    assert (
        SmiReader().feed_all(["NO-SMI"]).problem(0, "this machine")
        == "nvidia-smi is not installed on this machine"
    )
    assert SmiReader().problem(0, "this machine") == "nvidia-smi listed no GPUs on this machine"


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def put(folder: Path) -> None:
        monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")

    return put


def _settled(watch: GpuWatch, ids: list[str]) -> tuple[tuple[GpuFigures, ...], str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        figures, note = watch.figures(ids)
        if figures or note:
            return figures, note
        time.sleep(0.05)
    raise AssertionError("nvidia-smi never reported")


def test_the_watch_follows_a_looping_nvidia_smi_until_the_last_unit_leaves(tmp_path: Path, on_path) -> None:
    on_path(fake_nvidia_smi(tmp_path / "bin"))
    watch = GpuWatch(LocalCommand, "this machine")
    watch.acquire()
    watch.acquire()  # two units with GPUs: one nvidia-smi
    figures, note = _settled(watch, ["1"])
    assert figures == (GpuFigures("1", 0.0, 4 * MIB, 81559 * MIB),) and note == ""
    stream = watch._stream
    assert stream is not None
    watch.release()
    assert watch._stream is stream  # still one unit
    watch.release()
    assert watch._stream is None and stream._proc.wait(5) is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (
            lambda d: fake_nvidia_smi(d, "nvidia-smi-no-driver.txt", NO_DRIVER_STATUS),
            "nvidia-smi failed on this machine: NVIDIA-SMI has failed",
        ),
        (lambda d: d, "nvidia-smi is not installed on this machine"),
    ],
)
def test_a_missing_or_failing_nvidia_smi_gives_the_reason(tmp_path: Path, on_path, make, why: str) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    on_path(make(folder))
    watch = GpuWatch(LocalCommand, "this machine")
    watch.acquire()
    try:
        figures, note = _settled(watch, ["0"])
    finally:
        watch.release()
    assert figures == () and note.startswith(why)


WATCHER = """
import sys, time
from runner.sysmetrics.gpu_watch import GpuWatch, LocalCommand
watch = GpuWatch(LocalCommand, "this machine")
watch.acquire()
while not watch.figures(["0"])[0]:
    time.sleep(0.05)
print("reporting", flush=True)
time.sleep(600)
"""


def test_a_killed_runner_leaves_no_nvidia_smi_loop_behind(tmp_path: Path) -> None:
    """The runner killed (no release, no close): the loop it started stops with it."""
    folder = fake_nvidia_smi(tmp_path / "bin")
    env = {**os.environ, "PATH": f"{folder}:/usr/bin:/bin"}
    runner = subprocess.Popen([sys.executable, "-c", WATCHER], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert runner.stdout is not None and runner.stdout.readline() == "reporting\n"
        assert smi_processes(folder / "nvidia-smi")
    finally:
        runner.kill()
        runner.wait(10)
    left = smi_gone(folder / "nvidia-smi")
    for pid in left:  # not to leave it running after a failure
        os.kill(pid, signal.SIGKILL)
    assert left == []
