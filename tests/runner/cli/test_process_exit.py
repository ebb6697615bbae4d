"""A headless command's process ends without Python's teardown (runner.cli.process_exit), and
still does everything a user relies on at exit: its status, all its output, atexit clean-ups
(temporary folders), and threads that are not daemons run to their end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)


def test_status_output_and_atexit_clean_ups_survive(tmp_path: Path) -> None:
    marker = tmp_path / "atexit-ran"
    result = _python(
        "import atexit, sys, tempfile\n"
        "from runner.cli.main import exit_process\n"
        "folder = tempfile.TemporaryDirectory()\n"  # cleaned by its finalizer at exit
        "print(folder.name)\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write('yes'))\n"
        "sys.stdout.write('x' * 200_000)\n"  # buffered, not yet written
        "sys.stderr.write('last words')\n"
        "exit_process(3)\n"
    )
    assert result.returncode == 3
    folder = result.stdout.splitlines()[0]
    assert result.stdout.endswith("x" * 200_000)
    assert result.stderr == "last words"
    assert marker.read_text() == "yes"
    assert not Path(folder).exists()


def test_a_message_exits_1_and_none_exits_0() -> None:
    result = _python("from runner.cli.main import exit_process\nexit_process('it broke')\n")
    assert (result.returncode, result.stderr.strip()) == (1, "it broke")
    assert _python("from runner.cli.main import exit_process\nexit_process(None)\n").returncode == 0


def test_a_thread_that_is_not_a_daemon_is_waited_for(tmp_path: Path) -> None:
    done = tmp_path / "thread-done"
    result = _python(
        "import threading, time\n"
        "from runner.cli.main import exit_process\n"
        f"t = threading.Thread(target=lambda: (time.sleep(0.5), open({str(done)!r}, 'w').write('ok')))\n"
        "t.start()\n"
        "exit_process(0)\n"
    )
    assert result.returncode == 0, result.stderr
    assert done.read_text() == "ok"


def test_the_console_script_keeps_exit_statuses(tmp_path: Path) -> None:
    cli = str(Path(sys.executable).with_name("pipeline-designer"))
    bad = tmp_path / "valohai.yaml"
    bad.write_text("- step: {name: s}\n")
    lint = subprocess.run([cli, "lint", str(bad)], capture_output=True, text=True, timeout=120)
    assert lint.returncode == 1
    assert "'image' is a required property" in lint.stdout
    usage = subprocess.run([cli, "run"], capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2
    assert "the following arguments are required" in usage.stderr
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=120)
    assert (version.returncode, version.stdout.split()[0]) == (0, "pipeline-designer")
