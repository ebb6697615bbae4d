"""``pipeline-designer hosts`` bookkeeping commands (no sshd needed)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.support.cli import cli
from tests.support.remote import write_ssh_config


def test_add_list_secret_remove(
    config_dir: Path, memory_keyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    ssh_home: Path,
) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    code, text = cli("hosts", "add", "gpu1", "ssh://me@10.1.2.3:2200", "--identity", "/keys/id",
                     "--gpus", "2", "--max-parallel", "3", "--environment", "big-gpu")  # fmt: skip
    assert code == 0 and "hosts trust gpu1" in text
    assert cli("hosts", "add", "gpu1", "ssh://me@10.1.2.3")[0] == 2
    assert "already exists" in capsys.readouterr().err
    assert cli("hosts", "add", "bad", "ssh://me:pw@h")[0] == 2
    assert "keyring" in capsys.readouterr().err
    write_ssh_config(
        ssh_home, "Host pc\n  ProxyCommand nc %h %p\nHost gpubox\n  HostName 10.0.0.9\n  User ml\n"
    )
    assert cli("hosts", "add", "pc", "ssh://pc")[0] == 2  # a route we cannot follow: refused now
    assert "ProxyCommand, which is not supported; use ProxyJump" in capsys.readouterr().err
    code, text = cli("hosts", "add", "gpubox", "ssh://gpubox", "--gpu-access", "env")
    assert code == 0 and "(ssh://gpubox: ml@10.0.0.9:22)" in text
    assert "gpu-access=env" in cli("hosts", "list")[1]
    cli("hosts", "remove", "gpubox")
    code, text = cli("hosts", "list", "--json")
    (entry,) = json.loads(text)["hosts"]
    assert entry == {"name": "gpu1", "url": "ssh://me@10.1.2.3:2200", "identity": "/keys/id", "gpus": 2,
                     "max_parallel": 3, "environments": ["big-gpu"],
                     "gpu_access": "device-request"}  # fmt: skip
    assert "gpus=2 max-parallel=3 env=big-gpu" in cli("hosts", "list")[1]

    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    code, text = cli("hosts", "secret", "gpu1", "passphrase", "--stdin")
    assert code == 0 and "correct horse" not in text
    assert memory_keyring.items == {("pipeline-designer", "gpu1:passphrase"): "correct horse"}
    assert all("correct horse" not in p.read_text() for p in config_dir.rglob("*") if p.is_file())
    assert cli("hosts", "secret", "nope", "password", "--stdin")[0] == 2

    code, text = cli("hosts", "remove", "gpu1")
    assert code == 0 and memory_keyring.items == {}
    assert json.loads(cli("hosts", "list", "--json")[1]) == {"hosts": []}
    assert cli("hosts", "remove", "gpu1")[0] == 2
