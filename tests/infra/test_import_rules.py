"""The import-linter contract names every runner package the designer may not import, so a new
runner package is covered the day it appears (``make test`` runs the contracts themselves)."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import runner

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {"api", "events"}  # the runner's public API (runner/api.py says so)


def test_the_designer_contract_forbids_every_runner_package_but_the_public_ones() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    designer = next(c for c in contracts if c["source_modules"] == ["designer"])
    packages = {m.name for m in pkgutil.iter_modules(runner.__path__) if not m.name.startswith("_")}
    assert packages >= PUBLIC
    assert set(designer["forbidden_modules"]) == {f"runner.{name}" for name in packages - PUBLIC}
