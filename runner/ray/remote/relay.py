"""The driver's front door on the head: every run of a user shares one long-lived driver.

``python driver.zip --address ADDR`` (what the runner starts over SSH for each run) is this
relay. It joins its stdin/stdout to the head's driver for this driver version, cluster address
and Python (a unix socket in a folder only this user may enter), starting that driver first
when none runs (``daemon.py``). Connecting to Ray and starting the workers' processes takes
seconds; a driver that stays connected pays that once, not for every run. The relay imports
no Ray and only moves bytes: the session on the driver's side ends when the relay's stdin ends
(the run is over, or its SSH connection dropped), and the relay ends when the session does.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from typing import Optional

START_S = 110.0  # the runner waits 120 s for "ready"
CHUNK = 1 << 16


class Fatal(Exception):
    pass


def socket_path(address: str, script: str) -> str:
    """The driver's socket for this driver version (``script``: the zip, named by its hash),
    cluster address and Python."""
    key = "\0".join((os.path.basename(script), address, sys.executable))
    folder = os.path.join(tempfile.gettempdir(), "pipeline-designer-ray-{}".format(os.getuid()))
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise Fatal("{} is not a private folder of this user: remove it and retry".format(folder))
    return os.path.join(folder, "driver-{}.sock".format(hashlib.sha256(key.encode()).hexdigest()[:16]))


def _dial(path: str) -> Optional[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    return sock


def connect(address: str, script: str) -> socket.socket:
    """A session with the driver, started first when none answers (one start at a time)."""
    path = socket_path(address, script)
    sock = _dial(path)
    if sock is not None:
        return sock
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sock = _dial(path)
        if sock is not None:
            return sock
        with contextlib.suppress(FileNotFoundError):  # a driver that is gone left it
            os.unlink(path)
        log_path = path[: -len(".sock")] + ".log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, script, "--serve", path, "--address", address],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives this relay and its SSH session
                close_fds=True,
            )
        deadline = time.monotonic() + START_S
        while True:
            sock = _dial(path)
            if sock is not None:
                return sock
            if proc.poll() is not None:
                raise Fatal(_why(log_path))
            if time.monotonic() > deadline:
                text = "the driver did not connect to Ray within {:g} s{}"
                raise Fatal(text.format(START_S, _tail(log_path)))
            time.sleep(0.05)


def _why(log_path: str) -> str:
    """The driver's own fatal message from its log, else the log's end."""
    text = _read(log_path)
    for line in reversed(text.splitlines()):
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if isinstance(message, dict) and message.get("ev") == "fatal":
                return str(message.get("error"))
    return "the driver ended at start{}".format(_tail(log_path))


def _read(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read()[-4000:].decode("utf-8", "replace")
    except OSError:
        return ""


def _tail(log_path: str) -> str:
    lines = [x for x in _read(log_path).splitlines() if x.strip()]
    return (": " + " | ".join(lines[-3:])[-600:]) if lines else ""


def relay(sock: socket.socket) -> None:
    """stdin to the driver, the driver to stdout, until the driver ends the session."""

    def inward() -> None:
        with contextlib.suppress(OSError):
            while True:
                data = os.read(0, CHUNK)
                if not data:
                    break
                sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)  # the session ends: its tasks are cancelled

    threading.Thread(target=inward, daemon=True).start()
    with contextlib.suppress(OSError):
        while True:
            data = sock.recv(CHUNK)
            if not data:
                break
            view = memoryview(data)
            while view:
                view = view[os.write(1, view) :]


def main(address: str, script: str) -> int:
    try:
        sock = connect(address, script)
    except (Fatal, OSError) as exc:
        sys.stdout.write(json.dumps({"ev": "fatal", "error": str(exc)}) + "\n")
        sys.stdout.flush()
        return 3
    relay(sock)
    return 0
