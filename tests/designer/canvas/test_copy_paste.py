"""Copy, paste and duplicate carry a node's whole YAML body (issue 12): through the real
shortcuts on the canvas, into the same file and into another one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from PySide6.QtCore import Qt

from designer.document.node_clip import COPY, KEEP
from tests.support.yaml_texts import PREP_TRAIN, node, pipeline, step

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[3]

# prep feeds train, whose node has everything a body can hold.
FILE = PREP_TRAIN.replace(
    "        step: train\n",
    """\
        step: train
        override:
          image: python:3.12-slim
          parameters:
            - name: epochs
              default: 7
        on-error: continue
        edge-merge-mode: append
        actions:
          - when: node-starting
            if: parameter.epochs > 5
            then: require-approval
""",
)

OTHER = (
    step("prep")
    + step("train", image="alpine", command="echo a different train")
    + pipeline("q", node("prep"))
)


def _open(window, folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "valohai.yaml"
    path.write_text(text, encoding="utf-8")
    assert window.files.open_path(path, confirm=False)
    return path


def _key(window, qtbot, key: Qt.Key) -> None:
    """The shortcut as a user presses it: in the active window, on its canvas."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.view.setFocus()
    qtbot.keyClick(window.view, key, Qt.KeyboardModifier.ControlModifier)


def _nodes(window, pipeline: str) -> dict[str, dict]:
    data = yaml.safe_load(window.document.text)
    body = next(i["pipeline"] for i in data if "pipeline" in i and i["pipeline"]["name"] == pipeline)
    return {n["name"]: n for n in body["nodes"]}


def _steps(window) -> dict[str, dict]:
    return {i["step"]["name"]: i["step"] for i in yaml.safe_load(window.document.text) if "step" in i}


def test_paste_carries_the_whole_body_steps_away_and_undoes_in_one_step(window, tmp_path, qtbot) -> None:
    _open(window, tmp_path / "a", FILE)
    original = _nodes(window, "p")["train"]
    at = window.document.positions("p")["train"]
    window.scene.select_node("train")
    _key(window, qtbot, Qt.Key.Key_C)
    _key(window, qtbot, Qt.Key.Key_V)
    _key(window, qtbot, Qt.Key.Key_V)
    nodes = _nodes(window, "p")
    assert nodes["train-2"] == {**original, "name": "train-2"}  # override, actions, on-error, merge mode
    assert nodes["train-3"] == {**original, "name": "train-3"}
    positions = window.document.positions("p")
    first, second = positions["train-2"], positions["train-3"]
    assert first != at and second != first  # each paste lands one step further
    assert (second[0] - first[0], second[1] - first[1]) == (first[0] - at[0], first[1] - at[1])
    assert window.scene.selected_node_names() == ["train-3"]
    assert set(_steps(window)) == {"prep", "train"}  # the same file: nothing else added
    window.actions.undo.trigger()
    assert "train-3" not in _nodes(window, "p") and "train-2" in _nodes(window, "p")
    window.actions.undo.trigger()
    assert window.document.text == FILE


def test_duplicate_keeps_the_body_and_the_edges_between_the_copies(window, tmp_path, qtbot) -> None:
    _open(window, tmp_path / "a", FILE)
    window.scene.node_items["prep"].setSelected(True)
    window.scene.node_items["train"].setSelected(True)
    _key(window, qtbot, Qt.Key.Key_D)
    nodes = _nodes(window, "p")
    assert nodes["train-2"]["override"]["parameters"] == [{"name": "epochs", "default": 7}]
    assert [e.source + " → " + e.target for e in window.document.view("p").edges] == [
        "prep.output.* → train.input.data",
        "prep-2.output.* → train-2.input.data",
    ]
    assert sorted(window.scene.selected_node_names()) == ["prep-2", "train-2"]
    assert window.document.undo_stack.undoText() == "Duplicate 2 nodes"


def test_task_and_deployment_nodes_paste_into_another_file_with_what_they_need(
    make_window, tmp_path, qtbot
) -> None:
    source = tmp_path / "sweep"
    shutil.copytree(REPO / "examples" / "tabular-sweep", source, ignore=shutil.ignore_patterns("__pycache__"))
    first = make_window()
    assert first.files.open_path(source / "valohai.yaml", confirm=False)
    pipeline = first.current_pipeline
    first.scene.node_items["train"].setSelected(True)
    first.scene.node_items["release"].setSelected(True)
    _key(first, qtbot, Qt.Key.Key_C)
    copied = _nodes(first, pipeline)
    second = make_window()
    no_train = OTHER.replace("name: train\n    image: alpine", "name: other\n    image: alpine")
    _open(second, tmp_path / "b", no_train)
    _key(second, qtbot, Qt.Key.Key_V)
    nodes = _nodes(second, "q")
    assert nodes["train"] == copied["train"] and nodes["release"] == copied["release"]
    data = yaml.safe_load(second.document.text)
    kinds = {next(iter(item)): [] for item in data}
    for item in data:
        kind = next(iter(item))
        kinds[kind].append(item[kind]["name"])
    assert kinds["task"] == ["learning-rate-sweep"] and kinds["endpoint"] == ["churn-predict"]
    assert "train" in kinds["step"]  # the blueprint's step came along
    errors = [d.message for d in second.document.diagnostics() if d.severity == "error"]
    assert errors == [], errors
    second.actions.undo.trigger()  # the nodes and what came with them: one step
    assert second.document.text == no_train


@pytest.mark.parametrize("answer", [KEEP, COPY, None])
def test_a_step_name_clash_asks_which_one_to_use(make_window, tmp_path, qtbot, answer) -> None:
    first = make_window()
    _open(first, tmp_path / "a", FILE)
    first.scene.select_node("train")
    _key(first, qtbot, Qt.Key.Key_C)
    second = make_window()
    _open(second, tmp_path / "b", OTHER)
    asked: list[tuple[str, str]] = []
    second.edit_actions.ask_clash = lambda kind, name: asked.append((kind, name)) or answer
    _key(second, qtbot, Qt.Key.Key_V)
    assert asked == [("step", "train")]
    steps = _steps(second)
    if answer is None:
        assert second.document.text == OTHER and not second.document.modified
        return
    node = _nodes(second, "q")["train"]
    if answer == KEEP:
        assert node["step"] == "train" and steps["train"]["image"] == "alpine"
        assert set(steps) == {"prep", "train"}
    else:
        assert node["step"] == "train-2" and steps["train-2"] == {**_steps(first)["train"], "name": "train-2"}
        assert steps["train"]["image"] == "alpine"
    assert node["override"] == _nodes(first, "p")["train"]["override"]
