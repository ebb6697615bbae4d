"""Shared fixtures.

Tests that need the Docker engine are marked ``docker`` and take ``docker_client``.
On a developer machine without an engine they skip with the reason; with ``CI=true``
they fail, because the test command (``make test``) installs and starts the engine.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.images import BUSYBOX, PYTHON

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read or change the user's own settings or host registry (a test that needs its
# own config folder sets PIPELINE_DESIGNER_CONFIG itself).
os.environ["PIPELINE_DESIGNER_CONFIG"] = _CONFIG = tempfile.mkdtemp(prefix="pd-test-config-")
atexit.register(shutil.rmtree, _CONFIG, True)

# A hung test dumps its stacks and ends its worker; SIGUSR1 dumps any pytest process's stacks.
pytest_plugins = ["tests.support.watchdog"]

TEST_LABEL = "pipeline-designer.test-session"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: tests that need it must not skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    try:
        import docker

        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:  # any failure means "no engine here"
        _unavailable(f"Docker engine unreachable: {exc}")
        return
    yield client
    client.close()


def _require_image(client: object, tag: str) -> str:
    import docker.errors

    try:
        client.images.get(tag)  # type: ignore[attr-defined]
    except docker.errors.ImageNotFound:
        _unavailable(f"test image {tag} is missing: run `make images` (tests/images/build.sh)")
    return tag


@pytest.fixture(scope="session")
def busybox_image(docker_client: object) -> str:
    return _require_image(docker_client, BUSYBOX)


@pytest.fixture(scope="session")
def python_image(docker_client: object) -> str:
    return _require_image(docker_client, PYTHON)


@pytest.fixture
def container_label(docker_client: object) -> Iterator[dict[str, str]]:
    """A label unique to this test; every container carrying it is removed afterwards."""
    value = uuid.uuid4().hex[:12]
    yield {TEST_LABEL: value}
    leftovers = docker_client.containers.list(  # type: ignore[attr-defined]
        all=True, ignore_removed=True, filters={"label": f"{TEST_LABEL}={value}"}
    )
    from docker.errors import NotFound

    for container in leftovers:
        with contextlib.suppress(NotFound):  # removed meanwhile by its own run
            container.remove(force=True)


# --- per-test folders and secrets: nothing a test writes reaches the user's own ---------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir (run store, artifacts, logs) and designer recovery folder."""
    from runner.store.paths import HOME_ENV

    path = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(path))
    monkeypatch.setenv("PIPELINE_DESIGNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    return path


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config dir: the host registry and known_hosts the test writes are its own."""
    from runner.hosts.paths import CONFIG_ENV

    path = tmp_path / "config"
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


@pytest.fixture
def ssh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME with an empty ~/.ssh and no ssh-agent: the developer's own ssh config, keys and agent
    never reach a test (tests write the config they mean, ``tests.support.remote.write_ssh_config``)."""
    path = tmp_path / "sshhome"
    (path / ".ssh").mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("HOME", str(path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return path


@pytest.fixture
def memory_keyring() -> Iterator[object]:
    """An in-process keyring for the test, the previous backend restored after."""
    import keyring

    from tests.support.remote import MemoryKeyring

    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Path]:
    """Write a valohai.yaml plus extra files (both dedented) into a project folder; returns the YAML path."""

    def make(yaml_text: str, **files: str) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(textwrap.dedent(text))
        path = root / "valohai.yaml"
        path.write_text(textwrap.dedent(yaml_text))
        return path

    return make


@pytest.fixture
def sshd() -> Iterator[object]:
    """The throwaway sshd on 127.0.0.1 (skips without sshd; fails instead when CI=true)."""
    from tests.support.remote import start_sshd

    server = start_sshd()
    try:
        yield server
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def pydevd_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pydevd-pycharm (the newest) fetched once per run from the package index, the way the
    runner fetches it for a user (runner.debug.pydevd_package); its folder. Under pytest-xdist
    the workers share one fetch (about 10 s each on a loaded machine): the first one to need it
    fetches it into the run's shared temp folder while the others wait on the lock."""
    import fcntl

    from runner.debug.pydevd_package import ensure_pydevd

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with open(shared / "pydevd.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        folder, _version = ensure_pydevd(shared / "pydevd")
    return folder


@pytest.fixture
def pydevd_pycharm(home: Path, pydevd_cache: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session's pydevd-pycharm in this test's data dir, as if fetched before; its version.
    No PyCharm installed is looked for and no build is set: the runner takes the newest it has."""
    from runner.debug.pycharm import BUILD_ENV, SEARCH_ENV
    from runner.debug.pydevd_package import packages_dir

    monkeypatch.setenv(SEARCH_ENV, str(home / "no-pycharm-here"))
    monkeypatch.delenv(BUILD_ENV, raising=False)
    packages_dir(home).mkdir(parents=True, exist_ok=True)
    (packages_dir(home) / pydevd_cache.name).symlink_to(pydevd_cache, target_is_directory=True)
    return pydevd_cache.name


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """``small_disk(mb)``: a real tmpfs of that size mounted under the test's folder (root only;
    skips elsewhere, fails under CI=true), unmounted afterwards."""
    import subprocess

    mounted: list[Path] = []

    def mount(mb: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={mb}m,mode=0755", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            _unavailable(f"cannot mount a {mb} MB tmpfs (needs root): {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        with contextlib.suppress(subprocess.TimeoutExpired):  # a lazy unmount does not wait on users
            subprocess.run(["umount", "-l", str(point)], check=False, timeout=30)


# --- tests that share one machine-wide thing share one pytest-xdist worker (xdist_group) ---------
#   ray: the session's Ray cluster (about 2 GB and 10 s to start) is started once, not per worker;
#   gpu-leases: the test sshd user's one lease folder (gpu_lease_lock) is not waited on by idle workers.
_GROUP_BY_FOLDER = {"tests/runner/ray/": "ray"}
_GROUP_BY_FIXTURE = {"gpu_lease_lock": "gpu-leases"}


def _groups_of(item: pytest.Item) -> set[str]:
    groups = {group for folder, group in _GROUP_BY_FOLDER.items() if item.nodeid.startswith(folder)}
    fixtures = getattr(item, "fixturenames", ())
    return groups | {group for fixture, group in _GROUP_BY_FIXTURE.items() if fixture in fixtures}


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Iterator[None]:
    """A wrapper, so the marks are on before any plugin's hook and checked after all of them: an
    xdist worker turns xdist_group marks into the ``@group`` nodeid suffix ``--dist loadgroup``
    schedules by in its own pytest_collection_modifyitems, which pluggy calls before the plain hook
    of a conftest (registered earlier), so marks added there came too late and grouped tests ran on
    every worker. Should a grouped test still lack its suffix (pytest 9.2 with pytest-xdist 3.8,
    pytest-dev/pytest-xdist#1386: hence ``pytest<9.2``), it fails instead of sharing."""
    for item in items:
        for group in sorted(_groups_of(item)):
            item.add_marker(pytest.mark.xdist_group(group))
    yield
    if getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        for item in items:
            if _lacks_group_suffix(item):
                item.stash[_UNGROUPED] = True


_UNGROUPED = pytest.StashKey[bool]()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.stash.get(_UNGROUPED, False):
        pytest.fail(
            "pytest-xdist did not tag this grouped test for --dist loadgroup (no @group suffix): it "
            "would share machine-wide things with other workers. Install the pytest that "
            "pyproject.toml pins (`make venv`).",
            pytrace=False,
        )


def _lacks_group_suffix(item: pytest.Item) -> bool:
    grouped = any(True for _ in item.iter_markers("xdist_group"))
    return grouped and "@" not in item.nodeid.rpartition("]")[2]


@pytest.fixture
def gpu_lease_lock() -> Iterator[None]:
    """Tests that take GPU leases on the test sshd's user (one lease folder per machine) take
    turns across pytest-xdist workers, as two users of one GPU box would."""
    import fcntl

    with open(Path(tempfile.gettempdir()) / "pd-test-gpu-leases.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
