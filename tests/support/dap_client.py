"""A Debug Adapter Protocol client over TCP, as an editor speaks it to debugpy (for the tests).

Messages are ``Content-Length: N\\r\\n\\r\\n`` + JSON. Requests get responses matched by
``request_seq``; events are queued and waited for by name.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any


class DapError(AssertionError):
    pass


class DapClient:
    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sock = socket.create_connection((host, port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._sock.settimeout(None)
        self._seq = 0
        self._lock = threading.Condition()
        self._responses: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = self._sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                while len(buf) < length:
                    chunk = self._sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                message, buf = json.loads(buf[:length]), buf[length:]
                with self._lock:
                    if message["type"] == "response":
                        self._responses[message["request_seq"]] = message
                    elif message["type"] == "event":
                        self._events.append(message)
                    self._lock.notify_all()
        except OSError:
            return
        finally:
            with self._lock:
                self._closed = True
                self._lock.notify_all()

    def send(self, command: str, **arguments: Any) -> int:
        with self._lock:
            self._seq += 1
            seq = self._seq
        body = json.dumps(
            {"seq": seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        self._sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return seq

    def response(self, seq: int, timeout: float = 30.0) -> dict[str, Any]:
        with self._lock:
            if not self._lock.wait_for(lambda: seq in self._responses or self._closed, timeout):
                raise DapError(f"no response to request {seq} in {timeout} s")
            if seq not in self._responses:
                raise DapError("the debugger closed the connection")
            message = self._responses.pop(seq)
        if not message.get("success"):
            raise DapError(f"{message.get('command')} failed: {message.get('message')}")
        return message.get("body") or {}

    def request(self, command: str, timeout: float = 30.0, **arguments: Any) -> dict[str, Any]:
        return self.response(self.send(command, **arguments), timeout)

    def event(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            for i, event in enumerate(self._events):
                if event["event"] == name:
                    return self._events.pop(i)
            return None

        found: list[dict[str, Any]] = []

        def take() -> bool:
            event = find()
            if event is not None:
                found.append(event)
            return bool(found) or self._closed

        with self._lock:
            self._lock.wait_for(take, timeout)
        if not found:
            raise DapError(f"no {name!r} event in {timeout} s (events: {[e['event'] for e in self._events]})")
        return found[0].get("body") or {}

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._sock.close()


def attach_and_break(
    client: DapClient, local_root: str, script: str, line: int
) -> tuple[int, dict[str, str]]:
    """initialize, attach (path mapping like an editor's), a breakpoint at ``script:line``,
    configurationDone; waits for the stop. Returns (thread id, the top frame's locals)."""
    client.request("initialize", adapterID="python", clientID="pytest", linesStartAt1=True,
                   columnsStartAt1=True, pathFormat="path")  # fmt: skip
    attach = client.send(
        "attach",
        justMyCode=True,
        pathMappings=[{"localRoot": local_root, "remoteRoot": "/valohai/repository"}],
    )
    client.event("initialized")
    body = client.request(
        "setBreakpoints", source={"path": f"{local_root}/{script}"}, breakpoints=[{"line": line}]
    )
    assert body["breakpoints"][0]["verified"], body
    client.request("configurationDone")
    client.response(attach)
    stopped = client.event("stopped", timeout=60)
    thread = int(stopped["threadId"])
    frames = client.request("stackTrace", threadId=thread)["stackFrames"]
    assert frames[0]["line"] == line, frames[0]
    scopes = client.request("scopes", frameId=frames[0]["id"])["scopes"]
    variables = client.request("variables", variablesReference=scopes[0]["variablesReference"])["variables"]
    return thread, {v["name"]: v["value"] for v in variables}
