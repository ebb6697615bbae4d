"""Build one node's ExecutionSpec once its upstream nodes are done (edges resolved here)."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.config.placeholders import DOUBLE_QUOTE_ACTIVE, applies_to, double_quoted_placeholders
from runner.execution.command import ParameterError, build_script, render_command, resolve_parameters
from runner.execution.inputs import InputError, Log, resolve_source, safe_file_name
from runner.execution.plan import NodeTemplate, RunPlan
from runner.execution.spec import ExecutionSpec, InputFile, OutputFile
from runner.metadata import latest_values
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore


class PrepareError(RuntimeError):
    """The node cannot start (missing input, bad parameter); no container is created."""


@dataclass
class NodeResult:
    """What a finished node hands to its downstream edges."""

    outputs: list[OutputFile] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, list[InputFile]] = field(default_factory=dict)
    # A task node's outputs renamed because several executions wrote the same path:
    # new path -> the path the step wrote, which edge patterns still match.
    renamed: dict[str, str] = field(default_factory=dict)


@dataclass
class RunContext:
    run_id: str
    plan: RunPlan
    artifacts: ArtifactStore
    cache_dir: Path
    code_hash: str
    image_map: dict[str, str]
    strict: bool = False
    log: Log = print
    labels: dict[str, str] = field(default_factory=dict)
    stop: threading.Event | None = None  # the run's cancel: ends an input's download


def edge_parameters(ctx: RunContext, node: str, results: dict[str, NodeResult]) -> dict[str, Any]:
    """Parameter values ``node`` gets over parameter/metadata edges (upstream nodes are done)."""
    values: dict[str, Any] = {}
    for edge in ctx.plan.edges:
        if edge.target_node != node or edge.target_type != "parameter":
            continue
        source = results[edge.source_node]
        if edge.source_type == "parameter":
            if edge.source_key in source.parameters:
                values[edge.target_key] = source.parameters[edge.source_key]
        elif edge.source_type == "metadata":
            latest = latest_values(source.metadata)
            if edge.source_key not in latest:
                where = f"{edge.source_node}.metadata.{edge.source_key} -> {node}.parameter.{edge.target_key}"
                raise PrepareError(
                    f"edge {where}: node {edge.source_node!r} printed no metadata key {edge.source_key!r}"
                )
            values[edge.target_key] = latest[edge.source_key]
    return values


def _refuse_active_edge_values(ctx: RunContext, tpl: NodeTemplate, params: dict[str, Any]) -> None:
    """A value printed by another node must not reach a placeholder the user wrapped in double
    quotes if the shell would expand it there (docs/runtime.md §6; lint warns about the quotes)."""
    lines = [tpl.command] if isinstance(tpl.command, str) else list(tpl.command)
    quoted = [found for line in lines for found in double_quoted_placeholders(line)]
    if not quoted:
        return
    for edge in ctx.plan.edges:
        if edge.target_node != tpl.name or edge.source_type != "metadata" or edge.target_type != "parameter":
            continue
        value = params.get(edge.target_key)
        pieces = value if isinstance(value, list) else [value]
        if not any(DOUBLE_QUOTE_ACTIVE & set(str(piece)) for piece in pieces):
            continue
        for found in quoted:
            if applies_to(found, edge.target_key):
                raise PrepareError(
                    f"node {tpl.name!r}: parameter {edge.target_key!r} came from "
                    f"{edge.source_node}'s metadata {edge.source_key!r} and holds {value!r}; "
                    f"{found.text} is inside double quotes in the command, where $, backticks, "
                    "quotes and backslashes would be interpreted by the shell, so the value is refused. "
                    f"Drop the double quotes around {found.text} (the value is quoted already)"
                )


def _edge_files(
    ctx: RunContext, tpl: NodeTemplate, results: dict[str, NodeResult]
) -> dict[str, list[InputFile]]:
    files: dict[str, list[InputFile]] = {}
    for edge in ctx.plan.edges:
        if edge.target_node != tpl.name or edge.target_type != "input":
            continue
        source = results[edge.source_node]
        got = files.setdefault(edge.target_key, [])
        if edge.source_type == "output":
            keep = str(getattr(tpl.inputs.get(edge.target_key), "keep_directories", "none"))
            for out in source.outputs:
                written = source.renamed.get(out.path, out.path)
                if fnmatch.fnmatchcase(out.path, edge.source_key) or fnmatch.fnmatchcase(
                    written, edge.source_key
                ):
                    name = out.path if keep.endswith(("suffix", "full")) else out.path.rsplit("/", 1)[-1]
                    got.append(InputFile(name, out.sha256, out.size, f"{edge.source_node}:{out.path}"))
            if not got:
                ctx.log(f"warning: edge {edge.source_node}.output.{edge.source_key} matched no output")
        elif edge.source_type == "input":
            got.extend(source.inputs.get(edge.source_key, []))
    return files


def _resolve_inputs(
    ctx: RunContext, tpl: NodeTemplate, results: dict[str, NodeResult]
) -> dict[str, list[InputFile]]:
    from_edges = _edge_files(ctx, tpl, results)
    out: dict[str, list[InputFile]] = {}
    for name, spec in tpl.inputs.items():
        explicit = tpl.input_sources.get(name)
        sources = explicit if explicit is not None else [d for d in _listify(spec.default) if d]
        files: list[InputFile] = []
        if name in from_edges and explicit is None:
            files = list(from_edges[name])
            if tpl.edge_merge_mode != "append":
                sources = []
        try:
            for source in sources:
                files.extend(
                    resolve_source(
                        name,
                        source,
                        ctx.plan.root_dir,
                        ctx.artifacts,
                        ctx.cache_dir,
                        ctx.log,
                        allow_outside=explicit is not None,
                        stop=ctx.stop,
                    )
                )
        except InputError as exc:
            raise PrepareError(str(exc)) from None
        if spec.filename and len(files) == 1:
            f = files[0]
            files = [InputFile(safe_file_name(spec.filename, f"input {name!r}"), f.sha256, f.size, f.uri)]
        names = [f.name for f in files]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise PrepareError(f"input {name!r}: several files named {', '.join(dupes)}")
        if not files and not spec.optional:
            raise PrepareError(f"required input {name!r} of node {tpl.name!r} has no files")
        out[name] = files
    return out


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def prepare_spec(
    ctx: RunContext,
    tpl: NodeTemplate,
    results: dict[str, NodeResult],
    unit: str | None = None,
    varied: dict[str, Any] | None = None,
    attempt: int = 1,
) -> ExecutionSpec:
    """``unit``: the execution's name (``train#3`` for a task's third execution; the node's name
    by default); ``varied``: its sweep values, over edge values and explicit ones; ``attempt``:
    2 for an on-error retry (its execution id ends ``-2``)."""
    unit = unit or tpl.name
    explicit = {**edge_parameters(ctx, tpl.name, results), **tpl.explicit, **(varied or {})}
    try:
        params = resolve_parameters(tpl.parameters, explicit)
    except ParameterError as exc:
        raise PrepareError(f"node {tpl.name!r}: {exc}") from None
    _refuse_active_edge_values(ctx, tpl, params)
    inputs = _resolve_inputs(ctx, tpl, results)
    commands = render_command(tpl.command, tpl.parameters, params, tpl.source_path)
    image = ctx.image_map.get(tpl.image, tpl.image)
    if not image:
        raise PrepareError(f"node {tpl.name!r}: step {tpl.step!r} has no image")
    return ExecutionSpec(
        run_id=ctx.run_id,
        node=unit,
        execution_id=execution_id(ctx.run_id, unit, attempt),
        step=tpl.step or tpl.name,
        image=image,
        commands=commands,
        script=build_script(commands, ctx.strict),
        parameters=params,
        inputs=inputs,
        env=dict(tpl.env),
        repository=ctx.plan.root_dir,
        code_hash=ctx.code_hash,
        time_limit=tpl.time_limit,
        no_output_timeout=tpl.no_output_timeout,
        pipeline=ctx.plan.pipeline,
        extra_labels=dict(ctx.labels),
    )


def execution_id(run_id: str, unit: str, attempt: int = 1) -> str:
    """``<run_id>-<8 hex of the unit name>``, plus ``-<attempt>`` for a retry."""
    base = f"{run_id}-{hashlib.sha256(unit.encode()).hexdigest()[:8]}"
    return base if attempt == 1 else f"{base}-{attempt}"


def adopt(
    store: RunStore, artifacts: ArtifactStore, spec: ExecutionSpec, prior: dict[str, Any]
) -> NodeResult | None:
    """Let the past success ``prior`` stand for ``spec``'s execution: its outputs and metadata are
    recorded for it (None when an output is no longer stored)."""
    outputs = store.outputs(prior["id"])
    if not artifacts.claim_all(o["sha256"] for o in outputs):
        return None
    metadata = store.metadata(prior["id"])
    store.add_outputs(spec.execution_id, outputs)
    now = time.time()
    store.add_metadata_batch(spec.execution_id, [(seq, now, record) for seq, record in enumerate(metadata)])
    files = [OutputFile(o["path"], o["sha256"], o["size"], o["properties"]) for o in outputs]
    return NodeResult(files, metadata, spec.parameters, spec.inputs)


def reuse_key(spec: ExecutionSpec, image_identity: str = "", code: bool = True) -> str:
    """Hash of (step, image, final command, parameters, input sha256s, code tree, env vars).

    ``image_identity`` (the engine's image id) makes a rebuilt image under the same tag count
    as a change. ``code=False``: everything but the code (the key reuse candidates share;
    runner.execution.recording then compares what each of them read).
    """
    data = {
        "step": spec.step,
        "image": spec.image,
        "image_id": image_identity,
        "script": spec.script,
        "parameters": spec.parameters,
        "inputs": {k: sorted((f.name, f.sha256) for f in v) for k, v in sorted(spec.inputs.items())},
        "env": sorted(spec.env.items()),
    }
    if code:
        data["code"] = spec.code_hash
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
