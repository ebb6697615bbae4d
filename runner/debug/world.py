"""An execution's world rebuilt from the store: what a debug container of it needs.

The execution's image, environment, parameters and config files, its input files and its
outputs (from the artifact store, by checksum), and its code: the execution's own code snapshot
when the store has it (its files by checksum), else a copy of the current folder; the shell says
which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.execution.code import copy_tree, tree_hash
from runner.execution.spec import CONTAINER_ROOT, ExecutionSpec, InputFile, OutputFile, write_tree
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

CODE_NOTE = "a copy of the current folder (the store has no code snapshot of this execution)"
SNAPSHOT_NOTE = "the code this execution ran with (snapshot {id})"


class ShellError(RuntimeError):
    """A shell cannot be opened; the message says why and what to do."""


@dataclass
class World:
    """One execution, as the store recorded it."""

    run: dict[str, Any]
    execution: dict[str, Any]
    spec: ExecutionSpec
    outputs: list[OutputFile]
    host: str  # "local", or the registered host it ran on
    code_note: str = CODE_NOTE
    snapshot: Any = None  # its code snapshot (runner.execution.codeset.CodeSet), when stored

    @property
    def node(self) -> str:
        return str(self.execution["node"])

    @property
    def status(self) -> str:
        return str(self.execution["status"])


def split_target(target: str) -> tuple[str, str]:
    """``RUN/NODE`` (RUN may be ``latest``; NODE may be ``train#3``, a task's third execution)."""
    run, slash, node = target.partition("/")
    if not slash or not run or not node:
        raise ShellError(f"{target!r} is not RUN/NODE (e.g. latest/train, or a run id from `history`)")
    return run, node


def load_world(store: RunStore, run_ref: str, node: str) -> World:
    run = store.run(run_ref)
    if run is None:
        raise ShellError(f"no run {run_ref!r} (see `pipeline-designer history`)")
    row = store.execution(run["id"], node)
    if row is None:
        nodes = ", ".join(sorted(e["node"] for e in store.executions(run["id"]))) or "none"
        raise ShellError(f"run {run['id']} has no node {node!r} (its nodes: {nodes})")
    if not row.get("image"):
        raise ShellError(
            f"node {node!r} of run {run['id']} never started ({row['status']}"
            + (f": {row['message']}" if row.get("message") else "")
            + "), so there is no world to rebuild"
        )
    root = code_root(run)
    spec = ExecutionSpec(
        run_id=run["id"],
        node=node,
        execution_id=row["id"],
        step=row.get("step") or node,
        image=row["image"],
        commands=[],
        script=row.get("command") or "",
        parameters=row.get("parameters") or {},
        inputs={k: [InputFile(**f) for f in v] for k, v in (row.get("inputs") or {}).items()},
        env=row.get("env") or {},
        repository=root,
        code_hash=tree_hash(root) if root.is_dir() else "0" * 64,
        pipeline=run.get("pipeline"),
    )
    outputs = [
        OutputFile(o["path"], o["sha256"], o["size"], o["properties"]) for o in store.outputs(row["id"])
    ]
    world = World(run, row, spec, outputs, _host_of(run, row))
    snapshot = row.get("snapshot_id") or run.get("snapshot_id")
    rows = store.snapshot_files(snapshot) if snapshot else []
    if rows:
        from runner.execution.codeset import from_snapshot

        world.snapshot = from_snapshot(root, snapshot, rows)
        world.code_note = SNAPSHOT_NOTE.format(id=snapshot[:12])
    return world


def code_root(run: dict[str, Any]) -> Path:
    path = Path(str(run.get("yaml_path") or "."))
    return path.parent if path.suffix in (".yaml", ".yml") else path


def _host_of(run: dict[str, Any], row: dict[str, Any]) -> str:
    """A remote execution's host name; "local" for the local engine (or a local process)."""
    backend = str(run.get("backend") or row.get("backend") or "")
    if not backend.startswith("ssh:"):
        return "local"
    pool = backend.partition(":")[2].split(",")
    host = str(row.get("host") or "")
    return host if host in pool and host != "local" else "local"


def missing_files(world: World, artifacts: ArtifactStore) -> list[str]:
    """Inputs and outputs whose content is gone from the artifact store."""
    gone = [
        f"input {name}/{f.name}"
        for name, files in world.spec.inputs.items()
        for f in files
        if not artifacts.has(f.sha256)
    ]
    gone += [f"output {o.path}" for o in world.outputs if not artifacts.has(o.sha256)]
    return gone


def write_world(world: World, workdir: Path, artifacts: ArtifactStore, link: bool = True) -> None:
    """``workdir`` gets repository/, inputs/, config/, outputs/ (the recorded outputs) and runner/.

    ``link``: hard links to the artifact store (only behind read-only mounts), else copies.
    """
    spec = world.spec
    if world.snapshot is not None:
        world.snapshot.copy_to(workdir / "repository", artifacts)
    elif spec.repository.is_dir():
        copy_tree(spec.repository, workdir / "repository")
    else:
        (workdir / "repository").mkdir(parents=True)
    present = ExecutionSpec(**{**spec.__dict__, "inputs": _present(spec.inputs, artifacts)})
    write_tree(present, workdir, CONTAINER_ROOT, artifacts, link=link)
    for out in world.outputs:
        parts = out.path.split("/")
        if not artifacts.has(out.sha256) or out.path.startswith("/") or ".." in parts:
            continue
        dest = workdir / "outputs" / Path(*parts)
        if link:
            artifacts.link_into(out.sha256, dest)
        else:
            artifacts.copy_out(out.sha256, dest)
            os.chmod(dest, 0o444)


def _present(inputs: dict[str, list[InputFile]], artifacts: ArtifactStore) -> dict[str, list[InputFile]]:
    return {name: [f for f in files if artifacts.has(f.sha256)] for name, files in inputs.items()}
