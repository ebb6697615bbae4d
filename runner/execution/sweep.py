"""A task node's parameter sweep, expanded into one parameter dict per execution. Pure, no I/O.

    expand_blueprint(config.tasks["sweep"], config.steps["train"])  # -> [{"lr": 0.1}, ...]

Task types (valohai-yaml ``objs/task.py``): ``grid_search`` (default: cartesian product of every
variant parameter's values, in YAML order), ``random_search`` (``execution-count`` executions,
each drawing every ``random`` parameter and picking one value of every listed one),
``manual_search`` (one execution per ``parameter-sets`` item). ``bayesian_tpe`` and
``distributed`` need Valohai's optimizer/cluster and are refused (``SweepError``), never
silently run as something else.

Variant styles: ``single`` (rules.value), ``multiple`` (rules.items), ``linear`` (start, end,
step; the end is included like numpy.arange with a tolerance), ``logspace`` (start, end, count,
base 10 by default, as numpy.logspace), ``random`` (min, max, ``distribution`` uniform (default)
| loguniform | normal (mean/stddev, by default the middle of [min, max] and a sixth of it,
clipped to it), ``integerify``, ``seed``; in a grid it draws rules.count values, default 1).
The same seed gives the same values. Values are cast to the step parameter's type.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_EXECUTIONS = 10_000
TYPES = ("grid_search", "random_search", "manual_search")
UNSUPPORTED = ("bayesian_tpe", "distributed")
ON_CHILD_ERROR = ("continue-and-error", "continue-and-complete", "stop-all-and-error")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class SweepError(ValueError):
    """The sweep cannot be expanded; the message names the node/task and the parameter."""


@dataclass(frozen=True)
class Variant:
    name: str
    style: str
    rules: Mapping[str, Any]


@dataclass(frozen=True)
class Sweep:
    """What a task node varies and how it behaves (from a ``task:`` blueprint or empty)."""

    where: str  # "task 'sweep'" / "node 'train'": names the culprit in errors
    type: str = "grid_search"
    variants: tuple[Variant, ...] = ()
    parameter_sets: tuple[Mapping[str, Any], ...] = ()
    execution_count: int | None = None
    on_child_error: str = "continue-and-error"
    stop_condition: str | None = None
    reuse_children: bool = False
    maximum_queued: int | None = None  # maximum-queued-executions: at most this many at once


def _enum(value: Any, default: str) -> str:
    return str(getattr(value, "value", value)) if value else default


def sweep_from_task(task: Any, where: str | None = None) -> Sweep:
    """A valohai_yaml ``Task`` as a Sweep."""
    return Sweep(
        where=where or f"task {task.name!r}",
        type=_enum(task.type, "grid_search"),
        variants=tuple(Variant(v.name, _enum(v.style, "single"), v.rules or {}) for v in task.parameters),
        parameter_sets=tuple(task.parameter_sets or ()),
        execution_count=task.execution_count,
        on_child_error=_enum(task.on_child_error, "continue-and-error"),
        stop_condition=getattr(task, "stop_condition", None),
        reuse_children=bool(getattr(task, "reuse_children", False)),
        maximum_queued=getattr(task, "maximum_queued_executions", None),
    )


def expand_blueprint(task: Any, step: Any) -> list[dict[str, Any]]:
    """Every execution's varied parameters for a ``task:`` blueprint of ``step``.

    ``len()`` of the result is the designer's "= N executions". Raises SweepError.
    """
    return expand(sweep_from_task(task), {p.name: p.type for p in step.parameters.values()})


def expand(
    sweep: Sweep, types: Mapping[str, str], spread: Mapping[str, Sequence[Any]] | None = None
) -> list[dict[str, Any]]:
    """The executions of ``sweep`` for a step whose parameters have ``types`` (name -> type).

    ``spread``: list values that arrived for non-``multiple`` parameters (pipeline parameter,
    --param, an edge): one execution per item, in product with the sweep; a spread parameter
    replaces a variant of the same name.
    """
    spread = {k: list(v) for k, v in (spread or {}).items()}
    for name, values in spread.items():
        _known(sweep, types, name)
        if not values:
            raise SweepError(f"{sweep.where}: parameter {name!r} got an empty list of values")
    if sweep.type in UNSUPPORTED:
        raise SweepError(
            f"{sweep.where}: task type {sweep.type!r} is not supported by the local runner "
            "(bayesian_tpe needs Valohai's optimizer service, distributed its multi-machine "
            f"executions); use {', '.join(TYPES)}"
        )
    if sweep.type not in TYPES:
        raise SweepError(f"{sweep.where}: unknown task type {sweep.type!r} (expected {', '.join(TYPES)})")
    if sweep.on_child_error not in ON_CHILD_ERROR:
        raise SweepError(
            f"{sweep.where}: on-child-error {sweep.on_child_error!r} is not one of "
            + ", ".join(ON_CHILD_ERROR)
        )
    variants = [v for v in sweep.variants if v.name not in spread]
    seen: set[str] = set()
    for v in variants:
        _known(sweep, types, v.name)
        if v.name in seen:  # a product with itself: duplicate executions, never what was meant
            raise SweepError(f"{sweep.where}: parameter {v.name!r} is varied twice; keep one of them")
        seen.add(v.name)
    if sweep.type == "manual_search":
        base = _manual(sweep, types)
    elif sweep.type == "random_search":
        base = _random_search(sweep, variants, types)
    else:
        axes = [[(v.name, x) for x in _values(sweep, v, types)] for v in variants]
        _check_size(sweep, _product_size(axes))
        base = [dict(combo) for combo in itertools.product(*axes)]
    spread_axes = [
        [(name, _cast(sweep, name, types[name], x)) for x in values] for name, values in spread.items()
    ]
    _check_size(sweep, len(base) * _product_size(spread_axes))
    return [{**b, **dict(combo)} for b in base for combo in itertools.product(*spread_axes)]


def _known(sweep: Sweep, types: Mapping[str, str], name: str) -> None:
    if name not in types:
        known = ", ".join(types) or "none"
        raise SweepError(f"{sweep.where}: {name!r} is not a parameter of the step (parameters: {known})")


def _product_size(axes: Sequence[Sequence[Any]]) -> int:
    return math.prod(len(a) for a in axes)


def _check_size(sweep: Sweep, n: int) -> None:
    if n > MAX_EXECUTIONS:
        raise SweepError(
            f"{sweep.where}: the sweep would start {n} executions (at most {MAX_EXECUTIONS}); "
            "use fewer values or a random search"
        )


def _manual(sweep: Sweep, types: Mapping[str, str]) -> list[dict[str, Any]]:
    if not sweep.parameter_sets:
        raise SweepError(f"{sweep.where}: manual_search needs parameter-sets (one per execution)")
    _check_size(sweep, len(sweep.parameter_sets))
    out = []
    for i, pset in enumerate(sweep.parameter_sets, 1):
        if not isinstance(pset, Mapping):
            raise SweepError(f"{sweep.where}: parameter set {i} is not a mapping of name: value")
        for name in pset:
            _known(sweep, types, name)
        out.append({name: _cast(sweep, name, types[name], value) for name, value in pset.items()})
    return out


def _random_search(sweep: Sweep, variants: list[Variant], types: Mapping[str, str]) -> list[dict[str, Any]]:
    count = sweep.execution_count
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise SweepError(f"{sweep.where}: random_search needs execution-count of at least 1 (got {count!r})")
    _check_size(sweep, count)
    columns: list[list[tuple[str, Any]]] = []
    for v in variants:
        if v.style == "random":
            values = _random_values(sweep, v, types[v.name], count)
        else:  # a listed parameter: each execution picks one of its values
            choices = _values(sweep, v, types)
            rng = random.Random(_seed(v))
            values = [rng.choice(choices) for _ in range(count)]
        columns.append([(v.name, x) for x in values])
    return [dict(row) for row in zip(*columns, strict=True)] if columns else [{} for _ in range(count)]


def _seed(v: Variant) -> Any:
    seed = v.rules.get("seed")
    return None if seed is None else f"{seed}:{v.name}"  # str seeds are stable across runs


def _num(sweep: Sweep, v: Variant, key: str, default: Any = None) -> float:
    value = v.rules.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SweepError(
            f"{sweep.where}: parameter {v.name!r} ({v.style}) needs a number {key!r}, got {value!r}"
        )
    return value


def _values(sweep: Sweep, v: Variant, types: Mapping[str, str]) -> list[Any]:
    """The listed values of a grid axis (or a random search's non-random parameter)."""
    ptype = types[v.name]
    if v.style == "single":
        if "value" not in v.rules:
            raise SweepError(f"{sweep.where}: parameter {v.name!r} (single) needs rules.value")
        value = v.rules["value"]
        raw = list(value) if isinstance(value, list) else [value]  # a list value spreads (docs/runtime.md §8)
    elif v.style == "multiple":
        raw = v.rules.get("items")
        if not isinstance(raw, list) or not raw:
            raise SweepError(
                f"{sweep.where}: parameter {v.name!r} (multiple) needs a non-empty rules.items list"
            )
    elif v.style == "linear":
        raw = _linear(sweep, v)
    elif v.style == "logspace":
        raw = _logspace(sweep, v)
    elif v.style == "random":
        count = v.rules.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise SweepError(f"{sweep.where}: parameter {v.name!r} (random) count must be at least 1")
        _check_size(sweep, count)
        return _random_values(sweep, v, ptype, count)
    else:
        raise SweepError(f"{sweep.where}: parameter {v.name!r} has unknown style {v.style!r}")
    return [_cast(sweep, v.name, ptype, x) for x in raw]


def _linear(sweep: Sweep, v: Variant) -> list[float]:
    start, end, step = _num(sweep, v, "start"), _num(sweep, v, "end"), _num(sweep, v, "step")
    if step == 0 or (end - start) * step < 0:
        raise SweepError(
            f"{sweep.where}: parameter {v.name!r} (linear) step {step!r} never gets from {start!r} to {end!r}"
        )
    n = math.floor((end - start) / step + 1e-9) + 1  # inclusive end, float tolerance
    _check_size(sweep, n)
    return [_tidy(start + i * step) for i in range(n)]


def _logspace(sweep: Sweep, v: Variant) -> list[float]:
    start, end = _num(sweep, v, "start"), _num(sweep, v, "end")
    count, base = v.rules.get("count"), _num(sweep, v, "base", 10)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise SweepError(
            f"{sweep.where}: parameter {v.name!r} (logspace) count must be at least 1, got {count!r}"
        )
    _check_size(sweep, count)
    if count == 1:
        return [_tidy(base**start)]
    return [_tidy(base ** (start + i * (end - start) / (count - 1))) for i in range(count)]


def _tidy(x: float) -> float:
    # 0.1 + 2 * 0.1 -> 0.3, not 0.30000000000000004 (the value ends up in a command line)
    return float(f"{x:.12g}")


def _random_values(sweep: Sweep, v: Variant, ptype: str, count: int) -> list[Any]:
    lo, hi = _num(sweep, v, "min"), _num(sweep, v, "max")
    if lo > hi:
        raise SweepError(f"{sweep.where}: parameter {v.name!r} (random) min {lo!r} is above max {hi!r}")
    dist = str(v.rules.get("distribution", "uniform")).lower()
    rng = random.Random(_seed(v))
    if dist == "uniform":
        draw = lambda: rng.uniform(lo, hi)  # noqa: E731
    elif dist == "loguniform":
        if lo <= 0:
            raise SweepError(f"{sweep.where}: parameter {v.name!r} (loguniform) needs min above 0")
        draw = lambda: math.exp(rng.uniform(math.log(lo), math.log(hi)))  # noqa: E731
    elif dist == "normal":
        mean = _num(sweep, v, "mean", (lo + hi) / 2)
        stddev = _num(sweep, v, "stddev", (hi - lo) / 6)
        draw = lambda: min(hi, max(lo, rng.gauss(mean, stddev)))  # noqa: E731
    else:
        raise SweepError(
            f"{sweep.where}: parameter {v.name!r} distribution {dist!r} is not uniform, loguniform or normal"
        )
    values = [draw() for _ in range(count)]
    if v.rules.get("integerify") or ptype == "integer":
        values = [round(x) for x in values]
    return [_cast(sweep, v.name, ptype, x) for x in values]


def _cast(sweep: Sweep, name: str, ptype: str, value: Any) -> Any:
    """A sweep value as the step parameter's type; a clear error when it is not one."""
    try:
        if ptype == "integer":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError("not a whole number")
            if isinstance(value, bool):
                raise ValueError("a flag, not a number")
            return int(value) if not isinstance(value, str) else int(value.strip())
        if ptype == "float":
            if isinstance(value, bool):
                raise ValueError("a flag, not a number")
            return float(value)
        if ptype == "flag":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError("not true/false")
        return value if isinstance(value, str) else str(value)
    except ValueError as exc:
        raise SweepError(
            f"{sweep.where}: parameter {name!r} ({ptype}) cannot take {value!r}: {exc}"
        ) from None
