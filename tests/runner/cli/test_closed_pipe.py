"""Every subcommand ends quietly when its output pipe closes (``... | head -1``): no
BrokenPipeError traceback, no "Exception ignored" at exit, the status of a closed pipe (141)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli.main import build_parser, command_names
from tests.support.paths import EXAMPLES, REPO

YAML = "- step: {name: count, image: busybox, command: sh count.sh}\n"
SCRIPT = """for i in 1 2 3 4 5 6 7 8 9; do echo "{\\"step\\": $i, \\"loss\\": 0.$i}"; done
echo done > "$VH_OUTPUTS_DIR/out.txt"
"""


def _closed_pipe(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The command with its stdout a pipe whose reader has gone: every write fails."""
    read, write = os.pipe()
    os.close(read)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PIPELINE_DESIGNER_HOME": str(home)}
    try:
        return subprocess.run(
            [sys.executable, "-m", "designer.cli", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write)


def _quiet(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
    assert done.returncode in (0, 141), done


# Each subcommand's --help in one interpreter (one start-up instead of seventeen): stdout a
# closed pipe for each, run_headless's status and anything it printed to stderr reported.
_EVERY_HELP = """
import io, os, sys
from runner.cli.main import build_parser, command_names, run_headless
for name in sorted(command_names(build_parser())):
    read, write = os.pipe()
    os.close(read)
    saved = os.dup(1)
    os.dup2(write, 1)
    os.close(write)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False))
    err, sys.stderr = sys.stderr, io.StringIO()
    try:
        code = run_headless([name, "--help"])
    except SystemExit as exc:
        code = exc.code
    printed, sys.stderr = sys.stderr.getvalue(), err
    os.dup2(saved, 1)
    os.close(saved)
    print(f"{name}\t{code}\t{printed!r}", file=sys.stderr)
"""


def test_every_subcommand_help_on_a_closed_pipe(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PIPELINE_DESIGNER_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _EVERY_HELP], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stderr.splitlines()]
    assert sorted(r[0] for r in rows) == sorted(command_names(build_parser()))
    for name, code, printed in rows:
        assert code == "141" and printed == "''", f"{name}: status {code}, printed {printed}"


@pytest.fixture(scope="module")
def store_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one run of the local-process backend (metrics and an output)."""
    home = tmp_path_factory.mktemp("home")
    project = tmp_path_factory.mktemp("project")
    (project / "valohai.yaml").write_text(YAML)
    (project / "count.sh").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PIPELINE_DESIGNER_HOME": str(home)}
    argv = ["run", str(project / "valohai.yaml"), "--step", "count", "--backend", "local"]
    done = subprocess.run(
        [sys.executable, "-m", "designer.cli", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return home


@pytest.mark.parametrize(
    "argv",
    [
        ["history"],
        ["show", "latest", "--json"],
        ["metrics", "latest/count", "--csv"],
        ["lint", str(EXAMPLES / "valohai.yaml")],
        ["graph", str(EXAMPLES / "valohai.yaml")],
        ["--help"],
    ],
    ids=lambda argv: " ".join(a if "/" not in a else Path(a).name for a in argv),
)
def test_commands_with_output_on_a_closed_pipe(argv: list[str], store_home: Path) -> None:
    _quiet(_closed_pipe(*argv, home=store_home))
