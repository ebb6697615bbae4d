"""What PyCharm's "Python Debug Server" is, as far as the tests need it: it listens on
127.0.0.1, pydevd-pycharm connects to it, and the two speak pydevd's wire protocol.

Written from pydevd's source (``_pydevd_bundle/pydevd_comm.py``, ``pydevd_process_net_command.py``
and ``pydevd_net_command_factory_xml``): one message a line, ``<command id>\\t<sequence>\\t<text>\\n``.
What pydevd sends is URL-quoted (``quote(text, '/<>_=" \\t')``) and mostly XML; what the IDE sends
is plain, tab-separated. The IDE's sequence numbers are odd, pydevd's even; a reply carries the
request's number.

    server = PydevdServer()                       # listening on server.port
    server.accept(timeout=60)
    server.handshake()                            # CMD_VERSION: breakpoints by id
    server.set_breakpoint("/valohai/repository/train.py", 4)
    server.run()                                  # CMD_RUN: the program goes on
    stop = server.wait_suspend()                  # CMD_THREAD_SUSPEND at the breakpoint
    values = server.frame_locals(stop.thread_id, stop.frames[0].id)   # {"i": "0", ...}
    server.remove_breakpoint("/valohai/repository/train.py")
    server.resume(stop.thread_id)
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import unquote

CMD_RUN = 101
CMD_THREAD_CREATE = 103
CMD_THREAD_SUSPEND = 105
CMD_THREAD_RUN = 106
CMD_SET_BREAK = 111
CMD_REMOVE_BREAK = 112
CMD_GET_FRAME = 114
CMD_VERSION = 501
CMD_ERROR = 901
GET_FRAME_NORMAL_GROUP = 0


class PydevdProtocolError(AssertionError):
    pass


@dataclass(frozen=True)
class Frame:
    id: str
    name: str
    file: str
    line: int


@dataclass(frozen=True)
class Suspended:
    thread_id: str
    stop_reason: str
    frames: list[Frame]


class PydevdServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._listener = socket.create_server((host, port))
        self.port: int = self._listener.getsockname()[1]
        self._sock: socket.socket | None = None
        self._seq = -1
        self._lock = threading.Condition()
        self._messages: list[tuple[int, int, str]] = []  # (command, sequence, unquoted text)
        self.closed = False
        self.connections = 0

    # --- the connection -------------------------------------------------------------------------
    def accept(self, timeout: float = 60) -> None:
        self._listener.settimeout(timeout)
        self._sock, _peer = self._listener.accept()
        self.connections += 1
        self._sock.settimeout(None)
        threading.Thread(target=self._read, args=(self._sock,), daemon=True).start()

    def _read(self, sock: socket.socket) -> None:
        pending = b""
        try:
            while chunk := sock.recv(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    cmd, seq, text = line.decode("utf-8").split("\t", 2)
                    with self._lock:
                        self._messages.append((int(cmd), int(seq), unquote(text)))
                        self._lock.notify_all()
        except OSError:
            pass
        finally:
            with self._lock:
                self.closed = True
                self._lock.notify_all()

    def send(self, cmd: int, text: str = "") -> int:
        """One command; returns its sequence number (the IDE's are odd)."""
        assert self._sock is not None, "accept() first"
        self._seq += 2
        self._sock.sendall(f"{cmd}\t{self._seq}\t{text}\n".encode())
        return self._seq

    def wait(self, cmd: int, seq: int | None = None, timeout: float = 60) -> str:
        """The text of the first message ``cmd`` (the reply to ``seq``) not taken yet."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for i, (c, s, text) in enumerate(self._messages):
                    if c == CMD_ERROR and seq is not None and s == seq:
                        raise PydevdProtocolError(f"pydevd answered {seq} with an error: {text}")
                    if c == cmd and (seq is None or s == seq):
                        del self._messages[i]
                        return text
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    seen = [c for c, _s, _t in self._messages]
                    why = "the connection closed" if self.closed else f"none within {timeout:g} s"
                    raise PydevdProtocolError(f"no message {cmd} from pydevd: {why} (got {seen})")
                self._lock.wait(left)

    def wait_closed(self, timeout: float = 60) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self.closed, timeout)

    # --- what PyCharm does ----------------------------------------------------------------------
    def handshake(self) -> str:
        """CMD_VERSION (IDE protocol 1.1, a Unix IDE, breakpoints set by id); pydevd's version."""
        return self.wait(CMD_VERSION, self.send(CMD_VERSION, "1.1\tUNIX\tID"))

    def set_breakpoint(self, path: str, line: int, breakpoint_id: int = 1) -> None:
        # id, type, file, line, function (None: any), condition, expression, hit condition,
        # is a log point, suspend policy (NONE: the hitting thread only)
        fields = [breakpoint_id, "python-line", path, line, "None", "None", "None", "None", False, "NONE"]
        self.send(CMD_SET_BREAK, "\t".join(str(f) for f in fields))

    def remove_breakpoint(self, path: str, breakpoint_id: int = 1) -> None:
        self.send(CMD_REMOVE_BREAK, f"python-line\t{path}\t{breakpoint_id}")

    def run(self) -> None:
        """Breakpoints are set: the program may run (pydevd waits for this before it returns)."""
        self.send(CMD_RUN)

    def wait_suspend(self, timeout: float = 60) -> Suspended:
        root = ET.fromstring(self.wait(CMD_THREAD_SUSPEND, timeout=timeout))
        thread = root.find("thread")
        if thread is None:
            raise PydevdProtocolError("a thread-suspend message without a thread")
        frames = [
            Frame(f.get("id", ""), f.get("name", ""), unquote(f.get("file", "")), int(f.get("line", "0")))
            for f in thread.findall("frame")
        ]
        return Suspended(thread.get("id", ""), thread.get("stop_reason", ""), frames)

    def frame_locals(self, thread_id: str, frame_id: str) -> dict[str, str]:
        """Name -> the value pydevd shows ("int: 0")."""
        seq = self.send(CMD_GET_FRAME, f"{thread_id}\t{frame_id}\tFRAME\t{GET_FRAME_NORMAL_GROUP}")
        root = ET.fromstring(self.wait(CMD_GET_FRAME, seq))
        return {v.get("name", ""): unquote(v.get("value", "")) for v in root.findall("var")}

    def resume(self, thread_id: str) -> None:
        self.send(CMD_THREAD_RUN, thread_id)

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        self._listener.close()

    def __enter__(self) -> PydevdServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port() -> int:
    """A port of 127.0.0.1 free a moment ago (for a debug server started later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def debug_in_pycharm(ide: PydevdServer, version: str, script: str, line: int, paused: float = 0) -> None:
    """What a user does in PyCharm, on ``script`` (train.py: ``for i in range(3): total += ...``
    at ``line``): the debug server takes the node's connection, the breakpoint stops it with
    ``i == 0``; after ``paused`` s the breakpoint goes and the node resumes, to its end."""
    ide.accept(timeout=60)
    assert ide.handshake() == version  # the pydevd-pycharm of the chosen build answers
    ide.set_breakpoint(script, line)
    ide.run()
    stop = ide.wait_suspend()
    frame = stop.frames[0]
    assert (frame.file, frame.line, frame.name) == (script, line, "<module>")
    shown = ide.frame_locals(stop.thread_id, frame.id)
    assert shown["i"] == "0" and shown["total"] == "0", shown
    threading.Event().wait(paused)
    ide.remove_breakpoint(script)
    ide.resume(stop.thread_id)
    assert ide.wait_closed(60)  # the program ended: its connection closes
