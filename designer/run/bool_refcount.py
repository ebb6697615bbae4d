"""WORKAROUND: PySide6 6.12.0 on CPython < 3.12 also drops references to ``True`` it never took.

Measured here: every pyqtgraph repaint of a plot costs ``True`` about a dozen references, so a
live metrics plot drawing 25 frames a second exhausts them in seconds and the interpreter
aborts ("Fatal Python error: bool_dealloc"). ``designer.none_refcount`` does the same for
``None``; this tops up ``True`` and ``False`` so they can never be freed (they never are anyway).
Remove together with ``designer.none_refcount`` once the binding is fixed or Python >= 3.12.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40


def make_bools_immortal() -> bool:
    """Top up the reference counts of ``True`` and ``False``; returns whether anything was done."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    for value in (True, False):
        refcount = ctypes.c_ssize_t.from_address(id(value))  # ob_refcnt is PyObject's first field
        if refcount.value < _HEADROOM:
            refcount.value += _HEADROOM
    return True
