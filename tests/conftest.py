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
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read or change the user's own settings or host registry (a test that needs its
# own config folder sets PIPELINE_DESIGNER_CONFIG itself).
os.environ["PIPELINE_DESIGNER_CONFIG"] = _CONFIG = tempfile.mkdtemp(prefix="pd-test-config-")
atexit.register(shutil.rmtree, _CONFIG, True)

REPO_ROOT = Path(__file__).resolve().parent.parent
# Tags built locally by tests/images/build.sh (no registry is reachable in CI).
BUSYBOX_IMAGE = "pipeline-designer-test/busybox:1"
PYTHON_IMAGE = "pipeline-designer-test/python:1"
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
    return _require_image(docker_client, BUSYBOX_IMAGE)


@pytest.fixture(scope="session")
def python_image(docker_client: object) -> str:
    return _require_image(docker_client, PYTHON_IMAGE)


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
