"""Inputs/Outputs lineage of one execution: where each of its inputs came from, back to the files
that came from outside, and for each of its outputs every execution (of any run) that consumed
that content. Double-clicking an execution shows its run.

The data comes from the run store (``RunHistory.lineage`` / ``file_lineage``); this module only
draws it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

_RUN_NODE = Qt.ItemDataRole.UserRole  # (run id, node) of an execution row
_SHA = Qt.ItemDataRole.UserRole + 1  # sha256 of an output row


COLUMNS = ["What", "Run, or content", "Status"]


def _execution_item(row: dict[str, Any], what: str) -> QTreeWidgetItem:
    """An execution's row: ``what`` (its node, or the file it made), its run and status."""
    item = QTreeWidgetItem([what, row["run_id"], row["status"]])
    item.setData(0, _RUN_NODE, (row["run_id"], row["node"]))
    item.setToolTip(0, f"execution {row['id']} (double-click: show its run)")
    return item


def fill_upstream(parent: QTreeWidgetItem | QTreeWidget, node: Any) -> QTreeWidgetItem:
    """One execution of a ``lineage.Upstream`` tree, its inputs and their producers below it."""
    row = node.execution
    what = row["node"] if not node.output_path else f"{node.output_path}  ←  {row['node']}"
    item = _execution_item(row, what + ("  (shown above)" if node.seen_before else ""))
    if isinstance(parent, QTreeWidget):
        parent.addTopLevelItem(item)
    else:
        parent.addChild(item)
    for source in node.inputs:
        child = QTreeWidgetItem([f"input {source.input}: {source.name}", f"sha256:{source.sha256[:12]}"])
        child.setToolTip(0, source.sha256)
        item.addChild(child)
        if source.producer is None:
            outside = QTreeWidgetItem(["from outside", source.uri])
            outside.setToolTip(1, source.uri)
            child.addChild(outside)
        else:
            fill_upstream(child, source.producer)
    return item


class LineageDialog(QDialog):
    # Show this run (run id, node)
    execution_requested = Signal(str, str)

    def __init__(self, history: Any, run_id: str, node: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.run_id, self.node = run_id, node
        self.setWindowTitle(f"Inputs/Outputs lineage — {node} (run {run_id})")
        self.upstream = QTreeWidget(self)
        self.upstream.setHeaderLabels(["Where its inputs came from", *COLUMNS[1:]])
        self.outputs = QTreeWidget(self)
        self.outputs.setHeaderLabels(["Its outputs, and who consumed them (any run)", *COLUMNS[1:]])
        for tree in (self.upstream, self.outputs):
            tree.itemDoubleClicked.connect(self._open)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.upstream)
        split.addWidget(self.outputs)
        split.setSizes([320, 200])
        self.summary = QLabel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self.resize(900, 560)
        self.refresh()

    def refresh(self) -> None:
        self.upstream.clear()
        self.outputs.clear()
        tree = self.history.lineage(self.run_id, self.node)
        if tree is None:
            self.summary.setText(f"Run {self.run_id} has no execution of {self.node}.")
            return
        fill_upstream(self.upstream, tree)
        self.upstream.expandAll()
        row = tree.execution
        outputs = self.history.outputs(row["id"])
        for output in outputs:
            _made, consumers = self.history.file_lineage(output["sha256"], row["run_id"], row["node"])
            used_by = f"{len(consumers)} consumer{'s' if len(consumers) != 1 else ''}"
            item = QTreeWidgetItem([output["path"], f"sha256:{output['sha256'][:12]}", used_by])
            item.setData(0, _SHA, output["sha256"])
            item.setToolTip(0, output["sha256"])
            for used in consumers:
                item.addChild(_execution_item(used, f"{used['node']}  (its input {used['input']})"))
            self.outputs.addTopLevelItem(item)
        self.outputs.expandAll()
        for view in (self.upstream, self.outputs):
            for column in range(len(COLUMNS)):
                view.resizeColumnToContents(column)
        shown = self.history.execution(self.run_id, self.node)
        actual = "" if shown is None or row["id"] == shown["id"] else f" (reused from run {row['run_id']})"
        self.summary.setText(
            f"<b>{self.node}</b>{actual}: {len(tree.inputs)} input file(s), {len(outputs)} output(s). "
            "Double-click an execution to show its run."
        )

    def _open(self, item: QTreeWidgetItem, _column: int) -> None:
        target = item.data(0, _RUN_NODE)
        if target:
            self.execution_requested.emit(*target)
