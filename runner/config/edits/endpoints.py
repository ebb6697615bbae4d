"""Edits of deployment endpoints (top-level ``- endpoint:`` items) and deployment nodes.

A deployment node lists the endpoints it deploys; each endpoint file is a node input port
``<node>.file.<endpoint>.<file>``, fed by an edge from an upstream output. Renames and removals
carry over to those lists and edges so the file stays consistent.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.comments import CommentedMap

from runner.config import query
from runner.config.document import YamlDocument
from runner.config.edits._tree import (
    as_list,
    check_name,
    check_number,
    check_strings,
    find,
    flow_list,
    has_named,
    insert_top_level,
    items,
    named,
    node_body,
    replace_items,
    set_or_delete,
)
from runner.config.edits.rename import map_sockets
from runner.config.errors import DuplicateNameError, EditError, UnknownNameError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]+$")
__all__ = [
    "ENDPOINT_FIELDS",
    "FILE_FIELDS",
    "NAME_PATTERN",
    "add_deployment_node",
    "add_endpoint",
    "add_endpoint_file",
    "check_endpoint_name",
    "remove_endpoint",
    "remove_endpoint_file",
    "rename_endpoint",
    "set_deployment_node_field",
    "set_endpoint_field",
    "set_endpoint_file_field",
]

ENDPOINT_FIELDS = ("image", "server-command", "wsgi", "port", "description")
FILE_FIELDS = ("path", "description")


def check_endpoint_name(name: Any) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise EditError(
            f"An endpoint name is lowercase: a letter, then letters, digits or dashes (e.g. predict-v2), "
            f"not {name!r}"
        )


def _endpoint_names(tree: Any) -> list[str]:
    return [str(b.get("name")) for _i, b in items(tree, "endpoint")]


def _deployment_nodes(tree: Any) -> list[tuple[Any, Any]]:
    """(pipeline, node) of every deployment node."""
    return [
        (pipeline, node)
        for _i, pipeline in query.items(tree, "pipeline")
        for _j, node in query.nodes(pipeline)
        if node.get("type") == "deployment"
    ]


def _fix_file_sockets(pipeline: Any, nodes: set[str], fix: Any) -> None:
    """Apply ``fix(endpoint, file) -> (endpoint, file)`` to ``<node>.file.<ep>.<file>`` edge ends."""

    def fix_socket(socket: str) -> str:
        parts = socket.split(".", 3)
        if len(parts) == 4 and parts[0] in nodes and parts[1] == "file":
            endpoint, file = fix(parts[2], parts[3])
            return f"{parts[0]}.file.{endpoint}.{file}"
        return socket

    map_sockets(pipeline, fix_socket)


def _drop_file_edges(pipeline: Any, nodes: set[str], endpoint: str, file: str | None = None) -> None:
    edges = pipeline.get("edges") or []
    for index in reversed(range(len(edges))):
        _source, target = query.edge_sockets(edges[index])
        parts = target.split(".", 3) if isinstance(target, str) else []
        ours = len(parts) == 4 and parts[0] in nodes and parts[1:3] == ["file", endpoint]
        if ours and (file is None or parts[3] == file):
            del edges[index]


# -- endpoints -----------------------------------------------------------------------------


def add_endpoint(
    doc: YamlDocument, name: str, image: str, server_command: str | None = None, port: int | None = None
) -> None:
    """A new endpoint served by ``server_command`` (or, without one, a placeholder command to edit)."""
    check_endpoint_name(name)
    if not image or not image.strip():
        raise EditError("An endpoint needs a Docker image")
    if port is not None:
        _check_port(port)

    def mutate(tree: Any) -> None:
        if name in _endpoint_names(tree):
            raise DuplicateNameError(f'An endpoint named "{name}" already exists')
        body = CommentedMap([("name", name), ("image", image)])
        body["server-command"] = server_command or "python -m http.server 8000"
        body["port"] = port or 8000
        insert_top_level(tree, "endpoint", body)

    doc.apply(mutate)


def remove_endpoint(doc: YamlDocument, name: str) -> None:
    """Remove an endpoint, its name from deployment nodes and the edges into its files."""

    def mutate(tree: Any) -> None:
        for index, body in items(tree, "endpoint"):
            if body.get("name") == name:
                del tree[index]
                break
        else:
            raise UnknownNameError(f'There is no endpoint named "{name}"')
        for pipeline, node in _deployment_nodes(tree):
            endpoints = node.get("endpoints")
            if isinstance(endpoints, list) and name in endpoints:
                endpoints.remove(name)
                _drop_file_edges(pipeline, {node.get("name")}, name)

    doc.apply(mutate)


def rename_endpoint(doc: YamlDocument, old: str, new: str) -> None:
    check_endpoint_name(new)

    def mutate(tree: Any) -> None:
        if new != old and new in _endpoint_names(tree):
            raise DuplicateNameError(f'An endpoint named "{new}" already exists')
        find(tree, "endpoint", old)["name"] = new
        for pipeline, node in _deployment_nodes(tree):
            endpoints = node.get("endpoints")
            if isinstance(endpoints, list) and old in endpoints:
                endpoints[endpoints.index(old)] = new
                _fix_file_sockets(pipeline, {node.get("name")}, lambda e, f: (new if e == old else e, f))

    doc.apply(mutate)


def _check_port(port: Any) -> None:
    check_number(port, "port", integer=True)
    if not 1025 <= port <= 65535:
        raise EditError(f"port must be between 1025 and 65535, not {port}")


def set_endpoint_field(doc: YamlDocument, endpoint: str, key: str, value: Any) -> None:
    """Set an endpoint field. ``server-command`` and ``wsgi`` exclude each other: setting one
    removes the other (the format wants exactly one)."""
    if key == "name":
        rename_endpoint(doc, endpoint, value)
        return
    if key not in ENDPOINT_FIELDS:
        raise EditError(f"An endpoint has no field {key!r} here; use one of {', '.join(ENDPOINT_FIELDS)}")
    if isinstance(value, str) and not value.strip():
        value = None
    if key == "image" and value is None:
        raise EditError("An endpoint needs a Docker image")
    if key == "port" and value is not None:
        _check_port(value)

    def mutate(tree: Any) -> None:
        body = find(tree, "endpoint", endpoint)
        if key in ("server-command", "wsgi"):
            other = "wsgi" if key == "server-command" else "server-command"
            if value is None and other not in body:
                raise EditError("An endpoint needs a server command or a WSGI application")
            if value is not None:
                body.pop(other, None)
        set_or_delete(body, key, value)

    doc.apply(mutate)


def add_endpoint_file(doc: YamlDocument, endpoint: str, name: str, path: str) -> None:
    check_name(name, "file")
    if "." in name:
        raise EditError("An endpoint file name cannot contain '.': edges use dots as separators")

    def mutate(tree: Any) -> None:
        files = as_list(find(tree, "endpoint", endpoint), "files")
        if has_named(files, name):
            raise DuplicateNameError(f'Endpoint "{endpoint}" already has a file named "{name}"')
        files.append(CommentedMap([("name", name), ("path", path)]))

    doc.apply(mutate)


def remove_endpoint_file(doc: YamlDocument, endpoint: str, name: str) -> None:
    def mutate(tree: Any) -> None:
        body = find(tree, "endpoint", endpoint)
        body["files"].remove(named(body.get("files"), name, "file"))
        if not body["files"]:
            del body["files"]
        for pipeline, node in _deployment_nodes(tree):
            if endpoint in (node.get("endpoints") or []):
                _drop_file_edges(pipeline, {node.get("name")}, endpoint, name)

    doc.apply(mutate)


def set_endpoint_file_field(doc: YamlDocument, endpoint: str, name: str, key: str, value: Any) -> None:
    """Set ``name`` (renames edges into it too), ``path`` or ``description`` of an endpoint file."""
    if key == "name":
        _rename_file(doc, endpoint, name, value)
        return
    if key not in FILE_FIELDS:
        raise EditError(f"An endpoint file has no field {key!r}; use name, path or description")
    if key == "path" and not (isinstance(value, str) and value.strip()):
        raise EditError("An endpoint file needs a path, e.g. model/model.pkl")

    def mutate(tree: Any) -> None:
        set_or_delete(named(find(tree, "endpoint", endpoint).get("files"), name, "file"), key, value)

    doc.apply(mutate)


def _rename_file(doc: YamlDocument, endpoint: str, old: str, new: str) -> None:
    check_name(new, "file")
    if "." in new:
        raise EditError("An endpoint file name cannot contain '.': edges use dots as separators")

    def mutate(tree: Any) -> None:
        files = find(tree, "endpoint", endpoint).get("files")
        if new != old and has_named(files, new):
            raise DuplicateNameError(f'Endpoint "{endpoint}" already has a file named "{new}"')
        named(files, old, "file")["name"] = new
        for pipeline, node in _deployment_nodes(tree):
            if endpoint in (node.get("endpoints") or []):
                nodes = {node.get("name")}
                _fix_file_sockets(pipeline, nodes, lambda e, f: (e, new if (e, f) == (endpoint, old) else f))

    doc.apply(mutate)


# -- deployment nodes ----------------------------------------------------------------------


def add_deployment_node(
    doc: YamlDocument, pipeline: str, name: str, deployment: str, endpoints: list[str] | None = None
) -> None:
    check_name(name, "node")
    if "." in name:
        raise EditError("A node name cannot contain '.': edges use dots to separate node, type and key")
    if not deployment or not deployment.strip():
        raise EditError("A deployment node needs the name of the deployment it creates versions of")

    def mutate(tree: Any) -> None:
        nodes = as_list(find(tree, "pipeline", pipeline), "nodes")
        if has_named(nodes, name):
            raise DuplicateNameError(f'Pipeline "{pipeline}" already has a node named "{name}"')
        _check_endpoints(tree, endpoints or [])
        body = CommentedMap([("name", name), ("type", "deployment"), ("deployment", deployment)])
        if endpoints:
            body["endpoints"] = flow_list(endpoints)
        nodes.append(body)

    doc.apply(mutate)


def _check_endpoints(tree: Any, endpoints: list[str]) -> None:
    known = _endpoint_names(tree)
    for endpoint in endpoints:
        if endpoint not in known:
            raise UnknownNameError(f'There is no endpoint named "{endpoint}"')


def set_deployment_node_field(doc: YamlDocument, pipeline: str, node: str, key: str, value: Any) -> None:
    """Set ``deployment``, ``aliases`` or ``endpoints`` of a deployment node. Dropping an
    endpoint also drops the edges into its files."""
    if key not in ("deployment", "aliases", "endpoints"):
        raise EditError(f"A deployment node has no field {key!r} here; use deployment, aliases or endpoints")
    if key == "deployment" and not (isinstance(value, str) and value.strip()):
        raise EditError("A deployment node needs the name of the deployment it creates versions of")
    if key != "deployment":
        value = value or None
        if value is not None:
            check_strings(value, key)

    def mutate(tree: Any) -> None:
        body = node_body(tree, pipeline, node)
        if body.get("type") != "deployment":
            raise EditError(f'Node "{node}" is not a deployment node')
        if key == "endpoints":
            _check_endpoints(tree, value or [])
            for gone in set(body.get("endpoints") or []) - set(value or []):
                _drop_file_edges(find(tree, "pipeline", pipeline), {node}, gone)
        current = body.get(key)
        if isinstance(value, list) and isinstance(current, list):
            replace_items(current, value)
            return
        set_or_delete(body, key, flow_list(value) if isinstance(value, list) else value)

    doc.apply(mutate)
