"""Where a host really is: its route through ``~/.ssh/config`` and ``/etc/ssh/ssh_config``.

``resolve("ssh://gpubox")`` reads both files with paramiko's ``SSHConfig`` (the user's file
first: the first value obtained wins, as in OpenSSH) and returns a ``Route``: the ProxyJump
hops in order, then the target. Each hop carries HostName, User, Port, IdentityFile,
IdentitiesOnly, ConnectTimeout and ServerAliveInterval/CountMax. A user and port written in the
URL win over the config, as ``ssh -p`` does. ``Include`` lines are expanded here because
paramiko does not read them.

Jump hosts follow ``ssh -J a,b``: ``a`` is looked up with its own ProxyJump (so a bastion
behind a bastion works), the later jumps and the target use the chain built so far.
"""

from __future__ import annotations

import getpass
import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import paramiko

from runner.hosts.known_hosts import host_id
from runner.hosts.registry import HostConfigError, parse_url

MAX_JUMPS = 8
SYSTEM_CONFIG = Path("/etc/ssh/ssh_config")
_INCLUDE = re.compile(r"^\s*include\s*(?:=\s*|\s)(.+)$", re.IGNORECASE)
_BLOCK = re.compile(r"^\s*(host|match)(?:\s*=\s*|\s+)(.+)$", re.IGNORECASE)


class SshConfigError(HostConfigError):
    """The ssh config cannot be read, or names a route we cannot follow; says which and why."""


@dataclass(frozen=True)
class Hop:
    """One SSH server on the way (a jump host or the target), as the ssh config describes it."""

    alias: str  # what was looked up: the URL's host or a ProxyJump entry
    hostname: str
    port: int = 22
    user: str = ""
    identity_files: tuple[str, ...] = ()  # expanded paths, tried in this order
    identities_only: bool = False
    connect_timeout: float | None = None
    alive_interval: float | None = None  # ServerAliveInterval
    alive_count_max: int | None = None  # ServerAliveCountMax

    @property
    def host_id(self) -> str:
        """The name of its key in our known_hosts (``[host]:port`` unless on port 22)."""
        return host_id(self.hostname, self.port)

    @property
    def label(self) -> str:
        where = f"{self.hostname}:{self.port}"
        return where if self.alias in (self.hostname, where) else f"{self.alias} ({where})"


@dataclass(frozen=True)
class Route:
    hops: tuple[Hop, ...]  # jump hosts in order, then the target

    @property
    def target(self) -> Hop:
        return self.hops[-1]

    @property
    def jumps(self) -> tuple[Hop, ...]:
        return self.hops[:-1]

    def describe(self) -> str:
        """``user@host:port via bastion (10.0.0.1:22)``: what a user checks the route against."""
        t = self.target
        text = f"{t.user}@{t.hostname}:{t.port}"
        return text + (" via " + " → ".join(h.label for h in self.jumps) if self.jumps else "")


def config_paths() -> list[Path]:
    """The files OpenSSH reads, in its order: the user's, then the system's."""
    return [Path(os.path.expanduser("~")) / ".ssh" / "config", SYSTEM_CONFIG]


def _expanded(path: Path, base: Path, depth: int = 0) -> str:
    """The file's text with ``Include`` lines replaced by the files they name.

    After an included file the enclosing ``Host``/``Match`` line is repeated, so the lines
    that follow the Include stay in the block they were written in.
    """
    if depth > 16:
        raise SshConfigError(f"{path}: Include nested more than 16 deep")
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise SshConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    block = "Host *"
    out: list[str] = []
    for line in text.splitlines():
        if _BLOCK.match(line):
            block = line.strip()
        include = _INCLUDE.match(line)
        if not include:
            out.append(line)
            continue
        for pattern in include.group(1).split():
            pattern = os.path.expanduser(pattern.strip('"'))
            full = pattern if os.path.isabs(pattern) else str(base / pattern)
            for found in sorted(glob.glob(full)):
                out.append(_expanded(Path(found), base, depth + 1))
                out.append(block)
    return "\n".join(out)


def load_config(paths: Sequence[Path] | None = None) -> paramiko.SSHConfig:
    paths = config_paths() if paths is None else paths
    parts = [_expanded(p, p.parent) for p in paths]  # relative Includes: ~/.ssh or /etc/ssh
    try:
        return paramiko.SSHConfig.from_text("\n".join(parts))
    except paramiko.ssh_exception.ConfigParseError as exc:
        raise SshConfigError(f"ssh config ({', '.join(map(str, paths))}): {exc}") from None


def _lookup(config: paramiko.SSHConfig, alias: str) -> paramiko.SSHConfigDict:
    try:
        return config.lookup(alias)
    except Exception as exc:  # Match exec without invoke, a failed canonicalisation, ...
        raise SshConfigError(f"ssh config: looking up {alias!r} failed: {exc}") from None


def _number(options: paramiko.SSHConfigDict, key: str, alias: str) -> float | None:
    value = options.get(key)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise SshConfigError(f"ssh config: {key} of {alias!r} is {value!r}, not a number") from None


def _hop(config: paramiko.SSHConfig, alias: str, user: str | None, port: int | None) -> tuple[Hop, str]:
    """The hop for ``alias`` (``user``/``port`` given explicitly win) and its ProxyJump value."""
    options = _lookup(config, alias)
    if options.get("proxycommand"):
        raise SshConfigError(
            f"ssh config: {alias!r} uses ProxyCommand, which is not supported; use ProxyJump"
        )
    try:
        port = port or int(options.get("port", 22))
    except ValueError:
        raise SshConfigError(f"ssh config: Port of {alias!r} is {options.get('port')!r}") from None
    count = _number(options, "serveralivecountmax", alias)
    hop = Hop(
        alias=alias,
        hostname=options.get("hostname", alias),
        port=port,
        user=user or options.get("user") or getpass.getuser(),
        identity_files=tuple(os.path.expanduser(p) for p in options.get("identityfile", [])),
        identities_only=str(options.get("identitiesonly", "no")).lower() == "yes",
        connect_timeout=_number(options, "connecttimeout", alias),
        alive_interval=_number(options, "serveraliveinterval", alias),
        alive_count_max=int(count) if count is not None else None,
    )
    return hop, str(options.get("proxyjump") or "none")


def _jump_entries(value: str, alias: str) -> list[tuple[str, str | None, int | None]]:
    """``a,user@b:2222,ssh://c`` -> [(host, user, port), ...]; ``none`` -> []."""
    if value.strip().lower() == "none":
        return []
    entries = []
    for raw in value.split(","):
        raw = raw.strip()
        url = raw if raw.startswith("ssh://") else "ssh://" + raw
        try:
            user, host, _port = parse_url(url)
            port = urlsplit(url).port
        except (HostConfigError, ValueError):
            raise SshConfigError(f"ssh config: ProxyJump of {alias!r} has a bad entry {raw!r}") from None
        entries.append((host, user, port))
    return entries


def _chain(
    config: paramiko.SSHConfig, alias: str, user: str | None, port: int | None, seen: list[str]
) -> list[Hop]:
    if alias in seen or len(seen) >= MAX_JUMPS:
        loop = " → ".join([*seen, alias])
        raise SshConfigError(f"ssh config: ProxyJump goes round in a loop or too deep: {loop}")
    target, jump_value = _hop(config, alias, user, port)
    entries = _jump_entries(jump_value, alias)
    if not entries:
        return [target]
    first, *rest = entries
    hops = _chain(config, first[0], first[1], first[2], [*seen, alias])
    for host, jump_user, jump_port in rest:  # later jumps: no ProxyJump of their own (as ssh -J)
        hops.append(_hop(config, host, jump_user, jump_port)[0])
    if len(hops) > MAX_JUMPS:
        raise SshConfigError(f"ssh config: more than {MAX_JUMPS} jump hosts on the way to {alias!r}")
    return [*hops, target]


def resolve(url: str, identity: str | None = None, config: paramiko.SSHConfig | None = None) -> Route:
    """The route to ``ssh://[user@]alias[:port]``; ``identity`` (``ssh -i``) is tried first."""
    user, alias, _ = parse_url(url)
    port = urlsplit(url).port  # None: the config's Port (or 22)
    config = config or load_config()
    hops = _chain(config, alias, user, port, [])
    if identity:
        target = hops[-1]
        files = (os.path.expanduser(identity), *(f for f in target.identity_files if f != identity))
        hops[-1] = replace(target, identity_files=files)
    return Route(tuple(hops))
