"""The resident process: what a run imports, imported once; each command run in a forked child.

Started by the console script (client.start) as ``python -m runner.resident.server SOCKET KEY``,
its output going to a log file beside the socket. It holds the folder's lock for its whole life
(one per installation), imports what ``run`` and ``lint`` need, then listens; the socket appears
only then. One thread, one selector: the listener, each client's socket and each child's pidfd.
A child is forked per command (no threads to fork from), takes the client's descriptors as its
stdin/stdout/stderr, its folder, environment and umask, and runs the command exactly as the
console script would (runner.cli.main.run_headless, then exit_process). With no command for
``PIPELINE_DESIGNER_RESIDENT_IDLE`` seconds (default 15 minutes) it removes its socket and ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field

IDLE_ENV = "PIPELINE_DESIGNER_RESIDENT_IDLE"
IDLE_S = 900.0
# What a run and a lint import: paid here once, not by every command.
PRELOAD = (
    "runner.cli.main",
    "runner.cli.run_cmd",
    "runner.cli.lint_cmd",
    "runner.cli.signals",
    "runner.api",
    "runner.execution.executor",
    "runner.execution.docker_backend",
    "runner.config.official_lint",
    "runner.store.db",
    "valohai_yaml.objs",
    "docker",
)


_HELD: list[int] = []  # the lock's descriptor: a child closes its copy (the lock is the server's)


def log(text: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} resident {os.getpid()}: {text}", flush=True)


@dataclass
class Session:
    conn: socket.socket
    buffer: bytes = b""
    child: int = 0
    pidfd: int = -1
    argv: list[str] = field(default_factory=list)


def main(argv: list[str]) -> int:
    from runner.resident.client import Unsafe, folder

    path, key = argv
    try:
        if os.path.dirname(path) != folder():
            raise Unsafe(f"{path} is not in this user's resident folder")
    except (Unsafe, OSError) as exc:
        log(f"not started: {exc}")
        return 2
    base = path[: -len(".sock")]
    lock = open(base + ".lock", "a")  # noqa: SIM115 -- held (open) for this process's whole life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another one serves, or is starting
    _HELD.append(lock.fileno())
    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fresh = base + ".new"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(fresh)
    listener.bind(fresh)
    os.chmod(fresh, 0o600)
    listener.listen(16)
    os.replace(fresh, path)  # appears only now, listening; a stale one is replaced
    mine = os.stat(path).st_ino
    with open(base + ".pid", "w") as fh:
        fh.write(f"{os.getpid()}\n")
    log(f"serving {path} (key {key})")
    try:
        _serve(listener, key, path, mine, float(os.environ.get(IDLE_ENV) or IDLE_S))
    finally:
        _release(path, mine)
        log("ended")
    return 0


def _serve(listener: socket.socket, key: str, path: str, inode: int, idle_s: float) -> None:
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    sessions: dict[int, Session] = {}
    last = time.monotonic()
    while True:
        events = selector.select(timeout=1.0)
        if sessions:
            last = time.monotonic()
        elif time.monotonic() - last > idle_s:
            log(f"idle for {idle_s:g} s")
            return
        if not _still_ours(path, inode):
            log("the socket was replaced or removed")
            return
        for sel_key, _mask in events:
            if sel_key.data is None:
                _accept(listener, selector, sessions, key)
            else:
                kind, session = sel_key.data
                if kind == "conn":
                    _from_client(session, selector, sessions, listener)
                else:
                    _child_ended(session, selector, sessions)


def _accept(listener: socket.socket, selector: selectors.BaseSelector, sessions: dict[int, Session],
            key: str) -> None:  # fmt: skip
    conn, _ = listener.accept()
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    if uid != os.getuid():
        log(f"refused a client of uid {uid}")
        conn.close()
        return
    try:
        conn.sendall(json.dumps({"key": key, "pid": os.getpid()}).encode() + b"\n")
    except OSError:
        conn.close()
        return
    session = Session(conn)
    sessions[id(session)] = session
    selector.register(conn, selectors.EVENT_READ, ("conn", session))


def _from_client(session: Session, selector: selectors.BaseSelector, sessions: dict[int, Session],
                 listener: socket.socket) -> None:  # fmt: skip
    if not session.child:
        _start(session, selector, sessions, listener)
        return
    try:
        data = session.conn.recv(4096)
    except OSError:
        data = b""
    if not data:  # the client is gone (killed): cancel its run as Ctrl-C would
        _signal(session.child, signal.SIGTERM)
        selector.unregister(session.conn)  # the session ends when its child does
        return
    session.buffer += data
    *lines, session.buffer = session.buffer.split(b"\n")
    for line in lines:
        if line[:1] == b"S" and line[1:].isdigit() and int(line[1:]) in _FORWARDED:
            _signal(session.child, int(line[1:]))


_FORWARDED = {int(signal.SIGINT), int(signal.SIGTERM), int(signal.SIGHUP)}


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _drop(session: Session, selector: selectors.BaseSelector, sessions: dict[int, Session]) -> None:
    with contextlib.suppress(KeyError, ValueError):
        selector.unregister(session.conn)
    sessions.pop(id(session), None)
    session.conn.close()


def _start(session: Session, selector: selectors.BaseSelector, sessions: dict[int, Session],
           listener: socket.socket) -> None:  # fmt: skip
    """Read the request (its descriptors come with its first bytes) and fork its child."""
    conn = session.conn
    fds: list[int] = []
    try:
        conn.settimeout(5.0)
        head, fds, _flags, _addr = socket.recv_fds(conn, 8, 3)
        size = int.from_bytes(head, "big") if len(head) == 8 else -1
        payload = _exactly(conn, size) if 0 <= size < 1 << 24 else b""
        request = json.loads(payload)
        conn.settimeout(None)
        argv = [str(a) for a in request["argv"]]
    except (OSError, ValueError, KeyError, TypeError):
        for fd in fds:
            os.close(fd)
        _drop(session, selector, sessions)
        return
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        _drop(session, selector, sessions)
        return
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        from runner.resident.child import run_request

        listener.close()
        selector.close()
        for other in sessions.values():
            other.conn.close()
            if other.pidfd >= 0:
                os.close(other.pidfd)
        for fd in _HELD:
            os.close(fd)
        run_request(request, fds)
    for fd in fds:
        os.close(fd)
    session.child, session.argv = pid, argv
    session.pidfd = os.pidfd_open(pid)
    selector.register(session.pidfd, selectors.EVENT_READ, ("child", session))
    log(f"serving child {pid}: {' '.join(argv[:1])}")


def _exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise OSError("the request ended early")
        data += chunk
    return data


def _child_ended(session: Session, selector: selectors.BaseSelector, sessions: dict[int, Session]) -> None:
    selector.unregister(session.pidfd)
    os.close(session.pidfd)
    _pid, status = os.waitpid(session.child, 0)
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code  # ended by a signal: the shell's 128 + N
    log(f"child {session.child} exit {code}")
    with contextlib.suppress(OSError):
        session.conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
    _drop(session, selector, sessions)


def _still_ours(path: str, inode: int) -> bool:
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False


def _release(path: str, inode: int) -> None:
    """Remove the socket's name if it is still ours (a newer process may have taken it)."""
    with contextlib.suppress(OSError):
        if _still_ours(path, inode):
            os.unlink(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
