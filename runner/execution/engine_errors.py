"""Docker engine errors translated into what to do about them.

The Docker SDK's messages ("500 Server Error ... no such host", "could not find bridge docker0")
say what broke inside the engine, not what the user should do. ``explain_engine_error`` reads an
exception (its whole cause chain) or a stored message and, for the failures users meet in their
first hour, returns an ``EngineProblem`` with one sentence of what happened and one of the fix.
The CLI prints it, the executor records it as the node's message, and the designer reads the
``kind`` to offer the fix in place (mapping a missing image in Preferences).
"""

from __future__ import annotations

import enum
import re
import sys
from dataclasses import dataclass


class ProblemKind(enum.StrEnum):
    ENGINE_DOWN = "engine not running"
    NO_PERMISSION = "no permission"
    IMAGE_MISSING = "image not found"
    NETWORK_MISSING = "network not found"
    BRIDGE_GONE = "default bridge gone"


@dataclass(frozen=True)
class EngineProblem:
    kind: ProblemKind
    message: str  # what happened, one sentence
    fix: str  # what to do, one sentence or a command
    image: str | None = None  # the missing image (IMAGE_MISSING)
    network: str | None = None  # the missing network (NETWORK_MISSING)
    # Another way out that only the command line has (its flags): the designer leaves it out.
    cli_alternative: str | None = None

    def __str__(self) -> str:
        alternative = f" — or, {self.cli_alternative}" if self.cli_alternative else ""
        return f"{self.message} To fix: {self.fix}{alternative}"

    def for_designer(self) -> str:
        return f"{self.message} To fix: {self.fix}"


# Engine-side phrases, lower-cased. The registry ones come from the engine's pull (a DNS or TCP
# failure reaching the registry); the others from the socket and from container start.
_UNREACHABLE_REGISTRY = (
    "no such host",
    "dial tcp",
    "i/o timeout",
    "network is unreachable",
    "tls handshake timeout",
    "connection refused",
    "temporary failure in name resolution",
    "client.timeout exceeded",
)
_NOT_IN_REGISTRY = ("pull access denied", "manifest unknown", "repository does not exist", "not found")
_ENGINE_DOWN = (
    "error while fetching server api version",
    "connection refused",
    "no such file or directory",
    "cannot connect to the docker daemon",
    "connection aborted",
    "read timed out",
)
_BRIDGE = re.compile(r"could not find bridge|bridge \S+ not found|no such network interface", re.I)
_NETWORK = re.compile(r"network (\S+) not found", re.I)
_BRIDGE_NAME = re.compile(r"could not find bridge ([\w.-]+)", re.I)
_ON_NETWORK = re.compile(r"on network ([\w.-]+):", re.I)
_NO_IMAGE = re.compile(
    r"no such image: ([^\s\")]+)|image ['\"]?([^\s'\"]+)['\"]? is not on the (?:docker )?engine", re.I
)
_FROM_IMAGE = re.compile(r"fromImage=([^&\s\":]+)")
_TAG = re.compile(r"[?&]tag=([^&\s\"]+)")


def _chain_text(error: BaseException | str) -> str:
    """The error's text and its causes', newest first (the SDK wraps the socket's error)."""
    if isinstance(error, str):
        return error
    parts: list[str] = []
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            break
        parts.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__ or seen.__context__
    return " | ".join(parts)


def _permission_denied(error: BaseException | str) -> bool:
    if isinstance(error, str):
        return "permission denied" in error.lower()
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, PermissionError) or "permission denied" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def start_engine_fix(platform: str = sys.platform) -> str:
    """How to start the engine on this platform."""
    if platform == "darwin":
        return "open -a Docker"
    if platform.startswith("win"):
        return 'Start "Docker Desktop" from the Start menu'
    return "sudo systemctl start docker"


def permission_fix(platform: str = sys.platform) -> str:
    if platform == "darwin":
        return "open -a Docker   # restart Docker Desktop"
    if platform.startswith("win"):
        return "Add your user to the docker-users group, then sign out and in"
    return 'sudo usermod -aG docker "$USER"   # then log out and back in'


def image_map_fix(image: str | None) -> str:
    name = image or "IMAGE"
    return (
        f"map {name} to an image you have built or loaded locally: in the designer Preferences ▸ "
        f"Image mapping; on the command line `pipeline-designer settings map {name} LOCAL_IMAGE` "
        f"(or --image-map {name}=LOCAL_IMAGE for one run)"
    )


def _missing_image(text: str, image: str | None) -> str | None:
    if image:
        return image
    found = _NO_IMAGE.search(text)
    if found:
        return found.group(1) or found.group(2)
    pulled, tag = _FROM_IMAGE.search(text), _TAG.search(text)
    if pulled:  # the pull's URL: images/create?tag=1&fromImage=org%2Fname
        name = pulled.group(1).replace("%2F", "/").replace("%3A", ":")
        return f"{name}:{tag.group(1)}" if tag else name
    return None


def _image_problem(text: str, low: str, image: str | None) -> EngineProblem | None:
    pulling = "images/create" in low or "pull" in low
    missing = (
        "no such image" in low or "imagenotfound" in low or re.search(r"is not on the (docker )?engine", low)
    )
    if not (pulling or missing):
        return None
    name = _missing_image(text, image)
    shown = f"image {name!r}" if name else "the image"
    if "pulling is off" in low:  # our own refusal: nothing was asked of a registry
        why = "and pulling is off"
    elif pulling and any(p in low for p in _UNREACHABLE_REGISTRY):
        why = "and no registry could be reached to pull it"
    elif pulling and any(p in low for p in _NOT_IN_REGISTRY):
        why = "and the registry has no such image (or it needs `docker login`)"
    elif missing:
        why = "and it could not be pulled"
    else:
        return None
    return EngineProblem(
        ProblemKind.IMAGE_MISSING, f"{shown} is not on the Docker engine {why}.", image_map_fix(name), name
    )


def _bridge_gone(text: str, network: str | None, platform: str) -> EngineProblem:
    """The Linux bridge behind a network was removed: the default one (docker0), or a network's own."""
    bridge = _BRIDGE_NAME.search(text)
    named = _ON_NETWORK.search(text)
    network = network or (named.group(1) if named else None)
    restart = "restart the Docker engine (" + start_engine_fix(platform).replace("start", "restart") + ")"
    without = "or run without a network: --network none, or Preferences ▸ Container network: none"
    if bridge is None or bridge.group(1) == "docker0" or network in (None, "bridge"):
        return EngineProblem(
            ProblemKind.BRIDGE_GONE,
            "The engine's default bridge network is gone (its docker0 interface was removed), "
            "so no container can start on it.",
            f"{restart}, {without}",
            network=network,
        )
    return EngineProblem(
        ProblemKind.BRIDGE_GONE,
        f"The bridge interface {bridge.group(1)} of container network '{network}' is gone, "
        "so no container can join that network.",
        f"docker network rm {network} && docker network create {network}, or {restart}, {without}",
        network=network,
    )


def explain_engine_error(
    error: BaseException | str,
    *,
    image: str | None = None,
    network: str | None = None,
    platform: str = sys.platform,
) -> EngineProblem | None:
    """What went wrong and what to do, for the common engine failures; None for any other error.

    ``image`` / ``network``: what the failing call used, when the caller knows (the messages do
    not always name them).
    """
    text = _chain_text(error)
    low = text.lower()
    if _permission_denied(error) and ("docker" in low or "api version" in low or "sock" in low):
        return EngineProblem(
            ProblemKind.NO_PERMISSION,
            "The Docker engine is running, but your user may not use it (permission denied).",
            permission_fix(platform),
        )
    if _BRIDGE.search(text):
        return _bridge_gone(text, network, platform)
    found = _NETWORK.search(text)
    if found and "images/create" not in low:
        name = network or found.group(1).strip("\"'")
        return EngineProblem(
            ProblemKind.NETWORK_MISSING,
            f"The container network {name!r} does not exist on the Docker engine.",
            f"create it (docker network create {name}), or choose another: --network NAME, or "
            "Preferences ▸ Container network (empty: the engine's default; none: no network)",
            network=name,
        )
    problem = _image_problem(text, low, image)
    if problem is not None:
        return problem
    if (
        "api version" in low
        or "docker daemon" in low
        or (any(p in low for p in _ENGINE_DOWN) and ("docker" in low or "sock" in low or "localhost" in low))
    ):
        return EngineProblem(
            ProblemKind.ENGINE_DOWN,
            "The Docker engine is not running (nothing answers on its socket).",
            start_engine_fix(platform),
            cli_alternative="for steps that need no isolation, --backend local",
        )
    return None


def describe_engine_error(
    error: BaseException | str, *, image: str | None = None, network: str | None = None
) -> str:
    """The translated text when the error is a known one, else the error's own first line."""
    problem = explain_engine_error(error, image=image, network=network)
    if problem is not None:
        return str(problem)
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


__all__ = [
    "EngineProblem",
    "ProblemKind",
    "describe_engine_error",
    "explain_engine_error",
    "image_map_fix",
    "permission_fix",
    "start_engine_fix",
]
