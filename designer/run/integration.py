"""``attach_run_ui(window)``: the run side of the designer, added to its main window.

Adds the Logs, Metrics, Outputs and Runs docks, a Run menu and toolbar (Run pipeline, Run this
node, Run from here, Re-run failed, Cancel), node badges on the canvas, a progress bar in the
status bar and a tray message when a run ends while the window is inactive. It uses only the
window's public attributes: ``document``, ``scene``, ``current_pipeline``, ``settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore QEvent, QObject, Qt, QTimer
