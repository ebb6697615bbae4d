"""The local test images (built by tests/images/build.sh, never pulled) and the image map that
points the examples' public image names at them."""

from __future__ import annotations

BUSYBOX = "pipeline-designer-test/busybox:1"
PYTHON = "pipeline-designer-test/python:1"
IMAGE_MAP = {"busybox": BUSYBOX, "python:3.12-slim": PYTHON}
