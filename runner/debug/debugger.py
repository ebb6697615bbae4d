"""Debug this node: the executor's collaborator for nodes run with ``--debug``.

Such a node's Python is started under debugpy by the runner's injection (runner.execution.inject):
it listens on a container port published on 127.0.0.1 of its host (forwarded over SSH for a
remote host) and waits for the debugger. It has no time limit and is never reused; its
"debugger listening on 127.0.0.1:PORT" is announced once debugpy really listens (the hook's
marker line on stderr), and the forward closes with the node.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from runner.events import DebuggerListening, Event
from runner.execution.inject import DEBUG_ENV, DEBUG_PORT

# The line the injected hook prints once debugpy listens (runner/execution/inject/site/_pd_debug.py).
MARKER = "pipeline-designer: debugger listening on port"


@dataclass
class DebugHooks:
    """What the sessions need of the executor: a runner log line for a node, and emitting an event."""

    runner_line: Callable[[str, str], None]
    emit: Callable[[Event], None]


class _Session:
    def __init__(self) -> None:
        self.port: int | None = None
        self.close: Callable[[], None] = lambda: None
        self.script = ""
        self.listening = False
        self.announced = False
        self.error = ""


class DebugSessions:
    def __init__(self, run_id: str, nodes: Iterable[str], backend: Any, hooks: DebugHooks) -> None:
        self.run_id = run_id
        self.nodes = frozenset(nodes)
        self.backend = backend
        self.hooks = hooks
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def wants(self, node: str) -> bool:
        return node in self.nodes

    def prepare(self, spec: Any) -> None:
        """Before launch: inject debugpy, publish its port, lift the time limits."""
        if not self.wants(spec.node):
            return
        spec.inject[DEBUG_ENV] = str(DEBUG_PORT)
        spec.publish = (*spec.publish, DEBUG_PORT)
        spec.time_limit = None  # paused at a breakpoint is not hanging
        spec.no_output_timeout = None

    def launched(self, node: str, handle: Any) -> None:
        """The container runs: find (and for a remote host, forward) its debugger port, off the loop."""
        if not self.wants(node):
            return
        session = _Session()
        with self._lock:
            self._sessions[node] = session
        threading.Thread(target=self._connect, args=(node, session, handle), daemon=True).start()

    def _connect(self, node: str, session: _Session, handle: Any) -> None:
        try:
            port, close = self.backend.forward_port(handle, DEBUG_PORT)
        except Exception as exc:
            session.error = str(exc) or type(exc).__name__
            self.hooks.runner_line(node, f"error: the debugger port cannot be reached: {session.error}")
            return
        with self._lock:
            session.port, session.close = port, close
        self._announce(node, session)

    def line(self, node: str, stream: str, text: str) -> None:
        """Every log line of a running node: the hook's marker means debugpy listens now."""
        if stream != "stderr" or not text.startswith(MARKER):
            return
        with self._lock:
            session = self._sessions.get(node)
            if session is None:
                return
            session.listening = True
            session.script = text.rpartition("(")[2].rstrip(")") if text.endswith(")") else ""
        self._announce(node, session)

    def _announce(self, node: str, session: _Session) -> None:
        with self._lock:
            if session.announced or not session.listening or session.port is None:
                return
            session.announced = True
        self.hooks.runner_line(
            node, f"debugger listening on 127.0.0.1:{session.port} (waiting for it to attach)"
        )
        self.hooks.emit(
            DebuggerListening(self.run_id, node, "127.0.0.1", session.port, session.script, time.time())
        )

    def finished(self, node: str) -> None:
        with self._lock:
            session = self._sessions.pop(node, None)
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()

    def close(self) -> None:
        for node in list(self._sessions):
            self.finished(node)
