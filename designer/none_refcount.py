"""WORKAROUND for a reference-count bug of PySide6/shiboken6 6.12.0 on CPython < 3.12.

Every call from Python of a C++ method returning ``void`` (``QPainterPath.lineTo``,
``QPainter.setPen``, ``QGraphicsItem.setPos``…) drops one reference to ``None`` that it never
took. After as many calls as ``None`` had references (a few thousand in a small script) the
interpreter aborts with "Fatal Python error: none_dealloc" — the crash STYLE 6.8 describes.
``tests/designer/test_none_refcount.py`` reproduces it.

CPython 3.12 made ``None`` immortal (PEP 683), so the bug is harmless there. On older
interpreters we do the same by giving ``None`` a reference count it can never exhaust
(2**40 calls ≈ 12 days at a million void calls per second). ``None`` is never freed anyway.
Remove this module when the Qt binding is fixed or Python >= 3.12 is required.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40


def make_none_immortal() -> bool:
    """Top up ``None``'s reference count; returns whether anything was done."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    refcount = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is PyObject's first field
    if refcount.value < _HEADROOM:
        refcount.value += _HEADROOM  # under the GIL: no other thread touches it meanwhile
    return True
