"""What one endpoint container needs, resolved from the YAML and the node's ``file`` edges.

No Docker here: this module checks the endpoint definition, places every endpoint file received
over ``<node>.output.<pattern> -> <deploy>.file.<endpoint>.<file-name>`` edges at the file
item's ``path`` (relative to the repository) and refuses anything that could escape it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.execution.command import build_script
from runner.execution.inputs import InputError, safe_file_name
from runner.execution.prepare import NodeResult, RunContext
from runner.execution.spec import NODE_LABEL, RUN_LABEL, container_name

CONTAINER_REPO = "/valohai/repository"
WSGI_SCRIPT = "/valohai/runner/wsgi_serve.py"
DEFAULT_PORT = 8000  # valohai-yaml: "Port used for the HTTP server. Defaults to 8000."
ENDPOINT_LABEL = "pipeline-designer.endpoint"  # the endpoint's name; every endpoint container has it
KEY_LABEL = "pipeline-designer.endpoint-key"  # same yaml + pipeline + node + endpoint = same key
OWNER_PID_LABEL = "pipeline-designer.owner-pid"  # the process that stops it (gone: an orphan)
OWNER_HOST_LABEL = "pipeline-designer.owner-host"


class DeployError(RuntimeError):
    """An endpoint cannot be deployed; the message names the node, endpoint and what to fix."""


@dataclass(frozen=True)
class EndpointFile:
    path: str  # relative to the repository, checked by safe_file_name
    sha256: str
    source: str  # "train:model.json", for messages


@dataclass
class EndpointSpec:
    run_id: str
    node: str
    endpoint: str
    image: str
    argv: list[str]  # the container's command (entrypoint cleared)
    port: int
    files: list[EndpointFile]
    repository: Path
    key: str
    labels: dict[str, str] = field(default_factory=dict)
    wsgi: bool = False
    # The backend samples a unit's container when this is set; an endpoint serves, it does not train.
    system_metrics: bool = False

    @property
    def container_name(self) -> str:
        return container_name(self.run_id, f"{self.node}-{self.endpoint}")

    @property
    def env(self) -> dict[str, str]:
        # docs/runtime.md §2: VALOHAI_PORT is what tells valohai-utils "this is a deployment".
        return {"VALOHAI_PORT": str(self.port), "PYTHONUNBUFFERED": "1"}


def endpoint_key(plan_file: str, pipeline: str | None, node: str, endpoint: str) -> str:
    text = "\0".join((plan_file, pipeline or "", node, endpoint))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def endpoint_specs(
    ctx: RunContext, node: str, endpoints: dict[str, Any], results: dict[str, NodeResult]
) -> list[EndpointSpec]:
    """One spec per endpoint the deployment node lists; DeployError on any problem."""
    if not endpoints:
        raise DeployError(
            f"deployment node {node!r} lists no endpoints: add `endpoints: [NAME]` "
            "naming an `- endpoint:` item"
        )
    files = _edge_files(ctx, node, set(endpoints), results)
    plan_file = str(ctx.plan.yaml_path or ctx.plan.root_dir)
    return [
        _spec(
            ctx,
            node,
            name,
            definition,
            files.get(name, {}),
            endpoint_key(plan_file, ctx.plan.pipeline, node, name),
        )
        for name, definition in endpoints.items()
    ]


def _spec(
    ctx: RunContext, node: str, name: str, ep: Any, received: dict[str, EndpointFile], key: str
) -> EndpointSpec:
    where = f"deployment node {node!r} endpoint {name!r}"
    image = ctx.image_map.get(ep.image or "", ep.image or "")
    if not image:
        raise DeployError(f"{where}: the endpoint has no image")
    port = int(ep.port or DEFAULT_PORT)
    if not 1 <= port <= 65535:
        raise DeployError(f"{where}: port {port} is not a TCP port")
    placed: list[EndpointFile] = []
    for item in ep.files:
        if item.name not in received:
            raise DeployError(
                f"{where}: file {item.name!r} receives nothing; add an edge "
                f"`[<node>.output.<file>, {node}.file.{name}.{item.name}]`"
            )
        try:
            path = safe_file_name(str(item.path).removeprefix("./"), f"{where} file {item.name!r} path")
        except InputError as exc:
            raise DeployError(f"{exc}: give a path relative to the repository, without '..'") from None
        placed.append(EndpointFile(path, received[item.name].sha256, received[item.name].source))
    return EndpointSpec(
        run_id=ctx.run_id,
        node=node,
        endpoint=name,
        image=image,
        argv=_argv(where, ep, port),
        port=port,
        files=placed,
        repository=ctx.plan.root_dir,
        key=key,
        labels={
            **ctx.labels,
            RUN_LABEL: ctx.run_id,
            NODE_LABEL: node,
            ENDPOINT_LABEL: name,
            KEY_LABEL: key,
            OWNER_PID_LABEL: str(os.getpid()),
            OWNER_HOST_LABEL: socket.gethostname(),
        },
        wsgi=not ep.server_command,
    )


def _argv(where: str, ep: Any, port: int) -> list[str]:
    """``server-command`` (string or list) in one ``sh -c`` session like a step, or our WSGI server."""
    if ep.server_command:
        commands = ep.server_command if isinstance(ep.server_command, list) else [ep.server_command]
        return ["/bin/sh", "-c", build_script([str(c) for c in commands])]
    if not ep.wsgi:
        raise DeployError(f"{where}: give `server-command` or `wsgi: module:callable`")
    # The values are arguments, never shell text: "$@" carries them past `sh -c`.
    script = 'exec "$(command -v python3 || command -v python)" "$@"'
    return ["/bin/sh", "-c", script, "sh", WSGI_SCRIPT, str(ep.wsgi), str(port)]


def _edge_files(
    ctx: RunContext, node: str, listed: set[str], results: dict[str, NodeResult]
) -> dict[str, dict[str, EndpointFile]]:
    """``{endpoint: {file name: file}}`` from the ``file.<endpoint>.<name>`` edges into ``node``."""
    out: dict[str, dict[str, EndpointFile]] = {}
    for edge in ctx.plan.edges:
        if edge.target_node != node:
            continue
        endpoint, dot, file_name = edge.target_key.partition(".")
        if edge.target_type != "file" or not dot or not file_name:
            raise DeployError(
                f"edge {edge.source} -> {edge.target}: a deployment node receives only "
                f"`file.<endpoint>.<file-name>` edges"
            )
        if endpoint not in listed:
            raise DeployError(
                f"edge {edge.source} -> {edge.target}: node {node!r} does not list endpoint {endpoint!r} "
                f"(endpoints: {', '.join(sorted(listed))})"
            )
        if edge.source_type != "output":
            raise DeployError(f"edge {edge.source} -> {edge.target}: endpoint files come from `output` edges")
        outputs = results[edge.source_node].outputs
        matched = [o for o in outputs if fnmatch.fnmatchcase(o.path, edge.source_key)]
        if len(matched) != 1:
            names = ", ".join(o.path for o in outputs) or "none"
            raise DeployError(
                f"edge {edge.source} -> {edge.target}: matched {len(matched)} outputs, a file needs "
                f"exactly one (outputs of {edge.source_node!r}: {names})"
            )
        out.setdefault(endpoint, {})[file_name] = EndpointFile(
            matched[0].path, matched[0].sha256, f"{edge.source_node}:{matched[0].path}"
        )
    return out
