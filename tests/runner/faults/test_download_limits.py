"""Input downloads from a real slow (or endless) HTTP server on 127.0.0.1: Ctrl-C cancels them at
once, a total-time limit and a size cap end them, a full disk is said before it fills, and no
partial file is left in the artifact store."""

from __future__ import annotations

import http.server
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.execution.download import MAX_MB_ENV, TIMEOUT_ENV
from runner.execution.inputs import InputError, resolve_source
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from tests.support.runner_process import runner_env, runner_process


class _Server:
    def __init__(self) -> None:
        self.asked = threading.Event()  # a download has begun
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.asked.set()
                try:
                    if self.path == "/slow":  # says 10 MB, sends a byte every 0.2 s
                        self._head(10 << 20)
                        while True:
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            time.sleep(0.2)
                    elif self.path == "/endless":  # no length, never ends
                        self._head(None)
                        while True:
                            self.wfile.write(b"\0" * 65536)
                    elif self.path == "/huge":
                        self._head(1 << 40)
                except OSError:  # the client went away: what the runner does when it gives up
                    pass

            def _head(self, length: int | None) -> None:
                self.send_response(200)
                if length is not None:
                    self.send_header("Content-Length", str(length))
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _get(artifacts: ArtifactStore, url: str, tmp_path: Path, stop: threading.Event | None = None) -> None:
    resolve_source("data", url, tmp_path, artifacts, tmp_path / "cache", lambda _m: None, stop=stop)


def _no_partial(artifacts: ArtifactStore) -> None:
    assert list((artifacts.root / "tmp").iterdir()) == []
    assert [p for p in (artifacts.root / "sha256").rglob("*") if p.is_file()] == []


def test_a_cancel_ends_a_download_from_a_slow_server(server: _Server, tmp_path: Path) -> None:
    artifacts, stop, failed = ArtifactStore(tmp_path / "a"), threading.Event(), []

    def fetch() -> None:
        try:
            _get(artifacts, f"{server.url}/slow", tmp_path, stop)
        except InputError as exc:
            failed.append(str(exc))

    worker = threading.Thread(target=fetch)
    worker.start()
    assert server.asked.wait(10)
    stop.set()
    worker.join(20)
    assert not worker.is_alive() and failed == [
        "input 'data': the download was cancelled (the run is stopping)"
    ]
    _no_partial(artifacts)


@pytest.mark.parametrize(
    ("path", "env", "said"),
    [
        (
            "/slow",
            {TIMEOUT_ENV: "0.5"},
            "the download took longer than 0.5 s (PIPELINE_DESIGNER_DOWNLOAD_TIMEOUT)",
        ),
        (
            "/endless",
            {MAX_MB_ENV: "2"},
            "the download grew past the limit of 2.0 MB (PIPELINE_DESIGNER_DOWNLOAD_MAX_MB)",
        ),
        (
            "/huge",
            {},
            "is 1048576.0 MB, over the download limit of 51200.0 MB (PIPELINE_DESIGNER_DOWNLOAD_MAX_MB)",
        ),
    ],
)
def test_time_and_size_limits_end_a_download(server, tmp_path: Path, monkeypatch, path, env, said) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    artifacts = ArtifactStore(tmp_path / "a")
    with pytest.raises(InputError) as caught:
        _get(artifacts, f"{server.url}{path}", tmp_path)
    assert said in str(caught.value)
    _no_partial(artifacts)


def test_an_endless_download_stops_before_the_disk_is_full(
    server: _Server, small_disk, tmp_path: Path
) -> None:
    disk = small_disk(8)
    artifacts = ArtifactStore(disk / "a")
    with pytest.raises(
        InputError, match=rf"input 'data': no space left on {disk} \(tmpfs\): .* MB free; free space"
    ):
        _get(artifacts, f"{server.url}/endless", tmp_path)
    _no_partial(artifacts)


@pytest.mark.parametrize(
    "target",
    [
        "local",
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("box", marks=[pytest.mark.sshd, pytest.mark.docker]),
    ],
    ids=["local-process", "local-engine", "remote-host"],
)
def test_ctrl_c_during_a_download_cancels_the_run(
    target: str, server: _Server, project, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """On each kind of target: the download is the runner's (here), the run cancelled at once,
    no container created or left (on the local engine, or on the host through the test sshd)."""
    argv = {"local": ["--backend", "local"], "docker": [], "box": ["--host", "box"]}[target]
    if target == "box":
        from tests.support.remote import register_host

        for fixture in ("config_dir", "ssh_home"):
            request.getfixturevalue(fixture)
        register_host(request.getfixturevalue("sshd"), "box", passphrase=False)
    yaml = project(
        "- step:\n    name: fetch\n    image: busybox\n    command: ls /valohai/inputs/data\n"
        f"    inputs: [{{name: data, default: '{server.url}/slow'}}]\n"
    )
    home = tmp_path / "home"
    with runner_process(home, str(yaml), "--step", "fetch", *argv, env=runner_env(home)) as runner:
        assert server.asked.wait(120)
        runner.proc.send_signal(signal.SIGINT)
        out, err = runner.proc.communicate(timeout=60)
    assert runner.proc.returncode == 130, out + err
    assert "Traceback" not in err
    store = RunStore(home / "runs.sqlite3")
    try:
        run = store.runs(1)[0]
        assert run["status"] == "cancelled"
        (row,) = store.executions(run["id"])
        assert row["status"] == "cancelled" and "the download was cancelled" in row["message"]
    finally:
        store.close()
    assert list((home / "artifacts" / "tmp").iterdir()) == []
    if target != "local":
        mine = {"label": f"pipeline-designer.run-id={run['id']}"}
        assert request.getfixturevalue("docker_client").containers.list(all=True, filters=mine) == []
