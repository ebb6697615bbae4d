"""What the edit tests change in a corpus file, and what each edit must do to the data.

Everything here reads the plain PyYAML data of the file (``LoadedConfig.data``), so the
expected result of an edit is computed independently of ``runner.config.edits``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from runner.config.loader import ConfigPath

PIPELINE_KEYS = ("pipeline", "blueprint")


def steps(data: Any) -> list[tuple[int, dict[str, Any]]]:
    """Top-level steps with a name; of duplicated names only the first (what edits act on)."""
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, item in enumerate(data if isinstance(data, list) else []):
        body = item.get("step") if isinstance(item, dict) else None
        if isinstance(body, dict) and isinstance(body.get("name"), str):
            found.setdefault(body["name"], (index, body))
    return list(found.values())


def pipelines(data: Any) -> Iterator[tuple[ConfigPath, dict[str, Any]]]:
    for index, item in enumerate(data if isinstance(data, list) else []):
        for key in PIPELINE_KEYS:
            body = item.get(key) if isinstance(item, dict) else None
            if isinstance(body, dict):
                yield (index, key), body


def tasks(data: Any) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for item in data if isinstance(data, list) else []:
        body = item.get("task") if isinstance(item, dict) else None
        if isinstance(body, dict) and isinstance(body.get("name"), str):
            table.setdefault(body["name"], body)
    return table


def node_step(data: Any, node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    if isinstance(node.get("step"), str):
        return node["step"]
    blueprint = tasks(data).get(node.get("task"))  # type: ignore[arg-type]
    return blueprint.get("step") if blueprint else None


def named(items: Any) -> list[tuple[int, dict[str, Any]]]:
    return [
        (i, item)
        for i, item in enumerate(items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    ]


def edge_sockets(edge: Any, path: ConfigPath) -> list[tuple[ConfigPath, Any]]:
    if isinstance(edge, list) and len(edge) == 2:
        return [((*path, 0), edge[0]), ((*path, 1), edge[1])]
    if isinstance(edge, dict):
        return [((*path, "source"), edge.get("source")), ((*path, "target"), edge.get("target"))]
    return []


# -- rename a parameter ----------------------------------------------------------------------


@dataclass
class Rename:
    step: str
    step_index: int
    param_index: int
    old: str
    new: str


def choose_rename(data: Any) -> Rename | None:
    """A parameter that edges or pipeline parameters refer to, else the first one."""
    first: Rename | None = None
    for index, body in steps(data):
        for j, param in named(body.get("parameters")):
            rename = Rename(body["name"], index, j, param["name"], param["name"] + "-renamed")
            if first is None:
                first = rename
            if socket_references(data, rename):
                return rename
    return first


def _users(data: Any, pipeline: dict[str, Any], step: str) -> set[str]:
    return {n["name"] for _i, n in named(pipeline.get("nodes")) if node_step(data, n) == step}


def socket_references(data: Any, r: Rename) -> list[ConfigPath]:
    """Paths of edge ends and pipeline parameter targets that name ``r.old`` on a node of ``r.step``."""
    found: list[ConfigPath] = []
    for path, pipeline in pipelines(data):
        users = _users(data, pipeline, r.step)

        def refers(socket: Any, users: set[str] = users) -> bool:
            parts = socket.split(".", 2) if isinstance(socket, str) else []
            return len(parts) == 3 and parts[0] in users and parts[1:] == ["parameter", r.old]

        for e, edge in enumerate(pipeline.get("edges") or []):
            found += [p for p, s in edge_sockets(edge, (*path, "edges", e)) if refers(s)]
        for k, param in enumerate(pipeline.get("parameters") or []):
            if not isinstance(param, dict):
                continue
            ppath = (*path, "parameters", k)
            if refers(param.get("target")):
                found.append((*ppath, "target"))
            targets = param.get("targets")
            if refers(targets):
                found.append((*ppath, "targets"))
            elif isinstance(targets, list):
                found += [(*ppath, "targets", t) for t, s in enumerate(targets) if refers(s)]
    return found


def override_references(data: Any, r: Rename) -> list[ConfigPath]:
    """``override: parameters: - name: OLD`` on nodes of ``r.step``."""
    found: list[ConfigPath] = []
    for path, pipeline in pipelines(data):
        for n, node in named(pipeline.get("nodes")):
            override = node.get("override")
            if node_step(data, node) == r.step and isinstance(override, dict):
                found += [
                    (*path, "nodes", n, "override", "parameters", k, "name")
                    for k, p in named(override.get("parameters"))
                    if p["name"] == r.old
                ]
    return found


def placeholder_pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"\{(parameter|parameter-value):" + re.escape(name) + r"\}")


def get_path(data: Any, path: ConfigPath) -> Any:
    for key in path:
        data = data[key]
    return data


def set_path(data: Any, path: ConfigPath, value: Any) -> None:
    get_path(data, path[:-1])[path[-1]] = value


def blueprint_references(data: Any, r: Rename) -> tuple[list[ConfigPath], list[ConfigPath]]:
    """Task blueprints of ``r.step``: (variant parameter name paths, parameter-set key paths)."""
    names: list[ConfigPath] = []
    keys: list[ConfigPath] = []
    for index, item in enumerate(data if isinstance(data, list) else []):
        body = item.get("task") if isinstance(item, dict) else None
        if not isinstance(body, dict) or body.get("step") != r.step:
            continue
        names += [
            (index, "task", "parameters", k, "name")
            for k, p in named(body.get("parameters"))
            if p["name"] == r.old
        ]
        for m, parameter_set in enumerate(body.get("parameter-sets") or []):
            if isinstance(parameter_set, dict) and r.old in parameter_set:
                keys.append((index, "task", "parameter-sets", m, r.old))
    return names, keys


def apply_rename(data: Any, r: Rename) -> tuple[list[ConfigPath], list[ConfigPath]]:
    """Rename in ``data`` (in place) as a consistent rename must.

    Returns the paths of the changed values and of the renamed mapping keys (both as they
    were before the rename, so they can be looked up in the original marks)."""
    changed: list[ConfigPath] = [(r.step_index, "step", "parameters", r.param_index, "name")]
    changed += socket_references(data, r) + override_references(data, r)
    blueprint_names, keys = blueprint_references(data, r)
    changed += blueprint_names
    for path in changed:
        value = get_path(data, path)
        if path[-1] == "name":
            set_path(data, path, r.new)
        else:
            node, kind, _old = value.split(".", 2)
            set_path(data, path, f"{node}.{kind}.{r.new}")
    for path in keys:
        mapping = get_path(data, path[:-1])
        renamed = {(r.new if k == r.old else k): v for k, v in mapping.items()}
        mapping.clear()
        mapping.update(renamed)
    step = get_path(data, (r.step_index, "step"))
    pattern = placeholder_pattern(r.old)
    command = step.get("command")
    lines = command if isinstance(command, list) else [command]
    for i, line in enumerate(lines):
        if isinstance(line, str) and pattern.search(line):
            fixed = pattern.sub(lambda m: "{" + m.group(1) + ":" + r.new + "}", line)
            path = (r.step_index, "step", "command", *((i,) if isinstance(command, list) else ()))
            set_path(data, path, fixed)
            changed.append(path)
    return changed, keys


# -- change a default ------------------------------------------------------------------------


@dataclass
class DefaultChange:
    step: str
    path: ConfigPath  # of the parameter
    name: str
    old: Any
    new: Any


def choose_default(data: Any) -> DefaultChange | None:
    """The first parameter with a scalar (non-flag) default; else the first parameter (adds one)."""
    first: DefaultChange | None = None
    for index, body in steps(data):
        for j, param in named(body.get("parameters")):
            path = (index, "step", "parameters", j)
            old = param.get("default")
            if isinstance(old, bool) or not isinstance(old, int | float | str):
                if first is None and "default" not in param:
                    first = DefaultChange(body["name"], path, param["name"], None, "added")
                continue
            if isinstance(old, str):
                new: Any = old + "-changed"
            else:
                new = old + 1
            return DefaultChange(body["name"], path, param["name"], old, new)
    return first


# -- add an edge -----------------------------------------------------------------------------


def edge_candidates(data: Any, pipeline: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(source, target) pairs between existing ports: output → input first, then parameter → parameter."""
    by_name = {name: body for _i, body in steps(data) for name in [body["name"]]}
    nodes = [(n["name"], by_name.get(node_step(data, n) or "")) for _i, n in named(pipeline.get("nodes"))]
    nodes = [(name, step) for name, step in nodes if step is not None]
    for source, _s in nodes:
        for target, step in nodes:
            for _j, spec in named(step.get("inputs")):
                if target != source:
                    yield f"{source}.output.added-*.bin", f"{target}.input.{spec['name']}"
    for source, sstep in nodes:
        for target, tstep in nodes:
            for _j, sp in named(sstep.get("parameters")):
                for _k, tp in named(tstep.get("parameters")):
                    if target != source:
                        yield f"{source}.parameter.{sp['name']}", f"{target}.parameter.{tp['name']}"


# -- rename a node ---------------------------------------------------------------------------


@dataclass
class NodeRename:
    pipeline: str
    path: ConfigPath  # of the pipeline body
    node_index: int
    old: str
    new: str


def choose_node_rename(data: Any) -> NodeRename | None:
    """A node that edges refer to, else the first node of the first pipeline."""
    first: NodeRename | None = None
    for path, body in pipelines(data):
        if not isinstance(body.get("name"), str):
            continue
        for i, node in named(body.get("nodes")):
            rename = NodeRename(body["name"], path, i, node["name"], node["name"] + "-renamed")
            first = first or rename
            if node_references(data, rename):
                return rename
    return first


def node_references(data: Any, r: NodeRename) -> list[ConfigPath]:
    """Edge ends and pipeline parameter targets in ``r``'s pipeline that start with its node."""
    body = get_path(data, r.path)

    def refers(socket: Any) -> bool:
        return isinstance(socket, str) and socket.split(".", 1)[0] == r.old and "." in socket

    found: list[ConfigPath] = []
    for e, edge in enumerate(body.get("edges") or []):
        epath = (*r.path, "edges", e)
        if isinstance(edge, list):  # any length: a malformed edge still names the node
            found += [(*epath, i) for i, s in enumerate(edge) if refers(s)]
        else:
            found += [p for p, s in edge_sockets(edge, epath) if refers(s)]
    for k, param in enumerate(body.get("parameters") or []):
        if not isinstance(param, dict):
            continue
        ppath = (*r.path, "parameters", k)
        if refers(param.get("target")):
            found.append((*ppath, "target"))
        targets = param.get("targets")
        if refers(targets):
            found.append((*ppath, "targets"))
        elif isinstance(targets, list):
            found += [(*ppath, "targets", t) for t, s in enumerate(targets) if refers(s)]
    return found


def apply_node_rename(data: Any, r: NodeRename) -> list[ConfigPath]:
    changed = [(*r.path, "nodes", r.node_index, "name"), *node_references(data, r)]
    for path in changed:
        value = get_path(data, path)
        set_path(data, path, r.new if path[-1] == "name" else r.new + value[len(r.old) :])
    return changed
