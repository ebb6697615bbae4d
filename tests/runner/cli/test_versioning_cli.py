"""Everything that just happened, version-controlled: the example pipeline run, train.py changed
and run again, then ``reproduce``, ``diff``, ``lineage`` and ``export``/``import`` through the
CLI on the real engine."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from designer.cli import main
from runner.store.paths import HOME_ENV
from tests.support.paths import EXAMPLES

pytestmark = pytest.mark.docker
CHANGED_LINE = "        log_metrics(epoch=epoch, loss=round(loss, 3), accuracy=round(accuracy, 3))\n"


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def _json(*argv: str) -> dict:
    code, text = _cli(*argv, "--json")
    assert code == 0, text
    return json.loads(text)


def _run(path: Path, image: str) -> str:
    engine = ("--network", "none", "--pull", "never", "--image-map", f"python:3.12-slim={image}")
    params = ("--param", "train.epoch_delay=0", "--param", "train.epochs=4")
    code, text = _cli("run", str(path), "--pipeline", "training-pipeline", *engine, *params)
    assert code == 0, text
    return str(_json("history")["runs"][0]["id"])


def test_reproduce_diff_lineage_and_export_import(
    tmp_path: Path, home: Path, python_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES, project, ignore=shutil.ignore_patterns("tabular-sweep", "valohai-utils", ".*"))
    yaml = project / "valohai.yaml"
    first = _run(yaml, python_image)
    train_py = project / "train.py"
    text = train_py.read_text()
    old_line = next(line for line in text.splitlines(keepends=True) if "log_metrics(epoch=epoch" in line)
    train_py.write_text(text.replace(old_line, CHANGED_LINE))
    second = _run(yaml, python_image)
    shown = {e["node"]: e for e in _json("show", second)["executions"]}
    assert shown["train"]["decision"] == "re-ran: train.py changed"
    assert shown["preprocess"]["status"] == "reused"
    first_train = {e["node"]: e for e in _json("show", first)["executions"]}["train"]
    assert shown["train"]["last_metadata"]["loss"] != first_train["last_metadata"]["loss"]

    # reproduce the first run's train: its stored code, not the changed train.py
    result = _json("reproduce", f"{first}/train", "--network", "none", "--pull", "never")
    assert result["nodes"] == [
        {
            "node": "train",
            "original": first_train["id"],
            "status": "succeeded",
            "identical": True,
            "outputs_same": True,
            "metrics_same": True,
            "differences": [],
        }
    ]
    again = {e["node"]: e for e in _json("show", result["run"])["executions"]}["train"]
    assert again["last_metadata"] == first_train["last_metadata"]
    assert {o["sha256"] for o in again["outputs"]} == {o["sha256"] for o in first_train["outputs"]}

    # diff names train.py and shows the changed line
    code, text = _cli("diff", first, second)
    assert code == 0 and "changed: train.py" in text
    assert f"-{old_line}" in text and f"+{CHANGED_LINE}" in text
    diff = _json("diff", first, second)
    assert [c["path"] for c in diff["code"]] == ["train.py"]
    train_diff = next(e for e in diff["executions"] if e["node"] == "train")
    assert {m["name"] for m in train_diff["metrics"]} >= {"loss"}

    # lineage of the evaluated model: back through train to preprocess and its input
    lineage = _json("lineage", f"{second}/evaluate/model.npz")
    made = lineage["file"]["producer"]
    assert (made["run"], made["node"]) == (second, "train")
    dataset = made["inputs"][0]
    assert dataset["input"] == "dataset" and dataset["from"]["node"] == "preprocess"
    raw = dataset["from"]["inputs"][0]
    assert raw["name"] == "flowers.csv" and raw["from"] == "outside"
    # Across runs by content: the changed line only rounds the printed metrics, so both runs
    # trained the same model bytes and both evaluates consumed it.
    assert [(c["run"], c["node"]) for c in lineage["file"]["consumers"]] == [
        (first, "evaluate"),
        (second, "evaluate"),
    ]

    # export -> import on a fresh data folder: the same show --json (logs moved with the run)
    archive = tmp_path / "run.tar.gz"
    assert _cli("export", second, "--to", str(archive))[0] == 0
    before = _json("show", second)
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "colleague"))
    code, text = _cli("import", str(archive))
    assert code == 0, text
    after = _json("show", second)
    for shown_run in (before, after):
        for execution in shown_run["executions"]:
            execution["log_path"] = Path(execution["log_path"]).name
    assert after == before
    imported = {e["node"]: e for e in _json("show", second)["executions"]}["train"]
    assert (
        "finished: succeeded" in Path(_json("show", f"{second}/train")["execution"]["log_path"]).read_text()
    )
    assert imported["snapshot_id"] == shown["train"]["snapshot_id"]
    assert _cli("diff", second, second)[0] == 0  # the colleague's store has the code snapshot
