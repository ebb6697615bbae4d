"""Every subcommand ends quietly when its output pipe closes (``... | head -1``): no
BrokenPipeError traceback, no "Exception ignored" at exit, the status of a closed pipe (141)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runner.cli.main import build_parser, command_names
from tests.support.paths import EXAMPLES, REPO

YAML = "- step: {name: count, image: busybox, command: sh count.sh}\n"
SCRIPT = """for i in 1 2 3 4 5 6 7 8 9; do echo "{\\"step\\": $i, \\"loss\\": 0.$i}"; done
echo done > "$VH_OUTPUTS_DIR/out.txt"
"""


def _command(*argv: str, home: Path, config: Path, stdout: Any) -> subprocess.CompletedProcess[str]:
    """``pipeline-designer ARGV`` in a process of its own on the store ``home``, stderr captured."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PIPELINE_DESIGNER_HOME": str(home),
        "PIPELINE_DESIGNER_CONFIG": str(config),
    }
    return subprocess.run(
        [sys.executable, "-m", "designer.cli", *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def _closed_pipe(*argv: str, home: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """The command with its stdout a pipe whose reader has gone: every write fails."""
    read, write = os.pipe()
    os.close(read)
    try:
        return _command(*argv, home=home, config=config, stdout=write)
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


def _cli(*argv: str, home: Path, config: Path) -> subprocess.CompletedProcess[str]:
    done = _command(*argv, home=home, config=config, stdout=subprocess.PIPE)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def store_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two runs of the local-process backend (metrics and an output), exported once."""
    home = tmp_path_factory.mktemp("home")
    project = home / "project"
    project.mkdir()
    (project / "valohai.yaml").write_text(YAML + PIPELINE)
    (project / "count.sh").write_text(SCRIPT)
    argv = ["run", str(project / "valohai.yaml"), "--step", "count", "--backend", "local"]
    _cli(*argv, home=home / "store", config=home / "config")
    _cli(*argv, "--no-reuse", home=home / "store", config=home / "config")
    _cli("export", "latest", "--to", str(home / "latest.tar"), home=home / "store", config=home / "config")
    runs = json.loads(_cli("history", "--json", home=home / "store", config=home / "config").stdout)["runs"]
    # Their ids: other tests add runs (run, import, watch), so "latest" would change under them.
    (home / "run-ids").write_text(f"{runs[-1]['id']} {runs[0]['id']}")
    return home


PIPELINE = "- pipeline: {name: p, nodes: [{name: count, type: execution, step: count}], edges: []}\n"
# Every subcommand, doing what prints (shell, which needs the engine, is the test below).
COMMANDS = [
    ["history"],
    ["history", "--json"],
    ["show", "{second}", "--json"],
    ["show", "{second}"],
    ["metrics", "{second}/count", "--csv"],
    ["lint", str(EXAMPLES / "valohai.yaml")],
    ["graph", str(EXAMPLES / "valohai.yaml")],
    ["completion", "bash"],
    ["diff", "{first}", "{second}"],
    ["lineage", "{second}/count"],
    ["outputs", "{second}/count", "--to", "{home}/outputs"],
    ["export", "{second}", "--to", "{home}/again.tar"],
    ["export", "{second}", "--to", "-"],
    ["import", "{home}/latest.tar"],
    ["tag", "{second}", "closed-pipe"],
    ["note", "{second}", "a note"],
    ["note", "{second}"],
    ["settings"],
    ["hosts", "list"],
    ["store", "check"],
    ["gc", "--dry-run"],
    ["run", "{home}/project/valohai.yaml", "--step", "count", "--backend", "local"],
    ["reproduce", "{first}", "--backend", "local"],
    ["watch", "{home}/project/valohai.yaml", "--list"],
    [
        "watch",
        "{home}/project/valohai.yaml",
        "--pipeline",
        "p",
        "--on-change",
        "{home}/project/count.sh",
        "--backend",
        "local",
        "--max-runs",
        "1",
        "--once-at-start",
    ],
    ["--help"],
]


def test_every_subcommand_is_in_the_list() -> None:
    assert {argv[0] for argv in COMMANDS if not argv[0].startswith("-")} | {"shell"} == command_names(
        build_parser()
    )


def _closed_pipe_in(store_home: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    first, second = (store_home / "run-ids").read_text().split()
    argv = [a.format(home=store_home, first=first, second=second) for a in argv]
    return _closed_pipe(*argv, home=store_home / "store", config=store_home / "config")


@pytest.mark.parametrize(
    "argv", COMMANDS, ids=lambda argv: " ".join(a if "/" not in a else Path(a).name for a in argv)
)
def test_commands_with_output_on_a_closed_pipe(argv: list[str], store_home: Path) -> None:
    _quiet(_closed_pipe_in(store_home, argv))


def test_export_to_standard_output_is_an_archive_another_store_imports(
    store_home: Path, tmp_path: Path
) -> None:
    _first, second = (store_home / "run-ids").read_text().split()
    streamed = tmp_path / "streamed.tar"
    store = {"home": store_home / "store", "config": store_home / "config"}
    with streamed.open("wb") as out:  # what `export RUN --to - > streamed.tar` writes
        done = _command("export", second, "--to", "-", stdout=out, **store)
    assert done.returncode == 0, done.stderr
    assert f"exported run {second} to standard output" in done.stderr
    assert not (REPO / "-").exists()
    colleague = {"home": tmp_path / "colleague", "config": tmp_path / "config"}
    assert f"imported run {second}" in _cli("import", str(streamed), **colleague).stdout
    shown = json.loads(_cli("show", second, "--json", **colleague).stdout)
    original = json.loads(_cli("show", second, "--json", **store).stdout)
    assert [e["node"] for e in shown["executions"]] == [e["node"] for e in original["executions"]]
    assert shown["executions"][0]["last_metadata"] == original["executions"][0]["last_metadata"]


@pytest.mark.docker
def test_shell_on_a_closed_pipe(store_home: Path, tmp_path: Path, busybox_image: str) -> None:
    home, config = tmp_path / "store", tmp_path / "config"
    path = store_home / "project" / "valohai.yaml"
    _cli(
        "run",
        str(path),
        "--step",
        "count",
        "--image-map",
        f"busybox={busybox_image}",
        "--network",
        "none",
        home=home,
        config=config,
    )
    loop = "for i in $(seq 1 2000); do echo line $i; done"
    _quiet(
        _closed_pipe(
            "shell", "--network", "none", "latest/count", "--", "sh", "-c", loop, home=home, config=config
        )
    )
