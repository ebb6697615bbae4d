"""The ``pull`` setting on the real local engine, against a real registry on 127.0.0.1
(tests/support/registry.py): ``missing`` pulls an image the engine lacks and runs it; a name
the registry does not have fails the node with a clear message, not a traceback."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.api import RunOptions, plan_run, start_run
from runner.events import Event, LogLine, NodeStateChanged
from tests.support.images import BUSYBOX
from tests.support.registry import Image, Registry

pytestmark = pytest.mark.docker

MARK = "this file came from the test registry"
STEP = "- step: {{name: show, image: '{image}', command: 'cat /pulled.txt'}}\n"


@pytest.fixture(scope="module")
def registry(docker_client: Any) -> Iterator[Registry]:
    base = Image.saved(BUSYBOX).with_file("/pulled.txt", MARK + "\n")
    with Registry({"pd-test/base:1": base}).serve() as served:
        yield served


def _run(path: Path, client: Any, labels: dict[str, str]) -> tuple[str | None, list[Event]]:
    events: list[Event] = []
    handle = start_run(
        plan_run(path, step="show"),
        RunOptions(labels=labels),
        network="none",
        pull="missing",
        client=client,
        on_event=events.append,
    )
    return handle.wait(120), events


def _failed(events: list[Event]) -> NodeStateChanged:
    (failed,) = [e for e in events if isinstance(e, NodeStateChanged) and e.status == "failed"]
    return failed


def test_pull_missing_pulls_the_image_from_its_registry_and_runs_it(
    registry: Registry, docker_client: Any, project: Callable[..., Path], container_label: dict[str, str]
) -> None:
    repo = f"pd-test/pulled-{uuid.uuid4().hex[:8]}:1"
    registry.images[repo] = registry.images["pd-test/base:1"]
    image = registry.name(repo)
    try:
        status, events = _run(project(STEP.format(image=image)), docker_client, container_label)
        stdout = [e.text for e in events if isinstance(e, LogLine) and e.stream == "stdout"]
        assert status == "succeeded", events
        assert stdout == [MARK], stdout
        digest = registry.images[repo].digest
        pulled = docker_client.images.get(image).attrs["RepoDigests"]
        assert any(d.endswith(digest) for d in pulled), pulled
    finally:
        # Only this tag goes (its own layer with it); the test image it was made from stays.
        docker_client.images.remove(image)


def test_pull_of_a_name_the_registry_lacks_fails_the_node_with_a_clear_message(
    registry: Registry, docker_client: Any, project: Callable[..., Path], container_label: dict[str, str]
) -> None:
    image = registry.name(f"pd-test/missing-{uuid.uuid4().hex[:8]}:1")
    status, events = _run(project(STEP.format(image=image)), docker_client, container_label)
    assert status == "failed"
    message = _failed(events).message
    expected = f"image {image!r} is not on the Docker engine and the registry has no such image"
    assert expected in message, message
    assert "Traceback" not in message
