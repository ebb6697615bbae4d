"""Local-process backend for machines without Docker. NOT ISOLATED: the step runs as you.

The execution tree mirrors the container layout in a temp folder, and the
``VH_*_DIR`` variables (docs/runtime.md §2) point there (the only redirection valohai-utils has). Commands
that hard-code ``/valohai/...`` paths will not find their files with this backend.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from runner.execution import deadman, inject
from runner.execution.backend import Handle, Poll, Warn, poll_handle
from runner.execution.collect import collect_dir
from runner.execution.command import script_argv
from runner.execution.spec import (
    SCRIPT_NAME,
    ExecutionSpec,
    OutputFile,
    container_env,
    place_code,
    write_tree,
)
from runner.store.artifacts import ArtifactStore


class LocalProcessBackend:
    name = "local"
    isolated = False

    def __init__(self, workroot: Path, artifacts: ArtifactStore) -> None:
        self.workroot = workroot
        self.artifacts = artifacts

    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle:
        handle = Handle(spec, wakeup=wakeup)
        workdir = self.workroot / spec.run_id / spec.container_name
        handle.state["workdir"] = workdir
        place_code(spec, workdir / "repository", self.artifacts)
        # copies: a step running as this user could otherwise write through into the store
        write_tree(spec, workdir, str(workdir), self.artifacts, link=False)
        env = {**os.environ, **container_env(spec, root=str(workdir))}
        if spec.inject:  # the runner's features (runner.execution.inject): our site folder first
            reports = workdir / "runner-reports"
            reports.mkdir(exist_ok=True)
            base = spec.env.get("PYTHONPATH") or os.environ.get("PYTHONPATH", "")
            env.update(inject.environment(spec.inject, base, str(inject.SITE_DIR), str(reports)))
        for key in ("VALOHAI_PORT", "VH_FLAT_LOCAL_OUTPUTS"):  # docs/runtime.md §2: must stay unset
            env.pop(key, None)
        argv = script_argv(str(workdir / "runner" / SCRIPT_NAME), spec.script)
        watchdog = deadman.Watchdog.for_this_machine()  # the step ends if this process dies
        proc = subprocess.Popen(
            watchdog.wrap(argv, str(watchdog.binary)) if watchdog else argv,
            cwd=workdir / "repository",
            env=env,
            stdin=subprocess.PIPE if watchdog else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so terminate reaches children
        )
        handle.state["proc"] = proc
        if watchdog is not None and proc.stdin is not None:
            beat = proc.stdin

            def send(data: bytes) -> None:
                beat.write(data)
                beat.flush()

            deadman.Heartbeat(send, handle.wait, beat.close)
        readers = [
            threading.Thread(target=self._read, args=(handle, proc.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._read, args=(handle, proc.stderr, "stderr"), daemon=True),
        ]
        for reader in readers:
            reader.start()
        threading.Thread(target=self._wait, args=(handle, proc, readers), daemon=True).start()
        return handle

    @staticmethod
    def _read(handle: Handle, pipe: object, stream: str) -> None:
        for chunk in iter(lambda: os.read(pipe.fileno(), 65536), b""):  # type: ignore[attr-defined]
            handle.feed(stream, chunk)

    @staticmethod
    def _wait(handle: Handle, proc: subprocess.Popen[bytes], readers: list[threading.Thread]) -> None:
        code = proc.wait()
        for reader in readers:
            reader.join(timeout=5)
        handle.finish(code)

    def poll(self, handle: Handle) -> Poll:
        return poll_handle(handle)

    def terminate(self, handle: Handle, grace: float = 2.0) -> None:
        proc: subprocess.Popen[bytes] | None = handle.state.get("proc")
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: Warn) -> list[OutputFile]:
        return collect_dir(handle.state["workdir"] / "outputs", artifacts, warn, move=True)

    def reports(self, handle: Handle) -> dict[str, bytes]:
        return inject.read_reports(handle.state["workdir"] / "runner-reports")

    def cleanup(self, handle: Handle) -> None:
        workdir = handle.state.get("workdir")
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    def remove_leftovers(self, run_id: str) -> int:
        return 0
