"""Attach with VS Code: the project's ``.vscode/launch.json`` gets (or has updated) an attach
configuration for a node's debugger, mapping ``/valohai/repository`` to the local folder.

The file may hold comments and trailing commas (VS Code's JSONC); a file we cannot read safely
is never overwritten: the error says so and shows what to add.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REMOTE_ROOT = "/valohai/repository"


class AttachConfigError(RuntimeError):
    pass


def attach_configuration(name: str, port: int, host: str = "127.0.0.1") -> dict[str, Any]:
    return {
        "name": name,
        "type": "debugpy",
        "request": "attach",
        "connect": {"host": host, "port": port},
        "pathMappings": [{"localRoot": "${workspaceFolder}", "remoteRoot": REMOTE_ROOT}],
        "justMyCode": False,
    }


def _strip_jsonc(text: str) -> str:
    """Remove // and /* */ comments and trailing commas, leaving strings alone."""
    token = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
    text = token.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    return re.sub(r",(\s*[}\]])", r"\1", text)


def write_vscode_launch(project: Path, node: str, port: int, host: str = "127.0.0.1") -> Path:
    """Add or replace the configuration named for ``node``; returns the file written."""
    path = project / ".vscode" / "launch.json"
    name = f"Attach to pipeline node {node}"
    config = attach_configuration(name, port, host)
    data: dict[str, Any] = {"version": "0.2.0", "configurations": []}
    if path.exists():
        try:
            data = json.loads(_strip_jsonc(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AttachConfigError(
                f"{path} could not be read ({exc}); it was left as it is. Add this configuration:\n"
                + json.dumps(config, indent=4)
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("configurations", []), list):
            raise AttachConfigError(f'{path}: no "configurations" list; it was left as it is')
    ours = [c for c in data.get("configurations", []) if isinstance(c, dict) and c.get("name") == name]
    configs = [c for c in data.get("configurations", []) if not any(c is o for o in ours)]
    data["configurations"] = [*configs, config]
    data.setdefault("version", "0.2.0")
    path.parent.mkdir(parents=True, exist_ok=True)
    from runner.config.document import atomic_write  # never a half-written launch.json

    atomic_write(path, (json.dumps(data, indent=4) + "\n").encode("utf-8"))
    return path
