"""The command line imports only the command it runs (runner.cli.main.COMMANDS), so `lint` and
`run` start quickly; the table of commands must match what the modules register."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli.main import COMMANDS, build_parser, command_module, command_names
from tests.support.paths import REPO


def test_the_table_names_what_each_module_registers() -> None:
    registered: dict[str, str] = {}
    for module in dict.fromkeys(COMMANDS.values()):
        subparsers = argparse.ArgumentParser().add_subparsers()
        command_module(module).register(subparsers)
        registered.update(dict.fromkeys(subparsers.choices, module))
    assert registered == COMMANDS
    assert command_names(build_parser()) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_parses_alone_as_in_the_whole_parser(name: str) -> None:
    def help_of(parser: argparse.ArgumentParser) -> str:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return action.choices[name].format_help()

    assert help_of(build_parser(only=name)) == help_of(build_parser())


def _imported_by(argv: list[str], tmp_path: Path) -> set[str]:
    code = (
        "import json, sys\n"
        "from designer.cli import main\n"
        f"code = main({argv!r})\n"
        "sys.stdout.flush()\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "PIPELINE_DESIGNER_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_lint_imports_neither_the_store_nor_the_engine_nor_other_commands(tmp_path: Path) -> None:
    path = tmp_path / "valohai.yaml"
    path.write_text("- step: {name: s, image: busybox, command: 'true'}\n")
    modules = _imported_by(["lint", str(path)], tmp_path)
    assert "runner.cli.lint_cmd" in modules
    unwanted = {"docker", "paramiko.transport", "sqlite3", "runner.store", "runner.execution"}
    unwanted |= {"runner.cli.run_cmd", "runner.cli.history_cmd"}
    assert not unwanted & modules, sorted(unwanted & modules)


def test_a_local_run_does_not_import_ssh(tmp_path: Path) -> None:
    """paramiko is deferred (runner.deferred): a run on the local engine never loads it."""
    path = tmp_path / "valohai.yaml"
    path.write_text("- step: {name: s, image: busybox, command: 'true'}\n")
    modules = _imported_by(["run", str(path), "--step", "s", "--backend", "local"], tmp_path)
    assert "runner.execution.executor" in modules
    assert "paramiko.transport" not in modules
