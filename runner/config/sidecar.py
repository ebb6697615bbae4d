"""The designer's layout sidecar: node positions and view state, never inside valohai.yaml.

It lives next to the YAML as ``.<stem>.designer.json`` (``.valohai.designer.json``). A missing
file is normal; a corrupt one is ignored with a warning, and the designer lays nodes out
automatically. Keys this version does not know are kept on save.

Top-level sections other than the layout (``section("triggers")``) may be written by someone else
while a ``Layout`` is held in memory (the Triggers dialog or ``pipeline-designer watch --save`` while
the designer has the file open). ``save`` therefore writes only the sections this instance touched
and takes the others from the file as it is on disk, and ``update_section`` edits one section of the
file in place, so neither writer clobbers the other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.config.document import atomic_write

FORMAT_VERSION = 1
_LAYOUT_KEYS = {"format_version", "pipelines"}


class SidecarError(ValueError):
    """The sidecar exists but cannot be read, so it must not be overwritten."""


def sidecar_path(yaml_path: str | Path) -> Path:
    path = Path(yaml_path)
    return path.with_name(f".{path.stem}.designer.json")


class Layout:
    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = data or {}
        self._data.setdefault("format_version", FORMAT_VERSION)
        self._data.setdefault("pipelines", {})
        self._touched: set[str] = set()  # sections handed out by section(): ours to write

    @classmethod
    def load(cls, yaml_path: str | Path) -> tuple[Layout, list[str]]:
        """The layout for ``yaml_path`` and warnings about what had to be ignored."""
        path = sidecar_path(yaml_path)
        if not path.exists():
            return cls(), []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("pipelines", {}), dict):
                raise ValueError("not a layout object")
        except (OSError, ValueError) as exc:
            return cls(), [f"{path}: layout ignored ({exc}); nodes are laid out automatically"]
        layout, warnings = cls(data), []
        for name, entry in list(layout._data["pipelines"].items()):
            nodes = entry.get("nodes") if isinstance(entry, dict) else None
            if not isinstance(nodes, dict):
                layout._data["pipelines"][name] = {"nodes": {}}
                warnings.append(f"{path}: positions of pipeline {name!r} ignored (malformed)")
                continue
            for node, xy in list(nodes.items()):
                if not _valid_xy(xy):
                    del nodes[node]
                    warnings.append(f"{path}: position of node {node!r} ignored (malformed)")
        return layout, warnings

    def save(self, yaml_path: str | Path) -> Path:
        path = sidecar_path(yaml_path)
        try:
            disk = _read(path)
        except SidecarError:
            disk = None  # a corrupt file is replaced by what we hold
        if disk is not None:
            for key in (set(disk) | set(self._data)) - _LAYOUT_KEYS - self._touched:
                if key in disk:
                    self._data[key] = disk[key]
                else:
                    self._data.pop(key, None)
        atomic_write(path, (json.dumps(self._data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
        return path

    def _pipeline(self, pipeline: str) -> dict[str, Any]:
        return self._data["pipelines"].setdefault(pipeline, {"nodes": {}})

    def positions(self, pipeline: str) -> dict[str, tuple[float, float]]:
        nodes = self._data["pipelines"].get(pipeline, {}).get("nodes", {})
        return {name: (float(xy[0]), float(xy[1])) for name, xy in nodes.items()}

    def set_position(self, pipeline: str, node: str, xy: tuple[float, float]) -> None:
        self._pipeline(pipeline)["nodes"][node] = [round(float(xy[0]), 1), round(float(xy[1]), 1)]

    def remove_node(self, pipeline: str, node: str) -> None:
        self._pipeline(pipeline)["nodes"].pop(node, None)

    def rename_node(self, pipeline: str, old: str, new: str) -> None:
        nodes = self._pipeline(pipeline)["nodes"]
        if old in nodes:
            nodes[new] = nodes.pop(old)

    def rename_pipeline(self, old: str, new: str) -> None:
        pipelines = self._data["pipelines"]
        if old in pipelines:
            pipelines[new] = pipelines.pop(old)

    def remove_pipeline(self, pipeline: str) -> None:
        self._data["pipelines"].pop(pipeline, None)

    def view(self, pipeline: str) -> dict[str, Any]:
        return dict(self._data["pipelines"].get(pipeline, {}).get("view", {}))

    def set_view(self, pipeline: str, view: dict[str, Any]) -> None:
        self._pipeline(pipeline)["view"] = view

    def section(self, key: str) -> dict[str, Any]:
        """A free-form top-level section (e.g. ``"triggers"``) owned by another feature."""
        if key in _LAYOUT_KEYS:
            raise ValueError(f"{key!r} is the layout itself, not a section")
        self._touched.add(key)
        section = self._data.get(key)
        if not isinstance(section, dict):
            section = self._data[key] = {}
        return section


def _read(path: Path) -> dict[str, Any] | None:
    """The sidecar's JSON object, None when there is no file; SidecarError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SidecarError(f"{path}: cannot read it ({exc})") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SidecarError(f"{path}: not valid JSON ({exc}); fix or delete the file") from exc
    if not isinstance(data, dict):
        raise SidecarError(f"{path}: not a JSON object; fix or delete the file")
    return data


def read_section(yaml_path: str | Path, key: str) -> dict[str, Any]:
    """One top-level section as it is on disk ({} when absent). Raises SidecarError."""
    section = (_read(sidecar_path(yaml_path)) or {}).get(key)
    return section if isinstance(section, dict) else {}


def update_section(yaml_path: str | Path, key: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """Read the sidecar, let ``edit`` change one section in place, write it back atomically.

    Everything else in the file (node positions, view state, unknown keys) is written back as it
    was read, even entries the designer would drop as malformed. A file that cannot be read is
    refused (SidecarError) rather than replaced.
    """
    layout = Layout(_read(sidecar_path(yaml_path)))
    edit(layout.section(key))
    return layout.save(yaml_path)


def _valid_xy(xy: Any) -> bool:
    return (
        isinstance(xy, list | tuple)
        and len(xy) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in xy)
    )
