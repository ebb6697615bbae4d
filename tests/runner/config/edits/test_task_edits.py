"""Sweep edits: blueprints (``- task:``), their variant parameters and the task nodes using them."""

from __future__ import annotations

import pytest
import yaml

from runner.config import task_edits
from runner.config.document import YamlDocument
from runner.config.errors import DuplicateNameError, EditError, UnknownNameError
from runner.config.node_edits import set_node_type
from tests.support.edit_checks import assert_valid, diff
from tests.support.yaml_texts import LEARNING_RATE_EPOCHS, SWEEP_PIPELINE, step

TEXT = (
    step(
        "train",
        image="python:3.12  # pinned",
        command="python train.py {parameters}",
        body=LEARNING_RATE_EPOCHS,
    )
    + """
- task:
    name: lr-sweep
    step: train
    type: grid_search
    parameters:
      - name: learning-rate
        style: multiple
        rules: {items: [0.1, 0.01]}

"""
    + SWEEP_PIPELINE
)


@pytest.fixture
def doc() -> YamlDocument:
    return YamlDocument.from_text(TEXT)


def task(doc: YamlDocument, name: str) -> dict:
    return next(i["task"] for i in yaml.safe_load(doc.text) if i.get("task", {}).get("name") == name)


def test_create_sweep_adds_a_blueprint_and_points_the_node_at_it(doc: YamlDocument) -> None:
    name = task_edits.create_sweep(doc, "p", "train")
    assert name == "train"
    assert task(doc, "train") == {
        "name": "train",
        "step": "train",
        "type": "grid_search",
        "parameters": [{"name": "learning-rate", "style": "multiple", "rules": {"items": [0.01]}}],
    }
    removed, added = diff(TEXT, doc.text)
    assert removed == ["        type: execution", "        step: train"]
    assert "        type: task" in added and "        task: train" in added
    assert doc.text.index("- task:\n    name: train") > doc.text.index(
        "name: lr-sweep"
    )  # after the last task
    assert_valid(doc.text)
    # A second sweep of a node with that name gets a unique blueprint name.
    set_node_type(doc, "p", "train", "execution")
    assert "        step: train\n" in doc.text.split("- pipeline:")[1]
    assert task_edits.create_sweep(doc, "p", "train") == "train-2"
    assert_valid(doc.text)


def test_create_sweep_refuses_a_node_already_on_a_blueprint(doc: YamlDocument) -> None:
    with pytest.raises(EditError, match="no step to sweep"):
        task_edits.create_sweep(doc, "p", "sweep")
    assert doc.text == TEXT


def test_node_type_switch_execution_task(doc: YamlDocument) -> None:
    set_node_type(doc, "p", "train", "task")
    assert diff(TEXT, doc.text) == (["        type: execution"], ["        type: task"])
    set_node_type(doc, "p", "sweep", "execution")
    node = yaml.safe_load(doc.text)[2]["pipeline"]["nodes"][1]
    assert node == {"name": "sweep", "type": "execution", "step": "train"}
    assert_valid(doc.text)
    with pytest.raises(EditError, match="type must be one of"):
        set_node_type(doc, "p", "train", "deployment")


def test_task_fields_are_validated(doc: YamlDocument) -> None:
    task_edits.set_task_field(doc, "lr-sweep", "type", "random_search")
    task_edits.set_task_field(doc, "lr-sweep", "execution-count", 12)
    task_edits.set_task_field(doc, "lr-sweep", "on-child-error", "continue-and-complete")
    task_edits.set_task_field(doc, "lr-sweep", "stop-condition", "metadata.loss < 0.1")
    removed, added = diff(TEXT, doc.text)
    assert removed == ["    type: grid_search"]
    assert added == [
        "    type: random_search",
        "    execution-count: 12",
        "    on-child-error: continue-and-complete",
        "    stop-condition: metadata.loss < 0.1",
    ]
    assert_valid(doc.text)
    before = doc.text
    for key, value, message in [
        ("type", "bayes", "type must be one of"),
        ("execution-count", 0, "at least 1"),
        ("execution-count", 2.5, "whole number"),
        ("on-child-error", "panic", "on-child-error must be one of"),
        ("colour", "red", "task field"),
    ]:
        with pytest.raises(EditError, match=message):
            task_edits.set_task_field(doc, "lr-sweep", key, value)
    assert doc.text == before
    task_edits.set_task_field(doc, "lr-sweep", "execution-count", None)
    assert "execution-count" not in doc.text


def test_rename_task_follows_task_nodes(doc: YamlDocument) -> None:
    task_edits.set_task_field(doc, "lr-sweep", "name", "search")
    assert diff(TEXT, doc.text) == (
        ["    name: lr-sweep", "        task: lr-sweep"],
        ["    name: search", "        task: search"],
    )
    task_edits.create_sweep(doc, "p", "train")
    with pytest.raises(DuplicateNameError):
        task_edits.rename_task(doc, "search", "train")


def test_variants_add_style_rules_remove(doc: YamlDocument) -> None:
    task_edits.add_variant(doc, "lr-sweep", "epochs", "linear")
    assert task(doc, "lr-sweep")["parameters"][1] == {
        "name": "epochs",
        "style": "linear",
        "rules": {"start": 0, "end": 1, "step": 0.1},
    }
    task_edits.set_variant_rule(doc, "lr-sweep", "epochs", "end", 10)
    task_edits.set_variant_rule(doc, "lr-sweep", "epochs", "step", 2)
    assert task(doc, "lr-sweep")["parameters"][1]["rules"] == {"start": 0, "end": 10, "step": 2}
    assert_valid(doc.text)
    # Style change keeps what the new style reads and fills the rest.
    task_edits.set_variant_style(doc, "lr-sweep", "epochs", "logspace")
    assert task(doc, "lr-sweep")["parameters"][1]["rules"] == {"start": 0, "end": 10, "count": 4}
    task_edits.set_variant_style(doc, "lr-sweep", "learning-rate", "single")
    assert task(doc, "lr-sweep")["parameters"][0]["rules"] == {"value": 0.1}
    assert_valid(doc.text)
    with pytest.raises(EditError, match="no rule 'step'"):
        task_edits.set_variant_rule(doc, "lr-sweep", "epochs", "step", 1)
    with pytest.raises(EditError, match="needs start"):
        task_edits.set_variant_rule(doc, "lr-sweep", "epochs", "start", None)
    with pytest.raises(EditError, match="count must be a whole number"):
        task_edits.set_variant_rule(doc, "lr-sweep", "epochs", "count", "many")
    with pytest.raises(DuplicateNameError):
        task_edits.add_variant(doc, "lr-sweep", "epochs")
    with pytest.raises(UnknownNameError, match='no parameter named "batch"'):
        task_edits.add_variant(doc, "lr-sweep", "batch")
    task_edits.remove_variant(doc, "lr-sweep", "epochs")
    task_edits.set_variant_parameter(doc, "lr-sweep", "learning-rate", "epochs")
    assert [v["name"] for v in task(doc, "lr-sweep")["parameters"]] == ["epochs"]
    assert_valid(doc.text)


def test_items_written_inline_and_random_rules(doc: YamlDocument) -> None:
    task_edits.set_variant_rule(doc, "lr-sweep", "learning-rate", "items", [0.1, 0.01, 0.001])
    assert diff(TEXT, doc.text) == (
        ["        rules: {items: [0.1, 0.01]}"],
        ["        rules: {items: [0.1, 0.01, 0.001]}"],
    )
    task_edits.set_variant_style(doc, "lr-sweep", "learning-rate", "random")
    for key, value in (("seed", 7), ("integerify", False), ("distribution", "loguniform"), ("count", 3)):
        task_edits.set_variant_rule(doc, "lr-sweep", "learning-rate", key, value)
    assert task(doc, "lr-sweep")["parameters"][0]["rules"] == {
        "min": 0,
        "max": 1,
        "seed": 7,
        "integerify": False,
        "distribution": "loguniform",
        "count": 3,
    }
    with pytest.raises(EditError, match="distribution must be one of"):
        task_edits.set_variant_rule(doc, "lr-sweep", "learning-rate", "distribution", "poisson")
    assert_valid(doc.text)


def test_parameter_sets(doc: YamlDocument) -> None:
    task_edits.set_task_field(doc, "lr-sweep", "type", "manual_search")
    task_edits.set_parameter_sets(doc, "lr-sweep", [{"learning-rate": 0.1, "epochs": 3}, {"epochs": 9}])
    assert task(doc, "lr-sweep")["parameter-sets"] == [{"learning-rate": 0.1, "epochs": 3}, {"epochs": 9}]
    assert_valid(doc.text)
    with pytest.raises(UnknownNameError, match='no parameter named "depth"'):
        task_edits.set_parameter_sets(doc, "lr-sweep", [{"depth": 3}])
    with pytest.raises(EditError, match="list of mappings"):
        task_edits.set_parameter_sets(doc, "lr-sweep", [3])  # type: ignore[list-item]
    task_edits.set_parameter_sets(doc, "lr-sweep", None)
    assert "parameter-sets" not in doc.text
