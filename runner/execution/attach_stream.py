"""A container's output as Docker's attach connection carries it, read as fast as it comes.

Without a TTY the engine multiplexes stdout and stderr on one connection: frames of an 8-byte
header (stream 1 or 2, three zero bytes, a big-endian length) and the payload. The SDK's reader
(``docker.utils.socket.frames_iter``) makes four system calls a frame (poll and read for the
header, again for the payload), and each one gives up the interpreter lock: while the run's
loop is busy storing what came before, every call waits for the lock again, the engine's
buffers fill and the step blocks on its own ``print``. So ``pump`` reads what is there, up to
1 MiB at a time in one blocking call, and splits the frames out of its buffer: one wait per
read of whatever has come, not four per frame. Consecutive frames of one stream are fed
together, in the order they came.

The same code reads the local engine's socket (a read-only ``SocketIO``) and a remote host's
connection (a paramiko channel over SSH, which has ``recv``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from runner.execution.backend import Handle

CHUNK = 1 << 20  # bytes asked of the connection per read
_HEADER = struct.Struct(">BxxxL")
_STREAMS = {1: "stdout", 2: "stderr"}  # 0 would be stdin, which is never echoed


class Demux:
    """Frames from byte chunks: ``feed(data)`` -> ``[(stream, payload), ...]`` in order, runs
    of one stream joined; a frame cut between chunks waits for the rest."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes | memoryview) -> list[tuple[str, bytes]]:
        buf = self._buf
        buf += data
        out: list[tuple[str, bytes]] = []
        pos, end = 0, len(buf)
        while end - pos >= 8:
            kind, size = _HEADER.unpack_from(buf, pos)
            if end - pos - 8 < size:
                break
            stream = _STREAMS.get(kind)
            if stream is not None and size:
                payload = bytes(buf[pos + 8 : pos + 8 + size])
                if out and out[-1][0] == stream:
                    out[-1] = (stream, out[-1][1] + payload)
                else:
                    out.append((stream, payload))
            pos += 8 + size
        del buf[:pos]
        return out

    @property
    def pending(self) -> int:
        """Bytes of a frame not complete yet."""
        return len(self._buf)


def reader(sock: Any) -> Callable[[], bytes | memoryview | None]:
    """``read()`` for the attach connection: blocks until bytes come (giving up the interpreter
    lock once), b"" at the end, None when nothing could be read this time (try again). The
    connection's own timeout (the client's 60 s) is lifted first, as the SDK does for its
    streams: a step may be quiet for longer than that."""
    for part in (sock, getattr(sock, "_sock", None)):  # a SocketIO wraps the socket
        if part is not None and hasattr(part, "settimeout"):
            part.settimeout(None)
    if hasattr(sock, "recv"):  # a socket, or an SSH channel
        return lambda: sock.recv(CHUNK)  # type: ignore[no-any-return]
    scratch = memoryview(bytearray(CHUNK))

    def read_into() -> bytes | memoryview | None:
        n = sock.readinto(scratch)  # None: it would block (nothing there after all)
        return None if n is None else scratch[:n]

    return read_into


def pump(sock: Any, handle: Handle) -> None:
    """Feed everything the container prints into ``handle`` until the connection ends."""
    read = reader(sock)
    demux = Demux()
    while True:
        data = read()
        if data is None:
            continue
        if not data:
            return
        for stream, payload in demux.feed(data):
            handle.feed(stream, payload)
