"""The nodes of a tested Ray cluster in the Hosts dialog: each node's role, address, GPUs, CPUs
and pipeline slots (free of total, as Ray counted them at the test) and its Docker engine.

A dead node stays listed, with the reason the head gave. The figures come from the runner's
``ClusterReport`` (runner.ray.service): nothing here reaches the cluster.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

COLUMNS = ["Node", "Role", "Address", "GPUs free", "CPUs free", "Slots free", "Docker"]
FIGURES = (3, 4, 5)  # the columns of numbers, centred
DEAD = QColor(190, 40, 40)


def _free(free: float | None, total: float) -> str:
    """``2 / 2``: free of total; the total alone when Ray did not say what is free."""
    return f"{total:g}" if free is None else f"{free:g} / {total:g}"


def role(node: Any) -> str:
    if node.head:
        return "head + worker" if node.worker else "head"
    return "worker" if node.worker else "no Docker slots"


def rows(report: Any) -> list[tuple[Any, list[str]]]:
    """Each node with its row of text, workers first (a head that runs nothing last)."""
    out = []
    for node in sorted(report.nodes, key=lambda n: (not n.worker, n.head, n.hostname, n.address)):
        name = f"{node.hostname} ({node.id[:12]})"
        if not node.alive:
            dead = f"DEAD: {node.death or 'left the cluster'}"
            out.append((node, [name, role(node), node.address, "", "", "", dead]))
            continue
        figures = [_free(node.free_gpus, node.gpus), _free(node.free_cpus, node.cpus)]
        figures.append(_free(node.free_slots, node.slots) if node.slots else "")
        out.append((node, [name, role(node), node.address, *figures, node.docker if node.worker else ""]))
    return out


class ClusterNodes(QTableWidget):
    """A read-only table of one cluster's nodes; ``show_report(None)`` empties it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().hide()
        self.setToolTip("The cluster's nodes at the last test: free of total, as Ray counted them")

    def show_report(self, report: Any) -> None:
        listing = rows(report) if report is not None else []
        self.setRowCount(len(listing))
        for row, (node, values) in enumerate(listing):
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col in FIGURES:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if not node.alive:
                    item.setForeground(QBrush(DEAD))
                self.setItem(row, col, item)
        self.resizeColumnsToContents()
        # Tall enough for every node of a small cluster; a big one scrolls.
        rows_h = sum(self.rowHeight(r) for r in range(min(self.rowCount(), 6)))
        self.setMinimumHeight(self.horizontalHeader().height() + rows_h + 2 * self.frameWidth() + 2)
