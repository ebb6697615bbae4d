"""The PySide6 6.12.0 None-refcount bug (STYLE 6.8) and the designer's workaround."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import sys
{prelude}
from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath
path, point = QPainterPath(QPointF(0, 0)), QPointF(1, 1)
for _ in range(300_000):
    path.lineTo(point)  # a void method: each call drops a reference to None
print("survived")
"""


def _run(prelude: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(prelude=prelude)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_importing_designer_survives_many_void_calls() -> None:
    result = _run("import designer")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "survived" in result.stdout


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on Python 3.12+")
def test_the_binding_bug_is_still_there_without_the_workaround() -> None:
    """Documents why ``designer.none_refcount`` exists; when this starts failing, drop the workaround."""
    result = _run("")
    assert result.returncode != 0 and "none_dealloc" in result.stderr
