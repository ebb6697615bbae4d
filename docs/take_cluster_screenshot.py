"""Render docs/screenshots/hosts-ray.png: the Hosts dialog after testing a Ray cluster while a
run holds both GPUs of one worker.

The cluster is the tests' real one on 127.0.0.1 (tests/support/ray_cluster.py: a head and two
workers with 2 and 1 fake GPUs, each on a private Docker engine), its head reached through a
throwaway sshd. Run from the repository root as root: ``.venv/bin/python docs/take_cluster_screenshot.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOLD = """\
- step:
    name: train
    image: pipeline-designer-test/busybox:1
    command:
      - echo started
      - while [ ! -e /tmp/go ]; do sleep 0.1; done
    resources:
      devices:
        nvidia.com/gpu: 2
- pipeline:
    name: p
    nodes:
      - {name: train, type: execution, step: train}
    edges: []
"""


def main() -> int:
    import keyring
    from take_hosts_screenshot import tested_hosts_dialog  # beside this script

    from designer.app import create_app
    from runner.hosts import service
    from runner.hosts.known_hosts import KnownHosts, fetch_host_key
    from runner.hosts.registry import HostConfig
    from tests.sshd.sshd_server import ThrowawaySshd
    from tests.support import ray_runs
    from tests.support.ray_cluster import RayTestCluster
    from tests.support.remote import MemoryKeyring

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update(HOME=str(root / "home"), PIPELINE_DESIGNER_CONFIG=str(root / "config"),
                          PIPELINE_DESIGNER_HOME=str(root / "data"))  # fmt: skip
        (root / "home" / ".ssh").mkdir(parents=True)
        os.environ.pop("SSH_AUTH_SOCK", None)
        keyring.set_keyring(MemoryKeyring())
        cluster = RayTestCluster().start()
        try:
            with ThrowawaySshd() as server:
                KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))
                url = f"ray+ssh://{server.user}@127.0.0.1:{server.port}"
                key, address, python = str(server.key.path), cluster.address, sys.executable
                service.add_host(HostConfig("gpu-cluster", url, key, ray_address=address, ray_python=python))
                service.add_host(HostConfig("render-01", "ssh://ops@render-01.lan:2222", gpus=2))
                project = root / "project" / "valohai.yaml"
                project.parent.mkdir()
                project.write_text(textwrap.dedent(HOLD))
                record = ray_runs.RunRecord()
                handle = ray_runs.start(project, "p", ["gpu-cluster"], record)
                assert record.wait_for(lambda: "started" in record.text("train", "stdout"), 120)
                app = create_app()
                dialog = tested_hosts_dialog(app, "gpu-cluster", 980, 450)
                out = ROOT / "docs" / "screenshots" / "hosts-ray.png"
                dialog.grab().save(str(out))
                print(f"wrote {out}")
                dialog.close()
                engine = next(e for name, e in cluster.engines.items() if name == "w2")
                engine.docker("exec", f"vh-{handle.run_id}-train", "touch", "/tmp/go")
                handle.wait(60)
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
