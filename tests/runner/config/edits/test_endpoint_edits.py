"""Endpoints and deployment nodes: fields validated, renames follow node lists and file edges."""

from __future__ import annotations

import pytest
import yaml

from runner.config import endpoint_edits as ee
from runner.config.document import YamlDocument
from runner.config.errors import DuplicateNameError, EditError, UnknownNameError
from tests.support.edit_checks import assert_valid, diff
from tests.support.yaml_texts import node, pipeline, step

TEXT = (
    step("train", image="python:3.12", command="python train.py")
    + """\
- endpoint:
    name: predict
    image: python:3.12
    server-command: python serve.py
    port: 8000
    files:
      - name: model
        path: model.pkl
"""
    + pipeline(
        "p",
        node("train"),
        node("deploy", "prod", kind="deployment", body="endpoints: [predict]\n"),
        edges=["[train.output.model.pkl, deploy.file.predict.model]"],
    )
)


@pytest.fixture
def doc() -> YamlDocument:
    return YamlDocument.from_text(TEXT)


def test_rename_endpoint_and_file_follow_nodes_and_edges(doc: YamlDocument) -> None:
    ee.set_endpoint_field(doc, "predict", "name", "predict-v2")
    assert diff(TEXT, doc.text) == (
        [
            "    name: predict",
            "        endpoints: [predict]",
            "      - [train.output.model.pkl, deploy.file.predict.model]",
        ],
        [
            "    name: predict-v2",
            "        endpoints: [predict-v2]",
            "      - [train.output.model.pkl, deploy.file.predict-v2.model]",
        ],
    )
    ee.set_endpoint_file_field(doc, "predict-v2", "model", "name", "weights")
    assert "      - [train.output.model.pkl, deploy.file.predict-v2.weights]\n" in doc.text
    assert_valid(doc.text)
    for bad in ("Predict", "p", "9lives", "has_underscore"):
        with pytest.raises(EditError, match="lowercase"):
            ee.rename_endpoint(doc, "predict-v2", bad)


def test_endpoint_fields(doc: YamlDocument) -> None:
    ee.set_endpoint_field(doc, "predict", "port", 8080)
    ee.set_endpoint_field(doc, "predict", "wsgi", "serve:app")
    ee.set_endpoint_field(doc, "predict", "description", "Scores one row")
    body = yaml.safe_load(doc.text)[1]["endpoint"]
    assert body["port"] == 8080 and body["wsgi"] == "serve:app" and "server-command" not in body
    assert_valid(doc.text)
    with pytest.raises(EditError, match="between 1025 and 65535"):
        ee.set_endpoint_field(doc, "predict", "port", 80)
    with pytest.raises(EditError, match="server command or a WSGI"):
        ee.set_endpoint_field(doc, "predict", "wsgi", None)
    with pytest.raises(EditError, match="needs a Docker image"):
        ee.set_endpoint_field(doc, "predict", "image", "  ")


def test_add_and_remove_endpoints_and_files(doc: YamlDocument) -> None:
    ee.add_endpoint(doc, "explain", "python:3.12")
    ee.add_endpoint_file(doc, "explain", "shap", "shap.pkl")
    with pytest.raises(DuplicateNameError):
        ee.add_endpoint(doc, "explain", "python:3.12")
    with pytest.raises(EditError, match="cannot contain"):
        ee.add_endpoint_file(doc, "explain", "a.b", "x")
    removed, added = diff(TEXT, doc.text)
    assert removed == [] and added[:2] == ["- endpoint:", "    name: explain"]
    assert doc.text.index("name: explain") < doc.text.index("- pipeline:")  # next to the other endpoint
    assert_valid(doc.text)
    ee.remove_endpoint_file(doc, "predict", "model")
    assert "deploy.file.predict.model" not in doc.text
    ee.remove_endpoint(doc, "predict")
    node = yaml.safe_load(doc.text)[2]["pipeline"]["nodes"][1]
    assert node["endpoints"] == []
    assert_valid(doc.text)


def test_deployment_node_fields_and_add(doc: YamlDocument) -> None:
    ee.add_endpoint(doc, "explain", "python:3.12")
    ee.set_deployment_node_field(doc, "p", "deploy", "endpoints", ["predict", "explain"])
    ee.set_deployment_node_field(doc, "p", "deploy", "aliases", ["staging"])
    assert "        endpoints: [predict, explain]\n" in doc.text
    ee.set_deployment_node_field(doc, "p", "deploy", "endpoints", ["explain"])
    assert "deploy.file.predict.model" not in doc.text  # the dropped endpoint's file edge goes too
    with pytest.raises(UnknownNameError, match='no endpoint named "nope"'):
        ee.set_deployment_node_field(doc, "p", "deploy", "endpoints", ["nope"])
    with pytest.raises(EditError, match="not a deployment node"):
        ee.set_deployment_node_field(doc, "p", "train", "aliases", ["x"])
    ee.add_deployment_node(doc, "p", "deploy-2", "prod", ["predict"])
    assert yaml.safe_load(doc.text)[3]["pipeline"]["nodes"][2] == {
        "name": "deploy-2",
        "type": "deployment",
        "deployment": "prod",
        "endpoints": ["predict"],
    }
    assert_valid(doc.text)
