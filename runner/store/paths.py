"""Where the runner keeps its data: env ``PIPELINE_DESIGNER_HOME`` or the platform user data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "PIPELINE_DESIGNER_HOME"


def data_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    path = Path(override) if override else Path(platformdirs.user_data_dir("pipeline-designer"))
    path.mkdir(parents=True, exist_ok=True)
    return path
