"""Debug this node: the executor's collaborator for nodes run with ``--debug``.

Such a node's Python is started under debugpy by the runner's injection (runner.execution.inject):
it listens on a container port published on 127.0.0.1 of its host (forwarded over SSH for a
remote host) and waits for the debugger. It has no time limit and is never reused; its
"debugger listening on 127.0.0.1:PORT" is announced once debugpy really listens (the hook's
marker line on stderr), and the forward closes with the node.

With ``pycharm`` (a PyCharmTarget, runner.debug.pycharm) the debugger is PyCharm's instead:
pydevd-pycharm is injected, listening for the runner on a published container port, and once
its hook says so the runner joins it to PyCharm's debug server (runner.debug.ide_relay): the
node waits for the user to start that server, and "waiting for PyCharm's debug server on
HOST:PORT" is announced.

With ``capture_locals`` every unit also gets the locals hook; its record (the injection's reports
folder) is kept beside the unit's log, where the failure view finds it (runner.debug.failure).
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from runner.debug.ide_relay import IdeRelay
from runner.debug.pycharm import PyCharmTarget
from runner.debug.pycharm_config import configuration_name
from runner.events import DebuggerListening, Event
from runner.execution.inject import (
    DEBUG_ENV,
    DEBUG_PORT,
    LOCALS_ENV,
    PYDEVD_CONTAINER_DIR,
    PYDEVD_ENV,
    PYDEVD_PORT,
)
from runner.execution.naming import split_unit

# What the locals hook writes in the reports folder (runner/execution/inject/site/_pd_locals.py).
LOCALS_REPORT = "locals/record.json"
MAX_LOCALS_RECORD = 256 * 1024  # ours caps itself far below: a bigger file is not ours

# Why a node with a run-time breakpoint waits (the approval's reason: "node-starting: <this>").
BREAKPOINT = "paused before this node (breakpoint); inputs staged"

# The line the injected hook prints once debugpy listens (runner/execution/inject/site/_pd_debug.py).
MARKER = "pipeline-designer: debugger listening on port"
# The same for PyCharm's: its port listens for the runner (runner/execution/inject/site/_pd_pydevd.py).
PYDEVD_MARKER = "pipeline-designer: waiting for PyCharm's debugger on port"


@dataclass
class DebugHooks:
    """What the sessions need of the executor: a runner log line for a node, and emitting an event."""

    runner_line: Callable[[str, str], None]
    emit: Callable[[Event], None]
    # Where a unit's captured locals go (the file beside its log: runner.debug.failure reads it)
    locals_path: Callable[[str], Any] | None = None


class _Session:
    def __init__(self) -> None:
        self.port: int | None = None
        self.close: Callable[[], None] = lambda: None
        self.script = ""
        self.listening = False
        self.announced = False
        self.error = ""


class DebugSessions:
    def __init__(
        self,
        run_id: str,
        nodes: Iterable[str],
        backend: Any,
        hooks: DebugHooks,
        capture_locals: bool = False,
        pycharm: PyCharmTarget | None = None,
    ) -> None:
        self.run_id = run_id
        self.nodes = frozenset(nodes)
        self.capture_locals = capture_locals
        self.backend = backend
        self.hooks = hooks
        self.pycharm = pycharm if self.nodes else None  # nothing to debug: nothing to set up
        if self.pycharm is not None and self.pycharm.package is None:
            raise ValueError("the PyCharm target has no pydevd-pycharm folder (start_run finds it)")
        self._port = DEBUG_PORT if self.pycharm is None else PYDEVD_PORT
        self._marker = MARKER if self.pycharm is None else PYDEVD_MARKER
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def wants(self, node: str) -> bool:
        """A node run with debug; of a task node, its first execution (the sweep's others run as
        usual: one debugger, not one per execution)."""
        if node in self.nodes:
            return True
        task, child = split_unit(node)
        return child == 1 and task in self.nodes

    def prepare(self, spec: Any) -> None:
        """Before launch: inject debugpy, publish its port, lift the time limits; and the locals hook."""
        if self.capture_locals:
            spec.inject[LOCALS_ENV] = "1"
        if not self.wants(spec.node):
            return
        if self.pycharm is None:
            spec.inject[DEBUG_ENV] = str(DEBUG_PORT)
        else:
            spec.inject[PYDEVD_ENV] = str(PYDEVD_PORT)
            spec.inject_folders[PYDEVD_CONTAINER_DIR] = str(self.pycharm.package)
        spec.publish = (*spec.publish, self._port)
        spec.time_limit = None  # paused at a breakpoint is not hanging
        spec.no_output_timeout = None

    def stage(self, store: Any, spec: Any, backend: str, log_path: Any) -> None:
        """A node paused before its start: its world (image, staged inputs, parameters) goes into
        the store now, so a shell can open on it while it waits."""
        store.upsert_execution(
            spec.execution_id,
            run_id=self.run_id,
            node=spec.node,
            step=spec.step,
            image=spec.image,
            command=spec.script,
            parameters=spec.parameters,
            env=spec.env,
            inputs={k: [f.__dict__ for f in v] for k, v in spec.inputs.items()},
            status="pending",
            backend=backend,
            log_path=str(log_path),
        )

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
            port, close = self.backend.forward_port(handle, self._port)
        except Exception as exc:
            session.error = str(exc) or type(exc).__name__
            self.hooks.runner_line(node, f"error: the debugger port cannot be reached: {session.error}")
            return
        with self._lock:
            session.port, session.close = port, close
        self._announce(node, session)

    def line(self, node: str, stream: str, text: str) -> None:
        """Every log line of a running node: the hook's marker means debugpy listens now."""
        if stream != "stderr" or not text.startswith(self._marker):
            return
        with self._lock:
            session = self._sessions.get(node)
            if session is None:
                return
            session.listening = True
            session.script = text.rpartition("(")[2].rstrip(")") if text.endswith(")") else ""
        self._announce(node, session)

    def _keep_locals(self, node: str, handle: Any) -> None:
        """The locals hook's record (untrusted: checked, size-capped) goes beside the node's log."""
        if self.hooks.locals_path is None:
            return
        try:
            data = self.backend.reports(handle).get(LOCALS_REPORT)
        except Exception as exc:  # the container or host went away: the failure itself still shows
            self.hooks.runner_line(node, f"warning: the captured locals could not be fetched: {exc}")
            return
        if not data or len(data) > MAX_LOCALS_RECORD:
            return
        try:
            record = json.loads(data)
        except ValueError:
            return
        if not isinstance(record, dict) or not isinstance(record.get("frames"), list):
            return
        with contextlib.suppress(OSError):
            self.hooks.locals_path(node).write_text(json.dumps(record), encoding="utf-8")
            count = len(record["frames"])
            self.hooks.runner_line(node, f"captured the locals of {count} frame(s) at the failure")

    def _announce(self, node: str, session: _Session) -> None:
        with self._lock:
            if session.announced or not session.listening or session.port is None:
                return
            session.announced = True
        if self.pycharm is not None:
            self._join_pycharm(node, session, self.pycharm)
            return
        self.hooks.runner_line(
            node, f"debugger listening on 127.0.0.1:{session.port} (waiting for it to attach)"
        )
        self.hooks.emit(
            DebuggerListening(self.run_id, node, "127.0.0.1", session.port, session.script, time.time())
        )

    def _join_pycharm(self, node: str, session: _Session, target: PyCharmTarget) -> None:
        """The node's pydevd listens: carry it to PyCharm's debug server once that is started."""
        assert session.port is not None
        say = functools.partial(self.hooks.runner_line, node)
        relay = IdeRelay(session.port, (target.host, target.port), say)
        forward_close = session.close

        def close() -> None:
            relay.close()
            forward_close()

        with self._lock:
            session.close = close
        relay.start()
        name = configuration_name(split_unit(node)[0])
        self.hooks.runner_line(
            node,
            f"waiting for PyCharm's debug server on {target.address}: start “{name}” "
            f"(a Python Debug Server run configuration, pydevd-pycharm {target.build}) in PyCharm",
        )
        self.hooks.emit(
            DebuggerListening(
                self.run_id, node, target.host, target.port, session.script, time.time(), debugger="pycharm"
            )
        )

    def finished(self, node: str, handle: Any = None) -> None:
        if self.capture_locals and handle is not None:
            self._keep_locals(node, handle)
        with self._lock:
            session = self._sessions.pop(node, None)
        if session is not None and not session.listening and not session.error:
            self.hooks.runner_line(
                node,
                "warning: nothing waited for the debugger: no Python of this node ran a script or module "
                "of the code folder (/valohai/repository)",
            )
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()

    def close(self) -> None:
        for node in list(self._sessions):
            self.finished(node)
