"""Lint finds at their line what a step would do wrong at run time: defaults its type refuses,
placeholders whose quoting lets a value run code, values YAML did not read as text."""

from __future__ import annotations

import pytest

from runner.config import lint, load_text
from runner.config.placeholders import double_quoted_placeholders


def _found(text: str, code: str) -> list[tuple[int, str, str]]:
    return [(d.line, d.severity, d.message) for d in lint(load_text(text)) if d.code == code]


STEP = """\
- step:
    name: s
    image: busybox
    command: {command}
    parameters:
      - name: p
        type: {type}
        default: {default}
"""


@pytest.mark.parametrize(
    ("type_", "default"),
    [("integer", "abc"), ("integer", "1.5"), ("float", "fast"), ("float", "[1, 2]"), ("flag", "maybe")],
)
def test_a_default_its_type_refuses_is_an_error_at_the_default(type_: str, default: str) -> None:
    found = _found(STEP.format(command="echo", type=type_, default=default), "parameter-default-type")
    assert len(found) == 1
    line, severity, message = found[0]
    assert (line, severity) == (8, "error") and f'parameter "p" ({type_})' in message


@pytest.mark.parametrize(
    ("type_", "default"), [("integer", "3"), ("float", "1e-3"), ("flag", "true"), ("string", "abc")]
)
def test_defaults_that_fit_their_type_pass(type_: str, default: str) -> None:
    assert _found(STEP.format(command="echo", type=type_, default=default), "parameter-default-type") == []


def test_a_multiple_parameter_takes_a_list_default_and_checks_each_item() -> None:
    text = STEP.format(command="echo", type="integer", default="[1, 2]").replace(
        "        type: integer", "        type: integer\n        multiple: separate"
    )
    assert _found(text, "parameter-default-type") == []
    assert len(_found(text.replace("[1, 2]", "[1, x]"), "parameter-default-type")) == 1


def test_a_node_override_default_is_checked_against_the_steps_type() -> None:
    text = STEP.format(command="echo", type="integer", default="1") + (
        "- pipeline:\n    name: p\n    nodes:\n      - name: n\n        type: execution\n        step: s\n"
        "        override:\n          parameters:\n            - name: p\n              default: lots\n"
        "    edges: []\n"
    )
    assert [line for line, *_ in _found(text, "parameter-default-type")] == [18]


@pytest.mark.parametrize(
    "command",
    [
        "'echo \"ARGS {parameter-value:p}\"'",
        "'echo \"--x {parameter:p} and more\"'",
        "'echo \"{parameters}\"'",
        "['true', 'echo \"ARGS {parameter-value:p}\"']",
    ],
)
def test_a_placeholder_inside_double_quotes_is_a_warning_with_the_fix(command: str) -> None:
    found = lint(load_text(STEP.format(command=command, type="string", default="hi")))
    quoted = [d for d in found if d.code == "double-quoted-placeholder"]
    assert len(quoted) == 1 and quoted[0].severity == "warning" and quoted[0].line == 4
    assert "drop the double quotes" in quoted[0].hint


@pytest.mark.parametrize(
    "line",
    [
        "echo ARGS {parameter-value:p}",
        "echo 'literally \"{parameter-value:p}\"'",  # inside single quotes: not substituted as code
        'echo \\"{parameter-value:p}\\"',  # escaped quotes are not a double-quoted string
        'echo "done" {parameter-value:p} "again"',
    ],
)
def test_placeholders_outside_double_quotes_are_fine(line: str) -> None:
    assert double_quoted_placeholders(line) == []


def test_the_placeholder_scanner_names_the_parameter_it_found() -> None:
    (found,) = double_quoted_placeholders('sh -c "run {parameter-value:msg}"')
    assert (found.text, found.parameter) == ("{parameter-value:msg}", "msg")
    (every,) = double_quoted_placeholders('echo "{params}"')
    assert every.parameter is None


def test_values_yaml_did_not_read_as_text_get_a_hint_that_says_why() -> None:
    text = '- step:\n    name: s\n    image: 123\n    command:\n      - echo {"a": 1}\n'
    by_line = {d.line: d for d in lint(load_text(text)) if d.severity == "error"}
    assert "quote it ('123')" in by_line[3].hint
    assert "mapping because of the ': '" in by_line[5].hint
