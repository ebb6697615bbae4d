"""The Metrics dock's System group offscreen: one small plot per quantity on the time axis of the
node's metrics, GPU plots only where there are GPU figures, and why there are none."""

from __future__ import annotations

import pytest

from runner.events import GpuFigures, MetadataRecord, SystemSample, SystemSampled
from runner.metadata import iso_time

pytestmark = pytest.mark.gui
T0 = 1_796_000_000.0
GIB = 1 << 30


@pytest.fixture
def metrics(qtbot):
    from designer.run.metrics_dock import MetricsPanel

    panel = MetricsPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    yield panel
    panel.shutdown()


def _samples(n: int, gpus: int = 0, start: float = T0 - 0.5) -> tuple[SystemSample, ...]:
    return tuple(
        SystemSample(
            start + i,
            None if i == 0 else 95.0 + i,
            (1 + i) * GIB,
            16 * GIB,
            tuple(GpuFigures(str(g), 50.0 + 10 * g, (2 + g) * GIB, 80 * GIB) for g in range(gpus)),
        )
        for i in range(n)
    )


def _curves(metrics, quantity: str) -> list[tuple[list[float], list[float]]]:
    item = metrics.system.plots[quantity].getPlotItem()
    return [tuple(map(list, c.getData())) for c in item.listDataItems()]


def test_a_gpu_nodes_cpu_memory_and_gpus_line_up_with_its_metrics(qtbot, metrics) -> None:
    records = [{"epoch": i, "loss": 1 / (i + 1), "_time": iso_time(T0 + i)} for i in range(4)]
    metrics.add_records([MetadataRecord("run-1", "train", r, T0 + i) for i, r in enumerate(records)])
    metrics.add_system([SystemSampled("run-1", "train", _samples(5, gpus=2), "", T0 + 4)])
    group = metrics.system
    qtbot.waitUntil(lambda: len(_curves(metrics, "gpu_util")) == 2)
    assert all(group.plots[q].isVisible() for q in ("cpu", "memory", "gpu_util", "gpu_memory"))
    # seconds from the first metric record: the sample taken half a second before it is at -0.5
    ((x, y),) = _curves(metrics, "memory")
    assert x == [-0.5, 0.5, 1.5, 2.5, 3.5] and y == [g * GIB for g in (1, 2, 3, 4, 5)]
    ((x, y),) = _curves(metrics, "cpu")
    assert x == [0.5, 1.5, 2.5, 3.5] and y == [96.0, 97.0, 98.0, 99.0]  # the first sample has no CPU yet
    assert [c[1][0] for c in _curves(metrics, "gpu_util")] == [50.0, 60.0]  # GPU 0 and GPU 1
    assert "memory limit 17.2 GB" in group.note.text() and "GPU" not in group.note.text()
    # with the metrics plot on wall time the System plots show its x range (and never move it)
    metrics.x_combo.setCurrentText("wall time")
    main = metrics.plot.item.vb
    main.setXRange(1.0, 2.0, padding=0)
    assert all(w.getPlotItem().vb.viewRange()[0] == [1.0, 2.0] for w in group.plots.values())
    group.plots["cpu"].getPlotItem().setXRange(0.0, 3.0, padding=0)
    assert main.viewRange()[0] == [1.0, 2.0]
    metrics.x_combo.setCurrentText("record index")
    main.setXRange(0.0, 10.0, padding=0)
    assert group.plots["memory"].getPlotItem().vb.viewRange()[0] != [0.0, 10.0]


def test_without_gpu_figures_the_group_says_why(qtbot, metrics) -> None:
    why = "nvidia-smi is not installed on host 'gpubox'"
    metrics.add_system([SystemSampled("run-1", "train", _samples(3), why, T0)])  # no metrics printed
    assert ("run-1", "train") in metrics.sources  # listed, so it can be picked
    group = metrics.system
    qtbot.waitUntil(lambda: len(_curves(metrics, "cpu")) == 1)
    assert not group.plots["gpu_util"].isVisible() and not group.plots["gpu_memory"].isVisible()
    assert f"No GPU figures: {why}" in group.note.text()
    ((x, _y),) = _curves(metrics, "memory")
    assert x == [0.0, 1.0, 2.0]  # no record: from its first sample
    metrics.add_system([SystemSampled("run-1", "prepare", _samples(2), "", T0)])
    metrics.show_only({("run-1", "prepare")})
    qtbot.waitUntil(lambda: group.note.text().endswith("No GPU assigned"))


def test_without_samples_the_group_is_one_line_and_the_metrics_get_the_room(qtbot, metrics) -> None:
    """A past run printed metrics but has no samples: no four empty plots under its curves."""
    records = [{"epoch": i, "loss": 1 / (i + 1)} for i in range(20)]
    metrics.load_records("run-1", "train", records)
    group = metrics.system
    qtbot.waitUntil(lambda: not any(p.isVisible() for p in group.plots.values()))
    assert group.note.text() and group.height() < 60
    assert metrics.plot_widget.height() > 300
    metrics.add_system([SystemSampled("run-1", "train", _samples(5), "", T0 + 4)])
    qtbot.waitUntil(lambda: group.plots["cpu"].isVisible() and group.plots["memory"].isVisible())
    assert group.maximumHeight() > 1000  # the splitter may give it room again
