"""Is the Docker engine usable? Ask its version, then start a throwaway container.

An engine can answer ``version`` while no container can start (its bridge network removed, a
configured network missing), so the check only says "found" once a container really started on
the network runs will use. Probes are injectable, so the classification is unit-tested without
an engine; the real probes are tested against the real engine made to fail.
"""

from __future__ import annotations

import contextlib
import enum
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.execution.engine_errors import (
    ProblemKind,
    explain_engine_error,
    image_map_fix,
    permission_fix,
    start_engine_fix,
)

PING_TIMEOUT_S = 3.0
START_TIMEOUT_S = 20
CHECK_LABEL = "pipeline-designer.engine-check"


class EngineState(enum.StrEnum):
    FOUND = "found"
    CANNOT_START = "cannot start containers"
    NO_IMAGES = "no images"
    NOT_RUNNING = "not running"
    NO_PERMISSION = "no permission"
    NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class EngineReport:
    state: EngineState
    detail: str  # one sentence for the user
    fix: str = ""  # a command (or the one action) that fixes it on this platform; "" when found


class NoImageError(RuntimeError):
    """The engine has no image to start a test container from."""


def ping_engine(timeout: float = PING_TIMEOUT_S) -> str:
    """The engine's version, from the environment's engine (DOCKER_HOST or the default socket)."""
    import docker  # a second or so to import: callers run this off the GUI thread

    client = docker.from_env(timeout=timeout)
    try:
        return str(client.version().get("Version", "?"))
    finally:
        client.close()


def _pick_image(client: Any, preferred: list[str]) -> str:
    import docker.errors

    for name in preferred:
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
            client.images.get(name)
            return name
    images = [i for i in client.images.list() if i.tags]
    if not images:
        raise NoImageError("the engine has no images")
    return str(min(images, key=lambda i: i.attrs.get("Size", 0)).tags[0])


def start_test_container(
    network: str | None = None, images: list[str] | None = None, timeout: float = PING_TIMEOUT_S
) -> str:
    """Create, start and remove a labelled container on ``network``; returns the image used.

    The image is the first of ``images`` on the engine, else its smallest. The command is
    ``true``: an image without it still proves the point (the runtime got as far as exec).
    """
    import docker
    import docker.errors

    client = docker.from_env(timeout=max(timeout, START_TIMEOUT_S))
    container = None
    try:
        image = _pick_image(client, images or [])
        kwargs: dict[str, Any] = {"network_mode": network} if network else {}
        container = client.containers.create(
            image, command=["true"], entrypoint="", labels={CHECK_LABEL: "1"}, detach=True, **kwargs
        )
        try:
            container.start()
        except docker.errors.APIError as exc:
            if "executable file not found" not in str(exc):
                raise
        return image
    finally:
        if container is not None:
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True)
        client.close()


def engine_inventory(timeout: float = PING_TIMEOUT_S) -> tuple[list[str], list[str]]:
    """(image tags, network names) on the local engine, sorted; what Preferences offers."""
    import docker

    client = docker.from_env(timeout=timeout)
    try:
        tags = sorted({t for i in client.images.list() for t in i.tags if not t.endswith(":<none>")})
        networks = sorted({str(n.name) for n in client.networks.list()})
        return tags, networks
    finally:
        client.close()


def _read_os_release() -> dict[str, str]:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip().strip('"') for k, _, v in pairs}


def fix_command(state: EngineState, platform: str, os_release: dict[str, str]) -> str:
    """What the user runs (or does) to get from ``state`` to a working engine."""
    if state is EngineState.FOUND:
        return ""
    if state is EngineState.NOT_RUNNING:
        return start_engine_fix(platform)
    if state is EngineState.NO_PERMISSION:
        return permission_fix(platform)
    if state is EngineState.NO_IMAGES:
        return "docker load -i IMAGE.tar (or docker pull / docker build), then " + image_map_fix(None)
    if state is EngineState.CANNOT_START:
        return start_engine_fix(platform).replace("start", "restart")
    if platform == "darwin":
        return "brew install --cask docker   # then start Docker from Applications"
    if platform.startswith("win"):
        return "winget install Docker.DockerDesktop"
    family = {os_release.get("ID", ""), *os_release.get("ID_LIKE", "").split()}
    if family & {"debian", "ubuntu"}:
        return "sudo apt-get install -y docker.io && sudo systemctl enable --now docker"
    if family & {"fedora", "rhel", "centos"}:
        return "sudo dnf install -y moby-engine && sudo systemctl enable --now docker"
    if family & {"arch"}:
        return "sudo pacman -S docker && sudo systemctl enable --now docker"
    if family & {"opensuse", "suse"}:
        return "sudo zypper install docker && sudo systemctl enable --now docker"
    return "Install Docker Engine with your distribution's package manager, then: sudo systemctl start docker"


def check_engine(
    *,
    network: str | None = None,
    images: list[str] | tuple[str, ...] = (),
    ping: Callable[[], str] = ping_engine,
    start: Callable[[], str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    platform: str = sys.platform,
    os_release: Callable[[], dict[str, str]] = _read_os_release,
    socket_exists: Callable[[], bool] = lambda: Path("/var/run/docker.sock").exists(),
) -> EngineReport:
    """Found / cannot start containers / no images / not running / no permission / not installed,
    with the fix for this platform. The test container runs on ``network`` (the one runs use),
    from the first of ``images`` on the engine (the image map's targets), else its smallest image."""

    def fix(state: EngineState) -> str:
        return fix_command(state, platform, os_release())

    try:
        version = ping()
    except Exception as exc:  # any failure to reach the engine is classified below
        problem = explain_engine_error(exc, platform=platform)
        if problem is not None and problem.kind is ProblemKind.NO_PERMISSION:
            return EngineReport(EngineState.NO_PERMISSION, problem.message, fix(EngineState.NO_PERMISSION))
        if which("docker") or which("dockerd") or socket_exists():
            detail = f"Docker is installed but the engine does not answer: {_short(exc)}"
            return EngineReport(EngineState.NOT_RUNNING, detail, fix(EngineState.NOT_RUNNING))
        detail = "Docker is not installed. Pipelines run in Docker containers."
        return EngineReport(EngineState.NOT_INSTALLED, detail, fix(EngineState.NOT_INSTALLED))
    try:
        image = start() if start is not None else start_test_container(network, list(images))
    except NoImageError:
        detail = f"Docker engine {version} is running, but has no image to start a container from."
        return EngineReport(EngineState.NO_IMAGES, detail, fix(EngineState.NO_IMAGES))
    except Exception as exc:  # the engine answers but cannot start a container
        problem = explain_engine_error(exc, platform=platform)
        why = problem.message if problem is not None else _short(exc)
        detail = f"Docker engine {version} answers, but a test container could not start: {why}"
        return EngineReport(
            EngineState.CANNOT_START, detail, problem.fix if problem else fix(EngineState.CANNOT_START)
        )
    return EngineReport(
        EngineState.FOUND, f"Docker engine {version} is running; a test container ({image}) started."
    )


def check_configured_engine() -> EngineReport:
    """``check_engine`` with the user's settings: their container network and mapped images."""
    from runner.settings import Settings, SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError:
        settings = Settings()  # the Preferences dialog reports the broken file itself
    return check_engine(network=settings.network, images=list(settings.image_map.values()))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


__all__ = [
    "CHECK_LABEL",
    "EngineReport",
    "EngineState",
    "NoImageError",
    "check_configured_engine",
    "check_engine",
    "engine_inventory",
    "fix_command",
    "ping_engine",
    "start_test_container",
]
