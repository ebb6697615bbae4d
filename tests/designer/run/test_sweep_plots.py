"""A task node's sweep beside its ranking: parallel coordinates and a scatter, from real metric
sources (what the metrics dock feeds the ranking)."""

from __future__ import annotations

import math

from designer.run.series import MetricSource
from designer.run.sweep_plots import axis_positions
from designer.run.task_ranking import TaskRanking

GRID = [(lr, depth) for lr in (0.001, 0.01, 0.1) for depth in (2, 8)]


def _sources() -> tuple[dict[int, str], dict[int, dict], dict[int, MetricSource]]:
    params, values, sources = {}, {}, {}
    for k, (lr, depth) in enumerate(GRID, 1):
        accuracy = 0.9 - abs(math.log10(lr) + 2) * 0.1 + depth * 0.001
        source = MetricSource("run", f"train#{k}")
        source.add_records([{"epoch": e, "accuracy": accuracy - 0.1 / (e + 1)} for e in range(3)])
        params[k], values[k], sources[k] = f"lr={lr} depth={depth}", {"lr": lr, "depth": depth}, source
    return params, values, sources


def test_axis_positions_scale_numbers_and_place_categories() -> None:
    pos, ticks, log = axis_positions([0.001, 0.01, 0.1, None])
    assert log and pos == [0.0, 0.5, 1.0, None]  # three decades: log scale, evenly apart
    assert [t for _p, t in ticks] == ["0.001", "0.01", "0.1"]  # a grid's values, each labelled
    pos, ticks, log = axis_positions(["adam", "sgd", "adam"])
    assert not log and pos == [0.0, 1.0, 0.0] and ticks == [(0.0, "adam"), (1.0, "sgd")]
    pos, ticks, _log = axis_positions([0.5, 0.51, 0.52, 0.53, 0.6, 0.61, 0.62, 0.7, 0.8], every=False)
    assert [t for _p, t in ticks] == ["0.5", "0.8"]  # a metric axis: its range only


def test_parallel_coordinates_and_scatter_beside_the_ranking(qtbot) -> None:
    ranking = TaskRanking()
    qtbot.addWidget(ranking)
    ranking.resize(800, 400)
    ranking.show()
    params, values, sources = _sources()
    ranking.set_task("train", params, {k: "succeeded" for k in params}, sources)
    ranking.set_values(values)
    tabs = ranking.sweep.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Ranking", "Parallel coordinates", "Scatter"]
    assert ranking.metric.currentText() == "accuracy"
    best = ranking.order_shown()[0]
    assert values[best] == {"lr": 0.01, "depth": 8}
    # One line per execution over the axes depth, lr and the metric; the best drawn on top.
    sweep = ranking.sweep
    assert sweep.varied() == ["depth", "lr"]
    assert set(sweep.parallel_items) == set(params)
    line = sweep.parallel_items[best]
    assert all(line.zValue() >= other.zValue() for other in sweep.parallel_items.values())
    xs, ys = line.getData()
    assert list(xs) == [0.0, 1.0, 2.0] and ys[0] == 1.0 and ys[1] == 0.5 and ys[2] == 1.0
    assert line.opts["pen"].widthF() > sweep.parallel_items[ranking.order_shown()[-1]].opts["pen"].widthF()
    # The scatter: lr (most values) against accuracy, on a log axis.
    assert sweep.x_param.currentText() == "lr" and sweep.y_metric.currentText() == "accuracy"
    assert len(sweep.scatter_item.points()) == len(GRID)
    assert sweep.scatter.getPlotItem().ctrl.logXCheck.isChecked()
    # Ranking by another metric moves the last axis; clicking a line picks its row.
    ranking.metric.setCurrentText("epoch")
    assert sweep.metric == "epoch"
    ranking.metric.setCurrentText("accuracy")
    tabs.setCurrentIndex(1)
    sweep.execution_picked.emit(best)
    assert tabs.currentIndex() == 0
    assert ranking.table.item(ranking.table.currentRow(), 1).text() == f"#{best}"
