"""Render docs/screenshots/hosts.png and host-form.png: the Hosts dialog after testing a host
behind a jump host, and the host form resolving an ssh config alias.

Real throwaway sshds on 127.0.0.1 (tests/sshd) play the bastion and the GPU box; this machine has
no GPU, so the box's ``nvidia-smi`` is the stand-in of tests/support/nvidia_smi.py (two H100s, one
busy), and GPU 0 is leased to another run. Run from the repository root as root (the sshd logs in
as the current user): ``.venv/bin/python docs/take_hosts_screenshot.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def tested_hosts_dialog(app: Any, name: str, width: int, height: int) -> Any:
    """The Hosts dialog shown with host ``name`` selected, once its Test has finished and painted."""
    from designer.run.hosts_dialog import HostsDialog

    dialog = HostsDialog()
    dialog.resize(width, height)
    dialog.show()
    dialog.select(name)
    done: list[bool] = []
    dialog.test_finished.connect(lambda _name, ok: done.append(ok))
    dialog.test_host()
    while not done:
        app.processEvents()
    for _ in range(20):
        app.processEvents()
    return dialog


def main() -> int:
    import keyring

    from designer.app import create_app
    from designer.run.host_form import HostForm
    from runner.hosts import gpu_lease, service
    from runner.hosts.connection import HostLink
    from runner.hosts.known_hosts import KnownHosts, fetch_host_key
    from runner.hosts.registry import HostConfig
    from tests.sshd.sshd_server import ThrowawaySshd
    from tests.support.nvidia_smi import fake_nvidia_smi
    from tests.support.remote import MemoryKeyring, write_ssh_config

    with tempfile.TemporaryDirectory() as tmp, ThrowawaySshd() as bastion:
        root = Path(tmp)
        os.environ.update(HOME=str(root / "home"), PIPELINE_DESIGNER_CONFIG=str(root / "config"))
        os.environ.pop("SSH_AUTH_SOCK", None)
        keyring.set_keyring(MemoryKeyring())
        with ThrowawaySshd(path_first=fake_nvidia_smi(root / "bin")) as box:
            write_ssh_config(
                root / "home",
                f"Host gpubox\n  HostName 127.0.0.1\n  Port {box.port}\n  IdentityFile {box.key.path}\n"
                f"  ProxyJump bastion\nHost bastion\n  HostName 127.0.0.1\n  Port {bastion.port}\n"
                f"  IdentityFile {bastion.key.path}\n",
            )
            for server in (bastion, box):
                KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))
            service.add_host(HostConfig("gpubox", "ssh://gpubox", gpus=4, max_parallel=2))
            service.add_host(HostConfig("render-01", "ssh://ops@render-01.lan:2222", gpus=2))
            link = HostLink(HostConfig("gpubox", "ssh://gpubox"))
            lease = gpu_lease.take(link, ["0"], 1, "run 20261203-141502-9c1e2a node train by ana@ws-ana")
            app = create_app()
            dialog = tested_hosts_dialog(app, "gpubox", 900, 470)
            out = ROOT / "docs" / "screenshots"
            dialog.grab().save(str(out / "hosts.png"))
            form = HostForm(service.list_hosts()[0], dialog)
            form.show()
            for _ in range(20):
                app.processEvents()
            form.grab().save(str(out / "host-form.png"))
            print(f"wrote {out / 'hosts.png'} and {out / 'host-form.png'}")
            form.close()
            dialog.close()
            if isinstance(lease, gpu_lease.Lease):
                lease.release()
            link.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
