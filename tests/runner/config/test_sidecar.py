"""Layout sidecar: positions outside valohai.yaml; a corrupt file is ignored with a warning."""

from __future__ import annotations

import json
from pathlib import Path

from runner.config.sidecar import Layout, sidecar_path


def test_round_trip_and_location(tmp_path: Path) -> None:
    yaml_path = tmp_path / "valohai.yaml"
    layout = Layout()
    layout.set_position("train", "fit", (10.04, -20))
    layout.set_view("train", {"zoom": 1.5})
    layout.section("triggers")["nightly"] = {"cron": "0 3 * * *"}
    saved = layout.save(yaml_path)
    assert saved == tmp_path / ".valohai.designer.json" == sidecar_path(yaml_path)
    again, warnings = Layout.load(yaml_path)
    assert warnings == []
    assert again.positions("train") == {"fit": (10.0, -20.0)}
    assert again.view("train") == {"zoom": 1.5}
    assert again.section("triggers") == {"nightly": {"cron": "0 3 * * *"}}


def test_missing_is_silent(tmp_path: Path) -> None:
    layout, warnings = Layout.load(tmp_path / "valohai.yaml")
    assert warnings == [] and layout.positions("p") == {}


def test_corrupt_is_ignored_with_a_warning(tmp_path: Path) -> None:
    sidecar_path(tmp_path / "valohai.yaml").write_text("{not json")
    layout, warnings = Layout.load(tmp_path / "valohai.yaml")
    assert layout.positions("p") == {}
    assert len(warnings) == 1 and "laid out automatically" in warnings[0]


def test_bad_entries_are_dropped_one_by_one(tmp_path: Path) -> None:
    data = {"pipelines": {"p": {"nodes": {"ok": [1, 2], "nan": [float("nan"), 1], "str": ["a", 1]}}, "q": []}}
    sidecar_path(tmp_path / "valohai.yaml").write_text(json.dumps(data))
    layout, warnings = Layout.load(tmp_path / "valohai.yaml")
    assert layout.positions("p") == {"ok": (1.0, 2.0)}
    assert len(warnings) == 3


def test_renames_follow(tmp_path: Path) -> None:
    layout = Layout()
    layout.set_position("p", "a", (1, 2))
    layout.rename_node("p", "a", "b")
    layout.rename_pipeline("p", "q")
    assert layout.positions("q") == {"b": (1.0, 2.0)}
    layout.remove_node("q", "b")
    assert layout.positions("q") == {}
    layout.set_position("q", "c", (0, 0))
    layout.remove_pipeline("q")
    assert layout.positions("q") == {}
