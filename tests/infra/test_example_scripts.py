"""The bundled example (examples/) is a valid config whose three scripts really run in sequence.

Each step gets its own tree mirroring /valohai/{inputs,outputs,config}, the command line is the one
valohai-yaml renders from the YAML, and the pipeline's edges are followed by hand: output files to
inputs, a parameter to a parameter, the latest metadata value to a parameter.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
import valohai_yaml
from valohai_yaml.lint import lint_file

from tests.support.paths import REPO

EXAMPLES = REPO / "examples"
YAML = EXAMPLES / "valohai.yaml"
FAST = {"epoch_delay": 0.0}  # the example pauses between epochs for live plots; tests need not


def _config() -> valohai_yaml.objs.Config:
    return valohai_yaml.parse(YAML.read_text())


def _values(step_name: str, overrides: dict[str, object] | None = None) -> dict[str, object]:
    step = _config().steps[step_name]
    values = {name: p.default for name, p in step.parameters.items() if p.default is not None}
    values.update(overrides or {})
    return values


def _metadata(stdout: str) -> list[dict[str, object]]:
    records = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            records.append(json.loads(line))
    return records


def _prepare_tree(
    root: Path, step_name: str, inputs: dict[str, list[Path]], overrides: dict[str, object] | None
) -> tuple[Path, str]:
    """A folder mirroring /valohai/{config,inputs,outputs} for one step, and its rendered command."""
    tree = root / step_name
    for sub in ("config", "outputs", "inputs"):
        (tree / sub).mkdir(parents=True)
    for name, files in inputs.items():
        (tree / "inputs" / name).mkdir(parents=True)
        for f in files:
            shutil.copy(f, tree / "inputs" / name / f.name)
    values = _values(step_name, overrides)
    (tree / "config" / "parameters.json").write_text(json.dumps(values))
    (command,) = _config().steps[step_name].build_command(values)
    return tree, command


def _run_step(
    root: Path, step_name: str, inputs: dict[str, list[Path]], overrides: dict[str, object] | None = None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run one step as the runner would, with python3 on this machine instead of a container."""
    tree, command = _prepare_tree(root, step_name, inputs, overrides)
    argv = shlex.split(command)
    assert argv[0] == "python"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "VH_CONFIG_DIR": str(tree / "config"),
        "VH_INPUTS_DIR": str(tree / "inputs"),
        "VH_OUTPUTS_DIR": str(tree / "outputs"),
    }
    result = subprocess.run(
        [sys.executable, *argv[1:]], cwd=EXAMPLES, env=env, capture_output=True, text=True, timeout=120
    )
    return result, tree / "outputs"


def _edge_files(outputs: Path, pattern: str) -> list[Path]:
    return sorted(
        p for p in outputs.rglob("*") if p.is_file() and fnmatch(str(p.relative_to(outputs)), pattern)
    )


def test_example_yaml_is_valid_for_valohai_yaml_and_our_lint() -> None:
    result = lint_file(str(YAML))
    assert result.is_valid(), [m["message"] for m in result.messages]
    assert [m for m in result.messages if m["type"] in {"error", "warning"}] == []

    from runner.config import lint, load

    assert [d for d in lint(load(YAML)) if d.severity in {"error", "warning"}] == []


def test_example_has_the_promised_shape() -> None:
    config = _config()
    assert list(config.steps) == ["preprocess", "train", "evaluate"]
    train = config.steps["train"].parameters
    assert (train["epochs"].type, train["learning_rate"].type, train["shuffle"].type) == (
        "integer",
        "float",
        "flag",
    )
    assert train["optimizer"].choices == ["sgd", "momentum", "adam"]
    pipeline = config.pipelines["training-pipeline"]
    assert [n.name for n in pipeline.nodes] == ["preprocess", "train", "evaluate"]
    assert {(e.source, e.target) for e in pipeline.edges} >= {
        ("preprocess.output.train.csv", "train.input.dataset"),
        ("train.output.model*", "evaluate.input.model"),
        ("preprocess.output.test.csv", "evaluate.input.test"),
    }
    default = config.steps["preprocess"].inputs["dataset"].default
    assert (EXAMPLES / default).is_file()


def test_committed_data_is_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "generate_flowers", EXAMPLES / "data" / "generate_flowers.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert (EXAMPLES / "data" / "flowers.csv").read_text() == module.render()


def test_three_scripts_run_in_sequence_following_the_edges(tmp_path: Path) -> None:
    data = EXAMPLES / "data" / "flowers.csv"
    pre, pre_out = _run_step(tmp_path, "preprocess", {"dataset": [data]}, {"seed": 7})
    assert pre.returncode == 0, pre.stderr
    assert sorted(p.name for p in pre_out.iterdir()) == ["stats.json", "test.csv", "train.csv"]
    assert _metadata(pre.stdout) == [{"rows": 240, "train_rows": 180, "test_rows": 60, "classes": 3}]

    # Edges: preprocess.output.train.csv -> train.input.dataset,
    # preprocess.parameter.seed -> train.parameter.seed
    train, train_out = _run_step(
        tmp_path, "train", {"dataset": _edge_files(pre_out, "train.csv")}, {**FAST, "epochs": 12, "seed": 7}
    )
    assert train.returncode == 0, train.stderr
    epochs = _metadata(train.stdout)
    assert [r["epoch"] for r in epochs] == list(range(1, 13))
    assert set(epochs[0]) == {"epoch", "loss", "accuracy"}
    assert epochs[-1]["loss"] < epochs[0]["loss"]
    assert epochs[-1]["accuracy"] > 0.8
    model_files = _edge_files(train_out, "model*")
    assert [p.name for p in model_files] == ["model.json", "model.npz"]

    # Edges: train.output.model* -> evaluate.input.model, preprocess.output.test.csv -> evaluate.input.test,
    # train.metadata.accuracy -> evaluate.parameter.train_accuracy (its latest value).
    latest_accuracy = [r["accuracy"] for r in epochs if "accuracy" in r][-1]
    evaluate, eval_out = _run_step(
        tmp_path,
        "evaluate",
        {"model": model_files, "test": _edge_files(pre_out, "test.csv")},
        {"train_accuracy": latest_accuracy},
    )
    assert evaluate.returncode == 0, evaluate.stderr
    (record,) = _metadata(evaluate.stdout)
    assert record["test_accuracy"] >= 0.7
    assert sum(map(sum, record["confusion_matrix"]["data"])) == 60
    assert record["generalization_gap"] == pytest.approx(latest_accuracy - record["test_accuracy"], abs=1e-6)
    assert json.loads((eval_out / "evaluation.json").read_text()) == record
    assert len((eval_out / "predictions.csv").read_text().splitlines()) == 61


def test_scripts_fail_with_clear_messages(tmp_path: Path) -> None:
    empty, _ = _run_step(tmp_path, "preprocess", {"dataset": []})
    assert empty.returncode == 1
    assert "input 'dataset' has no files matching '*.csv'" in empty.stderr

    bad_choice, _ = _run_step(tmp_path / "b", "train", {"dataset": []}, {"optimizer": "rmsprop"})
    assert bad_choice.returncode == 2
    assert "invalid choice: 'rmsprop'" in bad_choice.stderr


def test_evaluate_is_a_quality_gate(tmp_path: Path) -> None:
    pre, pre_out = _run_step(tmp_path, "preprocess", {"dataset": [EXAMPLES / "data" / "flowers.csv"]})
    train, train_out = _run_step(
        tmp_path, "train", {"dataset": [pre_out / "train.csv"]}, {**FAST, "epochs": 2}
    )
    assert (pre.returncode, train.returncode) == (0, 0), pre.stderr + train.stderr
    inputs = {"model": [train_out / "model.npz"], "test": [pre_out / "test.csv"]}
    gate, _ = _run_step(tmp_path, "evaluate", inputs, {"min_accuracy": 1.01})
    assert gate.returncode == 1
    assert "is below --min_accuracy 1.01" in gate.stderr
    assert "generalization_gap" not in gate.stdout  # optional parameter left unset: no gap reported


@pytest.mark.docker
def test_example_pipeline_runs_in_the_python_test_image(
    docker_client: object, python_image: str, container_label: dict[str, str], tmp_path: Path
) -> None:
    """The same three commands inside containers, with the repository and trees at /valohai/..."""

    def run_in_container(
        step: str, inputs: dict[str, list[Path]], overrides: dict[str, object]
    ) -> tuple[str, Path]:
        tree, command = _prepare_tree(tmp_path, step, inputs, overrides)
        volumes = {str(EXAMPLES): {"bind": "/valohai/repository", "mode": "ro"}}
        for sub, mode in (("config", "ro"), ("inputs", "ro"), ("outputs", "rw")):
            volumes[str(tree / sub)] = {"bind": f"/valohai/{sub}", "mode": mode}
        container = docker_client.containers.run(  # type: ignore[attr-defined]
            python_image,
            ["sh", "-c", command],
            working_dir="/valohai/repository",
            environment={"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"},
            volumes=volumes,
            labels=container_label,
            network_mode="none",
            detach=True,
        )
        status = container.wait(timeout=120)["StatusCode"]
        stdout = container.logs(stdout=True, stderr=False).decode()
        assert status == 0, container.logs().decode()
        return stdout, tree / "outputs"

    _, pre_out = run_in_container("preprocess", {"dataset": [EXAMPLES / "data" / "flowers.csv"]}, {})
    train_stdout, train_out = run_in_container(
        "train", {"dataset": [pre_out / "train.csv"]}, {**FAST, "epochs": 5}
    )
    assert [r["epoch"] for r in _metadata(train_stdout)] == [1, 2, 3, 4, 5]
    inputs = {"model": _edge_files(train_out, "model*"), "test": [pre_out / "test.csv"]}
    eval_stdout, eval_out = run_in_container("evaluate", inputs, {})
    (record,) = _metadata(eval_stdout)
    assert record["test_accuracy"] >= 0.7
    assert (eval_out / "predictions.csv").is_file()
