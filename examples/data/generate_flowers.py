#!/usr/bin/env python3
"""Write examples/data/flowers.csv: a small synthetic 3-class tabular dataset.

Three "species" of made-up flowers, 80 rows each, four measurements drawn from overlapping
Gaussians so that a linear model gets most rows right but not all. Uses only the standard
library's seeded ``random.Random`` so the file is byte-identical on every machine and Python
version (tests/infra/test_example_scripts.py checks that the committed file matches).

Usage: python3 generate_flowers.py [OUTPUT]   (default: flowers.csv next to this script)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

SEED = 20240611
ROWS_PER_CLASS = 80
FEATURES = ("petal_length", "petal_width", "sepal_length", "sepal_width")
# species -> (mean, spread) per feature, in centimetres
SPECIES = {
    "amber": ((1.5, 0.3, 5.0, 3.4), (0.35, 0.15, 0.45, 0.40)),
    "bluebell": ((4.3, 1.35, 5.9, 2.8), (0.60, 0.30, 0.60, 0.35)),
    "crimson": ((5.1, 1.8, 6.4, 2.95), (0.65, 0.30, 0.70, 0.35)),
}


def rows(seed: int = SEED) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    out = []
    for species, (means, spreads) in SPECIES.items():
        for _ in range(ROWS_PER_CLASS):
            values = (max(0.1, rng.gauss(m, s)) for m, s in zip(means, spreads, strict=True))
            out.append((*(f"{v:.2f}" for v in values), species))
    rng.shuffle(out)
    return out


def render(seed: int = SEED) -> str:
    lines = [",".join((*FEATURES, "species"))]
    lines += [",".join(row) for row in rows(seed)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("flowers.csv")
    target.write_text(render())
    print(f"wrote {target} ({ROWS_PER_CLASS * len(SPECIES)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
