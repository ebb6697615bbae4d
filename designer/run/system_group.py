"""The Metrics dock's System group: one small plot per quantity (CPU %, memory, GPU
utilisation, GPU memory) of the nodes the dock shows, on the time axis of the user's metrics.

Times are seconds from the node's first metadata record, the origin of the dock's "wall time"
axis, so a spike in memory lines up with the epoch that caused it; while x is wall time the
plots show the metrics plot's x range. GPU plots show only where there are GPU figures; else a
line says why (nvidia-smi missing or failing on the host, or no GPU assigned). Samples arrive
whenever they like; a 2 Hz timer redraws what changed (throttle drawing, never data).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from designer.run.metrics_plot import PALETTE
from designer.run.system_series import CPU, GPU_MEMORY, GPU_UTIL, MEMORY, QUANTITIES, SystemSeries
from runner.events import SystemSample

FRAME_MS = 500  # samples come once a second
TITLES = {CPU: "CPU %", MEMORY: "Memory (RSS)", GPU_UTIL: "GPU utilisation %", GPU_MEMORY: "GPU memory"}
Pair = tuple[str, str]  # (run id, node)
_NO_LIMIT = 16_777_215  # QWIDGETSIZE_MAX


class SystemGroup(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: dict[Pair, SystemSeries] = {}
        self.shown: list[Pair] = []
        self.labels: dict[Pair, str] = {}  # what the legend calls a shown node
        self._origins: dict[Pair, float | None] = {}
        self._drawn: tuple[object, ...] | None = None  # nothing drawn yet, not even "no samples"
        self._followed: pg.ViewBox | None = None  # the metrics plot's, while x is wall time
        self.title = QLabel("<b>System</b>", self)
        self.note = QLabel("", self)
        self.note.setObjectName("system-note")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head = QHBoxLayout()
        head.setContentsMargins(6, 2, 6, 0)
        head.setSpacing(12)
        head.addWidget(self.title)
        head.addWidget(self.note, 1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, pg.PlotWidget] = {}
        for quantity in QUANTITIES:
            widget = pg.PlotWidget(background=self.palette().base().color())
            item = widget.getPlotItem()
            item.setTitle(TITLES[quantity], size="9pt")
            item.setLabel("bottom", "wall time", units="s")
            if quantity in (MEMORY, GPU_MEMORY):
                item.setLabel("left", units="B")
            item.showGrid(x=True, y=True, alpha=0.15)
            item.setMenuEnabled(False)
            widget.setMinimumHeight(120)
            self.plots[quantity] = widget
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addLayout(row, 1)
        self._timer = QTimer(self, interval=FRAME_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    # --- data in ----------------------------------------------------------------------------
    def add(
        self, run_id: str, node: str, samples: Iterable[SystemSample], gpu_note: str | None = None
    ) -> None:
        self.series.setdefault((run_id, node), SystemSeries()).add(samples, gpu_note)

    def show_nodes(
        self, pairs: list[Pair], origins: dict[Pair, float | None], labels: dict[Pair, str]
    ) -> None:
        """Plot these nodes, each from its origin (its first record's time; None: its first sample)."""
        self.shown, self._origins, self.labels = list(pairs), dict(origins), dict(labels)
        self._drawn = ()
        self.refresh()

    def follow_x(self, view_box: pg.ViewBox | None) -> None:
        """Show the x range of the metrics plot (while its axis is wall time), or each plot's own
        (None). One way only: the small plots never move the big one."""
        if self._followed is not None:
            self._followed.sigXRangeChanged.disconnect(self._on_followed_range)
        self._followed = view_box
        if view_box is None:
            for widget in self.plots.values():
                widget.getPlotItem().enableAutoRange(x=True)
            return
        view_box.sigXRangeChanged.connect(self._on_followed_range)
        self._on_followed_range(view_box)

    def _on_followed_range(self, view_box: pg.ViewBox, *_: object) -> None:
        x0, x1 = view_box.viewRange()[0]
        for widget in self.plots.values():
            widget.getPlotItem().setXRange(x0, x1, padding=0)

    def clear(self) -> None:
        self.series.clear()
        self.show_nodes([], {}, {})

    def stop(self) -> None:
        """Stop the timer and drop every curve (docs/architecture.md "Shutdown")."""
        self._timer.stop()
        self.follow_x(None)
        for widget in self.plots.values():
            widget.getPlotItem().clear()

    # --- drawing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        shown = [(p, self.series[p]) for p in self.shown if p in self.series]
        state = tuple((p, s.version, self._origins.get(p)) for p, s in shown)
        if state == self._drawn:
            return
        self._drawn = state
        with_gpus = any(s.gpus for _p, s in shown)
        for quantity, widget in self.plots.items():
            curves = [
                (pair, gpu, x, y)
                for pair, series in shown
                for gpu, x, y in series.curves(quantity, self._origins.get(pair))
            ]
            item = widget.getPlotItem()
            item.clear()
            if len(curves) > 1 and item.legend is None:
                item.addLegend(offset=(-6, 6), labelTextSize="8pt")
            widget.setVisible(bool(shown) and (quantity in (CPU, MEMORY) or with_gpus))
            for n, (pair, gpu, x, y) in enumerate(curves):
                name = " ".join(filter(None, [self.labels.get(pair, pair[1]), f"GPU {gpu}" if gpu else ""]))
                item.plot(x, y, pen=pg.mkPen(PALETTE[n % len(PALETTE)], width=1.5), name=name)
        self._say_why(shown, with_gpus)
        # No samples: only the heading and why, so the splitter gives the metrics the room.
        self.setMaximumHeight(_NO_LIMIT if shown else self.layout().itemAt(0).sizeHint().height() + 4)

    def _say_why(self, shown: list[tuple[Pair, SystemSeries]], with_gpus: bool) -> None:
        """The line beside the title: what is missing, and why."""
        if not self.shown:
            text = "no samples for the series shown"
        elif not shown:
            text = "no samples: the node has not run in a container (or was reused and its original is gone)"
        elif with_gpus:
            text = ""
        else:
            notes = sorted({s.gpu_note for _p, s in shown if s.gpu_note})
            text = "No GPU figures: " + "; ".join(notes) if notes else "No GPU assigned"
        if len(shown) == 1 and shown[0][1].limit == shown[0][1].limit:  # not NaN
            limit = pg.siFormat(shown[0][1].limit, suffix="B")
            text = f"memory limit {limit}" + (f" · {text}" if text else "")
        self.note.setText(text)
