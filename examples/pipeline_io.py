"""Where a Valohai step finds its parameters, inputs and outputs, without valohai-utils.

On the platform (and in the local runner) a step sees ``/valohai/config/parameters.json``,
``/valohai/inputs/<input-name>/<files>`` and writes to ``/valohai/outputs/``. The ``VH_*_DIR``
variables move those folders, which is how the scripts also run as plain ``python3`` on a laptop.
Metrics are JSON objects printed one per line on stdout: Valohai records them as metadata.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np


def config_dir() -> Path:
    return Path(os.environ.get("VH_CONFIG_DIR", "/valohai/config"))


def inputs_dir(name: str) -> Path:
    return Path(os.environ.get("VH_INPUTS_DIR", "/valohai/inputs")) / name


def outputs_dir() -> Path:
    path = Path(os.environ.get("VH_OUTPUTS_DIR", "/valohai/outputs"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def input_files(name: str, pattern: str = "*") -> list[Path]:
    """The files of one step input, or exit with a message saying what is missing."""
    folder = inputs_dir(name)
    files = sorted(p for p in folder.glob(pattern) if p.is_file())
    if not files:
        sys.exit(f"error: input '{name}' has no files matching '{pattern}' in {folder}")
    return files


def parse_parameters(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line values win; parameters.json (when present) replaces the script's defaults."""
    known = {action.dest for action in parser._actions}
    params_file = config_dir() / "parameters.json"
    if params_file.is_file():
        values = json.loads(params_file.read_text())
        parser.set_defaults(**{k: v for k, v in values.items() if k in known})
    return parser.parse_args(argv)


def log_metrics(**values: object) -> None:
    """One metadata record: a single-line JSON object on stdout, flushed at once."""
    print(json.dumps(values), flush=True)


def read_table(paths: list[Path], label: str = "species") -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read CSV files with the same header: (feature names, float matrix, label strings)."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    for path in paths:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            this_header = next(reader, None)
            if this_header is None:
                continue
            if header is not None and this_header != header:
                sys.exit(f"error: {path.name} has columns {this_header}, expected {header}")
            header = this_header
            rows.extend(row for row in reader if row)
    if header is None or label not in header:
        sys.exit(f"error: no '{label}' column in {[p.name for p in paths]}")
    col = header.index(label)
    features = [h for i, h in enumerate(header) if i != col]
    x = np.array([[float(v) for i, v in enumerate(row) if i != col] for row in rows], dtype=float)
    y = np.array([row[col] for row in rows])
    return features, x.reshape(len(rows), len(features)), y


def write_table(
    path: Path, features: list[str], x: np.ndarray, y: np.ndarray, label: str = "species"
) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*features, label])
        for row, name in zip(x, y, strict=True):
            writer.writerow([*(f"{v:.5f}" for v in row), name])


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    """``np.savez`` with a fixed timestamp in the zip: the same model gives the same bytes, so a
    reproduced run's model.npz can be compared by content (np.savez stamps the current time)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(array), allow_pickle=False)
