"""The runner's one way into the user's Python: a folder it owns, mounted read-only into the
container and put first on ``PYTHONPATH``, whose ``sitecustomize.py`` turns features on by
environment variable and then chains to the image's own sitecustomize.

Features (each a module in ``site/``, and only loaded when its variable is set):
``PIPELINE_DESIGNER_DEBUG=<port>``: the step's Python waits for a debugger (debugpy, mounted too);
``PIPELINE_DESIGNER_CAPTURE_LOCALS=1``: an uncaught exception's frame locals are recorded.
Nothing is injected into an execution that turns no feature on.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SITE_DIR = Path(__file__).resolve().parent / "site"
CONTAINER_DIR = "/valohai/inject"
DEBUGPY_CONTAINER_DIR = "/valohai/inject-debugpy"
DEBUG_ENV = "PIPELINE_DESIGNER_DEBUG"
DEBUGPY_ENV = "PIPELINE_DESIGNER_DEBUGPY"
LOCALS_ENV = "PIPELINE_DESIGNER_CAPTURE_LOCALS"
DEBUG_PORT = 5678  # inside the container; published on a free port of 127.0.0.1
# Not needed to debug a process started under debugpy (attach-to-pid helpers for other OSes).
_DEBUGPY_SKIP = ("pydevd_attach_to_process", "__pycache__")


class InjectError(RuntimeError):
    pass


def debugpy_dir() -> Path:
    """The folder holding the ``debugpy`` package of this installation."""
    spec = importlib.util.find_spec("debugpy")
    if spec is None or not spec.submodule_search_locations:
        raise InjectError("debugpy is not installed with pipeline-designer (pip install debugpy)")
    return Path(next(iter(spec.submodule_search_locations))).parent


def mounts(features: dict[str, str]) -> dict[Path, str]:
    """Host folder -> container folder (read-only) for the features turned on."""
    if not features:
        return {}
    out = {SITE_DIR: CONTAINER_DIR}
    if DEBUG_ENV in features:
        out[debugpy_dir() / "debugpy"] = f"{DEBUGPY_CONTAINER_DIR}/debugpy"
    return out


def environment(features: dict[str, str], image_pythonpath: str = "") -> dict[str, str]:
    """The variables to add: the features' own, and PYTHONPATH with our folder first."""
    if not features:
        return {}
    env = dict(features)
    env["PYTHONPATH"] = CONTAINER_DIR + (f":{image_pythonpath}" if image_pythonpath else "")
    if DEBUG_ENV in features:
        env[DEBUGPY_ENV] = DEBUGPY_CONTAINER_DIR
    return env


def skip_in_archive(rel: str) -> bool:
    """Files of a mounted folder left out when it travels as an archive (remote hosts)."""
    return any(part in _DEBUGPY_SKIP for part in rel.split("/"))
