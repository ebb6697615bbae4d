"""GPU leases kept on the host itself, so two runs (two windows, a designer and a ``watch``, two
people) never get the same GPU of a host at once.

Each GPU has a lock file ``~/.pipeline-designer/gpus/<index>.lock`` on the host. A lease is one
shell on the host, over the host's SSH connection, that holds ``flock`` on each leased GPU's file
(taken all at once, or not at all) and writes who holds it to ``<index>.holder``. It lives while
we send it a heartbeat:

- released on exit: ``release`` tells it so; if our process dies, its SSH session ends and so does
  the shell; the kernel drops the flock with the process, so a lock is never left behind by a
  holder that is gone (a reboot, a killed sshd, a crashed client);
- a holder that stops hearing from us for ``TTL`` s (network gone) removes the node's container
  (which would otherwise go on using the GPU unseen) and lets go.

``GpuLeases`` is the Placer's hook (runner.execution.placement): ``take`` asks the host for free
GPUs among those our own bookkeeping offers, ``give_back`` releases them.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from runner.execution.placement import NoHostError
from runner.hosts.channels import RemoteProcess
from runner.hosts.connection import HostLink
from runner.hosts.errors import HostError

LEASE_DIR = ".pipeline-designer/gpus"  # under the remote user's home: the host's runner folder
HEARTBEAT = 5.0  # seconds between our "still here" bytes
TTL = 30  # seconds a holder waits for one before it gives the GPUs up
RETRY = 2.0  # a host that refused is asked again after this long (the loop asks ~10 times a second)
BUSY_EXIT = 75

# $1 count wanted, $2 holder text, $3 container to remove if we vanish, $4 TTL, then candidates.
# Probe which lock files are free, pick the first $1, then take them all in one chain of `flock -n`
# (all or nothing: a race lost there exits without OK); the innermost shell is the holder.
_TAKE = r"""
d="$HOME/LEASE_DIR"
for tool in flock timeout; do
  command -v $tool >/dev/null 2>&1 || { echo "MISSING $tool (util-linux, coreutils)"; exit 69; }
done
mkdir -p "$d" || { echo "MISSING cannot create $d"; exit 69; }
want=$1; holder=$2; box=$3; ttl=$4; shift 4
chosen=""; n=0
for g in "$@"; do
  if [ "$n" -lt "$want" ] && flock -n "$d/$g.lock" true; then chosen="$chosen $g"; n=$((n+1))
  elif [ "$n" -lt "$want" ]; then printf 'BUSY %s %s\n' "$g" "$(head -n 1 "$d/$g.holder" 2>/dev/null)"; fi
done
[ "$n" -ge "$want" ] || exit BUSY_EXIT
hold='d=$1; holder=$2; box=$3; ttl=$4; shift 4
for g in "$@"; do printf "%s\n" "$holder" > "$d/$g.holder"; done
echo "OK $*"
while :; do c=$(timeout "$ttl" head -c 1); [ "$c" = . ] || break; done
[ "$c" = R ] || [ -z "$box" ] || docker rm -f "$box" >/dev/null 2>&1
for g in "$@"; do : > "$d/$g.holder"; done'
set -- sh -c "$hold" hold "$d" "$holder" "$box" "$ttl" $chosen
for g in $chosen; do set -- flock -n "$d/$g.lock" "$@"; done
exec "$@"
""".replace("LEASE_DIR", LEASE_DIR).replace("BUSY_EXIT", str(BUSY_EXIT))

# Every GPU's state: "<index> free" or "<index> held <holder text>".
_SHOW = r"""
d="$HOME/LEASE_DIR"
for g in "$@"; do
  if [ ! -e "$d/$g.lock" ] || flock -n "$d/$g.lock" true 2>/dev/null; then echo "$g free"
  else printf '%s held %s\n' "$g" "$(head -n 1 "$d/$g.holder" 2>/dev/null)"; fi
done
""".replace("LEASE_DIR", LEASE_DIR)


def holder_text(run_id: str, unit: str) -> str:
    """Who holds a lease, as other users see it: run, node, user@machine, process, since when."""
    since = time.strftime("%Y-%m-%dT%H:%M:%S")
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    return f"run {run_id} node {unit} by {who} pid {os.getpid()} since {since}"


@dataclass(frozen=True)
class Busy:
    """A host that refused: ``held`` maps each wanted GPU held elsewhere to its holder's text."""

    held: dict[str, str]

    def describe(self, host: str, total: int, ours: int) -> str:
        """``waiting for a GPU on gpubox: 2 of 2 in use by run X``."""
        runs = sorted({_run_of(text) for text in self.held.values() if text})
        who = [f"run {r}" for r in runs] + (["this run"] if ours else [])
        by = f" by {', '.join(who)}" if who else ""
        return f"waiting for a GPU on {host}: {len(self.held) + ours} of {total} in use{by}"


def _run_of(text: str) -> str:
    words = text.split()
    return words[1] if len(words) > 1 and words[0] == "run" else text[:60]


class Lease:
    """GPUs held on one host; ``release`` lets them go (``heartbeat`` keeps them meanwhile)."""

    def __init__(self, proc: RemoteProcess, gpu_ids: tuple[str, ...]) -> None:
        self.proc = proc
        self.gpu_ids = gpu_ids

    @property
    def held(self) -> bool:
        return not self.proc.finished

    def heartbeat(self) -> None:
        with contextlib.suppress(Exception):  # a dead link: the holder times out by itself
            self.proc.write(b".")

    def release(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.write(b"R")
            self.proc.close_stdin()
            self.proc.wait(2)  # the holder exits at once; a frozen host is not waited for long
        self.proc.close()


def take(
    link: HostLink, candidates: Sequence[str], count: int, holder: str, container: str = ""
) -> Lease | Busy:
    """Lease ``count`` of ``candidates`` (in that order of preference) on the link's host."""
    argv = ["sh", "-c", _TAKE, "take", str(count), holder, container, str(TTL), *candidates]
    proc = link.get().start(argv)
    held: dict[str, str] = {}
    pending = b""
    try:
        while True:
            if b"\n" not in pending:
                chunk = proc.read(timeout=30)
                if not chunk:
                    break
                pending += chunk
                continue
            raw, pending = pending.split(b"\n", 1)
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("OK"):
                return Lease(proc, tuple(line.split()[1:]))
            if line.startswith("BUSY "):
                _, gpu, *text = line.split(" ", 2)
                held[gpu] = text[0] if text else ""
            elif line.startswith("MISSING"):
                raise HostError(f"host {link.host.name!r} cannot keep GPU leases: {line[8:]}")
    except TimeoutError:
        pass
    proc.close()
    return Busy(held)


def show(link: HostLink, gpu_ids: Sequence[str]) -> dict[str, str]:
    """Each GPU's lease holder on the host ("" when free)."""
    if not gpu_ids:
        return {}
    out = link.get().run(["sh", "-c", _SHOW, "show", *gpu_ids], timeout=30).check(link.host.name).text
    state = {}
    for line in out.splitlines():
        gpu, _, rest = line.partition(" ")
        kind, _, text = rest.partition(" ")
        state[gpu] = text.strip() if kind == "held" else ""
    return state


class GpuLeases:
    """The run's leases on its hosts: the Placer's hook (``take`` / ``give_back``).

    ``report(unit, text)`` tells a waiting node why it waits (once per change); a refused host is
    asked again after ``RETRY`` s. One heartbeat thread keeps every lease of the run alive.
    """

    def __init__(
        self,
        links: Mapping[str, HostLink],
        gpus: Mapping[str, Sequence[str]],
        run_id: str,
        container_of: Callable[[str], str] = lambda unit: "",
    ) -> None:
        self.links = dict(links)
        self.gpus = {host: tuple(ids) for host, ids in gpus.items()}
        self.run_id = run_id
        self.container_of = container_of
        self.report: Callable[[str, str], None] | None = None
        self._leases: dict[str, tuple[str, Lease]] = {}  # unit -> (host, lease)
        self._refused: dict[tuple[str, int], tuple[float, Busy]] = {}
        self._said: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        if self.links:
            threading.Thread(target=self._beat, name="gpu-lease-heartbeat", daemon=True).start()

    def take(self, host: str, unit: str, free: Sequence[str], count: int) -> tuple[str, ...] | None:
        """GPU ids of ``host`` leased to ``unit`` (from ``free``), or None: wait (it was said why)."""
        link = self.links.get(host)
        if link is None:  # a host without leases (the local engine): our bookkeeping decides
            return tuple(free[:count])
        total = len(self.gpus.get(host, free))
        ours = total - len(free)
        refused = self._refused.get((host, count))
        if refused is not None and time.monotonic() < refused[0]:
            self._say(unit, refused[1].describe(host, total, ours))
            return None
        try:
            got = take(link, free, count, holder_text(self.run_id, unit), self.container_of(unit))
        except HostError as exc:
            raise NoHostError(f"cannot lease a GPU on {host}: {exc}") from None
        if isinstance(got, Busy):
            self._refused[(host, count)] = (time.monotonic() + RETRY, got)
            self._say(unit, got.describe(host, total, ours))
            return None
        self._refused.pop((host, count), None)
        with self._lock:
            self._leases[unit] = (host, got)
        if self._said.pop(unit, None):
            self._note(unit, f"got GPU {', '.join(got.gpu_ids)} on {host}")
        return got.gpu_ids

    def give_back(self, host: str, unit: str) -> None:
        with self._lock:
            entry = self._leases.pop(unit, None)
        if entry is not None:
            entry[1].release()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            leases, self._leases = list(self._leases.values()), {}
        for _host, lease in leases:
            lease.release()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            with self._lock:
                leases = [lease for _host, lease in self._leases.values()]
            for lease in leases:
                lease.heartbeat()

    def _say(self, unit: str, text: str) -> None:
        if self._said.get(unit) != text:
            self._said[unit] = text
            self._note(unit, text)

    def _note(self, unit: str, text: str) -> None:
        if self.report is not None:
            self.report(unit, text)
