"""Node overrides and actions: structured edits that keep the rest of the file byte-identical."""

from __future__ import annotations

import pytest
import yaml

from runner.config import node_edits
from runner.config.document import YamlDocument
from runner.config.errors import EditError, UnknownNameError
from tests.support.edit_checks import assert_valid, diff
from tests.support.yaml_texts import node, parameter, pipeline, train_py

TEXT = train_py(
    "parameters:\n"
    + parameter("lr", "float", 0.01)
    + "inputs:\n  - name: data\n    default: s3://bucket/data.csv\n"
) + pipeline(
    "p",
    node(
        "train",
        body="""\
actions:
  - when: node-complete
    if: metadata.accuracy > 0.9
    then: stop-pipeline
  - when: [node-starting, node-error]  # unusual: a list
    then: noop
""",
    ),
)


@pytest.fixture
def doc() -> YamlDocument:
    return YamlDocument.from_text(TEXT)


def node(doc: YamlDocument) -> dict:
    return yaml.safe_load(doc.text)[1]["pipeline"]["nodes"][0]


def test_override_values_are_added_changed_and_cleared(doc: YamlDocument) -> None:
    node_edits.set_override_field(doc, "p", "train", "image", "python:3.13")
    node_edits.set_override_value(doc, "p", "train", "parameters", "lr", 0.1)
    node_edits.set_override_value(doc, "p", "train", "inputs", "data", ["a.csv", "b.csv"])
    node_edits.set_override_value(doc, "p", "train", "environment-variables", "SEED", "3")
    assert node(doc)["override"] == {
        "image": "python:3.13",
        "parameters": [{"name": "lr", "default": 0.1}],
        "inputs": [{"name": "data", "default": ["a.csv", "b.csv"]}],
        "environment-variables": [{"name": "SEED", "default": "3"}],
    }
    removed, _added = diff(TEXT, doc.text)
    assert removed == []
    assert_valid(doc.text)
    node_edits.set_override_value(doc, "p", "train", "parameters", "lr", 0.2)
    assert node(doc)["override"]["parameters"] == [{"name": "lr", "default": 0.2}]
    for table, name in (("parameters", "lr"), ("inputs", "data"), ("environment-variables", "SEED")):
        node_edits.set_override_value(doc, "p", "train", table, name, None)
    node_edits.set_override_field(doc, "p", "train", "image", None)
    assert doc.text == TEXT  # everything cleared: no override left


def test_override_refuses_unknown_names_and_keys(doc: YamlDocument) -> None:
    with pytest.raises(UnknownNameError, match='no parameter named "epochs"'):
        node_edits.set_override_value(doc, "p", "train", "parameters", "epochs", 3)
    with pytest.raises(EditError, match="override key must be one of"):
        node_edits.set_override_field(doc, "p", "train", "colour", "red")
    with pytest.raises(EditError, match="override key"):
        node_edits.set_override_extra(doc, "p", "train", {"paramters": []})
    assert doc.text == TEXT


def test_advanced_override_keeps_structured_keys(doc: YamlDocument) -> None:
    node_edits.set_override_field(doc, "p", "train", "command", "python train.py --fast")
    node_edits.set_override_extra(doc, "p", "train", {"environment": "gpu-large", "autorestart": True})
    assert node(doc)["override"] == {
        "command": "python train.py --fast",
        "environment": "gpu-large",
        "autorestart": True,
    }
    node_edits.set_override_extra(doc, "p", "train", None)
    assert node(doc)["override"] == {"command": "python train.py --fast"}
    assert_valid(doc.text)


def test_actions_add_edit_remove_keep_unusual_rows(doc: YamlDocument) -> None:
    node_edits.set_action_field(doc, "p", "train", 0, "if", "metadata.accuracy > 0.95")
    assert diff(TEXT, doc.text) == (
        ["            if: metadata.accuracy > 0.9"],
        ["            if: metadata.accuracy > 0.95"],
    )
    node_edits.add_action(doc, "p", "train", {"when": "node-complete", "then": "require-approval"})
    node_edits.remove_action(doc, "p", "train", 0)
    actions = node(doc)["actions"]
    assert actions == [
        {"when": ["node-starting", "node-error"], "then": "noop"},
        {"when": "node-complete", "then": "require-approval"},
    ]
    assert "          - when: [node-starting, node-error]  # unusual: a list\n" in doc.text
    assert_valid(doc.text)
    for key, value, message in (
        ("then", "explode", "then must be one of"),
        ("when", None, "needs a 'when'"),
        ("if", "", "if is an expression"),
    ):
        with pytest.raises(EditError, match=message):
            node_edits.set_action_field(doc, "p", "train", 1, key, value)
    with pytest.raises(UnknownNameError, match="no action number 5"):
        node_edits.remove_action(doc, "p", "train", 4)
    node_edits.remove_action(doc, "p", "train", 0)
    node_edits.remove_action(doc, "p", "train", 0)
    assert "actions" not in node(doc)
    assert_valid(doc.text)
