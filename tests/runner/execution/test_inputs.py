"""Input defaults: local paths relative to the YAML folder, http(s) URLs downloaded once."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.events import LogLine
from runner.execution.inputs import InputError, resolve_source
from runner.store.artifacts import ArtifactStore


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """A tiny HTTP server on 127.0.0.1 that records the paths requested."""
    root = tmp_path / "www"
    root.mkdir()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root, requests
    server.shutdown()


def test_url_is_downloaded_once_into_the_cache(tmp_path: Path, http_root) -> None:
    base, root, requests = http_root
    (root / "data.csv").write_bytes(b"x" * 5000)
    store = ArtifactStore(tmp_path / "a")
    logs: list[str] = []
    first = resolve_source("d", f"{base}/data.csv", tmp_path, store, tmp_path / "cache", logs.append)
    second = resolve_source("d", f"{base}/data.csv", tmp_path, store, tmp_path / "cache", logs.append)
    assert first == second and first[0].name == "data.csv" and first[0].size == 5000
    assert requests == ["/data.csv"]
    assert any("from the download cache" in m for m in logs)


def test_download_errors_name_the_input(tmp_path: Path, http_root) -> None:
    base, _root, _ = http_root
    with pytest.raises(InputError, match=r"input 'd': cannot download .*/missing\.csv"):
        resolve_source("d", f"{base}/missing.csv", tmp_path, ArtifactStore(tmp_path / "a"), tmp_path, print)


def test_local_paths_globs_and_folders(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "data" / "sub").mkdir(parents=True)
    (proj / "data" / "a.csv").write_text("a")
    (proj / "data" / "b.txt").write_text("b")
    (proj / "data" / "sub" / "c.csv").write_text("c")
    store = ArtifactStore(tmp_path / "a")
    one = resolve_source("d", "data/a.csv", proj, store, tmp_path, print)
    assert [f.name for f in one] == ["a.csv"]
    assert [f.name for f in resolve_source("d", "data/*.csv", proj, store, tmp_path, print)] == ["a.csv"]
    assert [f.name for f in resolve_source("d", "data", proj, store, tmp_path, print)] == [
        "a.csv",
        "b.txt",
        "sub/c.csv",
    ]
    with pytest.raises(InputError, match=r"no file at 'nothing\.csv'"):
        resolve_source("d", "nothing.csv", proj, store, tmp_path, print)


def test_defaults_outside_the_yaml_folder_and_other_schemes_are_refused(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (tmp_path / "secret").write_text("s")
    store = ArtifactStore(tmp_path / "a")
    with pytest.raises(InputError, match="outside the YAML folder"):
        resolve_source("d", "../secret", proj, store, tmp_path, print)
    with pytest.raises(InputError, match="outside the YAML folder"):
        resolve_source("d", "/etc/hostname", proj, store, tmp_path, print)
    # an explicit --input may point anywhere
    assert resolve_source("d", str(tmp_path / "secret"), proj, store, tmp_path, print, allow_outside=True)
    with pytest.raises(InputError, match="s3:// sources cannot be fetched locally"):
        resolve_source("d", "s3://bucket/x.csv", proj, store, tmp_path, print)


@pytest.mark.docker
def test_url_input_in_a_run_is_fetched_once(project, run_yaml, http_root) -> None:
    base, root, requests = http_root
    (root / "remote.txt").write_text("from the server\n")
    path = project(
        f"""
        - step:
            name: s
            image: busybox
            command: cat /valohai/inputs/data/remote.txt
            inputs: [{{name: data, default: "{base}/remote.txt"}}]
        """
    )
    for _ in range(2):
        outcome = run_yaml(path, step="s", reuse=False)
        assert outcome.status == "succeeded"
        out = [e.text for e in outcome.events if isinstance(e, LogLine) and e.stream == "stdout"]
        assert out == ["from the server"]
    assert requests == ["/remote.txt"]


@pytest.mark.docker
def test_cli_style_input_override_for_a_step(project, run_yaml, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("given on the command line\n")
    path = project(
        """
        - step:
            name: s
            image: busybox
            command: cat /valohai/inputs/data/*
            inputs: [{name: data, default: missing.txt}]
        """
    )
    outcome = run_yaml(path, step="s", inputs={"data": [str(outside)]})
    assert outcome.status == "succeeded"
    assert [e.text for e in outcome.events if isinstance(e, LogLine) and e.stream == "stdout"] == [
        "given on the command line"
    ]
