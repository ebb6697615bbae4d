"""runner.deferred: a deferred module is imported on first use, once, whatever thread asks."""

from __future__ import annotations

import subprocess
import sys

from tests.support.paths import REPO


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_imported_on_first_use_then_the_real_module() -> None:
    out = _run(
        "import sys\n"
        "from runner.deferred import defer\n"
        "defer('wave')\n"
        "import wave\n"
        "print('loaded' if 'chunk' in sys.modules or 'audioop' in sys.modules else 'deferred')\n"
        "print(wave.Error.__module__)\n"
        "from wave import open as wave_open\n"
        "print(wave_open is sys.modules['wave'].open, sys.modules['wave'].__name__)\n"
    )
    assert out.splitlines() == ["deferred", "wave", "True wave"]


def test_paramiko_loads_when_used_from_many_threads_at_once() -> None:
    out = _run(
        "import sys, threading\n"
        "import runner, paramiko\n"
        "assert 'paramiko.transport' not in sys.modules\n"
        "found = []\n"
        "threads = [threading.Thread(target=lambda: found.append(paramiko.SSHClient)) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "from paramiko.client import SSHClient\n"
        "import docker.transport.sshconn as ssh\n"
        "print(len(set(found)), found[0] is SSHClient, ssh.paramiko.RejectPolicy.__name__)\n"
    )
    assert out == "1 True RejectPolicy"
