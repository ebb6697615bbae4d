"""Split the raw table into train/test sets (stratified) and standardize the features.

Outputs: train.csv, test.csv, stats.json (the train-set mean and std used for scaling).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from pipeline_io import input_files, log_metrics, outputs_dir, parse_parameters, read_table, write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--test_fraction", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=True)
    args = parse_parameters(parser)
    if not 0.0 < args.test_fraction < 1.0:
        parser.error(f"--test_fraction must be between 0 and 1, got {args.test_fraction}")

    features, x, y = read_table(input_files("dataset", "*.csv"))
    rng = np.random.default_rng(args.seed)
    test_idx: list[int] = []
    for species in sorted(set(y)):  # the same class mix in both sets
        rows = np.flatnonzero(y == species)
        rng.shuffle(rows)
        test_idx.extend(rows[: max(1, round(len(rows) * args.test_fraction))].tolist())
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test_idx] = True

    mean = x[~is_test].mean(axis=0)
    std = x[~is_test].std(axis=0)
    std[std == 0] = 1.0
    if args.standardize:
        x = (x - mean) / std
    out = outputs_dir()
    write_table(out / "train.csv", features, x[~is_test], y[~is_test])
    write_table(out / "test.csv", features, x[is_test], y[is_test])
    stats = {
        "features": features,
        "classes": sorted(set(y.tolist())),
        "standardized": args.standardize,
        "mean": mean.round(6).tolist(),
        "std": std.round(6).tolist(),
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    log_metrics(
        rows=len(y),
        train_rows=int((~is_test).sum()),
        test_rows=int(is_test.sum()),
        classes=len(stats["classes"]),
    )


if __name__ == "__main__":
    main()
