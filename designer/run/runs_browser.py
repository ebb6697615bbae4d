"""The Runs dock: past runs as a searchable table (like an executions list).

Filter by file (the open one by default), pipeline, status, tag and free text; columns for the
parameters that differ between the runs listed and for their final metrics, sortable; a run's
tags and note are edited in place. Select runs to compare them: two open the comparison of
their differences, more narrow the table to them, side by side. Delete Run… removes runs with
their logs and the files no other run uses (``pipeline-designer gc``, off the UI thread).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from designer.bridge.history import RunHistory, RunSummary
from designer.bridge.run_cleanup import RunCleanup, summary
from designer.run.run_filters import RunFilterBar
from designer.run.run_table_model import FIXED, RUN_ID_ROLE, RunFilterProxy, RunTableModel
from runner.api import StoreError

LIMIT = 500  # runs listed at most (newest first)
MAX_COLUMN_PX = 260  # a long note or file name is cut there (the tooltip has it whole)
TAGS_COLUMN, NOTE_COLUMN = FIXED.index("Tags"), FIXED.index("Note")


def param_diff(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    """(node, parameter, value in a, value in b) for every parameter that differs between two runs."""
    pa = {e["node"]: e.get("parameters") or {} for e in a}
    pb = {e["node"]: e.get("parameters") or {} for e in b}
    out = []
    for node in sorted(set(pa) | set(pb)):
        x, y = pa.get(node, {}), pb.get(node, {})
        for key in sorted(set(x) | set(y)):
            if x.get(key) != y.get(key):
                out.append((node, key, x.get(key), y.get(key)))
    return out


def _ask_text(parent: QWidget, title: str, label: str, text: str, multiline: bool) -> tuple[str, bool]:
    if multiline:
        return QInputDialog.getMultiLineText(parent, title, label, text)
    return QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)


class RunsBrowser(QWidget):
    # Load this run into the canvas, logs and metrics (run id)
    run_selected = Signal(str)
    # Compare two runs (older id, newer id)
    compare_requested = Signal(str, str)

    def __init__(self, history: RunHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.summaries: list[RunSummary] = []
        self.only: list[str] | None = None  # comparing these runs: the table shows just them
        self._text_widths: dict[int, int] = {}  # Tags, Note: the widest content sized for so far
        # Others' context-menu entries: (menu, selected run ids) -> None adds them (Reproduce Run)
        self.menu_entries: list[Callable[[QMenu, list[str]], None]] = []
        # (title, label, text, multiline) -> (text, ok); tests replace it
        self.ask_text: Callable[[str, str, str, bool], tuple[str, bool]] = lambda title, label, text, multi: (
            _ask_text(self, title, label, text, multi)
        )
        # (title, question) -> yes; tests replace it
        self.confirm: Callable[[str, str], bool] = lambda title, text: (
            QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes
        )
        self.cleanup = RunCleanup(history.home, self)
        self.cleanup.planned.connect(self._confirm_delete)
        self.cleanup.deleted.connect(self._deleted)
        self.cleanup.failed.connect(lambda message: self.notice.setText(message))
        self.filters = RunFilterBar(self)
        self.filters.changed.connect(self.refresh)
        self.model = RunTableModel(self)
        self.proxy = RunFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filters.text_changed.connect(self._on_text)
        self.table = self._make_table()
        self.count_label = QLabel(self)
        self.notice = QLabel(self)  # what the last deletion did, or why the store cannot be read
        self.notice.setWordWrap(True)
        self.load_b = QPushButton("Show run", self)
        self.load_b.setToolTip("Show the selected run on the canvas, with its logs and metrics")
        self.load_b.clicked.connect(self._load)
        self.compare_b = QPushButton("Compare", self)
        self.compare_b.setToolTip("Two runs: their differences; more: the table shows only them")
        self.compare_b.clicked.connect(self._compare)
        self.all_b = QPushButton("Show all", self)
        self.all_b.setToolTip("Stop comparing: list every run the filters let through")
        self.all_b.clicked.connect(lambda: self.compare_only(None))
        self.tags_b = QPushButton("Tags…", self)
        self.tags_b.clicked.connect(self.edit_tags)
        self.note_b = QPushButton("Note…", self)
        self.note_b.clicked.connect(self.edit_note)
        refresh = QPushButton("Refresh", self)
        refresh.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        for b in (self.all_b, self.load_b, self.compare_b, self.tags_b, self.note_b, refresh):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notice)
        layout.addLayout(buttons)
        self._update_buttons()

    def _make_table(self) -> QTableView:
        table = QTableView(self)
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(FIXED.index("Started"), Qt.SortOrder.DescendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(22)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setResizeContentsPrecision(60)  # columns sized by their first rows
        table.horizontalHeader().setStretchLastSection(True)
        table.doubleClicked.connect(self._on_double_click)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        return table

    # --- the open file (the run UI keeps it current) ------------------------------------------------
    @property
    def file(self) -> str | None:
        return self.filters.open_file

    def set_file(self, file: str | None) -> None:
        """The open document's file, as the store records it (``file_runs.file_key``)."""
        if file == self.filters.open_file:
            return
        self.filters.open_file = file
        self.only = None
        if self.isVisible():
            self.refresh()

    # --- listing ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        try:
            self._refresh()
        except StoreError as exc:  # damaged, or on a full disk: say so where the runs would be
            self.notice.setText(str(exc))

    def _refresh(self) -> None:
        everything = self.history.runs(limit=LIMIT, with_metrics=False)
        files = sorted({s.yaml_path for s in everything if s.yaml_path})
        pipelines = sorted({s.pipeline for s in everything if s.pipeline})
        self.filters.set_choices(files, pipelines, self.history.all_tags())
        listed = self.history.runs(limit=LIMIT, **self.filters.query().kwargs())
        if self.only is not None:
            listed = [s for s in listed if s.id in self.only]
        selected, headers = set(self.selected_ids()), self.model.headers()
        self.summaries = listed
        self.model.set_summaries(listed)
        self._select(selected)
        if self.model.headers() != headers:  # new columns: sized to their contents, once
            self._size_columns()
        self._fit_text_columns()
        self._update_buttons()

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount()):
            self.table.resizeColumnToContents(column)
            header.resizeSection(column, min(header.sectionSize(column), MAX_COLUMN_PX))

    def _fit_text_columns(self) -> None:
        """Tags and notes arrive after their columns were sized: widen those when their text grows
        wider than it ever was (a column the user narrowed stays so until then)."""
        header = self.table.horizontalHeader()
        for column in (TAGS_COLUMN, NOTE_COLUMN):
            needed = min(
                max(self.table.sizeHintForColumn(column), header.sectionSizeHint(column)), MAX_COLUMN_PX
            )
            if needed > self._text_widths.get(column, 0):
                self._text_widths[column] = needed
                header.resizeSection(column, max(header.sectionSize(column), needed))

    def _on_text(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_buttons()

    def visible_ids(self) -> list[str]:
        """The run ids in the table's order (after filters and sorting)."""
        return [self.proxy.index(r, 0).data(RUN_ID_ROLE) for r in range(self.proxy.rowCount())]

    def selected_ids(self) -> list[str]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return [self.proxy.index(r, 0).data(RUN_ID_ROLE) for r in sorted(rows)]

    def select_ids(self, ids: list[str]) -> None:
        self._select(set(ids))
        self._update_buttons()

    def _select(self, ids: set[str]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for r in range(self.proxy.rowCount()):
            if self.proxy.index(r, 0).data(RUN_ID_ROLE) in ids:
                selection.select(
                    self.proxy.index(r, 0),
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )

    def _update_buttons(self) -> None:
        n = len(self.selected_ids())
        self.load_b.setEnabled(n == 1)
        self.compare_b.setEnabled(n >= 2)
        self.tags_b.setEnabled(n >= 1)
        self.note_b.setEnabled(n == 1)
        self.all_b.setVisible(self.only is not None)
        shown, total = self.proxy.rowCount(), len(self.summaries)
        what = f"{shown} of {total} runs" if shown != total else f"{total} run" + ("" if total == 1 else "s")
        self.count_label.setText(f"Comparing {what}" if self.only is not None else what)

    # --- actions ----------------------------------------------------------------------------------
    def _load(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.run_selected.emit(ids[0])

    def _compare(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            order = {s.id: s.started for s in self.summaries}
            a, b = sorted(ids, key=lambda i: order.get(i, 0))
            self.compare_requested.emit(a, b)
        if len(ids) >= 2:
            self.compare_only(ids)

    def compare_only(self, ids: list[str] | None) -> None:
        """List only ``ids`` (their differing parameters become the columns); None: every run."""
        self.only = list(ids) if ids is not None else None
        self.refresh()
        if ids:
            self.select_ids(ids)

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.column() == TAGS_COLUMN:
            self.edit_tags()
        elif index.column() == NOTE_COLUMN:
            self.edit_note()
        else:
            self.run_selected.emit(index.data(RUN_ID_ROLE))

    def _summary(self, run_id: str) -> RunSummary | None:
        return next((s for s in self.summaries if s.id == run_id), None)

    def edit_tags(self) -> None:
        """Tags of the selected runs (comma separated); with several runs, the ones they all share."""
        ids = self.selected_ids()
        if not ids:
            return
        tags = {s.id: set(s.tags) for s in (self._summary(i) for i in ids) if s is not None}
        shared = sorted(set.intersection(*tags.values())) if tags else []
        text, ok = self.ask_text("Run tags", "Tags (comma separated):", ", ".join(shared), False)
        if not ok:
            return
        wanted = {t.strip() for t in text.split(",") if t.strip()}
        for run_id, old in tags.items():
            # Several runs: the shared tags are replaced, each run's others are kept.
            self.history.set_tags(run_id, sorted((old - set(shared)) | wanted))
        self.refresh()

    def edit_note(self) -> None:
        ids = self.selected_ids()
        summary = self._summary(ids[0]) if len(ids) == 1 else None
        if summary is None:
            return
        text, ok = self.ask_text(f"Note on run {summary.id}", "Note:", summary.note or "", True)
        if ok:
            self.history.set_note(summary.id, text.strip())
            self.refresh()

    def delete_selected(self) -> None:
        """Work out what deleting the selected runs frees, then ask (``_confirm_delete``)."""
        ids = self.selected_ids()
        if ids and not self.cleanup.busy:
            self.notice.setText("Looking at what deleting frees…")
            self.cleanup.plan(ids)

    def _confirm_delete(self, ids: list[str], plan: Any) -> None:
        if not plan.runs:
            self.notice.setText("A run in progress cannot be deleted.")
            return
        if self.confirm("Delete runs", summary(plan, done=False)):
            self.notice.setText("Deleting…")
            self.cleanup.delete(ids)
        else:
            self.notice.clear()

    def _deleted(self, plan: Any) -> None:
        self.notice.setText(summary(plan, done=True))
        self.refresh()

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        if index.data(RUN_ID_ROLE) not in self.selected_ids():
            self.select_ids([index.data(RUN_ID_ROLE)])
        self.context_menu().exec(self.table.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        ids = self.selected_ids()
        menu = QMenu(self)
        menu.addAction("Show Run", self._load).setEnabled(len(ids) == 1)
        menu.addAction("Compare Selected", self._compare).setEnabled(len(ids) >= 2)
        menu.addSeparator()
        menu.addAction("Edit Tags…", self.edit_tags).setEnabled(bool(ids))
        menu.addAction("Edit Note…", self.edit_note).setEnabled(len(ids) == 1)
        delete = menu.addAction("Delete Run…" if len(ids) < 2 else "Delete Runs…", self.delete_selected)
        delete.setEnabled(bool(ids) and not self.cleanup.busy)
        menu.addSeparator()
        copy = menu.addAction("Copy Run Id" + ("s" if len(ids) > 1 else ""))
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText("\n".join(ids)))
        if self.menu_entries:
            menu.addSeparator()
        for add_entries in self.menu_entries:
            add_entries(menu, ids)
        return menu


__all__ = ["RunsBrowser", "param_diff"]
