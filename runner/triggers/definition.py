"""Saved trigger definitions: the ``"triggers"`` section of the YAML's sidecar.

    {"triggers": {"nightly": {"pipeline": "train", "cron": "0 3 * * *"},
                  "on-data": {"pipeline": "train", "on_change": ["data/"], "params": {"fit.epochs": "3"}}}}

Exactly one of ``on_change`` (paths), ``every`` (a duration) or ``cron`` says when. Paths inside
the YAML's folder are stored relative to it, so the project can move; others stay absolute.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.config.sidecar import read_section, update_section
from runner.triggers.schedule import Cron, Every, Schedule, TriggerError, parse_cron, parse_every

SECTION = "triggers"
KINDS = ("on_change", "every", "cron")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Trigger:
    name: str
    pipeline: str
    kind: str  # one of KINDS
    paths: tuple[str, ...] = ()  # on_change: as stored (relative to the YAML folder when inside)
    every: str = ""
    cron: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise TriggerError(
                f"trigger name {self.name!r}: use letters, digits, '.', '_' or '-' (at most 64, "
                "starting with a letter or digit)"
            )
        if not self.pipeline:
            raise TriggerError(f"trigger {self.name!r}: no pipeline")
        if self.kind not in KINDS:
            raise TriggerError(f"trigger {self.name!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.kind == "on_change" and not self.paths:
            raise TriggerError(f"trigger {self.name!r}: --on-change needs at least one path")
        self.schedule()  # checks --every / --cron

    def schedule(self) -> Schedule | None:
        if self.kind == "every":
            return Every(parse_every(self.every))
        if self.kind == "cron":
            return Cron(parse_cron(self.cron))
        return None

    def next_fire(self, now: float) -> float | None:
        """When a cron trigger fires next; None for the others (they count from the watch's start)."""
        schedule = self.schedule()
        return schedule.next_after(now) if isinstance(schedule, Cron) else None

    def describe(self) -> str:
        if self.kind == "on_change":
            return "on change of " + ", ".join(self.paths)
        schedule = self.schedule()
        assert schedule is not None
        return schedule.describe()

    def resolved_paths(self, yaml_path: str | Path) -> list[Path]:
        folder = Path(yaml_path).absolute().parent
        return [folder / p for p in self.paths]  # an absolute p replaces the folder

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"pipeline": self.pipeline}
        if self.kind == "on_change":
            data["on_change"] = list(self.paths)
        else:
            data[self.kind] = self.every if self.kind == "every" else self.cron
        if self.params:
            data["params"] = dict(self.params)
        return data

    @classmethod
    def from_json(cls, name: str, data: Any) -> Trigger:
        if not isinstance(data, dict):
            raise TriggerError(f"trigger {name!r}: not an object")
        kinds = [k for k in KINDS if k in data]
        if len(kinds) != 1:
            raise TriggerError(f"trigger {name!r}: needs exactly one of {', '.join(KINDS)}")
        paths, params = data.get("on_change", []), data.get("params", {})
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise TriggerError(f"trigger {name!r}: on_change must be a list of paths")
        if not isinstance(params, dict):
            raise TriggerError(f"trigger {name!r}: params must be an object")
        return cls(
            name=name,
            pipeline=str(data.get("pipeline") or ""),
            kind=kinds[0],
            paths=tuple(paths),
            every=str(data.get("every", "")),
            cron=str(data.get("cron", "")),
            params={str(k): str(v) for k, v in params.items()},
        )

    def command(self, yaml_path: str | Path, program: str = "pipeline-designer") -> str:
        """The ``watch`` command line that runs this trigger, shell-quoted, with absolute paths."""
        argv = [program, "watch", str(Path(yaml_path).absolute()), "--pipeline", self.pipeline]
        if self.kind == "on_change":
            argv += ["--on-change", *(str(p) for p in self.resolved_paths(yaml_path))]
        elif self.kind == "every":
            argv += ["--every", self.every]
        else:
            argv += ["--cron", self.cron]
        for key, value in self.params.items():
            argv += ["--param", f"{key}={value}"]
        return shlex.join(argv)


def stored_path(path: str | Path, yaml_path: str | Path) -> str:
    """How a watched path is saved: relative to the YAML folder when inside it, else absolute."""
    folder = Path(yaml_path).absolute().parent
    full = Path(path).absolute()
    if full.is_relative_to(folder):
        rel = full.relative_to(folder).as_posix() or "."
        return rel + "/" if full.is_dir() and rel != "." else rel
    return str(full)


def load_triggers(yaml_path: str | Path) -> tuple[dict[str, Trigger], list[str]]:
    """The saved triggers and a message for each entry that had to be skipped."""
    triggers: dict[str, Trigger] = {}
    problems: list[str] = []
    for name, data in read_section(yaml_path, SECTION).items():
        try:
            triggers[name] = Trigger.from_json(name, data)
        except TriggerError as exc:
            problems.append(str(exc))
    return triggers, problems


def save_trigger(yaml_path: str | Path, trigger: Trigger, replace: str | None = None) -> Path:
    """Add ``trigger`` (or replace the one named ``replace``, which may be renamed) atomically."""

    def edit(section: dict[str, Any]) -> None:
        if trigger.name in section and trigger.name != replace:
            raise TriggerError(f"a trigger named {trigger.name!r} already exists; pick another name")
        if replace is not None:
            section.pop(replace, None)
        section[trigger.name] = trigger.to_json()

    return update_section(yaml_path, SECTION, edit)


def remove_trigger(yaml_path: str | Path, name: str) -> Path:
    return update_section(yaml_path, SECTION, lambda section: section.pop(name, None))
