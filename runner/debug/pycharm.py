"""Debug with PyCharm: which pydevd-pycharm to use, and where the node's debugger connects.

pydevd-pycharm must be the version of the user's PyCharm build (263.7307.50 for PyCharm build
PY-263.7307.50: the IDE and the package speak one protocol revision). The version is, in order:
one given explicitly (``--pycharm-build``, or the ``PIPELINE_DESIGNER_PYCHARM_BUILD`` setting),
the newest PyCharm installed here (its ``product-info.json`` or ``build.txt``; the folders
searched are the usual ones, or those in ``PIPELINE_DESIGNER_PYCHARM_PATH``), else the newest on
the package index (runner.debug.pydevd_package).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

BUILD_ENV = "PIPELINE_DESIGNER_PYCHARM_BUILD"
SEARCH_ENV = "PIPELINE_DESIGNER_PYCHARM_PATH"
DEFAULT_PORT = 5679  # PyCharm's debug server for a node, unless its run configuration says otherwise
_BUILD = re.compile(r"^(?:P[YCE]-)?(\d+(?:\.\d+){1,3})$")
_CODES = ("PY", "PC", "PE")  # PyCharm (unified/Professional), Community, Educational


class PyCharmSetupError(ValueError):
    """The PyCharm debugger cannot be set up; the message says what to do."""


@dataclass(frozen=True)
class PyCharmInstall:
    path: Path
    build: str  # "263.7307.50"
    name: str = "PyCharm"


@dataclass(frozen=True)
class PyCharmTarget:
    """Debug nodes with PyCharm: its debug server's address (from the runner's side) and the
    pydevd-pycharm version (``build``; "" until chosen). ``package`` is the folder holding that
    pydevd-pycharm, filled in before the run starts (``runner.api.start_run``)."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    build: str = ""
    why: str = ""  # how the version was chosen, for the user
    package: Path | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def parse_connect(text: str) -> tuple[str, int]:
    """``--debug-connect``: ``PORT`` or ``HOST:PORT`` of PyCharm's debug server."""
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise PyCharmSetupError(f"--debug-connect {text!r}: give PORT or HOST:PORT of PyCharm's debug server")
    return host, int(port)


def normalized_build(text: str) -> str:
    """``PY-263.7307.50`` / ``263.7307.50`` -> ``263.7307.50``; PyCharmSetupError otherwise."""
    match = _BUILD.match(text.strip())
    if match is None:
        raise PyCharmSetupError(
            f"PyCharm build {text!r}: give it as PyCharm shows it in Help ▸ About, e.g. 263.7307.50"
        )
    return match.group(1)


def read_install(folder: Path) -> PyCharmInstall | None:
    """The PyCharm installed in ``folder`` (its root, or a macOS bundle's Contents/Resources)."""
    for base in (folder, folder / "Contents" / "Resources"):
        try:
            info = json.loads((base / "product-info.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = None
        if isinstance(info, dict) and (
            info.get("productCode") in _CODES or str(info.get("name", "")).startswith("PyCharm")
        ):
            match = _BUILD.match(str(info.get("buildNumber", "")))
            if match:
                return PyCharmInstall(folder, match.group(1), str(info.get("name") or "PyCharm"))
        try:
            text = (base / "build.txt").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if text[:2] in _CODES:
            match = _BUILD.match(text)
            if match:
                return PyCharmInstall(folder, match.group(1))
    return None


def search_folders(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[Path]:
    """Where PyCharm is usually installed (Toolbox, snaps, /opt, Applications, Program Files)."""
    env = os.environ if env is None else env
    if env.get(SEARCH_ENV):
        return [Path(p) for p in env[SEARCH_ENV].split(os.pathsep) if p]
    home = home or Path.home()
    toolbox = "JetBrains/Toolbox/apps"
    if sys.platform == "darwin":
        patterns = [(Path("/Applications"), "PyCharm*.app"), (home / "Applications", "PyCharm*.app")]
        patterns += [(home / "Library/Application Support" / toolbox, "*/*PyCharm*.app")]
    elif sys.platform == "win32":
        roots = [env.get("ProgramFiles", r"C:\Program Files"), env.get("LOCALAPPDATA", "")]
        patterns = [(Path(r) / "JetBrains", "PyCharm*") for r in roots if r]
        patterns += [(Path(env["LOCALAPPDATA"]) / "Programs", "PyCharm*")] if env.get("LOCALAPPDATA") else []
        patterns += [(Path(env["LOCALAPPDATA"]) / toolbox, "pycharm*")] if env.get("LOCALAPPDATA") else []
    else:
        share = Path(env.get("XDG_DATA_HOME") or home / ".local/share")
        patterns = [(share / toolbox, "pycharm*"), (share / toolbox, "PyCharm-*/ch-*/*")]
        patterns += [(Path("/opt"), "pycharm*"), (Path("/opt/jetbrains"), "pycharm*"), (home, "pycharm*")]
        patterns += [(Path("/snap"), "pycharm*/current"), (Path("/usr/share"), "pycharm*")]
        patterns += [(Path("/usr/local"), "pycharm*")]
    found: list[Path] = []
    for root, pattern in patterns:
        try:
            found += sorted(p for p in root.glob(pattern) if p.is_dir())
        except OSError:
            continue
    return found


def installed_builds(folders: Iterable[Path] | None = None) -> list[PyCharmInstall]:
    """The PyCharms found, newest build first."""
    installs = [i for i in (read_install(f) for f in (folders or search_folders())) if i is not None]
    return sorted(installs, key=lambda i: tuple(int(x) for x in i.build.split(".")), reverse=True)


def choose_build(target: PyCharmTarget, env: Mapping[str, str] | None = None) -> PyCharmTarget:
    """The target with its pydevd-pycharm version chosen ("" still: the newest available)."""
    env = os.environ if env is None else env
    if target.build:
        return replace(target, build=normalized_build(target.build), why="--pycharm-build")
    if env.get(BUILD_ENV):
        return replace(target, build=normalized_build(env[BUILD_ENV]), why=BUILD_ENV)
    found = installed_builds()
    if found:
        return replace(target, build=found[0].build, why=f"{found[0].name} in {found[0].path}")
    return replace(target, why="no PyCharm found here: the newest pydevd-pycharm")


def launcher(installs: Iterable[PyCharmInstall] | None = None) -> list[str] | None:
    """How to open a folder in PyCharm here (append the folder), or None: a command on PATH
    (Toolbox's ``pycharm`` script, ``charm``, a snap), else the newest install's own launcher."""
    import shutil

    for name in ("pycharm", "charm", "pycharm-professional", "pycharm-community", "pycharm.sh"):
        if found := shutil.which(name):
            return [found]
    for install in installed_builds() if installs is None else installs:
        if install.path.suffix == ".app":
            return ["open", "-a", str(install.path)]
        for rel in ("bin/pycharm.sh", "bin/pycharm", "bin/pycharm64.exe"):
            if (install.path / rel).is_file():
                return [str(install.path / rel)]
    return None
