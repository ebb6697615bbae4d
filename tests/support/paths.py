"""Where the tests find the repository, its data files and the shared corpus beside the checkout."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "tests" / "data"
EXAMPLES = REPO / "examples"
# Real public valohai.yaml files with the official validator's verdicts (read-only, beside the checkout).
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
