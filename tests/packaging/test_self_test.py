"""``pipeline-designer --self-test``: the example opens offscreen, lints clean, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO


def _self_test(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    env.pop("QT_QPA_PLATFORM", None)  # --self-test must pick offscreen itself
    return subprocess.run(
        [sys.executable, "-m", "designer.cli", "--self-test", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )


def test_self_test_opens_and_lints_the_example(tmp_path: Path) -> None:
    result = _self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "training-pipeline" in result.stdout and "self-test: ok" in result.stdout
    assert not (tmp_path / "cfg").exists() or not any((tmp_path / "cfg").rglob("*.conf"))  # no settings left


def test_self_test_fails_on_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "valohai.yaml"
    broken.write_text("- step:\n    name: a\n    image: x\n    command: [\n")
    result = _self_test(tmp_path, str(broken))
    assert result.returncode == 1
    assert "self-test FAILED" in result.stderr


def test_headless_commands_never_import_qt() -> None:
    code = (
        "import sys\n"
        "from designer.cli import main\n"
        "main(['completion', 'bash'])\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
