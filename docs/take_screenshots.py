"""Render the README's screenshots offscreen: ``python docs/take_screenshots.py [OUT_DIR]``.

Each shot opens a copy of ``examples/valohai.yaml`` in a fresh main window with throw-away
settings, sets the scene up as a user would, and saves ``QWidget.grab()`` of the window.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from designer.app import create_app  # noqa: E402
from designer.main_window import MainWindow  # noqa: E402
from designer.theme import apply_theme  # noqa: E402

EXAMPLE = ROOT / "examples" / "valohai.yaml"
SIZE = (1440, 900)


def settle(app: QApplication, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()
        QTest.qWait(60)


def open_window(app: QApplication, work: Path, text: str) -> MainWindow:
    target = work / "valohai.yaml"
    target.write_text(text, encoding="utf-8")
    for sidecar in work.glob(".*.designer.json"):
        sidecar.unlink()
    window = MainWindow(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(*SIZE)
    window.show()
    window.files.open_path(target, confirm=False, recover=False)
    settle(app)
    window.view.fit()
    settle(app)
    return window


def shot_pipeline(app: QApplication, w: MainWindow) -> None:
    w.scene.clearSelection()


def shot_inspector(app: QApplication, w: MainWindow) -> None:
    w.scene.select_node("train")
    w.inspector_dock.raise_()


def shot_problems(app: QApplication, w: MainWindow) -> None:
    w.problems_dock.raise_()
    errors = [d for d in w.problems.diagnostics if d.severity == "error"]
    if errors:
        w.reveal_diagnostic(errors[0])
        w.problems.tree.setCurrentItem(w.problems.tree.topLevelItem(0))


def shot_edge_drag(app: QApplication, w: MainWindow) -> None:
    """Mid-drag from an output: compatible inputs ringed green, the rest dimmed."""
    item = w.scene.node_items["preprocess"].port_item("out", "output", "*")
    start = w.view.mapFromScene(item.scenePos())
    QTest.mousePress(w.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    target = w.scene.node_items["evaluate"].port_item("in", "input", "model")
    end = w.view.mapFromScene(target.scenePos()) + QPoint(-60, 40)
    QTest.mouseMove(w.view.viewport(), end)


def broken(text: str) -> str:
    """A typo in a node's step (an error) and in an edge's input name (a warning)."""
    text = text.replace("        step: evaluate\n", "        step: evalute\n")
    return text.replace(
        "[train.output.model*, evaluate.input.model]", "[train.output.model*, evaluate.input.modle]"
    )


def no_colon(text: str) -> str:
    """A key that lost its colon (``command python evaluate.py``): the file does not parse."""
    return text.replace("    command: python evaluate.py", "    command python evaluate.py")


def shot_syntax_error(app: QApplication, w: MainWindow) -> None:
    """The broken file as opened: its text in the YAML view at the error, the error in Problems."""
    w.yaml_dock.raise_()
    w.problems_dock.raise_()
    w.problems.tree.setCurrentItem(w.problems.tree.topLevelItem(0))
    problem = w.document.text_problem
    if problem is not None:
        w.yaml_panel.go_to_line(problem.line, problem.column)


def shot_out_of_date(app: QApplication, w: MainWindow) -> None:
    """Typing broke the text: the canvas keeps the last version that parsed, dimmed and labelled."""
    w.yaml_dock.raise_()
    editor = w.yaml_panel.editor
    editor.setPlainText(no_colon(editor.toPlainText()))
    w.yaml_panel.flush()
    settle(app)
    shot_syntax_error(app, w)


SHOTS: list[tuple[str, bool, Callable[[str], str], Callable[[QApplication, MainWindow], None]]] = [
    ("pipeline.png", False, lambda t: t, shot_pipeline),
    ("inspector.png", False, lambda t: t, shot_inspector),
    ("problems.png", False, broken, shot_problems),
    ("edge-drag.png", False, lambda t: t, shot_edge_drag),
    ("dark.png", True, lambda t: t, shot_inspector),
    ("syntax-error-open.png", False, no_colon, shot_syntax_error),
    ("syntax-error-out-of-date.png", False, lambda t: t, shot_out_of_date),
]


def main(out_dir: Path) -> int:
    app = create_app()
    out_dir.mkdir(parents=True, exist_ok=True)
    text = EXAMPLE.read_text(encoding="utf-8")
    for name, dark, transform, setup in SHOTS:
        apply_theme(app, dark=dark)
        with tempfile.TemporaryDirectory() as tmp:
            window = open_window(app, Path(tmp), transform(text))
            setup(app, window)
            settle(app)
            window.grab().save(str(out_dir / name))
            window.document.undo_stack.setClean()
            window.files.ask = lambda *a: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
            window.close()
            window.deleteLater()
            settle(app, 2)
        print(out_dir / name)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
