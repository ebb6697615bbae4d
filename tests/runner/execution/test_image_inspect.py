"""A launch inspects its image once (runner.execution.docker_backend): the dead-man switch's
architecture and the image's PYTHONPATH come from that inspection, and a backend whose image
check returns nothing still gets them (a logic test with a recording fake engine)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from runner.execution import deadman
from runner.execution.docker_backend import DockerBindBackend
from runner.store.artifacts import ArtifactStore

IMAGE_ATTRS = {"Architecture": "amd64", "Config": {"Env": ["PYTHONPATH=/opt/lib", "A=1"]}}


class _Images:
    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def get(self, name: str) -> Any:
        self.looked_up.append(name)
        return SimpleNamespace(attrs=IMAGE_ATTRS, id="sha256:1")


def _backend(tmp_path: Path) -> tuple[DockerBindBackend, _Images]:
    images = _Images()
    client = SimpleNamespace(images=images)
    return DockerBindBackend(client, tmp_path / "work", ArtifactStore(tmp_path / "artifacts")), images


def test_the_switch_comes_from_one_inspection(tmp_path: Path) -> None:
    backend, images = _backend(tmp_path)
    watchdog = backend._watchdog("img:1")
    assert watchdog == deadman.Watchdog.for_arch("amd64")
    assert watchdog is not None
    backend._watchdog("img:1")  # known by now
    assert images.looked_up == ["img:1"]


def test_an_image_check_that_returns_nothing_still_arms_the_switch(tmp_path: Path) -> None:
    backend, images = _backend(tmp_path)
    backend._ensure_image = lambda image: None  # type: ignore[method-assign]  # an override's
    assert backend._watchdog("img:1") == deadman.Watchdog.for_arch("amd64")
    assert images.looked_up == ["img:1"]
