"""The runner's one way into the user's Python: a folder it owns, mounted read-only into the
container and put first on ``PYTHONPATH``, whose ``sitecustomize.py`` turns features on by
environment variable and then chains to the image's own sitecustomize.

Features (each a module in ``site/``, and only loaded when its variable is set):
``PIPELINE_DESIGNER_DEBUG=<port>``: the step's Python waits for a debugger (debugpy, mounted too);
``PIPELINE_DESIGNER_PYDEVD=<port>``: the step's Python is debugged by PyCharm (pydevd-pycharm, the
folder the runner keeps for the user's PyCharm build, mounted too; ``_pd_pydevd``);
``PIPELINE_DESIGNER_CAPTURE_LOCALS=1``: an uncaught exception's frame locals are recorded;
``PIPELINE_DESIGNER_RECORD_READS=1``: the repository files each Python process reads are recorded
(``_pd_reads``; runner.execution.reads turns them into what a node depends on).
Nothing is injected into an execution that turns no feature on.

Whenever something is injected the step also gets a writable folder, ``PIPELINE_DESIGNER_REPORTS``
(``/valohai/runner-reports`` in a container), which the backend hands back after the step with
``reports(handle) -> {relative path: bytes}`` (before the container is removed; at most
MAX_REPORT_BYTES in all). A feature writes its findings under ``<reports>/<feature>/``.

Adding a feature:

1. ``site/_pd_<name>.py``: what runs inside the user's Python. Standard library only; keep it
   importable by any Python 3 (check ``sys.version_info`` for what you need); it must never raise
   into the user's program (sitecustomize catches and prints, but stay quiet); it runs before the
   user's code and before the image's own sitecustomize. A feature meant for one process only (a
   debugger) pops its variable from ``os.environ`` so the step's child processes do not start it.
2. ``site/sitecustomize.py`` ``_features``: import and start it when its variable is set.
3. A ``*_ENV`` constant here, and the runner puts it in ``ExecutionSpec.inject`` (variable -> value)
   for the executions that want it (a small collaborator of the executor, as runner.debug's).
4. Extra read-only folders it needs in the container: ``mounts`` (debugpy, found with this
   installation), or, for a folder known only at run time (pydevd-pycharm), the collaborator puts
   it in ``ExecutionSpec.inject_folders`` (container folder -> host folder) and backends pass that
   to ``mounts``. Reading its results back: the backend's ``reports(handle)``, files under ``<name>/``.
"""

from __future__ import annotations

import importlib.util
import os
import posixpath
import tarfile
from pathlib import Path
from typing import IO

SITE_DIR = Path(__file__).resolve().parent / "site"
CONTAINER_DIR = "/valohai/inject"
DEBUGPY_CONTAINER_DIR = "/valohai/inject-debugpy"
DEBUG_ENV = "PIPELINE_DESIGNER_DEBUG"
DEBUGPY_ENV = "PIPELINE_DESIGNER_DEBUGPY"
PYDEVD_ENV = "PIPELINE_DESIGNER_PYDEVD"
PYDEVD_LIB_ENV = "PIPELINE_DESIGNER_PYDEVD_LIB"
PYDEVD_CONTAINER_DIR = "/valohai/inject-pydevd"
LOCALS_ENV = "PIPELINE_DESIGNER_CAPTURE_LOCALS"
READS_ENV = "PIPELINE_DESIGNER_RECORD_READS"
REPORTS_ENV = "PIPELINE_DESIGNER_REPORTS"
REPORTS_CONTAINER_DIR = "/valohai/runner-reports"
MAX_REPORT_BYTES = 16 * 1024 * 1024  # a runaway feature cannot fill the run store
DEBUG_PORT = 5678  # inside the container; published on a free port of 127.0.0.1
PYDEVD_PORT = 5679  # the same for PyCharm's: the runner connects to it (runner/debug/ide_relay.py)
# pydevd's attach-to-pid helpers are not needed to debug a process started with the debugger,
# except its Linux thread helpers (it traces threads that already run with them).
_ATTACH_DIR = "pydevd_attach_to_process"


class InjectError(RuntimeError):
    pass


def debugpy_dir() -> Path:
    """The folder holding the ``debugpy`` package of this installation."""
    spec = importlib.util.find_spec("debugpy")
    if spec is None or not spec.submodule_search_locations:
        raise InjectError("debugpy is not installed with pipeline-designer (pip install debugpy)")
    return Path(next(iter(spec.submodule_search_locations))).parent


def mounts(features: dict[str, str], folders: dict[str, str] | None = None) -> dict[Path, str]:
    """Host folder -> container folder (read-only) for the features turned on; ``folders``: the
    execution's own (``ExecutionSpec.inject_folders``, container folder -> host folder)."""
    if not features:
        return {}
    out = {SITE_DIR: CONTAINER_DIR}
    if DEBUG_ENV in features:
        out[debugpy_dir() / "debugpy"] = f"{DEBUGPY_CONTAINER_DIR}/debugpy"
    for container_dir, host_dir in (folders or {}).items():
        out[Path(host_dir).resolve()] = container_dir  # resolved: an archive must not hold a link
    return out


def environment(
    features: dict[str, str],
    image_pythonpath: str = "",
    site_dir: str = CONTAINER_DIR,
    reports_dir: str = REPORTS_CONTAINER_DIR,
) -> dict[str, str]:
    """The variables to add: the features' own, the reports folder, and PYTHONPATH with our folder
    first (``image_pythonpath``: the one the step would have had without us, kept after ours)."""
    if not features:
        return {}
    env = dict(features)
    env[REPORTS_ENV] = reports_dir
    env["PYTHONPATH"] = site_dir + (f":{image_pythonpath}" if image_pythonpath else "")
    if DEBUG_ENV in features:
        env[DEBUGPY_ENV] = DEBUGPY_CONTAINER_DIR
    if PYDEVD_ENV in features:
        env[PYDEVD_LIB_ENV] = PYDEVD_CONTAINER_DIR
    return env


def skip_in_archive(rel: str) -> bool:
    """Files of a mounted folder left out when it travels as an archive (remote hosts)."""
    parts = rel.split("/")
    if "__pycache__" in parts:
        return True
    if _ATTACH_DIR not in parts[:-1]:
        return False
    inside = parts[parts.index(_ATTACH_DIR) + 1 :]
    return not (len(inside) == 1 and inside[0].startswith("attach_linux_") and inside[0].endswith(".so"))


def read_reports(folder: Path) -> dict[str, bytes]:
    """The files a step's features wrote under ``folder`` (links not followed), at most
    MAX_REPORT_BYTES in all: relative "/"-separated path -> content."""
    out: dict[str, bytes] = {}
    total = 0
    if not folder.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            total += path.stat().st_size
            if total > MAX_REPORT_BYTES:
                return out
            out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


def reports_from_tar(fileobj: IO[bytes], root: str) -> dict[str, bytes]:
    """The same from a streamed tar of the folder (``get_archive``; members under ``root``/)."""
    out: dict[str, bytes] = {}
    total = 0
    with tarfile.open(fileobj=fileobj, mode="r|") as tar:
        for member in tar:
            rel = posixpath.normpath(member.name)
            if not member.isfile() or not rel.startswith(root + "/") or ".." in rel.split("/"):
                continue
            total += member.size
            data = tar.extractfile(member)
            if total > MAX_REPORT_BYTES or data is None:
                break
            out[rel[len(root) + 1 :]] = data.read()
    return out
