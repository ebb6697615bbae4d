"""Run tags, notes and the run listing's filters: the store API and the CLI over it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from runner.store.db import RunStore
from runner.store.paths import HOME_ENV


def _seed(store: RunStore) -> None:
    """Four runs: two of a.yaml's pipeline p (lr 0.1 / 0.2), one of b.yaml, one task sweep."""
    rows = [
        ("r1", "/w/a.yaml", "p", "succeeded", {"train": {"lr": 0.1, "opt": "adam", "shuffle": True}}),
        ("r2", "/w/a.yaml", "p", "failed", {"train": {"lr": 0.2, "opt": "sgd", "shuffle": False}}),
        ("r3", "/w/b.yaml", "q", "succeeded", {"prep": {"lr": 0.1}}),
        ("r4", "/w/a.yaml", "p", "succeeded", {"train#1": {"lr": 0.3}, "train#2": {"lr": 0.4}}),
    ]
    for i, (run_id, path, pipeline, status, nodes) in enumerate(rows):
        store.create_run(run_id, pipeline=pipeline, yaml_path=path, started=float(i), status=status)
        for node, params in nodes.items():
            store.upsert_execution(
                f"{run_id}-{node}", run_id=run_id, node=node, status=status, parameters=params
            )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = RunStore(tmp_path / "runs.sqlite3")
    _seed(s)
    yield s
    s.close()


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


def test_filters_combine(store: RunStore) -> None:
    assert _ids(store.runs()) == ["r4", "r3", "r2", "r1"]
    assert _ids(store.runs(file="/w/a.yaml")) == ["r4", "r2", "r1"]
    assert _ids(store.runs(pipeline="q")) == ["r3"]
    assert _ids(store.runs(status="failed")) == ["r2"]
    assert _ids(store.runs(status=["failed", "succeeded"], file="/w/b.yaml")) == ["r3"]
    assert _ids(store.runs(params={"lr": 0.1})) == ["r3", "r1"]
    assert _ids(store.runs(params={"train.lr": 0.1})) == ["r1"]
    assert _ids(store.runs(params={"train.lr": 0.4})) == ["r4"]  # a task's executions are train's
    assert _ids(store.runs(params={"train.opt": "sgd", "train.lr": 0.2})) == ["r2"]
    assert _ids(store.runs(params={"train.opt": "sgd", "train.lr": 0.1})) == []
    assert _ids(store.runs(limit=1, file="/w/a.yaml")) == ["r4"]


def test_parameter_values_typed_as_text_match_what_they_read_as(store: RunStore) -> None:
    assert _ids(store.runs(params={"lr": "0.10"})) == ["r3", "r1"]
    assert _ids(store.runs(params={"shuffle": "true"})) == ["r1"]
    assert _ids(store.runs(params={"shuffle": "false"})) == ["r2"]
    assert _ids(store.runs(params={"shuffle": 1})) == []  # a flag is not the number 1
    assert _ids(store.runs(params={"opt": "adam"})) == ["r1"]


def test_tags_and_notes(store: RunStore) -> None:
    assert store.set_run_tags("r1", ["best", "paper", "best", "  "]) == ["best", "paper"]
    store.set_run_tags("r2", ["paper"])
    assert _ids(store.runs(tag="paper")) == ["r2", "r1"]
    assert _ids(store.runs(tag=["paper", "best"])) == ["r1"]
    assert store.runs(tag="best")[0]["tags"] == ["best", "paper"]
    assert store.all_tags() == ["best", "paper"]
    store.set_run_tags("r1", [])
    assert store.run("r1")["tags"] == [] and store.all_tags() == ["paper"]
    store.set_run_note("r2", "lr too high: diverged")
    assert store.run("r2")["note"] == "lr too high: diverged"
    store.set_run_note("r2", "")
    assert store.run("r2")["note"] is None
    with pytest.raises(KeyError):
        store.set_run_tags("nope", ["x"])
    with pytest.raises(KeyError):
        store.set_run_note("nope", "x")


def _cli(args: list[str]) -> tuple[int, str]:
    from designer.cli import main

    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


def test_cli_tag_note_and_filtered_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    s = RunStore(home / "runs.sqlite3")
    _seed(s)
    s.close()
    assert _cli(["tag", "r1", "best", "paper"]) == (0, "r1: best, paper\n")
    assert _cli(["tag", "r1", "--remove", "paper"]) == (0, "r1: best\n")
    assert _cli(["note", "r1", "first good one"]) == (0, "first good one\n")
    code, text = _cli(["history", "--tag", "best"])
    assert code == 0 and text.startswith("r1 ") and "[best]" in text and len(text.splitlines()) == 1
    code, text = _cli(["history", "--json", "--param", "train.lr=0.2"])
    runs = json.loads(text)["runs"]
    assert [r["id"] for r in runs] == ["r2"] and runs[0]["tags"] == [] and runs[0]["note"] is None
    code, text = _cli(["history", "--json", "--pipeline", "p", "--status", "succeeded"])
    assert [r["id"] for r in json.loads(text)["runs"]] == ["r4", "r1"]
    code, text = _cli(["show", "r1"])
    assert "tags: best" in text and "note: first good one" in text
    capsys.readouterr()
    assert _cli(["tag", "r1/train", "x"])[0] == 1
    assert "belong to a run" in capsys.readouterr().err
    assert _cli(["history", "--param", "lr"])[0] == 1
    assert "[NODE.]NAME=VALUE" in capsys.readouterr().err
