"""The host registry: ``hosts.json`` in the config dir, non-secret fields only."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from runner.hosts.paths import config_dir

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
RESERVED = ("local",)
# How a container gets its GPUs: a device request (`docker run --gpus`), or the variable
# NVIDIA_VISIBLE_DEVICES read by an engine whose default runtime is nvidia.
GPU_ACCESS = ("device-request", "env")
FILE_NAME = "hosts.json"
RAY_SCHEME = "ray+ssh"


class HostConfigError(ValueError):
    """A host entry or the registry file is invalid; the message says which and why."""


@dataclass(frozen=True)
class HostConfig:
    name: str
    url: str  # ssh://user@host[:port]
    identity: str | None = None  # private key file; its passphrase lives in the keyring
    gpus: int = 0
    max_parallel: int = 4
    environments: tuple[str, ...] = ()  # valohai environment names this host serves
    gpu_access: str = "device-request"  # see GPU_ACCESS
    # A Ray cluster (url ray+ssh://): its address as the head sees it, and the head's Python.
    ray_address: str | None = None  # None: "auto", the cluster started on the head
    ray_python: str | None = None  # None: the interpreter of the head's `ray` command

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or self.name in RESERVED:
            raise HostConfigError(
                f"host name {self.name!r}: use letters, digits, '_', '.', '-' (and not 'local')"
            )
        parse_url(self.url)
        if self.gpus < 0:
            raise HostConfigError(f"host {self.name!r}: --gpus must be 0 or more")
        if self.max_parallel < 1:
            raise HostConfigError(f"host {self.name!r}: --max-parallel must be at least 1")
        if self.gpu_access not in GPU_ACCESS:
            raise HostConfigError(f"host {self.name!r}: --gpu-access is one of {', '.join(GPU_ACCESS)}")

    @property
    def kind(self) -> str:
        """ "ray" for a Ray cluster reached through its head (ray+ssh://), else "ssh"."""
        return "ray" if self.url.startswith(RAY_SCHEME + "://") else "ssh"

    @property
    def hostname(self) -> str:
        return parse_url(self.url)[1]

    @property
    def port(self) -> int:
        return parse_url(self.url)[2]

    @property
    def user(self) -> str | None:
        return parse_url(self.url)[0]

    @property
    def gpu_ids(self) -> tuple[str, ...]:
        return tuple(str(i) for i in range(self.gpus))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["environments"] = list(self.environments)
        for key in ("ray_address", "ray_python"):
            if data[key] is None:
                del data[key]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HostConfig:
        known = {"name", "url", "identity", "gpus", "max_parallel", "environments", "gpu_access"}
        known |= {"ray_address", "ray_python"}
        if not isinstance(data, dict) or not {"name", "url"} <= data.keys():
            raise HostConfigError(f"host entry {data!r} needs at least name and url")
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["environments"] = tuple(kwargs.get("environments") or ())
        return cls(**kwargs)


def parse_url(url: str) -> tuple[str | None, str, int]:
    """``ssh://user@host:port`` (or ``ray+ssh://``, a Ray cluster's head) -> (user, host, port);
    refuses anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("ssh", RAY_SCHEME) or not parts.hostname:
        raise HostConfigError(
            f"host URL {url!r} is not ssh://[user@]host[:port] (or ray+ssh://... for a Ray cluster's head)"
        )
    if parts.password is not None:
        raise HostConfigError("host URL must not contain a password: it goes in the keyring")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise HostConfigError(f"host URL {url!r} has a path or query; expected ssh://[user@]host[:port]")
    try:
        port = parts.port or 22
    except ValueError:
        raise HostConfigError(f"host URL {url!r} has an invalid port") from None
    return parts.username, parts.hostname, port


@dataclass
class HostRegistry:
    path: Path = field(default_factory=lambda: config_dir() / FILE_NAME)

    def load(self) -> dict[str, HostConfig]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            raise HostConfigError(f"{self.path}: unreadable host registry: {exc}") from None
        hosts = [HostConfig.from_json(h) for h in data.get("hosts", [])]
        return {h.name: h for h in hosts}

    def get(self, name: str) -> HostConfig:
        hosts = self.load()
        if name not in hosts:
            known = ", ".join(sorted(hosts)) or "none registered"
            raise HostConfigError(f"unknown host {name!r} (hosts: {known}; add one with `hosts add`)")
        return hosts[name]

    def add(self, host: HostConfig, replace: bool = False) -> None:
        hosts = self.load()
        if host.name in hosts and not replace:
            raise HostConfigError(f"host {host.name!r} already exists (remove it first)")
        hosts[host.name] = host
        self._save(hosts)

    def remove(self, name: str) -> HostConfig:
        hosts = self.load()
        if name not in hosts:
            raise HostConfigError(f"unknown host {name!r}")
        gone = hosts.pop(name)
        self._save(hosts)
        return gone

    def _save(self, hosts: dict[str, HostConfig]) -> None:
        text = json.dumps({"version": 1, "hosts": [h.to_json() for h in hosts.values()]}, indent=2)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".hosts-")
        with os.fdopen(fd, "w") as fh:  # atomic: a crash never leaves half a registry
            fh.write(text + "\n")
        os.replace(tmp, self.path)
