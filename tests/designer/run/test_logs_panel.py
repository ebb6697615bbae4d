"""The Logs dock: search and stored-log parsing, streaming with follow-tail, search that keeps its
place, copy, a throttled view that keeps every line."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from designer.run.logs_panel import Line, find_matches, parse_log_text
from runner.events import LogLine


def test_log_search_and_stored_log_parsing() -> None:
    lines = [Line("stdout", "Epoch 1 loss"), Line("stderr", "WARNING low memory"), Line("stdout", "epoch 2")]
    assert find_matches(lines, "epoch") == [0, 2]
    assert find_matches(lines, "Epoch", case_sensitive=True) == [0]
    assert find_matches(lines, "") == [] and find_matches(lines, "absent") == []
    text = (
        "2026-01-01T00:00:00Z runner started\n"
        '2026-01-01T00:00:01Z stdout {"loss": 1}\n'
        "2026-01-01T00:00:02Z stderr oops: a b\n"
        "garbage line\n"
    )
    parsed = parse_log_text(text)
    assert [(x.stream, x.text) for x in parsed] == [
        ("runner", "started"),
        ("stdout", '{"loss": 1}'),
        ("stderr", "oops: a b"),
        ("stdout", "garbage line"),
    ]
    assert [x.is_metadata for x in parsed] == [False, True, False, False]


@pytest.mark.gui
def test_logs_panel_streams_searches_follows_and_copies(qtbot) -> None:
    from designer.run.logs_panel import LogsPanel

    panel = LogsPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 300)
    panel.show()
    panel.show_log("r1", "train")
    lines = [LogLine("r1", "train", "stdout", f"epoch {i} done", 0.0) for i in range(300)]
    lines.append(LogLine("r1", "train", "stderr", "Warning: slow disk", 0.0))
    lines.append(LogLine("r1", "train", "stdout", '{"loss": 0.25}', 0.0))
    lines.append(LogLine("r1", "other", "stdout", "not shown here", 0.0))
    panel.add_lines(lines)
    assert panel.view.document().blockCount() == 302
    assert "not shown here" not in panel.view.toPlainText()
    bar = panel.view.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0  # follow-tail
    # formats: stderr red-ish, metadata highlighted
    doc = panel.view.document()
    stderr_fmt = doc.findBlockByNumber(300).begin().fragment().charFormat()
    meta_fmt = doc.findBlockByNumber(301).begin().fragment().charFormat()
    assert stderr_fmt.foreground().color().red() > 150
    assert meta_fmt.background().style() != Qt.BrushStyle.NoBrush
    qtbot.keyClicks(panel.search, "epoch 29")
    assert panel.match_label.text() == "11 matches"  # 29 and 290..299
    panel.find_next()
    assert panel.current_match() == 29 and not panel.follow.isChecked()
    assert panel.view.textCursor().block().text() == "epoch 29 done"
    panel.find_previous()
    assert panel.current_match() == 299
    panel.find_next()
    assert panel.current_match() == 29
    panel.add_lines([LogLine("r1", "train", "stdout", "more", 0.0)])
    assert bar.value() < bar.maximum()  # follow is off: the view stays where the user looked
    panel.add_lines([LogLine("r1", "train", "stdout", "epoch 29 again", 0.0)])
    assert panel.match_label.text() == "1 of 12"  # the search follows new lines, keeping its place
    panel.copy()
    assert QGuiApplication.clipboard().text().startswith("epoch 0 done\nepoch 1 done")


@pytest.mark.gui
def test_logs_view_is_throttled_but_keeps_every_line(qtbot) -> None:
    from designer.run.logs_panel import LINES_PER_TICK, LogsPanel

    panel = LogsPanel()
    qtbot.addWidget(panel)
    panel.show_log("r", "n")
    burst = [LogLine("r", "n", "stdout", f"l{i}", 0.0) for i in range(20_000)]
    panel.add_lines(burst)
    assert len(panel.lines()) == 20_000  # the data, all of it, at once
    assert panel.view.document().blockCount() <= LINES_PER_TICK  # the view, a slice a tick
    qtbot.waitUntil(lambda: panel.view.document().blockCount() == 20_000, timeout=10_000)
    assert panel.view.document().lastBlock().text() == "l19999"


def test_in_a_narrow_dock_the_search_term_stays_readable(qtbot) -> None:
    """A long run id in the title gives way (whole in its tooltip), not the search field."""
    from designer.run.logs_panel import LogsPanel

    panel = LogsPanel()
    qtbot.addWidget(panel)
    panel.resize(560, 300)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_log("20261204-205345-9fb912", "train")
    panel.search.setText('"epoch": 1')
    qtbot.waitUntil(lambda: panel.search.width() >= 120)
    shown = panel.search.width() - 30  # less the clear button
    assert panel.search.fontMetrics().horizontalAdvance('"epoch": 1') < shown
    assert panel.title.toolTip() == "train · run 20261204-205345-9fb912"
