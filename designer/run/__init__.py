"""The run side of the designer: logs, metrics, outputs, runs browser, run dialog, node badges."""

from designer.run.bool_refcount import make_bools_immortal

# Before any plot is drawn: PySide6 6.12.0 leaks references to True on every repaint (see module).
make_bools_immortal()
