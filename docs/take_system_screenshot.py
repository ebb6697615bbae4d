"""Render docs/screenshots/run-system.png: the Metrics dock with a training node's System group.

A real run: a small numpy training step (the test Python image) on a "remote GPU host", the
throwaway sshd on 127.0.0.1 in front of the local engine, with its CPU and memory sampled
through the Docker API over SSH. This machine has no GPU, so the host's ``nvidia-smi`` is the
stand-in of tests/support/nvidia_smi.py replaying a 20-second ``-l 1`` capture (GPU 0 warming
up to ~97 %). The dock then opens the run from the store, as a past run is shown. Run from the
repository root as root (the sshd logs in as the current user):
``.venv/bin/python docs/take_system_screenshot.py``.
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

TRAIN = """
import json, time
import numpy as np

rng = np.random.default_rng(0)
kept = []
for epoch in range(1, 11):
    t0 = time.time()
    while time.time() - t0 < 0.8:  # a busy epoch
        a = rng.standard_normal((300, 300))
        a @ a
    kept.append(np.ones(3_000_000))  # activations kept: memory grows by 24 MB an epoch
    print(json.dumps({"epoch": epoch, "loss": round(1.5 / epoch + 0.05 * rng.random(), 4)}), flush=True)
    time.sleep(0.2)
"""


def main() -> int:
    import keyring

    from designer.app import create_app
    from designer.bridge.history import RunHistory
    from designer.run.metrics_dock import MetricsPanel
    from runner.api import RunOptions, plan_run, start_run
    from runner.hosts.known_hosts import KnownHosts, fetch_host_key
    from runner.hosts.registry import HostConfig, HostRegistry
    from tests.sshd.sshd_server import ThrowawaySshd
    from tests.support.images import IMAGE_MAP
    from tests.support.nvidia_smi import fake_nvidia_smi
    from tests.support.remote import MemoryKeyring

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update(
            HOME=str(root / "home"),
            PIPELINE_DESIGNER_CONFIG=str(root / "config"),
            PIPELINE_DESIGNER_HOME=str(root / "data"),
        )
        os.environ.pop("SSH_AUTH_SOCK", None)
        keyring.set_keyring(MemoryKeyring())
        project = root / "project"
        project.mkdir()
        (project / "train.py").write_text(TRAIN)
        (project / "valohai.yaml").write_text(
            textwrap.dedent(
                """
                - step:
                    name: train
                    image: python:3.12-slim
                    command: python train.py
                    resources: {devices: {nvidia.com/gpu: 1}}
                """
            )
        )
        smi = fake_nvidia_smi(root / "bin", "nvidia-smi-loop-2xH100.csv", block=2)
        with ThrowawaySshd(path_first=smi) as box:
            KnownHosts().trust("127.0.0.1", box.port, fetch_host_key("127.0.0.1", box.port))
            HostRegistry().add(
                HostConfig("gpubox", box.base_url, identity=str(box.key.path), gpus=2, gpu_access="env")
            )
            plan = plan_run(project / "valohai.yaml", step="train")
            handle = start_run(
                plan, RunOptions(image_map=IMAGE_MAP), hosts=["gpubox"], network="none", pull="never"
            )
            status = handle.wait(180)
            assert status == "succeeded", status
        app = create_app()
        history = RunHistory()
        execution = history.execution(handle.run_id, "train")
        assert execution is not None
        panel = MetricsPanel()
        panel.resize(1180, 640)
        panel.show()
        panel.load_records(handle.run_id, "train", history.metadata(execution["id"]))
        samples, note = history.system_samples(execution)
        panel.load_system(handle.run_id, "train", samples, note)
        panel.x_combo.setCurrentText("wall time")
        for _ in range(40):
            app.processEvents()
        panel.system.refresh()
        panel.plot.refresh()
        out = ROOT / "docs" / "screenshots" / "run-system.png"
        panel.grab().save(str(out))
        print(f"wrote {out}: {len(samples)} samples, GPU note {note!r}")
        panel.shutdown()
        panel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
