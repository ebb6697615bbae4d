"""The driver as one zip file (``python driver.zip`` runs it), built from ``remote/``."""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from pathlib import Path

REMOTE_DIR = Path(__file__).resolve().parent / "remote"
PACKAGE = "pipeline_designer_ray"  # its name on the head: never clashes with an installed runner
_MAIN = f"import sys\nfrom {PACKAGE}.entry import main\nsys.exit(main())\n"


@functools.cache
def driver_zip() -> bytes:
    """The zip's bytes; the same for the same sources (fixed timestamps), so its hash names it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("__main__.py", (2020, 1, 1, 0, 0, 0)), _MAIN)
        for path in sorted(REMOTE_DIR.glob("*.py")):
            zf.writestr(zipfile.ZipInfo(f"{PACKAGE}/{path.name}", (2020, 1, 1, 0, 0, 0)), path.read_bytes())
    return buf.getvalue()


def driver_name() -> str:
    return f"driver-{hashlib.sha256(driver_zip()).hexdigest()[:16]}.zip"
