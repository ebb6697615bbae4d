"""Pipeline Designer: the PySide6 node-graph editor for valohai.yaml."""

from designer.none_refcount import make_none_immortal

# Before any Qt call: PySide6 6.12.0 leaks references to None on every void method call.
make_none_immortal()
