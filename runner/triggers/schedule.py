"""When a scheduled trigger fires: ``--every`` durations and ``--cron`` expressions (local time).

A schedule is a pure function of time: ``next_after(t)`` is the first fire time after ``t``
(seconds since the epoch). The watch loop decides what to do with fires it missed while a run
was going on (one catch-up run, not one per missed fire).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from cronsim import CronSim, CronSimError

MIN_EVERY_S = 1.0
# Below this an interval is almost surely a test setting: say so, but allow it.
SHORT_EVERY_S = 10.0
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[dhms])+")
_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
CRON_FIELDS = "minute hour day-of-month month day-of-week"
CRON_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


class TriggerError(ValueError):
    """A trigger definition that cannot work; the message says what to write instead."""


def parse_every(text: str) -> float:
    """``"90s"``, ``"30m"``, ``"1h"``, ``"1d"``, ``"1h30m"`` -> seconds (at least 1 s)."""
    raw = text.strip().lower().replace(" ", "")
    if not _DURATION.fullmatch(raw):
        raise TriggerError(
            f"--every {text!r}: not a duration; write a number and a unit (s, m, h, d), "
            "e.g. 90s, 30m, 1h, 1d or 1h30m"
        )
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(raw))
    if seconds < MIN_EVERY_S:
        raise TriggerError(f"--every {text!r}: the shortest interval is 1s")
    return seconds


def every_warning(seconds: float) -> str | None:
    if seconds < SHORT_EVERY_S:
        return (
            f"--every {format_duration(seconds)} is very short: meant for tests; "
            "a fire that comes while a run is going on starts one run after it"
        )
    return None


def format_duration(seconds: float) -> str:
    """Seconds -> the shortest ``1h30m`` form (the inverse of ``parse_every`` for whole seconds)."""
    rest, out = round(seconds), ""
    for unit, size in _UNITS.items():
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out or f"{seconds:g}s"


def parse_cron(expr: str) -> str:
    """A checked five-field cron expression (aliases like ``@daily`` expanded); TriggerError if bad."""
    text = " ".join(expr.split())
    text = CRON_ALIASES.get(text.lower(), text)
    fields = text.split(" ") if text else []
    if len(fields) != 5:
        raise TriggerError(
            f"--cron {expr!r}: needs 5 fields ({CRON_FIELDS}), got {len(fields)}; e.g. '0 3 * * *' "
            "for 03:00 every day"
        )
    try:
        next(CronSim(text, datetime(2000, 1, 1)))
    except (CronSimError, StopIteration) as exc:
        raise TriggerError(f"--cron {expr!r}: {exc or 'never fires'} (fields: {CRON_FIELDS})") from None
    return text


def explain_cron(expr: str) -> str:
    """``"0 3 * * *"`` -> ``"At 03:00 every day"`` (the expression itself if it cannot be put in words)."""
    try:
        return CronSim(parse_cron(expr), datetime(2000, 1, 1)).explain()
    except Exception:  # explain() is best effort; the expression was already checked
        return expr


@dataclass(frozen=True)
class Every:
    seconds: float

    def next_after(self, t: float) -> float:
        return t + self.seconds

    def describe(self) -> str:
        return f"every {format_duration(self.seconds)}"


@dataclass(frozen=True)
class Cron:
    expr: str

    def next_after(self, t: float) -> float:
        """The next matching local wall-clock minute after ``t``.

        CronSim runs on naive local time and ``datetime.timestamp()`` maps it back through the
        C library, so daylight-saving changes follow the system time zone.
        """
        after = datetime.fromtimestamp(t).replace(microsecond=0)
        return next(CronSim(self.expr, after)).timestamp()

    def describe(self) -> str:
        return f"cron {self.expr} ({explain_cron(self.expr)})"


Schedule = Every | Cron


def format_time(t: float) -> str:
    """A fire time for people: local time with the zone's abbreviation."""
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(t))
