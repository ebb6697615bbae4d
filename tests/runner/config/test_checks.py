"""Our own pipeline checks: right message, right place, a hint."""

from __future__ import annotations

from runner.config import lint, load_text

STEPS = """\
- step:
    name: s
    image: busybox
    command: "true"
    parameters:
      - {name: p, type: integer, default: 1}
    inputs:
      - {name: data}
      - {name: single, filename: one.csv}
"""


def pipeline(nodes: list[str], edges: list[str]) -> str:
    lines = [STEPS, "- pipeline:", "    name: pl", "    nodes:"]
    lines += [f"      - {{name: {n}, type: execution, step: s}}" for n in nodes]
    lines.append("    edges:" if edges else "    edges: []")
    lines += [f"      - {e}" for e in edges]
    return "\n".join(lines) + "\n"


def line_of(text: str, needle: str, nth: int = 0) -> int:
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line][nth]


def codes(text: str) -> list[tuple[str, str, int]]:
    return [(d.code, d.severity, d.line) for d in lint(load_text(text)) if d.source == "pipeline-designer"]


def test_clean_pipeline_has_no_messages() -> None:
    text = pipeline(["a", "b"], ["[a.output.x*, b.input.data]", "[a.parameter.p, b.parameter.p]"])
    assert lint(load_text(text)) == []


def test_cycle_is_reported_with_its_path_at_the_closing_edge() -> None:
    text = pipeline(["a", "b", "c"], ["[a.output.x, b.input.data]", "[b.output.x, c.input.data]",
                                      "[c.output.x, a.input.data]"])  # fmt: skip
    found = [d for d in lint(load_text(text)) if d.code == "cycle"]
    assert len(found) == 1
    assert "a → b → c → a" in found[0].message
    assert found[0].line == text.splitlines().index("      - [c.output.x, a.input.data]") + 1
    assert found[0].hint


def test_unknown_node_in_edge() -> None:
    text = pipeline(["a"], ["[a.output.x, ghost.input.data]"])
    diag = next(d for d in lint(load_text(text)) if d.code == "edge-unknown-node")
    assert diag.severity == "error" and '"ghost"' in diag.message
    assert (diag.line, diag.column) == (line_of(text, "ghost.input"), 22)  # the target socket string
    assert "a" in diag.hint


def test_unknown_input_and_parameter_are_warnings() -> None:
    text = pipeline(["a", "b"], ["[a.output.x, b.input.nope]", "[a.parameter.zz, b.parameter.p]"])
    assert ("edge-unknown-input", "warning", line_of(text, "b.input.nope")) in codes(text)
    assert ("edge-unknown-parameter", "warning", line_of(text, "a.parameter.zz")) in codes(text)


def test_port_mismatch() -> None:
    text = pipeline(["a", "b"], ["[a.output.x, b.parameter.p]"])
    assert ("edge-port-mismatch", "error", line_of(text, "b.parameter.p")) in codes(text)


def test_fan_in() -> None:
    text = pipeline(
        ["a", "b", "c"],
        ["[a.parameter.p, c.parameter.p]", "[b.parameter.p, c.parameter.p]",
         "[a.output.x, c.input.single]", "[b.output.y, c.input.single]",
         "[a.output.x, c.input.data]", "[b.output.y, c.input.data]"],
    )  # fmt: skip
    found = codes(text)
    assert ("parameter-fan-in", "error", line_of(text, "c.parameter.p", 1)) in found
    assert ("input-fan-in", "error", line_of(text, "c.input.single", 1)) in found
    assert [c for c, _s, _line in found].count("input-fan-in") == 1  # a multi-file input may take several


def test_duplicate_nodes_and_steps_and_unconnected() -> None:
    text = pipeline(["a", "a", "b"], ["[a.output.x, a.input.data]"]).replace(
        "- pipeline:", STEPS + "- pipeline:"
    )
    found = codes(text)
    assert any(c == "duplicate-node" and s == "error" for c, s, _l in found)
    assert any(c == "duplicate-step" and s == "warning" for c, s, _l in found)
    assert any(c == "node-unconnected" and s == "warning" for c, s, _l in found)


def test_node_with_unknown_step() -> None:
    text = pipeline(["a"], []).replace("step: s}", "step: missing}")
    diag = next(d for d in lint(load_text(text)) if d.code == "node-unknown-step")
    assert diag.severity == "error" and "missing" in diag.message and "s" in diag.hint
    # valohai-yaml says the same thing without a position: we show it once
    assert sum("missing" in d.message for d in lint(load_text(text))) == 1


def test_schema_error_points_at_the_value() -> None:
    text = STEPS.replace("type: integer", "type: integr")
    diag = next(d for d in lint(load_text(text)) if d.source == "valohai-yaml")
    assert diag.severity == "error"
    assert "integr" in diag.message and 'step "s"' in diag.message
    assert (diag.line, diag.column) == (6, 25)


def test_top_level_mapping() -> None:
    found = lint(load_text("step:\n  name: x\n"))
    assert any(d.code == "top-level-not-list" for d in found)


ACTIONS = """\
- pipeline:
    name: pl
    nodes:
      - name: a
        type: execution
        step: s
        actions:
          - when: node-complete
            if: {condition}
            then: stop-pipeline
          - when: node-starting
            then: require-approval
    edges: []
"""


def test_action_condition_that_cannot_parse_is_an_error_at_its_line() -> None:
    text = STEPS + ACTIONS.format(condition='"metadata.accuracy >> > 0.9"')
    found = [d for d in lint(load_text(text)) if d.code == "action-condition"]
    assert len(found) == 1
    assert found[0].severity == "error" and "metadata.accuracy >> > 0.9" in found[0].message
    assert found[0].line == line_of(text, "if: ")
    assert "metadata.accuracy > 0.9" in found[0].hint


def test_valid_conditions_and_require_approval_lint_clean() -> None:
    # A list of conditions, dashed names; require-approval is supported although valohai-yaml
    # 0.61 calls it "not well-known".
    text = STEPS + ACTIONS.format(condition="[metadata.accuracy > 0.9, parameter.learning-rate < 1]")
    assert lint(load_text(text)) == []
