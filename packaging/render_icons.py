"""Render the app icon (icons/pipeline-designer.svg) to the PNG sizes a desktop needs.

Run from the repository root: ``.venv/bin/python packaging/render_icons.py``. Writes
``packaging/icons/png/<size>.png``; tests/packaging checks them against a fresh render.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE / "icons" / "pipeline-designer.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(size: int, svg: Path = SVG):  # -> QImage
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main(out: Path = HERE / "icons" / "png") -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (needed by QPainter)
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        if not render(size).save(str(out / f"{size}.png")):
            print(f"could not write {out / f'{size}.png'}", file=sys.stderr)
            return 1
    print(f"wrote {len(SIZES)} PNGs to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
