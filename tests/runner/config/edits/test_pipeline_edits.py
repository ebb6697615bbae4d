"""Pipeline parameters and reuse-executions; renaming/removing nodes keeps targets consistent."""

from __future__ import annotations

import pytest
import yaml

from runner.config import edits, pipeline_edits
from runner.config.document import YamlDocument
from runner.config.errors import DuplicateNameError, EditError, UnknownNameError
from tests.support.edit_checks import assert_valid, diff
from tests.support.yaml_texts import node, parameter, pipeline, train_py

TEXT = train_py("parameters:\n" + parameter("lr", "float", 0.01)) + pipeline(
    "p",
    node("a", "train"),
    node("b", "train"),
    head="parameters:\n  - name: rate\n    target: a.parameter.lr   # the single form\n    default: 0.1\n",
)


@pytest.fixture
def doc() -> YamlDocument:
    return YamlDocument.from_text(TEXT)


def params(doc: YamlDocument) -> list[dict]:
    return yaml.safe_load(doc.text)[1]["pipeline"].get("parameters", [])


def test_single_target_form_round_trips_until_edited(doc: YamlDocument) -> None:
    pipeline_edits.set_pipeline_parameter_field(doc, "p", "rate", "default", 0.2)
    assert diff(TEXT, doc.text) == (["        default: 0.1"], ["        default: 0.2"])
    pipeline_edits.set_pipeline_parameter_targets(doc, "p", "rate", ["a.parameter.lr"])
    pipeline_edits.set_pipeline_parameter_targets(doc, "p", "rate", ["b.parameter.lr"])
    assert diff(TEXT, doc.text)[1] == [
        "        target: b.parameter.lr   # the single form",
        "        default: 0.2",
    ]
    pipeline_edits.set_pipeline_parameter_targets(doc, "p", "rate", ["a.parameter.lr", "b.parameter.lr"])
    assert params(doc) == [{"name": "rate", "targets": ["a.parameter.lr", "b.parameter.lr"], "default": 0.2}]
    assert_valid(doc.text)
    with pytest.raises(UnknownNameError, match='no node "c"'):
        pipeline_edits.set_pipeline_parameter_targets(doc, "p", "rate", ["c.parameter.lr"])
    with pytest.raises(EditError, match=r"node\.parameter\.name"):
        pipeline_edits.set_pipeline_parameter_targets(doc, "p", "rate", ["a.input.lr"])


def test_add_rename_remove_parameters(doc: YamlDocument) -> None:
    pipeline_edits.add_pipeline_parameter(doc, "p", "epochs", 3, ["b.parameter.lr"])
    pipeline_edits.set_pipeline_parameter_field(doc, "p", "epochs", "description", "How long")
    pipeline_edits.set_pipeline_parameter_field(doc, "p", "epochs", "name", "steps")
    assert params(doc)[1] == {
        "name": "steps",
        "targets": ["b.parameter.lr"],
        "default": 3,
        "description": "How long",
    }
    assert_valid(doc.text)
    with pytest.raises(DuplicateNameError):
        pipeline_edits.add_pipeline_parameter(doc, "p", "rate")
    pipeline_edits.remove_pipeline_parameter(doc, "p", "steps")
    pipeline_edits.remove_pipeline_parameter(doc, "p", "rate")
    assert "parameters" not in yaml.safe_load(doc.text)[1]["pipeline"]
    assert_valid(doc.text)


def test_reuse_executions(doc: YamlDocument) -> None:
    pipeline_edits.set_reuse_executions(doc, "p", True)
    assert diff(TEXT, doc.text) == ([], ["    reuse-executions: true"])
    pipeline_edits.set_reuse_executions(doc, "p", False)
    assert "reuse-executions: false" in doc.text  # written by the user: stays explicit
    assert_valid(doc.text)


def test_rename_and_remove_node_follow_targets(doc: YamlDocument) -> None:
    pipeline_edits.add_pipeline_parameter(doc, "p", "both", 1, ["a.parameter.lr", "b.parameter.lr"])
    edits.rename_node(doc, "p", "a", "first")
    assert params(doc)[0]["target"] == "first.parameter.lr"
    assert params(doc)[1]["targets"] == ["first.parameter.lr", "b.parameter.lr"]
    edits.remove_node(doc, "p", "first")
    assert params(doc) == [
        {"name": "rate", "default": 0.1},
        {"name": "both", "targets": ["b.parameter.lr"], "default": 1},
    ]
    assert_valid(doc.text)
