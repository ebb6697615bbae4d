"""The config dir: env ``PIPELINE_DESIGNER_CONFIG`` or the platform user config dir."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import platformdirs

CONFIG_ENV = "PIPELINE_DESIGNER_CONFIG"


def config_dir() -> Path:
    override = os.environ.get(CONFIG_ENV)
    path = Path(override) if override else Path(platformdirs.user_config_dir("pipeline-designer"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def client_id(directory: Path | None = None) -> str:
    """A random id of this installation, labelled on remote containers.

    Leftover cleanup removes only containers carrying our own id, never those of another
    machine (or another test) sharing the same engine.
    """
    path = (directory or config_dir()) / "client-id"
    try:
        text = path.read_text().strip()
        if text:
            return text
    except FileNotFoundError:
        pass
    value = uuid.uuid4().hex[:16]
    path.write_text(value + "\n")
    return value
