"""Files: save without edits, unsaved-changes prompt, external changes, crash recovery, recent files."""

from __future__ import annotations

from pathlib import Path

import pytest
import valohai_yaml
from PySide6.QtWidgets import QMessageBox

from designer.document.model_api import ConfigLoadError, edits
from runner.config import load
from tests.support.corpus import all_files

pytestmark = pytest.mark.gui
Btn = QMessageBox.StandardButton
FILES = all_files()


def _parsed(text: str):
    try:
        return valohai_yaml.parse(text, validate=False).serialize()
    except Exception as exc:  # a parse-error file: compare that it fails the same way
        return ("unparseable", type(exc).__name__)


@pytest.mark.parametrize("source", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_open_and_save_without_edits_gives_an_equal_config(
    window, tmp_path: Path, source: Path, prompts
) -> None:
    target = tmp_path / "valohai.yaml"
    original = source.read_bytes()
    target.write_bytes(original)
    broken: ConfigLoadError | None = None
    try:
        load(target)
    except ConfigLoadError as exc:
        if not exc.readable:  # not text at all: refused with the reason, nothing opened
            assert not window.files.open_path(target, confirm=False)
            assert "valohai.yaml" in prompts.warnings[-1]
            return
        broken = exc
    # Opens, even when it does not parse (the YAML view holds it) or is no valid valohai.yaml.
    assert window.files.open_path(target, confirm=False)
    if broken is not None:
        problem = window.document.text_problem
        assert problem is not None and (problem.line, problem.column) == (broken.line, broken.column)
        assert not window.scene.node_items
    window.files.save()
    assert target.read_bytes() == original  # byte for byte
    assert _parsed(target.read_text(encoding="utf-8")) == _parsed(original.decode("utf-8"))


def test_corpus_is_there() -> None:
    assert len(FILES) >= 30


def test_unsaved_changes_prompt_save_discard_cancel(window, example_yaml: Path, prompts) -> None:
    window.files.open_path(example_yaml, confirm=False)
    window.editor.edit("x", edits.set_step_field, "Train model", "image", "python:3.12")
    assert window.document.modified and window.isWindowModified()
    prompts.answers = [Btn.Cancel]
    assert not window.close()
    prompts.answers = [Btn.Save]
    assert window.files.confirm_discard()
    assert "image: python:3.12" in example_yaml.read_text(encoding="utf-8")
    assert not window.document.modified
    window.editor.edit("y", edits.set_step_field, "Train model", "image", "python:3.11")
    prompts.answers = [Btn.Discard]
    assert window.close()
    assert "python:3.11" not in example_yaml.read_text(encoding="utf-8")


def test_external_change_offers_reload(window, example_yaml: Path, prompts, qtbot) -> None:
    window.files.open_path(example_yaml, confirm=False)
    prompts.answers = [Btn.Yes]
    changed = example_yaml.read_text(encoding="utf-8").replace("name: train\n", "name: trainer\n", 1)
    example_yaml.write_text(changed, encoding="utf-8")
    qtbot.waitUntil(lambda: "File changed on disk" in prompts.asked, timeout=5000)
    assert window.document.text == changed
    assert "trainer" in window.scene.node_items


def test_external_change_is_found_without_inotify(window, example_yaml: Path, prompts, qtbot) -> None:
    # network file systems (or a used-up inotify limit) report nothing: the stat poll still sees it
    window.files.open_path(example_yaml, confirm=False)
    window.files._watcher.removePaths(window.files._watcher.files())
    prompts.answers = [Btn.Yes]
    changed = example_yaml.read_text(encoding="utf-8").replace("name: train\n", "name: trainer\n", 1)
    example_yaml.write_text(changed, encoding="utf-8")
    qtbot.waitUntil(lambda: "File changed on disk" in prompts.asked, timeout=8000)
    assert window.document.text == changed


def test_our_own_save_is_not_an_external_change(window, example_yaml: Path, prompts, qtbot) -> None:
    window.files.open_path(example_yaml, confirm=False)
    window.editor.edit("x", edits.set_step_field, "Train model", "image", "python:3.12")
    window.files.save()
    qtbot.wait(600)
    assert not window.files.check_external_change()
    assert prompts.asked == []


def test_crash_recovery_from_the_autosave(make_window, example_yaml: Path, prompts) -> None:
    first = make_window()
    first.files.open_path(example_yaml, confirm=False)
    first.editor.edit("x", edits.set_step_field, "Train model", "image", "python:3.12")
    first.editor.move_nodes({"train": ((0, 0), (900, 500))})
    edited = first.document.text
    autosave = first.files.autosave()
    assert autosave is not None and autosave.is_file()
    # a crash: the process dies without a clean close, the file on disk is the old one
    first.files.stop_watching()
    first.hide()

    second = make_window()
    prompts.answers = [Btn.Yes]
    second.files.open_path(example_yaml, confirm=False)
    assert prompts.asked == ["Recover unsaved changes"]
    assert second.document.text == edited
    assert second.document.positions("My little pipeline")["train"] == (900, 500)
    assert second.document.modified  # recovered changes still need saving
    second.document.undo_stack.undo()
    assert "python:3.12" not in second.document.text
    second.document.undo_stack.redo()
    second.files.save()
    assert not second.files.recovery.find(example_yaml.resolve())  # gone after a clean save


def test_untitled_document_is_recovered_too(make_window, prompts) -> None:
    first = make_window()
    first.editor.add_step("a", "busybox", "date")
    first.files.autosave()
    first.files.stop_watching()
    first.hide()
    second = make_window()
    prompts.answers = [Btn.Yes]
    assert second.files.offer_recovery()
    assert "name: a" in second.document.text


def test_recent_files_and_geometry_are_remembered(make_window, example_yaml: Path) -> None:
    first = make_window()
    first.files.open_path(example_yaml, confirm=False)
    first.resize(700, 500)  # within the offscreen screen (800 x 600)
    first.close()
    second = make_window()
    assert second.files.recent_files()[0] == str(example_yaml.resolve())
    second.files.restore_geometry()
    assert (second.width(), second.height()) == (700, 500)
    second.files.fill_recent()
    assert second.recent_menu.actions()[0].text() == str(example_yaml.resolve())


def test_open_refuses_unreadable_files_with_a_message(window, tmp_path: Path, prompts) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(b"\x00\x01\x02 binary")
    assert not window.files.open_path(junk, confirm=False)
    assert prompts.warnings and "junk.yaml" in prompts.warnings[0]


def test_sidecar_keeps_positions_of_existing_nodes_only(window, example_yaml: Path) -> None:
    import json

    window.files.open_path(example_yaml, confirm=False)
    window.editor.move_nodes({"batch2": ((0, 0), (640.0, 320.0))})
    assert window.editor.edit("rm", edits.remove_node, "My little pipeline", "train") is None
    window.files.save()
    sidecar = json.loads((example_yaml.parent / ".valohai.designer.json").read_text(encoding="utf-8"))
    nodes = sidecar["pipelines"]["My little pipeline"]["nodes"]
    assert set(nodes) == {"batch1", "batch2"}
    assert nodes["batch2"] == [640.0, 320.0]
    assert "valohai.designer" not in example_yaml.read_text(encoding="utf-8")  # never in the YAML
    # reopening puts the node where it was saved
    window.files.open_path(example_yaml, confirm=False)
    assert window.scene.node_items["batch2"].pos().x() == 640.0


def test_an_edit_the_model_cannot_apply_is_refused_and_changes_nothing(window, example_yaml: Path) -> None:
    """Whatever an edit raises (here the model's own YAML merge failing), the document stays as it was."""
    window.files.open_path(example_yaml, confirm=False)
    text, count = window.document.text, window.document.undo_stack.count()

    def broken_edit(doc, *_args):
        doc.set_text("- [unclosed")

    error = window.editor.edit("broken", broken_edit)
    assert error and "syntax" in error.lower()
    assert window.document.text == text and window.document.undo_stack.count() == count
    assert set(window.scene.node_items) == {"batch1", "batch2", "train"}
