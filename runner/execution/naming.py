"""How a run names what it executes: the one home of the ``node#k`` and ``node~1`` rules.

A *unit* is one execution the executor launches: a plain node (``train``) or execution ``k``
of a task node (``train#3``). Store rows, log files and container names use the unit name;
events carry the node and ``child=k`` apart. A retried node's earlier attempt keeps its row
under ``<unit>~1`` (``train~1``, ``train#3~1``); the unit's own row is its last attempt.
"""

from __future__ import annotations

from collections.abc import Container


def unit_name(node: str, child: int | None) -> str:
    """``("train", 3)`` -> ``"train#3"``; ``(node, None)`` -> the node's own name."""
    return node if child is None else f"{node}#{child}"


def split_unit(unit: str, task_nodes: Container[str] | None = None) -> tuple[str, int | None]:
    """``"train#3"`` -> ``("train", 3)``; a plain node -> ``(unit, None)``.

    ``task_nodes``: when given, only a name whose node is one of them is a task's execution
    (a node may itself be called ``a#1``); without it any ``<name>#<digits>`` is."""
    node, sep, k = unit.rpartition("#")
    if sep and node and k.isdigit() and (task_nodes is None or node in task_nodes):
        return node, int(k)
    return unit, None


def attempt_name(unit: str, attempt: int) -> str:
    """The row name of an earlier attempt: ``("train", 1)`` -> ``"train~1"``."""
    return f"{unit}~{attempt}"


def is_earlier_attempt(name: str) -> bool:
    """A row of a retried unit's earlier attempt (``train~1``, ``t#2~1``): history, not the unit."""
    base, sep, n = name.rpartition("~")
    return bool(sep and base and n.isdigit())
