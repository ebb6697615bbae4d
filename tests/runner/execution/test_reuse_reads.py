"""The edit -> save -> run loop on the real engine: a node re-runs only when something it read
changed, saving the YAML or leaving an editor backup re-runs nothing, and a step whose reads the
runner cannot see re-runs on any code change. Each decision says which rule decided."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runner.config.document import YamlDocument
from runner.config.sidecar import Layout
from runner.events import ReuseDecided
from runner.store.db import RunStore

YAML = """\
- step:
    name: prepare
    image: python:3.12-slim
    command: python prepare.py
- step:
    name: train
    image: python:3.12-slim
    command: python train.py
    inputs: [{name: data}]
- step:
    name: evaluate
    image: python:3.12-slim
    command: python evaluate.py
    inputs: [{name: model}]
- step:
    name: report
    image: python:3.12-slim
    command: python report.py
- pipeline:
    name: loop
    nodes:
      - {name: prepare, type: execution, step: prepare}
      - {name: train, type: execution, step: train}
      - {name: evaluate, type: execution, step: evaluate}
    edges:
      - [prepare.output.data.txt, train.input.data]
      - [train.output.model.txt, evaluate.input.model]
"""
OUT = "import os\nOUT = os.environ['VH_OUTPUTS_DIR']\n"
FILES = {
    "prepare.py": OUT + "import common\nopen(OUT + '/data.txt', 'w').write(common.DATA)\n",
    "common.py": "DATA = '1 2 3\\n'\n",
    "train.py": OUT
    + "import train_utils\ndata = open('/valohai/inputs/data/data.txt').read()\n"
    + "open(OUT + '/model.txt', 'w').write(train_utils.fit(data))\n",
    "train_utils.py": "def fit(text):\n    return str(sum(int(x) for x in text.split()))\n",
    "evaluate.py": "import json\nimport eval_utils\nmodel = open('/valohai/inputs/model/model.txt').read()\n"
    + "print(json.dumps({'score': eval_utils.score(model)}))\n",
    "eval_utils.py": "def score(model):\n    return int(model) / 10\n",
    "report.py": "import subprocess\nsubprocess.run(['cat', 'notes.txt'], check=True)\n",
    "notes.txt": "notes\n",
}


def _decisions(outcome: Any) -> dict[str, tuple[bool, str]]:
    return {e.node: (e.reused, e.reason) for e in outcome.events if isinstance(e, ReuseDecided)}


@pytest.mark.docker
def test_a_node_reruns_only_when_something_it_read_changed(
    project: Callable[..., Path], run_yaml: Callable[..., Any], home: Path
) -> None:
    path = project(YAML, **FILES)
    root = path.parent
    first = run_yaml(path, pipeline="loop")
    assert first.status == "succeeded"
    assert _decisions(first)["train"] == (False, "ran: no earlier execution of train")

    # Ordinary work that changes no code: a README, an editor backup, saving after a node move.
    (root / "README.md").write_text("# notes\n")
    (root / "train.py~").write_text("old train\n")
    doc = YamlDocument.load(path)
    doc.save()  # writes valohai.yaml.bak too
    layout, _warnings = Layout.load(path)
    layout.set_position("loop", "train", (320.0, 40.0))
    layout.save(path)
    assert (root / "valohai.yaml.bak").exists() and (root / ".valohai.designer.json").exists()
    second = run_yaml(path, pipeline="loop")
    decisions = _decisions(second)
    assert {n: r for n, (r, _why) in decisions.items()} == {"prepare": True, "train": True, "evaluate": True}
    assert decisions["train"][1] == "reused: none of the 2 files train read changed"
    assert decisions["evaluate"][1] == "reused: none of the 2 files evaluate read changed"

    # Editing evaluate.py re-runs evaluate only.
    (root / "evaluate.py").write_text(FILES["evaluate.py"] + "# tuned\n")
    third = run_yaml(path, pipeline="loop")
    decisions = _decisions(third)
    assert decisions["evaluate"] == (False, "re-ran: evaluate.py changed")
    assert decisions["prepare"][0] and decisions["train"][0]

    # A module only train imports: train re-runs; its output is byte-identical, so evaluate is reused.
    (root / "train_utils.py").write_text("# faster, same result\n" + FILES["train_utils.py"])
    fourth = run_yaml(path, pipeline="loop")
    decisions = _decisions(fourth)
    assert decisions["train"] == (False, "re-ran: train_utils.py changed")
    assert decisions["evaluate"][0] and decisions["prepare"][0]
    assert fourth.statuses() == {"prepare": "reused", "train": "succeeded", "evaluate": "reused"}

    store = RunStore(home / "runs.sqlite3")
    try:
        train = store.execution(fourth.run_id, "train")
        assert train is not None and train["decision"] == "re-ran: train_utils.py changed"
        deps = train["reads"]["dependencies"]
        assert {"f:train.py", "f:train_utils.py"} <= set(deps) and "f:evaluate.py" not in deps
    finally:
        store.close()


@pytest.mark.docker
def test_a_step_that_shells_out_reruns_on_any_code_change(
    project: Callable[..., Path], run_yaml: Callable[..., Any]
) -> None:
    path = project(YAML, **FILES)
    first = run_yaml(path, step="report")
    assert first.status == "succeeded"
    again = run_yaml(path, step="report")
    assert _decisions(again)["report"] == (True, "reused: nothing in the code folder changed (it ran cat)")
    (path.parent / "unrelated.py").write_text("x = 1\n")
    third = run_yaml(path, step="report")
    assert _decisions(third)["report"] == (
        False,
        "re-ran: unrelated.py changed (it ran cat, so any code change counts)",
    )
