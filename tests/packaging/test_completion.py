"""Shell completion: generated from the parser, really completes in bash, covers every subcommand."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli.completion_cmd import script, walk
from runner.cli.main import build_parser, command_names
from tests.support.paths import REPO


def _completion(shell: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "designer.cli", "completion", shell],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    return result.stdout


def _complete(words: list[str], tmp_path: Path, text: str | None = None) -> list[str]:
    """Run the generated bash function for a command line whose last word is being typed."""
    script_file = tmp_path / "pd.bash"
    script_file.write_text(text if text is not None else _completion("bash"))
    quoted = " ".join(f"'{w}'" for w in words)
    program = (
        f"source {script_file}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
        '_pipeline_designer; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", program], capture_output=True, text=True, cwd=tmp_path, check=True)
    return [line for line in out.stdout.splitlines() if line]


def test_script_mentions_every_subcommand_and_option() -> None:
    parser = build_parser()
    for shell in ("bash", "zsh"):
        text = _completion(shell)
        for name in command_names(parser):
            assert name in text, (shell, name)
    text = _completion("bash")
    for level in walk(parser):
        for option in level.options:
            assert option in text, (level.path, option)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_options_and_choices(tmp_path: Path) -> None:
    (tmp_path / "valohai.yaml").write_text("[]\n")
    assert set(_complete(["pipeline-designer", ""], tmp_path)) >= command_names(build_parser())
    assert "valohai.yaml" in _complete(["pipeline-designer", "val"], tmp_path)  # the GUI's FILE
    assert sorted(_complete(["pipeline-designer", "li"], tmp_path)) == ["lineage", "lint"]
    assert _complete(["pipeline-designer", "lint", "--f"], tmp_path) == ["--format"]
    assert _complete(["pipeline-designer", "lint", "x", "--format", ""], tmp_path) == ["text", "json"]
    assert _complete(["pipeline-designer", "completion", ""], tmp_path) == ["bash", "zsh"]
    run_options = _complete(["pipeline-designer", "run", "--"], tmp_path)
    assert {"--pipeline", "--image-map", "--backend"} <= set(run_options)


def test_bash_syntax_and_unknown_shell() -> None:
    subprocess.run(["bash", "-n", "-c", _completion("bash")], check=True)
    with pytest.raises(ValueError, match="fish"):
        script(build_parser(), "fish")
    bad = subprocess.run(
        [sys.executable, "-m", "designer.cli", "completion", "fish"], capture_output=True, text=True, cwd=REPO
    )
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_nested_subcommands_are_followed(tmp_path: Path) -> None:
    import argparse

    root = argparse.ArgumentParser(prog="pipeline-designer")
    sub = root.add_subparsers(dest="command")
    hosts = sub.add_parser("hosts").add_subparsers(dest="verb")
    add = hosts.add_parser("add")
    add.add_argument("--kind", choices=("ssh", "tcp"))
    text = script(root, "bash")
    assert _complete(["pipeline-designer", "hosts", ""], tmp_path, text) == ["add"]
    assert _complete(["pipeline-designer", "hosts", "add", "--"], tmp_path, text) == ["--help", "--kind"]
    assert _complete(["pipeline-designer", "hosts", "add", "--kind", ""], tmp_path, text) == ["ssh", "tcp"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_loads_and_completes(tmp_path: Path) -> None:
    script_file = tmp_path / "pd.zsh"
    script_file.write_text(_completion("zsh"))
    # bashcompinit calls the function under `emulate sh` (0-based arrays, like bash)
    program = (
        f"source {script_file}; emulate sh; COMP_WORDS=(pipeline-designer lint x --format ''); "
        'COMP_CWORD=4; _pipeline_designer; print -l "${COMPREPLY[@]}"'
    )
    result = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["text", "json"]
