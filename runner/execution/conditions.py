"""Node-action conditions (``if:``) and the actions a plan carries; the gate is runner.execution.actions.

Conditions use leval's ``CommonBooleanEvaluator`` (the evaluator valohai uses); the names a
condition can use and what a missing one does are described in runner.execution.actions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leval.excs import NoSuchValue
from leval.extras.common_boolean_evaluator import DASH_SEP, KEYWORD_PREFIX, CommonBooleanEvaluator


class ActionError(ValueError):
    """An action's ``if`` is not a valid expression; the message names node and expression."""


_Universe: Any = CommonBooleanEvaluator.universe_class


class _MissingValue(NoSuchValue):
    def __init__(self, name: str | tuple[str, ...]) -> None:
        parts = name if isinstance(name, tuple) else (name,)
        self.display = ".".join(p.replace(DASH_SEP, "-").replace(KEYWORD_PREFIX, "") for p in parts)
        super().__init__(f"no value {self.display}")


class _TracingUniverse(_Universe):  # type: ignore[misc]
    """Names the missing value in user terms (``metadata.val-acc``, not leval's rewrite)."""

    def get_value(self, name: str | tuple[str, ...]) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise _MissingValue(name) from None


class _Evaluator(CommonBooleanEvaluator):
    universe_class = _TracingUniverse


_EVALUATOR = _Evaluator()


@dataclass(frozen=True)
class Verdict:
    holds: bool
    missing: tuple[str, ...] = ()  # names that had no value
    problem: str = ""  # an evaluation error (e.g. comparing None with a number)


def check_expression(expression: str) -> str | None:
    """None if ``expression`` is a valid condition, else leval's complaint."""
    try:
        _EVALUATOR.verify(str(expression))
    except Exception as exc:  # leval raises SyntaxError, InvalidOperation and friends
        return f"{type(exc).__name__}: {exc}"
    return None


def condition_values(
    metadata: Mapping[str, Any], parameters: Mapping[str, Any]
) -> dict[tuple[str, ...], Any]:
    """The names a condition can use: ``metadata.*``, ``parameter.*`` and ``parameters.*``."""
    values: dict[tuple[str, ...], Any] = {}
    for name, value in parameters.items():
        values["parameter", name] = values["parameters", name] = value
    stack: list[tuple[tuple[str, ...], Any]] = [(("metadata", *k.split(".")), v) for k, v in metadata.items()]
    while stack:  # nested objects are reachable too: metadata.cm.data
        path, value = stack.pop()
        values.setdefault(path, value)
        if isinstance(value, dict):
            stack.extend(((*path, *str(k).split(".")), v) for k, v in value.items())
    return values


def evaluate(expressions: Sequence[str], values: Mapping[Any, Any]) -> Verdict:
    """All ``expressions`` must hold (no expression: holds). Raises ActionError on bad syntax."""
    for expression in expressions:
        problem = check_expression(expression)
        if problem is not None:
            raise ActionError(f"{expression!r} is not a valid expression ({problem})")
        try:
            if not _EVALUATOR.evaluate(str(expression), dict(values)):
                return Verdict(False)
        except _MissingValue as exc:
            return Verdict(False, missing=(exc.display,))
        except Exception as exc:  # a type mismatch at run time: the condition does not hold
            return Verdict(False, problem=f"{expression!r}: {exc}")
    return Verdict(True)


def task_metadata(children: Iterable[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The metadata a task node's node-complete/node-error actions see.

    ``children``: each execution's records, in the order the executions *finished*. The records
    are chained in that order, so ``metadata.<key>`` is the latest value of the key in the
    execution that finished last among those that printed it (for one execution: its own
    latest value, as for an execution node)."""
    return [record for records in children for record in records]
