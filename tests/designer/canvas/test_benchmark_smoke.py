"""The canvas benchmark script runs (small size here; the real figures come from benchmarks/canvas.py)."""

from __future__ import annotations

import sys

import pytest

from tests.support.paths import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

pytestmark = pytest.mark.gui


def test_benchmark_runs_on_a_small_pipeline(qapp) -> None:
    import canvas

    figures = canvas.run(nodes=60, edges=120)
    assert figures["nodes"] == 60 and figures["edges"] == 120
    assert figures["open_and_show_s"] > 0 and figures["auto_layout_s"] > 0
    assert figures["move_event_median_ms"] > 0


def test_generated_pipeline_is_valid_and_has_a_busy_hub() -> None:
    import canvas

    from runner.config import lint, load_text

    loaded = load_text(canvas.generate(300, 600))
    pipeline = loaded.config.pipelines["big"]
    assert len(pipeline.nodes) == 300 and len(pipeline.edges) == 600
    assert sum(1 for e in pipeline.edges if "hub" in (e.source_node, e.target_node)) == canvas.HUB_EDGES
    assert not [d for d in lint(loaded) if d.severity == "error"]
