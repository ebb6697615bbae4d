"""What one execution needs, independent of the backend, and the files it sees (docs/runtime.md §1-§3)."""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runner.execution.code import add_tree_to_tar, copy_tree

CONTAINER_ROOT = "/valohai"
RUN_LABEL = "pipeline-designer.run-id"
NODE_LABEL = "pipeline-designer.node"
SCRIPT_NAME = "command.sh"
_NAME_BAD = re.compile(r"[^a-zA-Z0-9_.-]")


@dataclass(frozen=True)
class InputFile:
    """One file of an input, already in the artifact store."""

    name: str  # file name inside /valohai/inputs/<input>/ (may contain "/" for kept directories)
    sha256: str
    size: int
    uri: str


@dataclass(frozen=True)
class OutputFile:
    path: str  # relative to the outputs folder, "/"-separated
    sha256: str
    size: int
    properties: dict[str, Any] | None = None


@dataclass
class ExecutionSpec:
    run_id: str
    node: str
    execution_id: str
    step: str
    image: str
    commands: list[str]
    script: str
    parameters: dict[str, Any]
    inputs: dict[str, list[InputFile]]
    env: dict[str, str]
    repository: Path  # host folder whose copy is /valohai/repository
    code_hash: str
    time_limit: float | None = None
    no_output_timeout: float | None = None
    pipeline: str | None = None
    extra_labels: dict[str, str] = field(default_factory=dict)
    host: str = "local"  # where it runs: "local" or a registered host name
    gpu_ids: tuple[str, ...] = ()  # GPUs of that host given to it (device_requests)
    # Runner features injected into its Python (runner.execution.inject): variable -> value.
    inject: dict[str, str] = field(default_factory=dict)
    # Read-only folders those features need that only the run knows (a pydevd-pycharm version):
    # container folder -> host folder.
    inject_folders: dict[str, str] = field(default_factory=dict)
    # The run's code set (runner.execution.codeset.CodeSet): the repository is laid out from it,
    # exactly as recorded; None: copied from ``repository`` as it is now.
    code: Any = None
    publish: tuple[int, ...] = ()  # container ports published on 127.0.0.1 of its host (debugger)
    system_metrics: bool = True  # sample its container's CPU, memory and GPUs (runner.sysmetrics)

    @property
    def container_name(self) -> str:
        return container_name(self.run_id, self.node)

    @property
    def labels(self) -> dict[str, str]:
        return {RUN_LABEL: self.run_id, NODE_LABEL: self.node, **self.extra_labels}


def container_name(run_id: str, node: str) -> str:
    """Deterministic ``vh-<run_id>-<node>`` with characters Docker refuses replaced.

    A task's execution ``train#3`` becomes ``train.3``: node names cannot contain dots, so it
    cannot clash with a node of its own (``train_3`` could).
    """
    return f"vh-{run_id}-{_NAME_BAD.sub('_', node.replace('#', '.'))}"


def container_env(spec: ExecutionSpec, root: str = CONTAINER_ROOT) -> dict[str, str]:
    """docs/runtime.md §2: the VH_* variables (pointing under ``root``) plus the step's own."""
    env = {
        "VH_JOB_ID": f"exec-{spec.execution_id}",
        "VH_EXECUTION_ID": spec.execution_id,
        "VH_PROJECT_ID": "local",
        "VH_CONFIG_DIR": f"{root}/config",
        "VH_INPUTS_DIR": f"{root}/inputs",
        "VH_OUTPUTS_DIR": f"{root}/outputs",
        "VH_REPOSITORY_DIR": f"{root}/repository",
        "PYTHONUNBUFFERED": "1",
    }
    if spec.pipeline is not None:
        env["VH_PIPELINE_ID"] = spec.run_id
        env["VH_PIPELINE_NODE_ID"] = f"{spec.run_id}-{spec.node}"
    return {**env, **spec.env}


def config_files(spec: ExecutionSpec, root: str = CONTAINER_ROOT) -> dict[str, str]:
    """parameters/inputs/execution JSON plus their YAML twins (docs/runtime.md §3)."""
    inputs = {
        name: {
            "files": [
                {
                    "name": f.name.rsplit("/", 1)[-1],
                    "path": f"{root}/inputs/{name}/{f.name}",
                    "uri": f.uri,
                    "size": f.size,
                    "checksums": {"sha256": f.sha256},
                    "metadata": [],
                }
                for f in files
            ]
        }
        for name, files in spec.inputs.items()
    }
    execution: dict[str, Any] = {
        "valohai.execution-id": spec.execution_id,
        "valohai.execution-counter": 1,
        "valohai.execution-title": None,
        "valohai.execution-step": spec.step,
        "valohai.execution-image": spec.image,
        "valohai.execution-status": "started",
        "valohai.execution-tags": [],
        "valohai.commit-identifier": f"local-{spec.code_hash[:12]}",
        "valohai.project-name": "local/project",
        "valohai.creator-name": "local",
        "valohai.environment-name": "local",
    }
    if spec.pipeline is not None:
        execution["valohai.pipeline-id"] = spec.run_id
        execution["valohai.pipeline-node-id"] = f"{spec.run_id}-{spec.node}"
        execution["valohai.pipeline-title"] = spec.pipeline
    out = {}
    for stem, data in (("parameters", spec.parameters), ("inputs", inputs), ("execution", execution)):
        out[f"{stem}.json"] = json.dumps(data, indent=2) + "\n"
        out[f"{stem}.yaml"] = yaml.safe_dump(data, sort_keys=False)
    return out


def place_code(spec: ExecutionSpec, dest: Path, artifacts: Any) -> None:
    """The execution's ``repository`` folder: its recorded code set, or the folder's code now."""
    if spec.code is not None:
        spec.code.copy_to(dest, artifacts)
    else:
        copy_tree(spec.repository, dest)


def add_code_to_tar(spec: ExecutionSpec, tar: tarfile.TarFile, arcroot: str, artifacts: Any) -> None:
    if spec.code is not None:
        spec.code.add_to_tar(tar, arcroot, artifacts)
    else:
        add_tree_to_tar(tar, spec.repository, arcroot)


def write_tree(spec: ExecutionSpec, workdir: Path, root: str, artifacts: Any, link: bool = True) -> None:
    """Lay out ``inputs/``, ``outputs/``, ``config/`` and ``runner/command.sh`` under ``workdir``.

    ``link``: inputs are hard links to the artifact store (free; only safe where the step
    cannot write them, i.e. behind a read-only mount), otherwise copies.
    """
    for sub in ("inputs", "outputs", "config", "runner"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    (workdir / "outputs").chmod(0o777)  # images whose user is not root must still write outputs
    for name, files in spec.inputs.items():
        (workdir / "inputs" / name).mkdir(exist_ok=True)
        for f in files:
            if link:
                artifacts.link_into(f.sha256, workdir / "inputs" / name / f.name)
            else:
                artifacts.copy_out(f.sha256, workdir / "inputs" / name / f.name)
    for fname, text in config_files(spec, root).items():
        (workdir / "config" / fname).write_text(text)
    (workdir / "runner" / SCRIPT_NAME).write_text(spec.script)
