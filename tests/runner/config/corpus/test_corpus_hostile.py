"""Hostile or broken input: a clear ConfigLoadError (with line/column where there is one),
never a crash, and the CLI's documented exit codes (2 unreadable, 1 invalid)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.config import ConfigLoadError, lint, load, load_text
from runner.config.diagnostics import has_errors
from runner.config.document import YamlDocument
from tests.support.corpus import DATA_DIR, official_verdict
from tests.support.paths import REPO

BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "designer.cli", "lint", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def _write(tmp_path: Path, data: bytes | str, name: str = "valohai.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "- step:\n    name: x\n   image: y\n")
    with pytest.raises(ConfigLoadError) as info:
        load(path)
    assert (info.value.line, info.value.column) == (3, 4)  # where valohai-yaml says too
    assert "YAML syntax error" in info.value.message and info.value.hint
    assert info.value.readable
    result = run_cli(str(path))
    assert result.returncode == 1
    assert f"{path}:3:4: error: YAML syntax error" in result.stderr


def test_list_of_scalars_loads_and_lints_as_errors(tmp_path: Path) -> None:
    # Readable YAML loads however wrong it is; lint is what judges it (schema errors).
    path = _write(tmp_path, "- just\n- some\n- words\n")
    diagnostics = lint(load(path))
    assert [(d.code, d.line, d.column) for d in diagnostics] == [
        ("schema-type", 1, 3),
        ("schema-type", 2, 3),
        ("schema-type", 3, 3),
    ]
    assert run_cli(str(path)).returncode == 1


def test_top_level_scalar_is_a_lint_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "just a sentence\n")
    assert any(d.code == "top-level-not-list" for d in lint(load(path)))
    assert run_cli(str(path)).returncode == 1


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    path = _write(tmp_path, BILLION_LAUGHS + "\nroot: *i\n")
    started = time.perf_counter()
    with pytest.raises(ConfigLoadError) as info:
        load(path)
    assert time.perf_counter() - started < 2.0  # a safety bound, not a benchmark
    assert "alias" in info.value.message
    started = time.perf_counter()
    with pytest.raises(ConfigLoadError):
        YamlDocument.load(path)
    assert time.perf_counter() - started < 2.0
    result = run_cli(str(path))
    assert result.returncode == 1 and "alias" in result.stderr


def test_recursive_alias_is_refused_with_its_position(tmp_path: Path) -> None:
    path = _write(tmp_path, "- step: &s\n    name: loop\n    again: *s\n")
    with pytest.raises(ConfigLoadError) as info:
        load(path)
    assert "recursive" in info.value.message
    assert info.value.line is not None and 1 <= info.value.line <= 3
    assert run_cli(str(path)).returncode == 1


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigLoadError):
        load_text("[" * 50_000 + "]" * 50_000)


def test_ten_megabyte_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = "# " + "x" * 98 + "\n"
    path = _write(tmp_path, "- step: {name: big, image: busybox, command: echo}\n" + line * 100_000)
    assert path.stat().st_size > 10_000_000
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a 10 MB file"))
    with pytest.raises(ConfigLoadError) as info:
        load(path)
    assert "MB" in info.value.message and not info.value.readable
    monkeypatch.undo()
    with pytest.raises(ConfigLoadError):
        load_text(path.read_text())
    assert run_cli(str(path)).returncode == 2


def test_binary_junk_is_unreadable(tmp_path: Path) -> None:
    path = _write(tmp_path, bytes(range(256)) * 64)
    with pytest.raises(ConfigLoadError) as info:
        load(path)
    assert "binary" in info.value.message and not info.value.readable
    result = run_cli(str(path))
    assert result.returncode == 2 and "binary" in result.stderr


def test_undecodable_utf8_has_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, b"- step:\n    name: caf\xe9\n    image: busybox\n")
    with pytest.raises(ConfigLoadError) as info:
        load(path)
    assert (info.value.line, info.value.column) == (2, 14)
    assert "UTF-8" in info.value.message and "0xe9" in info.value.message
    result = run_cli(str(path))
    assert result.returncode == 2 and f"{path}:2:14" in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigLoadError) as info:
        load(path)
    assert "no such file" in info.value.message and not info.value.readable
    result = run_cli(str(path))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_directory_without_valohai_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigLoadError) as info:
        load(tmp_path)
    assert "directory" in info.value.message and "valohai.yaml" in info.value.hint
    assert run_cli(str(tmp_path)).returncode == 2


def test_directory_with_valohai_yaml_loads_it(tmp_path: Path) -> None:
    (tmp_path / "valohai.yaml").write_bytes((DATA_DIR / "pipeline-full-edges.yaml").read_bytes())
    assert load(tmp_path).path == tmp_path / "valohai.yaml"
    assert run_cli(str(tmp_path)).returncode == 0


def test_permission_denied_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, (DATA_DIR / "pipeline-full-edges.yaml").read_text())

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ConfigLoadError) as info:
        load(path)
    assert "permission denied" in info.value.message and not info.value.readable
    with pytest.raises(ConfigLoadError):
        YamlDocument.load(path)
    monkeypatch.undo()
    # The real CLI in a subprocess, with the same refusal patched in before it starts.
    script = (
        "import pathlib, sys\n"
        "def refuse(self):\n"
        "    raise PermissionError(13, 'Permission denied', str(self))\n"
        "pathlib.Path.read_bytes = refuse\n"
        "from designer.cli import main\n"
        "sys.exit(main(['lint', sys.argv[1]]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert f"{path}: error: permission denied" in result.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads despite chmod 000")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    path = _write(tmp_path, (DATA_DIR / "pipeline-full-edges.yaml").read_text())
    path.chmod(0)
    try:
        with pytest.raises(ConfigLoadError) as info:
            load(path)
        assert "permission denied" in info.value.message
        assert run_cli(str(path)).returncode == 2
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"], ids=["empty", "blank", "comment"])
def test_empty_file_is_a_lint_error(tmp_path: Path, text: str) -> None:
    """An empty file is readable (so no ConfigLoadError: the designer can open it and start
    adding steps), but it is not a valid valohai.yaml: valohai-yaml rejects it too."""
    path = _write(tmp_path, text)
    diagnostics = lint(load(path))
    assert [(d.severity, d.code, d.line, d.column) for d in diagnostics] == [
        ("error", "top-level-not-list", 1, 1)
    ]
    assert "empty" in diagnostics[0].message and diagnostics[0].hint
    assert official_verdict(path) == "parse-error"
    result = run_cli(str(path))
    assert result.returncode == 1 and "empty" in result.stdout


def test_an_unloadable_edit_target_changes_nothing(tmp_path: Path) -> None:
    """Replacing the text with unreadable YAML is refused and keeps the document as it was."""
    doc = YamlDocument.load(DATA_DIR / "pipeline-full-edges.yaml")
    before = doc.text
    with pytest.raises(ConfigLoadError):
        doc.set_text("- step: [unclosed\n")
    assert doc.text == before and not has_errors(lint(doc.loaded))


def test_alias_bomb_under_the_expansion_limit_is_still_quick(tmp_path: Path) -> None:
    items = ", ".join(["x"] * 990)
    copies = "".join(f"- step:\n    name: s{i}\n    image: busybox\n    command: *c\n" for i in range(990))
    path = _write(tmp_path, f"- step:\n    name: s\n    image: busybox\n    command: &c [{items}]\n{copies}")
    assert path.stat().st_size < 100_000
    script = "import sys\nfrom runner.config import ConfigLoadError, lint, load\n"
    script += "try:\n    lint(load(sys.argv[1]))\nexcept ConfigLoadError:\n    pass\n"
    started = time.perf_counter()
    try:  # a subprocess, so that the bound also stops it: 2 s plus the interpreter's start-up
        subprocess.run([sys.executable, "-c", script, str(path)], cwd=REPO, timeout=3.5, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still loading after {time.perf_counter() - started:.1f} s")


@pytest.mark.parametrize(
    "text",
    [
        # The sizes that were refused as "an alias bomb": 11,200 steps, a 20,000-node pipeline.
        "".join(
            f"- step:\n    name: s{i}\n    image: busybox\n    command: echo {i}\n" for i in range(11_200)
        ),
        "- step: {name: s, image: busybox, command: echo}\n- pipeline:\n    name: p\n    nodes:\n"
        + "".join(f"      - {{name: n{i}, type: execution, step: s}}\n" for i in range(20_000))
        + "    edges: []\n",
    ],
    ids=["11200-steps", "20000-nodes"],
)
def test_large_files_without_aliases_are_limited_only_by_size(text: str) -> None:
    loaded = load_text(text)
    assert not loaded.has_aliases and isinstance(loaded.data, list)
