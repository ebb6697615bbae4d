"""Map a diagnostic's config path onto what the canvas shows (pipeline, node, edge)."""

from __future__ import annotations

from typing import Any

from designer.document.model_api import query


def locate_in_pipeline(data: Any, path: tuple[Any, ...]) -> tuple[str, str, Any] | None:
    """(pipeline name, "pipeline" | "node" | "edge", node name | edge index | None) or None.

    ``path`` looks like ``(3, "pipeline", "nodes", 1, "step")`` (top-level index first).
    """
    if len(path) < 2 or not isinstance(data, list) or not isinstance(path[0], int):
        return None
    if not 0 <= path[0] < len(data) or path[1] not in ("pipeline", "blueprint"):
        return None
    body = data[path[0]].get(path[1]) if isinstance(data[path[0]], dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        return None
    name = body["name"]
    if len(path) >= 4 and path[2] == "nodes" and isinstance(path[3], int):
        node = dict(query.nodes(body)).get(path[3])
        if node is not None:
            return name, "node", node.get("name")
    if len(path) >= 4 and path[2] == "edges" and isinstance(path[3], int):
        return name, "edge", path[3]
    return name, "pipeline", None


def describe_path(data: Any, path: tuple[Any, ...]) -> str:
    """A readable place for the problems list: ``training-pipeline › node evaluate › step``."""
    if not path:
        return ""
    found = locate_in_pipeline(data, path)
    if found is not None:
        pipeline, kind, name = found
        parts = [pipeline]
        if kind == "node":
            parts.append(f"node {name}")
            parts += [str(p) for p in path[5:6]]
        elif kind == "edge":
            parts.append(f"edge {name}")
        return " › ".join(parts)
    if isinstance(data, list) and isinstance(path[0], int) and 0 <= path[0] < len(data) and len(path) > 1:
        item = data[path[0]]
        body = item.get(path[1]) if isinstance(item, dict) else None
        name = body.get("name") if isinstance(body, dict) else None
        rest = [str(p) for p in path[2:4] if not isinstance(p, int)]
        return " › ".join([f"{path[1]} {name}" if name else str(path[1]), *rest])
    return ".".join(str(p) for p in path)
