"""Carries a node's pydevd connection to PyCharm's debug server.

The node's injected hook (runner/execution/inject/site/_pd_pydevd.py) listens on a container
port that this machine reaches (published on 127.0.0.1, or forwarded over the host's SSH
connection). The relay connects to it, then knocks on the debug server until the user starts it
in PyCharm (a refused connection is all PyCharm sees of a knock), and joins the two: to PyCharm
the node has connected to it, as with ``pydevd_pycharm.settrace(host, port)``. It ends when
either side closes, or with ``close()`` (the node ended or was cancelled).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable

KNOCK_EVERY = 0.5  # seconds between tries of the debug server while the user starts it
NODE_TIMEOUT = 30.0  # the hook listens before it says so: its port answers at once
CHUNK = 1 << 16


class IdeRelay:
    def __init__(
        self,
        node_port: int,
        ide: tuple[str, int],
        say: Callable[[str], None],
        node_host: str = "127.0.0.1",
    ) -> None:
        self.node = (node_host, node_port)
        self.ide = ide
        self._say = say  # a runner line for the node
        self._closed = threading.Event()
        self._socks: list[socket.socket] = []
        self.joined = threading.Event()  # PyCharm and the node are talking
        self._thread = threading.Thread(target=self._run, name=f"ide-relay-{node_port}", daemon=True)

    def start(self) -> IdeRelay:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            node = self._connect(self.node, NODE_TIMEOUT)
        except OSError as exc:
            self._say(f"error: the node's debugger port cannot be reached: {exc}")
            return
        ide = self._knock()
        if ide is None:
            return
        self.joined.set()
        self._say(f"PyCharm's debugger connected ({self.ide[0]}:{self.ide[1]})")
        self._pump(node, ide)
        if not self._closed.is_set():
            self._say("PyCharm's debugger disconnected; the node goes on without it")
        self.close()

    def _connect(self, address: tuple[str, int], timeout: float) -> socket.socket:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._keep(socket.create_connection(address, timeout=5))
            except OSError:
                if self._closed.is_set() or time.monotonic() > deadline:
                    raise
                self._closed.wait(0.1)

    def _knock(self) -> socket.socket | None:
        """The debug server's connection, once it listens; None if closed first."""
        while not self._closed.is_set():
            try:
                return self._keep(socket.create_connection(self.ide, timeout=5))
            except OSError:
                self._closed.wait(KNOCK_EVERY)
        return None

    def _keep(self, sock: socket.socket) -> socket.socket:
        sock.settimeout(None)
        self._socks.append(sock)
        if self._closed.is_set():  # closed while connecting
            self.close()
        return sock

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peer = {a: b, b: a}
        try:
            while not self._closed.is_set():
                ready, _, _ = select.select([a, b], [], [], 0.5)
                for sock in ready:
                    data = sock.recv(CHUNK)
                    if not data:
                        return
                    peer[sock].sendall(data)
        except OSError:
            return

    def close(self) -> None:
        self._closed.set()
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
