"""Edits of a :class:`YamlDocument`, each one user action.

Every function checks first and raises a typed :class:`EditError` saying why it refuses,
so a refused edit changes nothing. Renames follow references (edges, node steps,
pipeline parameter targets, command placeholders) so the file stays consistent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runner.config.document import YamlDocument, to_plain
from runner.config.errors import (
    CycleError,
    DuplicateEdgeError,
    DuplicateNameError,
    EditError,
    PortMismatchError,
    UnknownNameError,
)
from runner.config.loader import LoadedConfig

PIPELINE_KEYS = ("pipeline", "blueprint")
NODE_TYPES = ("execution", "task", "deployment")

# -- finding things in the tree ----------------------------------------------------------


def _items(tree: Any, kind: str) -> Iterator[tuple[int, Any]]:
    keys = PIPELINE_KEYS if kind == "pipeline" else (kind,)
    for index, item in enumerate(tree):
        if isinstance(item, dict):
            for key in keys:
                if isinstance(item.get(key), dict):
                    yield index, item[key]


def _find(tree: Any, kind: str, name: str) -> Any:
    for _index, body in _items(tree, kind):
        if body.get("name") == name:
            return body
    raise UnknownNameError(f'There is no {kind} named "{name}"')


def _named(seq: Any, name: str, what: str) -> Any:
    for item in seq or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item
    raise UnknownNameError(f'There is no {what} named "{name}"')


def _list(mapping: Any, key: str) -> Any:
    """``mapping[key]`` as a list, created (block style) when missing."""
    if not isinstance(mapping.get(key), list):
        mapping[key] = CommentedSeq()
    return mapping[key]


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise EditError(f"A {what} name cannot be empty")
    if what == "node" and "." in name:
        raise EditError("A node name cannot contain '.': edges use dots to separate node, type and key")


def _set_or_delete(mapping: Any, key: str, value: Any) -> None:
    if value is None:
        mapping.pop(key, None)
    elif key not in mapping or not _same_value(mapping[key], value):
        mapping[key] = value


def _same_value(current: Any, value: Any) -> bool:
    """Equal and of the same plain type: then the value is left alone, since re-assigning
    would drop its anchor or quoting (ruamel keeps those on its own scalar types)."""
    plain = to_plain(current)
    return bool(plain == value and type(plain) is type(value))


# -- steps ---------------------------------------------------------------------------------


def add_step(doc: YamlDocument, name: str, image: str, command: str | list[str]) -> None:
    _check_name(name, "step")
    if name in doc.loaded.config_step_names():
        raise DuplicateNameError(f'A step named "{name}" already exists')

    def mutate(tree: Any) -> None:
        body = CommentedMap([("name", name), ("image", image), ("command", command)])
        index = max((i for i, _ in _items(tree, "step")), default=-1) + 1
        tree.insert(index, CommentedMap([("step", body)]))

    doc.apply(mutate)


def _remove_item(doc: YamlDocument, kind: str, name: str) -> None:
    """Delete the top-level ``- <kind>:`` item called ``name``."""

    def mutate(tree: Any) -> None:
        for index, body in _items(tree, kind):
            if body.get("name") == name:
                del tree[index]
                return
        raise UnknownNameError(f'There is no {kind} named "{name}"')

    doc.apply(mutate)


def remove_step(doc: YamlDocument, name: str) -> None:
    _remove_item(doc, "step", name)


def rename_step(doc: YamlDocument, old: str, new: str) -> None:
    _check_name(new, "step")
    if new != old and new in doc.loaded.config_step_names():
        raise DuplicateNameError(f'A step named "{new}" already exists')

    def mutate(tree: Any) -> None:
        _find(tree, "step", old)["name"] = new
        for _i, body in _items(tree, "task"):
            if body.get("step") == old:
                body["step"] = new
        for _i, pipeline in _items(tree, "pipeline"):
            for node in pipeline.get("nodes") or []:
                if isinstance(node, dict) and node.get("step") == old:
                    node["step"] = new

    doc.apply(mutate)


def set_step_field(doc: YamlDocument, step: str, key: str, value: Any) -> None:
    """Set (or, with ``None``, remove) a step key such as ``image``, ``command`` or ``time-limit``."""
    if key == "name":
        rename_step(doc, step, value)
        return
    doc.apply(lambda tree: _set_or_delete(_find(tree, "step", step), key, value))


# -- parameters and inputs -----------------------------------------------------------------


def _add_spec(doc: YamlDocument, step: str, table: str, spec: dict[str, Any]) -> None:
    what = table[:-1]
    _check_name(spec.get("name", ""), what)

    def mutate(tree: Any) -> None:
        body = _find(tree, "step", step)
        items = _list(body, table)
        if any(isinstance(i, dict) and i.get("name") == spec["name"] for i in items):
            raise DuplicateNameError(f'Step "{step}" already has a {what} named "{spec["name"]}"')
        items.append(CommentedMap(spec.items()))

    doc.apply(mutate)


def _remove_spec(doc: YamlDocument, step: str, table: str, name: str) -> None:
    def mutate(tree: Any) -> None:
        items = _find(tree, "step", step).get(table) or []
        items.remove(_named(items, name, table[:-1]))

    doc.apply(mutate)


def _set_spec_field(doc: YamlDocument, step: str, table: str, name: str, key: str, value: Any) -> None:
    if key == "name":
        _rename_spec(doc, step, table, name, value)
        return
    doc.apply(
        lambda tree: _set_or_delete(
            _named(_find(tree, "step", step).get(table), name, table[:-1]), key, value
        )
    )


def _rename_spec(doc: YamlDocument, step: str, table: str, old: str, new: str) -> None:
    kind = table[:-1]  # "parameter" | "input"
    _check_name(new, kind)

    def mutate(tree: Any) -> None:
        items = _find(tree, "step", step).get(table)
        if new != old and any(isinstance(i, dict) and i.get("name") == new for i in items or []):
            raise DuplicateNameError(f'Step "{step}" already has a {kind} named "{new}"')
        _named(items, old, kind)["name"] = new
        blueprints = {b.get("name") for _i, b in _items(tree, "task") if b.get("step") == step}
        if kind == "parameter":
            _rename_placeholders(_find(tree, "step", step), old, new)
            for _i, blueprint in _items(tree, "task"):
                if blueprint.get("name") in blueprints:
                    _rename_in_sweep(blueprint, old, new)
        for _i, pipeline in _items(tree, "pipeline"):
            users = [
                n
                for n in pipeline.get("nodes") or []
                if isinstance(n, dict) and (n.get("step") == step or n.get("task") in blueprints)
            ]
            for node in users:
                override = node.get("override")
                if isinstance(override, dict):
                    _rename_named(override.get(table), old, new)
                if kind == "parameter":
                    _rename_in_sweep(node, old, new)
            _rename_socket_refs(pipeline, {n.get("name") for n in users}, kind, old, new)

    doc.apply(mutate)


def _rename_named(items: Any, old: str, new: str) -> None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name") == old:
            item["name"] = new


def _rename_key(mapping: Any, old: str, new: str) -> None:
    if isinstance(mapping, dict) and old in mapping:
        position = list(mapping).index(old)
        value = mapping.pop(old)
        mapping.insert(position, new, value) if hasattr(mapping, "insert") else mapping.update({new: value})


def _rename_in_sweep(body: Any, old: str, new: str) -> None:
    """A task's variant ``parameters`` and its ``parameter-sets`` name step parameters too."""
    _rename_named(body.get("parameters"), old, new)
    for parameter_set in body.get("parameter-sets") or []:
        _rename_key(parameter_set, old, new)


def _map_sockets(pipeline: Any, fix: Callable[[str], str]) -> None:
    """Apply ``fix`` to every ``node.type.key`` string of a pipeline: edge ends and
    pipeline parameter targets. Only changed strings are written (keeps their quoting)."""

    def update(container: Any, key: Any) -> None:
        value = container[key]
        if isinstance(value, str) and fix(value) != value:
            container[key] = fix(value)

    for edge in pipeline.get("edges") or []:
        if isinstance(edge, list):
            for i in range(len(edge)):
                update(edge, i)
        elif isinstance(edge, dict):
            for key in ("source", "target"):
                if key in edge:
                    update(edge, key)
    for param in pipeline.get("parameters") or []:
        if not isinstance(param, dict):
            continue
        for key in ("target", "targets"):  # "targets" may also be a single string
            if key in param:
                update(param, key)
        if isinstance(param.get("targets"), list):
            for i in range(len(param["targets"])):
                update(param["targets"], i)


def _rename_socket_refs(pipeline: Any, nodes: set[Any], kind: str, old: str, new: str) -> None:
    def fix(socket: str) -> str:
        parts = socket.split(".", 2)
        if len(parts) == 3 and parts[0] in nodes and parts[1] == kind and parts[2] == old:
            return f"{parts[0]}.{kind}.{new}"
        return socket

    _map_sockets(pipeline, fix)


def _rename_placeholders(step: Any, old: str, new: str) -> None:
    pattern = re.compile(r"\{(parameter|parameter-value):" + re.escape(old) + r"\}")

    def fix(text: str) -> str:
        return pattern.sub(lambda m: "{" + m.group(1) + ":" + new + "}", text)

    command = step.get("command")
    if isinstance(command, str) and fix(command) != command:
        step["command"] = type(command)(fix(command)) if type(command) is not str else fix(command)
    elif isinstance(command, list):
        for i, line in enumerate(command):
            if isinstance(line, str) and fix(line) != line:
                command[i] = type(line)(fix(line)) if type(line) is not str else fix(line)


def add_parameter(doc: YamlDocument, step: str, spec: dict[str, Any]) -> None:
    _add_spec(doc, step, "parameters", {"type": "string", **spec} if "type" not in spec else spec)


def remove_parameter(doc: YamlDocument, step: str, name: str) -> None:
    _remove_spec(doc, step, "parameters", name)


def rename_parameter(doc: YamlDocument, step: str, old: str, new: str) -> None:
    _rename_spec(doc, step, "parameters", old, new)


def set_parameter_field(doc: YamlDocument, step: str, param: str, key: str, value: Any) -> None:
    _set_spec_field(doc, step, "parameters", param, key, value)


def add_input(doc: YamlDocument, step: str, spec: dict[str, Any]) -> None:
    _add_spec(doc, step, "inputs", spec)


def remove_input(doc: YamlDocument, step: str, name: str) -> None:
    _remove_spec(doc, step, "inputs", name)


def rename_input(doc: YamlDocument, step: str, old: str, new: str) -> None:
    _rename_spec(doc, step, "inputs", old, new)


def set_input_field(doc: YamlDocument, step: str, name: str, key: str, value: Any) -> None:
    _set_spec_field(doc, step, "inputs", name, key, value)


# -- pipelines and nodes -------------------------------------------------------------------


def add_pipeline(doc: YamlDocument, name: str) -> None:
    _check_name(name, "pipeline")
    if name in doc.loaded.config_pipeline_names():
        raise DuplicateNameError(f'A pipeline named "{name}" already exists')
    body = CommentedMap([("name", name), ("nodes", CommentedSeq()), ("edges", CommentedSeq())])
    doc.apply(lambda tree: tree.append(CommentedMap([("pipeline", body)])))


def remove_pipeline(doc: YamlDocument, name: str) -> None:
    _remove_item(doc, "pipeline", name)


def rename_pipeline(doc: YamlDocument, old: str, new: str) -> None:
    _check_name(new, "pipeline")
    if new != old and new in doc.loaded.config_pipeline_names():
        raise DuplicateNameError(f'A pipeline named "{new}" already exists')
    doc.apply(lambda tree: _find(tree, "pipeline", old).__setitem__("name", new))


def add_node(doc: YamlDocument, pipeline: str, name: str, step: str, type: str = "execution") -> None:
    """Add a node using ``step`` (for a deployment node, ``step`` names the deployment)."""
    _check_name(name, "node")
    if type not in NODE_TYPES:
        raise EditError(f"Unknown node type {type!r}; use one of {', '.join(NODE_TYPES)}")

    def mutate(tree: Any) -> None:
        body = _find(tree, "pipeline", pipeline)
        nodes = _list(body, "nodes")
        if any(isinstance(n, dict) and n.get("name") == name for n in nodes):
            raise DuplicateNameError(f'Pipeline "{pipeline}" already has a node named "{name}"')
        ref_key = "deployment" if type == "deployment" else "step"
        nodes.append(CommentedMap([("name", name), ("type", type), (ref_key, step)]))

    doc.apply(mutate)


def remove_node(doc: YamlDocument, pipeline: str, name: str) -> None:
    """Remove a node and every edge that touches it."""

    def mutate(tree: Any) -> None:
        body = _find(tree, "pipeline", pipeline)
        nodes = body.get("nodes") or []
        nodes.remove(_named(nodes, name, "node"))
        edges = body.get("edges") or []
        for index in reversed(range(len(edges))):
            source, target = _edge_sockets(edges[index])
            if _socket_node(source) == name or _socket_node(target) == name:
                del edges[index]
        _drop_parameter_targets(body, name)

    doc.apply(mutate)


def _drop_parameter_targets(pipeline: Any, node: str) -> None:
    """A removed node's parameters are no longer pipeline parameter targets."""
    for param in pipeline.get("parameters") or []:
        for key in ("target", "targets") if isinstance(param, dict) else ():
            value = param.get(key)
            if isinstance(value, str) and _socket_node(value) == node:
                del param[key]
            elif isinstance(value, list):
                for index in reversed(range(len(value))):
                    if _socket_node(value[index]) == node:
                        del value[index]


def rename_node(doc: YamlDocument, pipeline: str, old: str, new: str) -> None:
    _check_name(new, "node")

    def rename(socket: str) -> str:
        return new + socket[len(old) :] if _socket_node(socket) == old else socket

    def mutate(tree: Any) -> None:
        body = _find(tree, "pipeline", pipeline)
        nodes = body.get("nodes") or []
        if new != old and any(isinstance(n, dict) and n.get("name") == new for n in nodes):
            raise DuplicateNameError(f'Pipeline "{pipeline}" already has a node named "{new}"')
        _named(nodes, old, "node")["name"] = new
        _map_sockets(body, rename)

    doc.apply(mutate)


def set_node_field(doc: YamlDocument, pipeline: str, node: str, key: str, value: Any) -> None:
    if key == "name":
        rename_node(doc, pipeline, node, value)
        return

    def mutate(tree: Any) -> None:
        _set_or_delete(_named(_find(tree, "pipeline", pipeline).get("nodes"), node, "node"), key, value)

    doc.apply(mutate)


# -- edges ---------------------------------------------------------------------------------


def _edge_sockets(edge: Any) -> tuple[Any, Any]:
    if isinstance(edge, list) and len(edge) == 2:
        return edge[0], edge[1]
    if isinstance(edge, dict):
        return edge.get("source"), edge.get("target")
    return None, None


def _socket_node(socket: Any) -> str | None:
    return socket.split(".", 1)[0] if isinstance(socket, str) else None


def _new_edge(edges: Any, source: str, target: str) -> Any:
    """A new edge in the style the pipeline already uses (flow ``[a, b]`` shorthand by default)."""
    if any(isinstance(e, dict) for e in edges) and not any(isinstance(e, list) for e in edges):
        return CommentedMap([("source", source), ("target", target)])
    edge = CommentedSeq([source, target])
    edge.fa.set_flow_style()
    return edge


def check_edge(loaded: LoadedConfig, pipeline: str, source: str, target: str) -> None:
    """Raise an EdgeError if ``source`` → ``target`` cannot be added to ``pipeline``."""
    from runner.config.checks import ALLOWED_TARGETS, article, feeds_sentence
    from runner.dag.graph import PipelineGraph

    config = loaded.config
    if config is None or pipeline not in config.pipelines:
        raise UnknownNameError(f'There is no pipeline named "{pipeline}"')
    graph = PipelineGraph.from_pipeline(config.pipelines[pipeline])
    s, t = source.split(".", 2), target.split(".", 2)
    if len(s) != 3 or len(t) != 3 or not all(s) or not all(t):
        raise PortMismatchError("An edge end must look like node.type.key, e.g. train.output.model*")
    for node in (s[0], t[0]):
        if node not in graph.graph:
            raise UnknownNameError(f'Pipeline "{pipeline}" has no node "{node}"')
    if t[1] not in ALLOWED_TARGETS.get(s[1], set()):
        raise PortMismatchError(f"{feeds_sentence(s[1])}, not {article(t[1])}")
    for edge in graph.edges:
        if (edge.source, edge.target) == (source, target):
            raise DuplicateEdgeError("These two ports are already connected")
        if t[1] == "parameter" and edge.target == target:
            raise DuplicateEdgeError(f'Parameter "{t[2]}" of node "{t[0]}" is already fed by {edge.source}')
    cycle = graph.would_cycle(s[0], t[0])
    if cycle:
        raise CycleError(cycle)


def add_edge(doc: YamlDocument, pipeline: str, source: str, target: str) -> None:
    check_edge(doc.loaded, pipeline, source, target)

    def mutate(tree: Any) -> None:
        edges = _list(_find(tree, "pipeline", pipeline), "edges")
        edges.append(_new_edge(edges, source, target))

    doc.apply(mutate)


def remove_edge(doc: YamlDocument, pipeline: str, index: int) -> None:
    def mutate(tree: Any) -> None:
        edges = _find(tree, "pipeline", pipeline).get("edges") or []
        if not 0 <= index < len(edges):
            raise UnknownNameError(f'Pipeline "{pipeline}" has no edge number {index}')
        del edges[index]

    doc.apply(mutate)


def set_edge(doc: YamlDocument, pipeline: str, index: int, source: str, target: str) -> None:
    """Change an edge's ends (e.g. its output pattern), keeping its place and style."""

    def mutate(tree: Any) -> None:
        edges = _find(tree, "pipeline", pipeline).get("edges") or []
        if not 0 <= index < len(edges):
            raise UnknownNameError(f'Pipeline "{pipeline}" has no edge number {index}')
        edge = edges[index]
        if isinstance(edge, list):
            if edge[0] != source:
                edge[0] = source
            if edge[1] != target:
                edge[1] = target
        else:
            for key, value in (("source", source), ("target", target)):
                if edge.get(key) != value:
                    edge[key] = value

    doc.apply(mutate)


def set_value(doc: YamlDocument, path: tuple[str | int, ...], value: Any) -> None:
    """Set any value by config path, e.g. ``(0, "step", "parameters", 1, "default")``."""

    def mutate(tree: Any) -> None:
        node = tree
        for key in path[:-1]:
            node = node[key]
        _set_or_delete(node, path[-1], value) if isinstance(node, dict) else node.__setitem__(path[-1], value)

    doc.apply(mutate)
