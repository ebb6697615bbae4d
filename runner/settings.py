"""The user's settings, shared by the designer's Preferences and the command line.

One JSON file in the platform's user config folder (``platformdirs``, or the folder named by
``PIPELINE_DESIGNER_CONFIG``): the image mapping, the container network, the default run target,
the theme and the resident runner's switch. Both front ends read it when they need a value (the
designer before each run), so a change made in either is used by the other without a restart.
Writes are atomic.

    settings = load_settings()
    settings.image_map["python:3.12-slim"] = "my/python:1"
    save_settings(settings)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from runner.hosts.paths import config_dir

SETTINGS_FILE = "settings.json"
THEMES = ("system", "light", "dark")
LOCAL_TARGET = "local"


class SettingsError(ValueError):
    """The settings file cannot be read; the message names the file, the place and the fix."""


@dataclass
class Settings:
    # Image the YAML names -> the local image to run instead (no registry needed).
    image_map: dict[str, str] = field(default_factory=dict)
    # Container network; None is the engine's default bridge, "none" no network at all.
    network: str | None = None
    # Where runs go when nothing else is chosen: "local", a registered host, or "a,b" (a pool).
    run_target: str = LOCAL_TARGET
    # The designer's colour scheme: follow the system, or always light / dark.
    theme: str = "system"
    # Hand `run` and `lint` to a warm resident process of this user (runner.resident): re-runs
    # start in milliseconds instead of paying the imports each time. Read by the console script
    # with json alone (runner.resident.client), under this very name.
    resident_runner: bool = False

    def check(self) -> None:
        """Raise SettingsError when a value cannot be used."""
        for source, target in self.image_map.items():
            if not str(source).strip() or not str(target).strip():
                raise SettingsError(f"image map entry {source!r} -> {target!r}: both images must be named")
            if any(c.isspace() for c in f"{source}{target}"):
                raise SettingsError(f"image map entry {source!r} -> {target!r}: image names have no spaces")
        if self.network is not None and (not self.network.strip() or " " in self.network):
            raise SettingsError(f"network {self.network!r}: give a network name, or leave it empty")
        if self.theme not in THEMES:
            raise SettingsError(f"theme {self.theme!r}: one of {', '.join(THEMES)}")
        if not run_target_hosts(self.run_target):
            raise SettingsError("run target is empty: use 'local', a host name, or 'host1,host2'")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_target_hosts(target: str) -> list[str]:
    """``"local"`` / ``"gpu1"`` / ``"local, gpu1"`` -> the host names, in order, no duplicates."""
    seen: list[str] = []
    for name in (p.strip() for p in str(target).split(",")):
        if name and name not in seen:
            seen.append(name)
    return seen


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings; defaults when there is no file yet. Raises SettingsError on a bad file."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the settings: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); "
            "fix the file or delete it to start from the defaults"
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: the settings must be a JSON object, not {type(data).__name__}")
    return _from_json(data, path)


def _from_json(data: dict[str, Any], path: Path) -> Settings:
    known = {f.name for f in fields(Settings)}
    values = {k.replace("-", "_"): v for k, v in data.items()}
    settings = Settings(**{k: v for k, v in values.items() if k in known})  # unknown keys: a newer version's
    if not isinstance(settings.image_map, dict):
        raise SettingsError(f"{path}: image_map must be an object of FROM: TO images")
    settings.image_map = {str(k): str(v) for k, v in settings.image_map.items()}
    if settings.network is not None:
        settings.network = str(settings.network) or None
    settings.run_target = str(settings.run_target)
    settings.theme = str(settings.theme)
    if not isinstance(settings.resident_runner, bool):
        raise SettingsError(f"{path}: resident_runner must be true or false")
    try:
        settings.check()
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Check and write ``settings`` atomically; returns the file written."""
    from runner.config.document import atomic_write  # ruamel.yaml comes with it: only when saving

    settings.check()
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(settings.to_json(), indent=2, sort_keys=True) + "\n"
    atomic_write(path, text.encode("utf-8"))
    return path


__all__ = [
    "LOCAL_TARGET",
    "THEMES",
    "Settings",
    "SettingsError",
    "load_settings",
    "run_target_hosts",
    "save_settings",
    "settings_path",
]
