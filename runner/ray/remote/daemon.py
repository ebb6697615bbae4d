"""The long-lived driver process: connected to Ray once, serving runs on a unix socket.

Started by a run's relay (relay.py) as ``python driver.zip --serve SOCKET --address ADDR``,
its output going to a log file beside the socket. It connects to the cluster as one Ray job,
then listens (the socket appears only once Ray answered, so a relay that can connect has a
working driver). Each connection is one run's session (driver.Session). With no session for
``IDLE_S`` it leaves the cluster and ends; a newer driver version has a socket of its own, so
an old one simply idles out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import signal
import socket
import sys
import threading
import time
from typing import Any, Dict

from . import protocol

IDLE_S = 300.0
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


def _fatal(error: str) -> int:
    sys.stdout.write(protocol.encode({"ev": "fatal", "error": error}).decode("utf-8"))
    sys.stdout.flush()
    return 3


def serve(path: str, address: str) -> int:
    if sys.version_info < (3, 9):
        return _fatal("the cluster's Python is {}; 3.9 or later is needed".format(sys.version))
    if address.startswith(_LOOPBACK):
        # A head on the loopback: Ray would swap 127.0.0.1 for the machine's outward address.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError as exc:
        return _fatal("Ray is not installed for {} ({})".format(sys.executable, exc))
    try:
        ray.init(address=address, namespace="pipeline-designer", logging_level=logging.WARNING,
                 log_to_driver=False)  # fmt: skip
    except Exception as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        return _fatal("cannot connect to the Ray cluster at {}: {}".format(address, text))
    from .driver import Driver

    # Ended by a signal (the machine shutting down): leave the cluster and free the socket's name.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ray.cloudpickle.register_pickle_by_value(sys.modules[__package__])  # workers have none of our code
    driver = Driver()
    hello: Dict[str, Any] = {"version": protocol.VERSION, "ray": ray.__version__,
                             "python": platform.python_version()}  # fmt: skip
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fresh = path + ".new"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(fresh)
    listener.bind(fresh)
    os.chmod(fresh, 0o600)
    listener.listen(16)
    os.replace(fresh, path)  # appears only now, listening
    mine = os.stat(path).st_ino
    listener.settimeout(1.0)
    last = time.monotonic()
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                if not driver.idle():
                    last = time.monotonic()
                elif time.monotonic() - last > IDLE_S and mine:
                    _release(path, mine)  # new runs start a new driver from now on
                    mine = 0
                    listener.settimeout(0.2)  # one that connected just before is still served
                elif not mine:
                    break
                continue
            conn.settimeout(None)
            last = time.monotonic()
            threading.Thread(target=_session, args=(driver, conn, hello), daemon=True).start()
    finally:
        _release(path, mine)
        driver.close()
        ray.shutdown()
    return 0


def _release(path: str, inode: int) -> None:
    """Remove the socket's name if it is still ours (a newer driver may have taken it)."""
    with contextlib.suppress(OSError):
        if inode and os.stat(path).st_ino == inode:
            os.unlink(path)


def _session(driver: Any, conn: socket.socket, hello: Dict[str, Any]) -> None:
    from .driver import Output

    out = Output(conn.sendall)
    session = driver.open(out)
    try:
        out.send({"ev": "ready", **hello, "workdir": session.workdir, "nodes": driver.listing})
        with conn.makefile("rb") as lines:
            session.serve(lines)
    except OSError:  # the relay went away: the session ends as if it said exit
        pass
    finally:
        driver.end(session)
        with contextlib.suppress(OSError):
            conn.close()
