"""Attach with VS Code / Attach with PyCharm (the Debugger dock's): the configuration written
into the project, the editor opened when it is installed.

PyCharm does not attach to a debugpy port: its Python Debug Server listens and the program
connects to it. So Attach with PyCharm runs the node again for PyCharm's debugger (one waiting
under debugpy has not run any of the user's code yet), after writing the run configuration
PyCharm starts that server with (runner.api.debug.write_pycharm_config).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess

from runner.api import debug


def _start_detached(argv: list[str]) -> bool:
    return bool(QProcess.startDetached(argv[0], argv[1:])[0])


class IdeAttach(QObject):
    def __init__(self, debug_ui: Any) -> None:
        super().__init__(debug_ui)
        self.dbg = debug_ui
        self.ui = debug_ui.ui
        self.prompt = debug_ui.prompt
        # Opening a program (tests replace it): argv -> started?
        self.launch: Callable[[list[str]], bool] = _start_detached
        self._rerun: str | None = None  # the node to run for PyCharm once the current run ended
        self.ui.controller.busy_changed.connect(self._on_busy)

    def _project_root(self) -> Path | None:
        path = getattr(self.ui.window.document, "path", None)
        return Path(path).parent if path else None

    # --- VS Code ----------------------------------------------------------------------------------
    def attach_vscode(self, node: str, port: int) -> None:
        root = self._project_root()
        if root is None:
            self.prompt.status.setText("Save the pipeline first: the configuration goes into its folder.")
            return
        try:
            path = debug.write_vscode_launch(root, node, port)
        except (OSError, debug.AttachConfigError) as exc:
            self.prompt.status.setText(str(exc))
            return
        done = f"Added “Attach to pipeline node {node}” to {path}."
        code = shutil.which("code")
        if code and self.launch([code, str(root)]):
            done += " VS Code is opening: pick that configuration in Run and Debug and press F5."
        else:
            done += " In VS Code, open this folder and start that configuration (F5)."
        self.prompt.status.setText(done)

    # --- PyCharm ----------------------------------------------------------------------------------
    def attach_pycharm(self, node: str) -> None:
        """From the prompt: a node waiting under debugpy is run again for PyCharm."""
        if self.ui.controller.busy:
            self._rerun = node
            self.prompt.status.setText(f"Stopping {node} under debugpy to run it for PyCharm…")
            self.ui.cancel()
            return
        self.debug_in_pycharm(node)

    def _on_busy(self, busy: bool) -> None:
        if not busy and self._rerun is not None:
            node, self._rerun = self._rerun, None
            self.debug_in_pycharm(node)

    def debug_in_pycharm(self, node: str) -> bool:
        """Write the node's Python Debug Server configuration and run it with pydevd-pycharm."""
        root = self._project_root()
        if root is None:
            self.ui.warn("Debug in PyCharm", "Save the pipeline first: PyCharm's configuration goes there.")
            return False
        port = debug.configured_port(root, node) or debug.PYCHARM_PORT
        note = self._write_config(root, node, port)
        self.ui.debug_pycharm = debug.PyCharmTarget(port=port)
        started = bool(self.dbg.debug_node(node))
        self.ui.debug_pycharm = None
        if started:
            self.prompt.headline.setText(f"Starting {node} for PyCharm's debugger…")
            self.prompt.detail.setText(
                "The first time, the runner fetches the pydevd-pycharm of your PyCharm's build (a few "
                "seconds). Meanwhile, start the run configuration in PyCharm."
            )
            self.prompt.status.setText(note)
        return started

    def _write_config(self, root: Path, node: str, port: int) -> str:
        name = debug.configuration_name(node)
        try:
            path = debug.write_pycharm_config(root, node, port)
        except (OSError, debug.AttachConfigError) as exc:
            return str(exc)
        done = f"Added “{name}” (Python Debug Server, port {port}) to {path}."
        launcher = debug.pycharm_launcher()
        if launcher and self.launch([*launcher, str(root)]):
            return done + " PyCharm is opening: pick that configuration and press Debug."
        return done + " Open this folder in PyCharm, pick that configuration and press Debug."
