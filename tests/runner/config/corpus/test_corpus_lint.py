"""Lint of both corpora against written-down expectations and valohai-yaml's own verdict.

tests/data/expectations.json was written by reading each file, not by pasting linter
output; where the linter disagrees and the linter is wrong, the case is an xfail naming
the bug (see KNOWN_LINT_BUGS).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runner.config import ConfigLoadError, Diagnostic, lint, load
from runner.config.diagnostics import has_errors
from runner.dag.graph import PipelineGraph
from tests.support.corpus import (
    DATA_DIR,
    OFFICIAL_VERDICTS,
    data_expectations,
    data_files,
    file_id,
    official_verdict,
    shared_expectations,
    shared_files,
)
from tests.support.paths import REPO

# file → why our lint's messages differ from the expectation (the lead fixes these).
KNOWN_LINT_BUGS: dict[str, str] = {}

# Files valohai-yaml only warns about that our lint refuses on purpose, each with the error code
# that refuses it: `run` starts nothing from a file with lint errors, and these could not run.
STRICTER_THAN_OFFICIAL: dict[str, str] = {
    # An integer parameter whose default is ["zoom"]: the runner cannot pass it to the step.
    "valohai-yaml/tests__warning_examples__invalid-numeric-parameter-default.yaml": "parameter-default-type",
}


def _params(files: list[Path], known: dict[str, str]) -> list[object]:
    return [
        pytest.param(
            f,
            id=file_id(f),
            marks=[pytest.mark.xfail(strict=True, reason=known[file_id(f)])] if file_id(f) in known else [],
        )
        for f in files
    ]


def _summary(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int, int]]:
    return sorted((d.severity, d.code, d.line, d.column) for d in diagnostics)


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").split("\n")


def test_expectations_cover_every_data_file() -> None:
    expectations = data_expectations()
    assert sorted(expectations) == [f.name for f in data_files()]
    assert len(expectations) >= 24
    for name, expected in expectations.items():
        assert expected["official"] in OFFICIAL_VERDICTS, name
        assert isinstance(expected["valid"], bool), name
        assert expected["valid"] == (
            "load_error" not in expected and not any(m["severity"] == "error" for m in expected["messages"])
        ), f"{name}: 'valid' contradicts its own messages"


def test_each_of_our_checks_has_a_data_file() -> None:
    codes = {m["code"] for e in data_expectations().values() for m in e["messages"]}
    ours = {
        "edge-unknown-node",
        "edge-unknown-input",
        "edge-unknown-parameter",
        "edge-port-mismatch",
        "edge-bad-type",
        "parameter-fan-in",
        "input-fan-in",
        "cycle",
        "duplicate-node",
        "duplicate-step",
        "node-unknown-step",
        "node-unconnected",
        "duplicate-key",
        "top-level-not-list",
    }
    schema = {"schema-required", "schema-type", "schema-enum"}
    assert ours | schema <= codes, f"no file for {sorted((ours | schema) - codes)}"


@pytest.mark.parametrize("path", _params(data_files(), {}))
def test_official_verdict_matches_expectation(path: Path) -> None:
    assert official_verdict(path) == data_expectations()[path.name]["official"]


@pytest.mark.parametrize("path", _params(data_files(), KNOWN_LINT_BUGS))
def test_data_file_lint_matches_expectation(path: Path) -> None:
    expected = data_expectations()[path.name]
    if "load_error" in expected:
        with pytest.raises(ConfigLoadError) as info:
            load(path)
        where = expected["load_error"]
        assert (info.value.line, info.value.column) == (where["line"], where["column"])
        assert info.value.readable  # a YAML syntax error, not an unreadable file
        return
    diagnostics = lint(load(path))
    wanted = sorted((m["severity"], m["code"], m["line"], m["column"]) for m in expected["messages"])
    assert _summary(diagnostics) == wanted
    assert (not has_errors(diagnostics)) == expected["valid"]


def test_cycle_messages_name_the_cycle_path() -> None:
    two = lint(load(DATA_DIR / "bad-cycle-2.yaml"))
    three = lint(load(DATA_DIR / "bad-cycle-3.yaml"))
    assert [d.message for d in two if d.code == "cycle"] == ['pipeline "loop2" has a cycle: a → b → a']
    assert [d.message for d in three if d.code == "cycle"] == ['pipeline "loop3" has a cycle: a → b → c → a']


@pytest.mark.parametrize("path", _params(shared_files(), {}))
def test_shared_corpus_official_verdict_matches_readme(path: Path) -> None:
    expected = shared_expectations()[str(path.relative_to(path.parents[1]))]
    assert official_verdict(path) == expected


@pytest.mark.parametrize("path", _params(shared_files(), {}))
def test_shared_corpus_our_validity_agrees(path: Path) -> None:
    expected = shared_expectations()[str(path.relative_to(path.parents[1]))]
    try:
        diagnostics = lint(load(path))
    except ConfigLoadError as exc:
        assert expected == "parse-error", exc
        assert exc.line is not None and exc.column is not None
        return
    valid = not has_errors(diagnostics)
    stricter = STRICTER_THAN_OFFICIAL.get(str(path.relative_to(path.parents[1])))
    if stricter is not None:
        assert expected == "valid+warn"
        assert {d.code for d in diagnostics if d.severity == "error"} == {stricter}
        return
    assert valid == (expected in ("valid", "valid+warn")), [d.format() for d in diagnostics]


@pytest.mark.parametrize("path", _params(data_files() + shared_files(), {}))
def test_every_message_is_placed_inside_the_file(path: Path) -> None:
    try:
        diagnostics = lint(load(path))
    except ConfigLoadError:
        return  # placed by test_data_file_lint_matches_expectation
    lines = _lines(path)
    for d in diagnostics:
        assert d.severity in ("error", "warning", "hint")
        assert d.message.strip()
        assert 1 <= d.line <= len(lines), d.format()
        assert 1 <= d.column <= len(lines[d.line - 1]) + 1, d.format()
        assert d.file == str(path)
        if d.source == "pipeline-designer":
            assert d.hint.strip(), f"our own check {d.code} has no hint: {d.format()}"
            assert d.code


def test_message_positions_point_at_the_named_thing() -> None:
    """Beyond line/column bounds: each of our messages sits on the text it talks about."""
    path = DATA_DIR / "bad-edge-unknown-node.yaml"
    lines = _lines(path)
    for d in lint(load(path)):
        node = d.message.split('"')[1]
        assert lines[d.line - 1][d.column - 1 :].startswith(node + "."), d.format()


def test_port_mismatch_hint_reads_as_english() -> None:
    hints = [d.hint for d in lint(load(DATA_DIR / "bad-port-mismatch.yaml"))]
    assert hints and not any(" a output" in h or " an parameter" in h or " an file" in h for h in hints)


def _pipelines_with_config() -> list[object]:
    params = []
    for path in data_files() + shared_files():
        try:
            config = load(path).config
        except ConfigLoadError:
            continue
        for name in config.pipelines if config is not None else []:
            params.append(pytest.param(path, name, id=f"{file_id(path)}::{name}"))
    return params


@pytest.mark.parametrize(("path", "pipeline"), _pipelines_with_config())
def test_lint_and_the_dag_agree_on_cycles(path: Path, pipeline: str) -> None:
    """Lint finds cycles with graphlib, the DAG with networkx: same verdict on every pipeline."""
    loaded = load(path)
    graph_cycle = PipelineGraph.build(loaded.config, pipeline).find_cycle()
    lint_cycles = [d for d in lint(loaded) if d.code == "cycle" and f'pipeline "{pipeline}"' in d.message]
    assert bool(graph_cycle) == bool(lint_cycles)
    if graph_cycle:  # the same cycle, whichever node it starts from
        shown = lint_cycles[0].message.split(": ", 1)[1].split(" → ")
        assert set(shown) == set(graph_cycle) and shown[0] == shown[-1]


def test_cli_json_reports_the_expected_messages() -> None:
    for name, code in (("bad-edge-unknown-node.yaml", 1), ("warn-unconnected-node.yaml", 0)):
        result = subprocess.run(
            [sys.executable, "-m", "designer.cli", "lint", str(DATA_DIR / name), "--format", "json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == code, result.stderr
        report = json.loads(result.stdout)
        got = sorted((m["severity"], m["code"], m["line"], m["column"]) for m in report["messages"])
        want = sorted(
            (m["severity"], m["code"], m["line"], m["column"]) for m in data_expectations()[name]["messages"]
        )
        assert got == want and report["valid"] == data_expectations()[name]["valid"]


def _variant_params() -> list[object]:
    return [
        pytest.param(f, id=f.name)
        for f in data_files()
        if data_expectations()[f.name]["messages"] or "load_error" in data_expectations()[f.name]
    ]


@pytest.mark.parametrize("path", _variant_params())
@pytest.mark.parametrize("variant", ["crlf", "bom", "bom+crlf"])
def test_positions_survive_crlf_and_a_bom(path: Path, variant: str, tmp_path: Path) -> None:
    """The same file saved with Windows line endings and/or a byte order mark reports the
    same problems at the same line and column."""
    raw = path.read_bytes().replace(b"\r\n", b"\n")
    if "crlf" in variant:
        raw = raw.replace(b"\n", b"\r\n")
    if "bom" in variant:
        raw = b"\xef\xbb\xbf" + raw
    copy = tmp_path / path.name
    copy.write_bytes(raw)
    expected = data_expectations()[path.name]
    if "load_error" in expected:
        with pytest.raises(ConfigLoadError) as info:
            load(copy)
        assert (info.value.line, info.value.column) == tuple(expected["load_error"].values())
        return
    wanted = sorted((m["severity"], m["code"], m["line"], m["column"]) for m in expected["messages"])
    assert _summary(lint(load(copy))) == wanted
