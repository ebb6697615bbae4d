"""Registry, keyring secrets, host-key bookkeeping and GPU request construction (no sshd needed)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import paramiko
import pytest
from docker.types import DeviceRequest

from runner.execution.remote_backend import RemoteBackend
from runner.execution.spec import ExecutionSpec
from runner.hosts import paths
from runner.hosts.health import CLIENT_LABEL, HOST_LABEL, device_requests
from runner.hosts.known_hosts import (
    HostKeyChangedError,
    KnownHosts,
    UnknownHostKeyError,
    fingerprint,
    host_id,
)
from runner.hosts.paths import client_id
from runner.hosts.registry import HostConfig, HostConfigError, HostRegistry
from runner.hosts.secrets import delete_secret, get_secret, set_secret


def test_registry_round_trip_in_the_overridden_config_dir(config_dir: Path) -> None:
    registry = HostRegistry()
    assert registry.path == config_dir / "hosts.json"
    registry.add(HostConfig("gpu1", "ssh://me@10.0.0.5:2222", "/k/id", 2, 3, ("big",)))
    registry.add(HostConfig("cpu", "ssh://box"))
    loaded = HostRegistry().load()
    assert loaded["gpu1"] == HostConfig("gpu1", "ssh://me@10.0.0.5:2222", "/k/id", 2, 3, ("big",))
    assert (loaded["gpu1"].user, loaded["gpu1"].hostname, loaded["gpu1"].port) == ("me", "10.0.0.5", 2222)
    assert loaded["cpu"].port == 22 and loaded["gpu1"].gpu_ids == ("0", "1")
    with pytest.raises(HostConfigError, match="already exists"):
        registry.add(HostConfig("cpu", "ssh://other"))
    registry.remove("cpu")
    assert list(HostRegistry().load()) == ["gpu1"]
    with pytest.raises(HostConfigError, match=r"unknown host 'nope'.*gpu1"):
        registry.get("nope")
    assert json.loads(registry.path.read_text())["version"] == 1


@pytest.mark.parametrize(
    ("name", "url", "match"),
    [
        ("ok", "http://host", "not ssh://"),
        ("ok", "ssh://me:hunter2@host", "must not contain a password"),
        ("ok", "ssh://host/path", "path or query"),
        ("ok", "ssh://host:99999", "invalid port"),
        ("local", "ssh://host", "not 'local'"),
        ("../etc", "ssh://host", "host name"),
    ],
)
def test_bad_host_entries_are_refused(config_dir: Path, name: str, url: str, match: str) -> None:
    with pytest.raises(HostConfigError, match=match):
        HostConfig(name, url)


def test_client_id_is_stable_per_config_dir(config_dir: Path, tmp_path: Path) -> None:
    first = client_id()
    assert first == client_id() and len(first) == 16
    assert paths.config_dir() == config_dir and (config_dir / "client-id").read_text().strip() == first
    (tmp_path / "other").mkdir()
    assert client_id(tmp_path / "other") != first


def test_secrets_live_in_the_keyring_under_our_service(memory_keyring, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    set_secret("gpu1", "passphrase", "s3cret")
    assert memory_keyring.items == {("pipeline-designer", "gpu1:passphrase"): "s3cret"}
    assert get_secret("gpu1", "passphrase") == "s3cret"
    assert get_secret("gpu1", "password") is None
    assert delete_secret("gpu1", "passphrase") and not delete_secret("gpu1", "passphrase")
    with pytest.raises(ValueError, match="secret kind"):
        set_secret("gpu1", "token", "x")
    assert all("s3cret" not in p.read_text() for p in config_dir.rglob("*") if p.is_file())


def _keygen(path: Path) -> paramiko.PKey:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return paramiko.Ed25519Key.from_private_key_file(str(path))


def test_fingerprint_matches_openssh(tmp_path: Path) -> None:
    key = _keygen(tmp_path / "k")
    shown = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(tmp_path / "k.pub")], capture_output=True, text=True
    ).stdout.split()[1]
    assert fingerprint(key) == shown and shown.startswith("SHA256:")


def test_known_hosts_unknown_trusted_and_changed(config_dir: Path, tmp_path: Path) -> None:
    key, other = _keygen(tmp_path / "a"), _keygen(tmp_path / "b")
    known = KnownHosts()
    hid = host_id("127.0.0.1", 2222)
    assert hid == "[127.0.0.1]:2222" and host_id("h", 22) == "h"
    with pytest.raises(UnknownHostKeyError) as unknown:
        known.check(hid, key)
    assert unknown.value.fingerprint == fingerprint(key) and fingerprint(key) in str(unknown.value)
    known.trust("127.0.0.1", 2222, key)
    known.check(hid, key)
    with pytest.raises(HostKeyChangedError, match="HOST KEY CHANGED") as changed:
        known.check(hid, other)
    assert changed.value.offered == fingerprint(other) and fingerprint(key) in changed.value.expected
    with pytest.raises(HostKeyChangedError):  # trust never silently replaces a key
        known.trust("127.0.0.1", 2222, other)
    known.trust("127.0.0.1", 2222, other, replace=True)
    known.check(hid, other)
    with pytest.raises(HostKeyChangedError):
        known.check(hid, key)
    assert (config_dir / "known_hosts").stat().st_mode & 0o077 == 0


def test_device_requests_for_the_given_gpus() -> None:
    assert device_requests([]) == []
    (req,) = device_requests(["0", "2"])
    assert isinstance(req, DeviceRequest)
    assert req == {"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0", "2"], "Capabilities": [["gpu"]],
                   "Options": {}}  # fmt: skip


def test_remote_container_gets_labels_and_device_requests(tmp_path: Path) -> None:
    backend = RemoteBackend(HostConfig("gpu1", "ssh://h"), None, tmp_path, None, "cid")  # type: ignore[arg-type]
    spec = ExecutionSpec("r", "train", "e", "s", "img", [], "", {}, {}, {}, tmp_path, "h")
    assert backend._create_args(spec) == {"labels": {CLIENT_LABEL: "cid", HOST_LABEL: "gpu1"}}
    spec.gpu_ids = ("1", "3")
    assert backend._create_args(spec)["device_requests"][0]["DeviceIDs"] == ["1", "3"]
    env_host = RemoteBackend(HostConfig("gpu2", "ssh://h", gpu_access="env"), None, tmp_path, None, "cid")  # type: ignore[arg-type]
    args = env_host._create_args(spec)
    assert args["environment"] == {"NVIDIA_VISIBLE_DEVICES": "1,3"} and "device_requests" not in args


class _FakeImages:
    def __init__(self) -> None:
        self.present: set[str] = set()

    def get(self, image: str) -> object:
        import docker.errors

        if image not in self.present:
            raise docker.errors.ImageNotFound(image)
        return object()


class _FakeApi:
    def __init__(self, images: _FakeImages) -> None:
        self.images = images
        self.pulled: list[tuple[str, str]] = []

    def pull(self, repo: str, tag: str, stream: bool, decode: bool) -> object:
        self.pulled.append((repo, tag))
        for current in (0, 20 << 20, 40 << 20):
            time.sleep(0.6)
            yield {
                "status": "Downloading",
                "id": "l1",
                "progressDetail": {"current": current, "total": 40 << 20},
            }
        self.images.present.add(f"{repo}:{tag}")


class _FakeClient:
    def __init__(self) -> None:
        self.images = _FakeImages()
        self.api = _FakeApi(self.images)


def test_missing_image_is_pulled_on_the_host_with_progress(tmp_path: Path) -> None:
    from runner.execution.docker_backend import ImageMissingError

    client = _FakeClient()
    backend = RemoteBackend(HostConfig("gpu1", "ssh://h"), client, tmp_path, None, "cid")  # type: ignore[arg-type]
    lines: list[tuple[str, str]] = []
    backend.report = lambda node, text: lines.append((node, text))
    backend._tls.node = "train"
    backend._ensure_image("myhost:5000/team/img:2")
    assert client.api.pulled == [("myhost:5000/team/img", "2")]
    assert lines and all(n == "train" and "pulling myhost:5000/team/img:2 on gpu1" in t for n, t in lines)
    assert lines[-1][1].split(": ")[1].startswith("40.0/40.0 MB")
    backend._ensure_image("myhost:5000/team/img:2")  # present now: no second pull
    assert len(client.api.pulled) == 1
    backend.pull = "never"
    with pytest.raises(ImageMissingError, match="not on host 'gpu1' and pulling is off"):
        backend._ensure_image("other")
