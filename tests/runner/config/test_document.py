"""YamlDocument: edits change only the lines they concern; saves are atomic."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from runner.config import edits
from runner.config.document import YamlDocument
from runner.config.errors import (
    ConfigLoadError,
    CycleError,
    DuplicateEdgeError,
    DuplicateNameError,
    EditError,
    PortMismatchError,
    UnknownNameError,
)

TEXT = """\
# Training pipeline: a comment the designer must keep
- step:
    name: preprocess
    image: python:3.12-slim   # pinned on purpose
    command:
      - python preprocess.py {parameters}
    parameters:
      - name: test-split
        type: float
        default: 0.2
    inputs:
      - name: raw
        default: data/raw.csv

- step:
    name: train
    image: "python:3.12-slim"
    command: python train.py --lr={parameter-value:learning-rate} {parameter:epochs}
    parameters:
      - name: epochs
        type: integer
        default: 5
      - name: learning-rate
        type: float
        default: 0.01
    inputs:
      - name: dataset

- pipeline:
    name: training
    nodes:
      - name: preprocess
        type: execution
        step: preprocess
      - name: train
        type: execution
        step: train
    edges:
      - [preprocess.output.*.csv, train.input.dataset]
"""


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:])
    return removed, added


@pytest.fixture
def doc() -> YamlDocument:
    return YamlDocument.from_text(TEXT)


def test_unedited_document_gives_back_the_same_text(doc: YamlDocument) -> None:
    assert doc.text == TEXT
    assert not doc.modified


def test_change_default_touches_one_line(doc: YamlDocument) -> None:
    edits.set_parameter_field(doc, "train", "epochs", "default", 10)
    assert changed_lines(TEXT, doc.text) == (["        default: 5"], ["        default: 10"])
    assert doc.loaded.config.steps["train"].parameters["epochs"].default == 10
    assert doc.modified


def test_add_edge_appends_one_line_in_the_file_style(doc: YamlDocument) -> None:
    edits.add_edge(doc, "training", "preprocess.output.model*", "train.input.dataset")
    assert changed_lines(TEXT, doc.text) == ([], ["      - [preprocess.output.model*, train.input.dataset]"])


def test_rename_parameter_follows_placeholders(doc: YamlDocument) -> None:
    edits.rename_parameter(doc, "train", "learning-rate", "lr")
    removed, added = changed_lines(TEXT, doc.text)
    assert added == [
        "    command: python train.py --lr={parameter-value:lr} {parameter:epochs}",
        "      - name: lr",
    ]
    assert len(removed) == 2
    assert "# pinned on purpose" in doc.text and doc.text.startswith("# Training pipeline")


def test_rename_node_updates_edges(doc: YamlDocument) -> None:
    edits.rename_node(doc, "training", "train", "fit")
    removed, added = changed_lines(TEXT, doc.text)
    assert removed == ["      - name: train", "      - [preprocess.output.*.csv, train.input.dataset]"]
    assert added == ["      - name: fit", "      - [preprocess.output.*.csv, fit.input.dataset]"]
    assert [e.target for e in doc.loaded.config.pipelines["training"].edges] == ["fit.input.dataset"]


def test_remove_node_drops_its_edges(doc: YamlDocument) -> None:
    edits.remove_node(doc, "training", "preprocess")
    pipeline = doc.loaded.config.pipelines["training"]
    assert [n.name for n in pipeline.nodes] == ["train"]
    assert pipeline.edges == []


def test_add_node_and_pipeline(doc: YamlDocument) -> None:
    edits.add_pipeline(doc, "second")
    edits.add_node(doc, "second", "only", "train")
    assert [n.name for n in doc.loaded.config.pipelines["second"].nodes] == ["only"]
    assert doc.text.startswith(TEXT.rstrip("\n"))  # appended at the end, nothing above touched


def test_add_step_goes_after_the_last_step(doc: YamlDocument) -> None:
    edits.add_step(doc, "evaluate", "python:3.12-slim", "python evaluate.py")
    names = doc.loaded.config_step_names()
    assert names == ["preprocess", "train", "evaluate"]
    assert doc.text.index("name: evaluate") < doc.text.index("- pipeline:")


@pytest.mark.parametrize(
    ("source", "target", "error"),
    [
        ("train.output.model*", "preprocess.input.raw", CycleError),
        ("preprocess.output.*.csv", "train.input.dataset", DuplicateEdgeError),
        ("preprocess.output.x", "train.parameter.epochs", PortMismatchError),
        ("ghost.output.x", "train.input.dataset", UnknownNameError),
        ("preprocess.output", "train.input.dataset", PortMismatchError),
    ],
)
def test_refused_edges_change_nothing(doc: YamlDocument, source: str, target: str, error: type) -> None:
    with pytest.raises(error) as info:
        edits.add_edge(doc, "training", source, target)
    assert str(info.value)  # a sentence for the tooltip
    assert doc.text == TEXT


def test_cycle_error_names_the_path(doc: YamlDocument) -> None:
    with pytest.raises(CycleError) as info:
        edits.add_edge(doc, "training", "train.output.model*", "preprocess.input.raw")
    assert info.value.cycle == ["train", "preprocess", "train"]
    assert "train → preprocess → train" in str(info.value)


def test_second_feed_of_a_parameter_is_refused(doc: YamlDocument) -> None:
    edits.add_edge(doc, "training", "preprocess.parameter.test-split", "train.parameter.learning-rate")
    with pytest.raises(DuplicateEdgeError):
        edits.add_edge(doc, "training", "preprocess.parameter.test-split", "train.parameter.learning-rate")


def test_duplicate_names_are_refused(doc: YamlDocument) -> None:
    with pytest.raises(DuplicateNameError):
        edits.add_node(doc, "training", "train", "train")
    with pytest.raises(DuplicateNameError):
        edits.rename_parameter(doc, "train", "epochs", "learning-rate")
    with pytest.raises(DuplicateNameError):
        edits.add_step(doc, "train", "img", "cmd")
    assert doc.text == TEXT


def test_snapshot_restore(doc: YamlDocument) -> None:
    before = doc.snapshot()
    edits.remove_node(doc, "training", "train")
    doc.restore(before)
    assert doc.text == TEXT


def test_set_text_refuses_broken_yaml_and_keeps_the_old(doc: YamlDocument) -> None:
    with pytest.raises(ConfigLoadError) as info:
        doc.set_text("- step: [unclosed\n")
    assert info.value.line is not None
    assert doc.text == TEXT


def test_crlf_files_stay_crlf() -> None:
    text = TEXT.replace("\n", "\r\n")
    doc = YamlDocument.from_text(text)
    assert doc.text == text
    edits.set_parameter_field(doc, "train", "epochs", "default", 7)
    assert "\r\n        default: 7\r\n" in doc.text
    assert doc.text.count("\r\n") == text.count("\r\n")
    assert "\n" not in doc.text.replace("\r\n", "")


def test_indented_dash_style_is_kept() -> None:
    text = "  - step:\n      name: a\n      image: i\n      command: c\n"
    doc = YamlDocument.from_text(text)
    edits.set_step_field(doc, "a", "image", "j")
    assert doc.text == text.replace("image: i", "image: j")


def test_save_is_atomic_with_backup(tmp_path: Path, doc: YamlDocument) -> None:
    target = tmp_path / "valohai.yaml"
    target.write_text("old contents\n")
    os.chmod(target, 0o640)
    edits.set_parameter_field(doc, "train", "epochs", "default", 3)
    doc.save(target)
    assert target.read_text() == doc.text
    assert (tmp_path / "valohai.yaml.bak").read_text() == "old contents\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert not doc.modified
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_failed_save_leaves_the_old_file(tmp_path: Path, doc: YamlDocument, monkeypatch) -> None:
    target = tmp_path / "valohai.yaml"
    target.write_text(TEXT)

    def boom(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    edits.set_parameter_field(doc, "train", "epochs", "default", 3)
    with pytest.raises(OSError, match="disk full"):
        doc.save(target)
    assert target.read_text() == TEXT
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_emptying_a_commented_list_keeps_the_file_valid() -> None:
    text = TEXT.replace("    edges:\n", "    edges:\n      # data flows left to right\n")
    doc = YamlDocument.from_text(text)
    edits.remove_node(doc, "training", "preprocess")
    assert doc.loaded.data[2]["pipeline"]["edges"] == []
    assert doc.loaded.data[2]["pipeline"]["nodes"] == [
        {"name": "train", "type": "execution", "step": "train"}
    ]
    assert doc.text.startswith(TEXT[: TEXT.index("- pipeline:")])  # the steps are untouched
    assert not doc.last_edit_rewrote_file


def test_every_edit_is_checked_against_the_intended_data(monkeypatch) -> None:
    """Where a patch is impossible and the line merge of the re-dump produced other data than
    the edit meant, the plain dump is used."""
    import runner.config.document as document
    import runner.config.exact as exact

    def impossible(*_args: object) -> None:
        raise exact.PatchImpossible("as if the text could not be patched")

    monkeypatch.setattr(exact, "exact_edit", impossible)
    monkeypatch.setattr(document, "merge_edit", lambda original, base, edited: original)  # a broken merge
    doc = YamlDocument.from_text(TEXT)
    edits.set_parameter_field(doc, "train", "epochs", "default", 10)
    assert doc.last_edit_rewrote_file and doc.last_edit_fallback == "as if the text could not be patched"
    assert doc.loaded.config.steps["train"].parameters["epochs"].default == 10


def test_a_layout_the_yaml_writer_cannot_rewrite_is_refused_with_a_clear_error(monkeypatch) -> None:
    """ruamel.yaml reads "# comment\\n[]" (a file whose last item was removed) but crashes
    writing it back: where the edit cannot be a patch either, it is refused, not a traceback."""
    import runner.config.exact as exact

    def impossible(*_args: object) -> None:
        raise exact.PatchImpossible("as if the text could not be patched")

    monkeypatch.setattr(exact, "exact_edit", impossible)
    doc = YamlDocument.from_text("# steps come here\n[]\n")
    with pytest.raises(EditError, match="YAML view"):
        edits.add_step(doc, "s", "busybox", "echo")
    assert doc.text == "# steps come here\n[]\n"


@pytest.mark.parametrize("text", ["", "\n", "# steps come here\n", "# steps come here\n[]\n", "# x\r\n[]"])
def test_the_first_item_of_a_file_without_any_is_a_patch(text: str) -> None:
    """An empty file, one of comments only, or the "[]" that removing the last item leaves:
    a new step is written after the comments as a block list, in the file's line endings."""
    doc = YamlDocument.from_text(text)
    edits.add_step(doc, "s", "busybox", "echo")
    assert doc.last_edit_fallback is None
    nl = "\r\n" if "\r\n" in text else "\n"
    head = text.split("[]")[0]
    step = nl.join(["- step:", "    name: s", "    image: busybox", "    command: echo"])
    assert doc.text == head + step + (nl if text.endswith("\n") or not text.strip() else "")
