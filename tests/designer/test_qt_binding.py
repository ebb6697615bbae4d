"""Guard against the Qt binding's reference-count bug (docs/architecture.md "Shutdown").

PySide6-Essentials 6.12.0 on CPython 3.11 drops a reference to ``None`` on every call of a
C++ method returning void, and to ``True`` on plot repaints: after a few thousand calls the
interpreter aborts ("Fatal Python error: none_dealloc"). pyproject.toml excludes 6.12.0;
these tests fail if a binding with that bug is installed again.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QApplication, QGraphicsRectItem
app = QApplication([])
path, point, item = QPainterPath(QPointF(0, 0)), QPointF(1, 1), QGraphicsRectItem(0, 0, 1, 1)
none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(20_000):
    path.lineTo(point)  # void
    item.setPos(point)  # void
    item.isVisible()  # returns True
print(sys.getrefcount(None) - none_before, sys.getrefcount(True) - true_before)
"""


def test_void_calls_do_not_leak_references() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    none_delta, true_delta = (int(x) for x in result.stdout.split())
    assert abs(none_delta) < 100 and abs(true_delta) < 100, result.stdout
