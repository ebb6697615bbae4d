"""A local port forwarded to a port on a remote host's loopback, over an SSH connection to it
(``ssh -L 127.0.0.1:LOCAL:127.0.0.1:REMOTE``): how a debugger reaches a remote node."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Any


class Forward:
    """Listens on 127.0.0.1:``port``; each connection becomes a ``direct-tcpip`` channel."""

    def __init__(self, transport: Any, remote_port: int, remote_host: str = "127.0.0.1") -> None:
        self._transport = transport
        self._remote = (remote_host, remote_port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._closed = threading.Event()
        self._conns: list[tuple[socket.socket, Any]] = []
        threading.Thread(target=self._accept, name=f"forward-{self.port}", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, peer = self._server.accept()
            except OSError:
                return
            try:
                channel = self._transport.open_channel("direct-tcpip", self._remote, peer, timeout=10)
            except Exception:
                conn.close()
                continue
            self._conns.append((conn, channel))
            threading.Thread(target=self._pump, args=(conn, channel), daemon=True).start()

    def _pump(self, conn: socket.socket, channel: Any) -> None:
        try:
            while not self._closed.is_set():
                ready, _, _ = select.select([conn, channel], [], [], 0.5)
                for source, sink in ((conn, channel), (channel, conn)):
                    if source in ready:
                        data = source.recv(65536)
                        if not data:
                            return
                        sink.sendall(data)
        except OSError:
            return
        finally:
            with contextlib.suppress(Exception):
                channel.close()
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.close()
        for conn, channel in self._conns:
            with contextlib.suppress(Exception):
                channel.close()
            with contextlib.suppress(OSError):
                conn.close()
