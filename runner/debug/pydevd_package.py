"""pydevd-pycharm where the runner can mount it: ``<data dir>/debuggers/pydevd-pycharm/<version>/``.

Fetched once per version, on demand, from the package index with pip (``pip download`` of its
source archive; nothing is compiled or installed into any Python), and laid out as plain Python:
the compiled speed-ups it ships are for other platforms and Pythons than the node's, and the
attach-to-process helpers are not needed (their Linux thread helpers are kept: pydevd uses them
to trace threads that already run). The folder appears whole or not at all (built beside it,
then renamed), so a fetch that was interrupted is simply fetched again.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from runner.debug.pycharm import PyCharmSetupError, PyCharmTarget, choose_build

PACKAGE = "pydevd-pycharm"
FETCH_TIMEOUT = 300.0
MAX_BYTES = 64 * 1024 * 1024  # far above the ~2 MB it is: a bigger archive is not what we asked for
_LEAVE_OUT_DIRS = {"tests", "build_tools", "__pycache__"}
_LEAVE_OUT_SUFFIXES = {".so", ".pyd", ".dll", ".dylib", ".exe", ".c", ".cpp", ".h", ".pyx", ".pxd", ".pdb"}
_LEAVE_OUT_FILES = {"setup.py", "setup.cfg", "pyproject.toml", "setup_cython.py", "MANIFEST.in"}
_ARCHIVE = re.compile(r"^pydevd[_-]pycharm-(\d+(?:\.\d+){1,3})(?:\.tar\.gz|-.*\.whl)$")


def packages_dir(data_dir: Path) -> Path:
    return data_dir / "debuggers" / PACKAGE


def cached_versions(data_dir: Path) -> list[str]:
    """The versions fetched already, newest first."""
    root = packages_dir(data_dir)
    names = [p.name for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    ok = [n for n in names if re.fullmatch(r"\d+(?:\.\d+){1,3}", n) and (root / n / "pydevd.py").is_file()]
    return sorted(ok, key=lambda v: tuple(int(x) for x in v.split(".")), reverse=True)


def ensure_pydevd(
    data_dir: Path, version: str = "", say: Callable[[str], None] | None = None
) -> tuple[Path, str]:
    """The folder holding pydevd-pycharm ``version`` ("" : the newest fetched already, else the
    newest on the index) and its version; fetches it when needed. Raises PyCharmSetupError."""
    root = packages_dir(data_dir)
    if not version and (cached := cached_versions(data_dir)):
        version = cached[0]
    if version and (root / version / "pydevd.py").is_file():
        return root / version, version
    what = f"{PACKAGE} {version}" if version else f"the newest {PACKAGE}"
    if say is not None:
        say(f"fetching {what} from the package index (once; kept in {root})")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".fetch-") as tmp:
        archive = _download(Path(tmp) / "download", version, what)
        found = _ARCHIVE.match(archive.name)
        if found is None:
            raise PyCharmSetupError(f"{what}: pip fetched {archive.name}, which is not {PACKAGE}")
        version = found.group(1)
        target = root / version
        if (target / "pydevd.py").is_file():
            return target, version  # another run fetched it meanwhile
        staged = Path(tmp) / "package"
        _lay_out(archive, staged)
        if not (staged / "pydevd.py").is_file():
            raise PyCharmSetupError(f"{archive.name} holds no pydevd.py: not a {PACKAGE} this runner knows")
        with contextlib.suppress(OSError):  # a leftover of an interrupted fetch
            shutil.rmtree(target)
        staged.rename(target)
    return target, version


def ready_target(
    target: PyCharmTarget, data_dir: Path, say: Callable[[str], None] | None = None
) -> PyCharmTarget:
    """``target`` with its version chosen and its pydevd-pycharm folder at hand (fetched if
    needed): what a run debugging with PyCharm mounts. Raises PyCharmSetupError."""
    if target.package is not None:
        return target
    chosen = choose_build(target)
    package, version = ensure_pydevd(data_dir, chosen.build, say)
    return replace(chosen, build=version, package=package)


def _pip_python() -> str:
    """A Python with pip: this one, or in the bundled application (no pip inside) the system's."""
    if not getattr(sys, "frozen", False):
        return sys.executable
    found = shutil.which("python3") or shutil.which("python")
    if found is None:
        raise PyCharmSetupError(
            f"fetching {PACKAGE} (once per PyCharm build) needs pip, and no python3 is on PATH: "
            "install Python 3 with pip, then try again"
        )
    return found


def _download(dest: Path, version: str, what: str) -> Path:
    requirement = f"{PACKAGE}=={version}" if version else PACKAGE
    python = _pip_python()
    argv = [python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    argv += ["--quiet", "--dest", str(dest), requirement]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=FETCH_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise PyCharmSetupError(
            f"{what} could not be fetched within {FETCH_TIMEOUT:g} s (is the package index reachable?)"
        ) from None
    except OSError as exc:
        raise PyCharmSetupError(f"{what} could not be fetched: {exc}") from None
    files = sorted(dest.iterdir()) if dest.is_dir() else []
    if done.returncode == 0 and len(files) == 1:
        return files[0]
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    why = next((line for line in reversed(lines) if line.startswith("ERROR")), lines[-1] if lines else "")
    if "No module named pip" in why:
        why = f"pip is not installed for {python}"
    hint = (
        f" (PyCharm build {version} may have no {PACKAGE} release: give --pycharm-build with the build "
        "of the PyCharm you attach, as its Help ▸ About shows it)"
        if version and ("No matching distribution" in why or "Could not find a version" in why)
        else " (is the package index reachable?)"
    )
    raise PyCharmSetupError(f"{what} could not be fetched: {why or 'pip failed'}{hint}")


def _lay_out(archive: Path, target: Path) -> None:
    """The package's plain-Python files from a source archive or wheel, checked one by one."""
    total = 0
    for rel, read in _members(archive):
        parts = _package_path(rel)
        if parts is None:
            continue
        data = read()
        total += len(data)
        if total > MAX_BYTES:
            raise PyCharmSetupError(f"{archive.name} is larger than {MAX_BYTES >> 20} MB unpacked")
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _package_path(rel: str) -> list[str] | None:
    """Where an archive member goes in the package folder; None: left out (or unsafe)."""
    if rel.startswith("/") or ".." in rel.split("/"):
        return None  # a member that reaches outside is not a member we take
    parts = posixpath.normpath(rel).split("/")
    if not parts[-1] or parts[-1] == ".":
        return None
    if parts[0].startswith("pydevd_pycharm-") and not parts[0].endswith(".dist-info"):
        parts = parts[1:]  # a source archive's top folder
    name = parts[-1] if parts else ""
    if not parts or parts[0].endswith((".egg-info", ".dist-info")):
        return None
    if len(parts) == 1 and name in _LEAVE_OUT_FILES:
        return None
    if _LEAVE_OUT_DIRS & set(parts[:-1]):
        return None
    if "pydevd_attach_to_process" in parts:  # only the Linux thread helpers, beside it
        keep = name.startswith("attach_linux_") and name.endswith(".so") and len(parts) == 2
        return parts if keep else None
    return None if Path(name).suffix in _LEAVE_OUT_SUFFIXES else parts


def _members(archive: Path) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(path, read) of each regular file (links and devices are never followed or made)."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, lambda i=info: zf.read(i)
        return
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if member.isfile():
                yield member.name, lambda m=member: _read(tar, m)


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    fh = tar.extractfile(member)
    return fh.read() if fh is not None else b""
