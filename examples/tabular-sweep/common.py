"""Paths and table helpers shared by the steps (standard library and numpy only)."""

import argparse
import json
import os
from pathlib import Path

import numpy as np

INPUTS = Path(os.environ.get("VH_INPUTS_DIR", "/valohai/inputs"))
OUTPUTS = Path(os.environ.get("VH_OUTPUTS_DIR", "/valohai/outputs"))


def input_files(name: str) -> list[Path]:
    return sorted(p for p in (INPUTS / name).rglob("*") if p.is_file())


def read_table(path: Path) -> tuple[list[str], np.ndarray]:
    header = path.read_text().split("\n", 1)[0].split(",")
    return header, np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def write_table(path: Path, header: list[str], rows: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, rows, delimiter=",", header=",".join(header), comments="", fmt="%g")


def metadata(**values: object) -> None:
    """One metadata record: a JSON object on its own stdout line."""
    print(json.dumps(values), flush=True)


def parse(**defaults: float | int) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    for name, default in defaults.items():
        parser.add_argument(f"--{name}", type=type(default), default=default)
    return parser.parse_args()


def predict(model: dict, x: np.ndarray) -> np.ndarray:
    z = ((x - np.array(model["mean"])) / np.array(model["std"])) @ np.array(model["weights"]) + model["bias"]
    return 1 / (1 + np.exp(-z))
