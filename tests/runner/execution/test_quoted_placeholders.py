"""A value printed by one node and passed on by a metadata edge never runs as shell code in the
next node: refused when its placeholder sits inside double quotes, passed as data otherwise."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.docker

YAML = """
- step:
    name: produce
    image: busybox
    command: |-
      echo '{{"note": "{note}"}}'
- step:
    name: report
    image: busybox
    command:
      - {command}
      - test ! -e /tmp/pwned
    parameters:
      - {{name: msg, type: string, default: none}}
- pipeline:
    name: p
    nodes:
      - {{name: produce, step: produce, type: execution}}
      - {{name: report, step: report, type: execution}}
    edges:
      - [produce.metadata.note, report.parameter.msg]
"""
EVIL = "$(touch /tmp/pwned)"


def test_a_printed_value_with_shell_characters_is_refused_for_a_double_quoted_placeholder(
    project, run_yaml
) -> None:
    path = project(YAML.format(note=EVIL, command="'echo \"got {parameter-value:msg}\"'"))
    outcome = run_yaml(path, pipeline="p")
    assert outcome.statuses() == {"produce": "succeeded", "report": "failed"}
    message = outcome.node_event("report", "failed").message
    assert "came from produce's metadata 'note'" in message and "Drop the double quotes" in message


def test_the_same_value_without_the_quotes_arrives_as_plain_data(project, run_yaml) -> None:
    path = project(YAML.format(note=EVIL, command="echo got {parameter-value:msg}"))
    outcome = run_yaml(path, pipeline="p")
    assert outcome.statuses() == {"produce": "succeeded", "report": "succeeded"}
    assert any(f"got {EVIL}" in line for line in _stdout(outcome, "report"))


def test_a_harmless_printed_value_passes_a_double_quoted_placeholder(project, run_yaml) -> None:
    path = project(YAML.format(note="all good", command="'echo \"got {parameter-value:msg}\"'"))
    outcome = run_yaml(path, pipeline="p")
    assert outcome.statuses() == {"produce": "succeeded", "report": "succeeded"}
    assert "got 'all good'" in _stdout(outcome, "report")


def _stdout(outcome, node: str) -> list[str]:
    from runner.events import LogLine

    return [
        e.text for e in outcome.events if isinstance(e, LogLine) and e.node == node and e.stream == "stdout"
    ]
