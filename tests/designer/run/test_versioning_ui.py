"""The designer side of "what just happened": the Inspector says which rule reused a node or made
it run again, Compare shows the code diff, Reproduce reruns a node from its stored code, and the
lineage view traces its inputs, on the real engine with real widgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.gui]


def _run(qtbot: Any, ui: Any) -> Any:
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=180_000) as blocker:
        assert ui.run_pipeline(params={"train.epoch_delay": 0, "train.epochs": 3}, dialog=False)
    qtbot.waitUntil(lambda: not ui.controller.busy)
    return blocker.args[0]


def test_reuse_reason_compare_code_reproduce_and_lineage(
    qtbot: Any,
    make_run_window: Any,
    example_project: Path,
    docker_client: Any,
    container_label: dict[str, str],
) -> None:
    ui = make_run_window(example_project, client=docker_client)
    ui.labels = container_label
    versioning = ui.versioning_ui
    first = _run(qtbot, ui)
    assert first.status == "succeeded"
    evaluate_py = example_project.parent / "evaluate.py"
    evaluate_py.write_text(evaluate_py.read_text() + "\n# threshold tuned\n")
    second = _run(qtbot, ui)
    assert second.status == "succeeded"

    # The Inspector says which rule decided, for the selected node of the shown run.
    ui.window.scene.select_node("evaluate")
    note = ui.window.inspector.run_note
    assert note.isVisible() and "re-ran: evaluate.py changed" in note.text()
    ui.window.scene.select_node("train")
    assert "reused: none of the 2 files train read changed" in note.text()
    assert "reused: none of the 2 files train read changed" in ui.outputs.decision.text()

    # Compare: the code tab lists evaluate.py with its diff.
    ui.compare_runs(first.run_id, second.run_id)
    dialog = ui.compare_dialog
    qtbot.addWidget(dialog)
    assert dialog.code is not None and [c.path for c in dialog.code.changes] == ["evaluate.py"]
    assert "+# threshold tuned" in dialog.code.diff.toPlainText()
    assert any(dialog.tabs.tabText(i) == "Code (1 file differs)" for i in range(dialog.tabs.count()))

    # Reproduce the first run's evaluate from the node's context menu: its stored code.
    ui.show_run(first.run_id)
    menu = ui.live.node_menu("evaluate")
    assert menu is not None
    action = next(a for a in menu.actions() if a.text() == "Reproduce This Node")
    reports: list[tuple[str, str, bool]] = []
    versioning.report = lambda title, text, same: reports.append((title, text, same))
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=120_000):
        action.trigger()
    qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
    title, text, same = reports[0]
    assert same and title == "Reproduced: identical", text
    assert [c.node for c in versioning.results] == ["evaluate"]

    # Lineage of evaluate in the second run: back through train to preprocess and its data file.
    lineage = versioning.show_lineage(second.run_id, "evaluate")
    qtbot.addWidget(lineage)
    texts: list[str] = []

    def walk(item: Any) -> None:
        texts.append(item.text(0))
        for i in range(item.childCount()):
            walk(item.child(i))

    for i in range(lineage.upstream.topLevelItemCount()):
        walk(lineage.upstream.topLevelItem(i))
    joined = "\n".join(texts)
    assert "model.npz  ←  train" in joined and "train.csv  ←  preprocess" in joined
    assert "input dataset: flowers.csv" in joined and "from outside" in joined
    outputs = [lineage.outputs.topLevelItem(i).text(0) for i in range(lineage.outputs.topLevelItemCount())]
    assert any(o.startswith("evaluation.json") for o in outputs)
