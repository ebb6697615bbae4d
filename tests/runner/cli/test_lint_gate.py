"""``run`` and ``watch`` start nothing from a config that lint refuses: exit 2 with lint's own
messages (file:line:column and the fix), no run recorded, no container created."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runner.api import LintRefused, plan_run
from runner.config import load_text
from runner.store.db import RunStore
from tests.support.paths import REPO

BROKEN = """\
- step:
    name: train
    image: busybox
    command: python train.py {parameters}
    parameters:
      - name: epochs
        type: integer
        default: ten
- step:
    name: other
    image: 123
    command: echo
- pipeline:
    name: p
    nodes: [{name: train, step: train, type: execution}]
    edges: []
"""


def _cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {"PIPELINE_DESIGNER_HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "designer.cli", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("run", "{file}", "--step", "train", "--network", "none"),
        ("run", "{file}", "--pipeline", "p", "--network", "none"),
        ("watch", "{file}", "--pipeline", "p", "--every", "1h", "--network", "none"),
    ],
)
def test_a_config_lint_refuses_starts_nothing(project, home: Path, argv: tuple[str, ...]) -> None:
    path = project(BROKEN)
    result = _cli(home, *(a.replace("{file}", str(path)) for a in argv))
    assert result.returncode == 2, result.stderr
    assert "has 2 lint errors, so nothing was started" in result.stderr
    assert (
        "valohai.yaml:8:18: error: parameter \"epochs\" (integer): default 'ten' is refused" in result.stderr
    )
    assert "write a whole number such as 10" in result.stderr
    assert "valohai.yaml:11:12: error:" in result.stderr and "quote it ('123')" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "runs.sqlite3").exists() or RunStore(home / "runs.sqlite3").runs() == []


def test_the_designer_plans_its_unsaved_text_through_the_same_gate(tmp_path: Path) -> None:
    (tmp_path / "valohai.yaml").write_text(BROKEN)
    loaded = load_text(BROKEN, path=tmp_path / "valohai.yaml")
    with pytest.raises(LintRefused) as refused:
        plan_run(loaded, step="train")
    assert [(d.line, d.code) for d in refused.value.errors] == [
        (8, "parameter-default-type"),
        (11, "schema-type"),
    ]
    fixed = BROKEN.replace("default: ten", "default: 10").replace("image: 123", "image: busybox")
    assert plan_run(load_text(fixed, path=tmp_path / "valohai.yaml"), step="train").nodes.keys() == {"train"}


def test_warnings_do_not_stop_a_run(tmp_path: Path) -> None:
    text = BROKEN.replace("default: ten", "default: 10").replace("image: 123", "image: busybox")
    text = text.replace("python train.py {parameters}", 'echo "epochs {parameter-value:epochs}"')
    loaded = load_text(text, path=tmp_path / "valohai.yaml")
    assert plan_run(loaded, step="train").nodes.keys() == {"train"}


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("command: 42", "quote it ('42')"),
        ('command:\n      - echo {"a": 1}', "mapping because of the ': '"),
        ("image: 123\n    command: echo", "quote it ('123')"),
        (
            "command: echo $X\n    environment-variables: [{name: X, default: [1, 2]}]",
            "a list is not allowed",
        ),
        (
            "command: echo {parameters}\n    parameters: [{name: n, type: integer, default: abc}]",
            "whole number",
        ),
    ],
    ids=["command-42", "command-mapping", "image-123", "env-list-default", "integer-default-abc"],
)
def test_what_crashed_run_before_is_refused_by_lint_first(body: str, said: str, tmp_path: Path) -> None:
    """Each of these made `run` crash with a TypeError/ValueError traceback: now lint's error."""
    image = "" if body.startswith("image:") else "    image: busybox\n"
    text = f"- step:\n    name: s\n{image}    {body}\n"
    with pytest.raises(LintRefused) as refused:
        plan_run(load_text(text, path=tmp_path / "valohai.yaml"), step="s")
    assert len(refused.value.errors) == 1 and said in str(refused.value.errors[0].hint), refused.value.errors
