"""Deployment nodes on the real Docker engine: endpoint containers that serve what was trained upstream."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.deploy.container import EndpointEngine
from runner.deploy.endpoint import ENDPOINT_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL
from runner.events import EndpointReady, EndpointStopped, Event, LogLine, NodeStateChanged
from runner.store.artifacts import ArtifactStore
from tests.support.paths import REPO

IMAGE_MAP = {
    "python:3.12-slim": "pipeline-designer-test/python:1",
    "busybox": "pipeline-designer-test/busybox:1",
}
TEST_LABEL = "pipeline-designer.test-session"

TRAIN = """\
import csv, json
rows = [(float(x), float(y)) for x, y in csv.reader(open("data.csv"))]
n = len(rows)
mx, my = sum(x for x, _ in rows) / n, sum(y for _, y in rows) / n
w = sum((x - mx) * (y - my) for x, y in rows) / sum((x - mx) ** 2 for x, _ in rows)
json.dump({"w": w, "b": my - w * mx}, open("/valohai/outputs/model.json", "w"))
print(json.dumps({"w": w}))
"""

SERVE = """\
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

model = json.load(open("models/model.json"))  # the endpoint file's `path`
port = int(os.environ["VALOHAI_PORT"])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/predict":
            self.send_error(404)
            return
        x = float(parse_qs(url.query)["x"][0])
        body = json.dumps({"y": model["w"] * x + model["b"], "cwd": os.getcwd()}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


print(f"serving w={model['w']} on port {port}", flush=True)
HTTPServer(("0.0.0.0", port), Handler).serve_forever()
"""

WSGI_APP = """\
import json

MODEL = json.load(open("model.json"))


def application(environ, start_response):
    body = json.dumps({"w": MODEL["w"], "path": environ["PATH_INFO"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
"""


def _yaml(endpoint: str, edges: str = "- [train.output.model.json, deploy.file.predict.model]") -> str:
    return textwrap.dedent(
        """\
        - step:
            name: train
            image: python:3.12-slim
            command: python3 train.py
        - endpoint:
        {endpoint}
        - pipeline:
            name: ship
            nodes:
              - {{name: train, type: execution, step: train}}
              - {{name: deploy, type: deployment, deployment: local, endpoints: [predict]}}
            edges:
        {edges}
        """
    ).format(
        endpoint=textwrap.indent(textwrap.dedent(endpoint), "    "), edges=textwrap.indent(edges, "      ")
    )


PREDICT = """\
name: predict
image: python:3.12-slim
server-command: python3 serve.py
files:
  - {name: model, path: models/model.json, description: trained weights}
"""


@pytest.fixture
def write_project(tmp_path: Path) -> Callable[..., Path]:
    def write(yaml_text: str, **files: str) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        for name, text in {"train.py": TRAIN, "data.csv": "0,1\n1,3\n2,5\n", **files}.items():
            (root / name).write_text(text)
        (root / "valohai.yaml").write_text(yaml_text)
        return root / "valohai.yaml"

    return write


class Deployed:
    def __init__(self, handle: Any, events: list[Event], status: str) -> None:
        self.handle, self.events, self.status = handle, events, status

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def final(self, node: str) -> NodeStateChanged:
        return [e for e in self.of(NodeStateChanged) if e.node == node][-1]

    def lines(self, node: str, stream: str) -> list[str]:
        return [e.text for e in self.of(LogLine) if e.node == node and e.stream == stream]


@pytest.fixture
def deploy(
    home: Path, docker_client: Any, container_label: dict[str, str]
) -> Iterator[Callable[..., Deployed]]:
    """Run a pipeline on the real engine (steps on network none); endpoints are stopped afterwards."""
    from runner.api import RunOptions, plan_run, start_run

    handles: list[Any] = []

    def run(path: Path, timeout: float = 120, **options: Any) -> Deployed:
        plan = plan_run(path, pipeline="ship")
        opts = RunOptions(image_map=IMAGE_MAP, labels=container_label, **options)
        events: list[Event] = []
        handle = start_run(
            plan, opts, network="none", pull="never", client=docker_client, on_event=events.append
        )
        handles.append(handle)
        status = handle.wait(timeout)
        assert status is not None, "run did not finish in time"
        return Deployed(handle, events, status)

    yield run
    for handle in handles:
        handle.stop_endpoints()


def _ours(docker_client: Any, container_label: dict[str, str]) -> list[Any]:
    (key, value), *_ = container_label.items()
    return docker_client.containers.list(all=True, ignore_removed=True, filters={"label": f"{key}={value}"})


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


# --- resolving endpoints (no engine) ---------------------------------------------------------


def _specs(tmp_path: Path, endpoint: str, edges: str, outputs: list[str]) -> list[Any]:
    import valohai_yaml

    from runner.deploy.endpoint import endpoint_specs
    from runner.execution.plan import plan_pipeline
    from runner.execution.prepare import NodeResult, RunContext
    from runner.execution.spec import OutputFile

    plan = plan_pipeline(valohai_yaml.parse(_yaml(endpoint, edges)), "ship", tmp_path)
    ctx = RunContext(
        "r1", plan, ArtifactStore(tmp_path / "a"), tmp_path, "code", IMAGE_MAP, labels={"t": "1"}
    )
    results = {"train": NodeResult([OutputFile(o, "0" * 64, 1) for o in outputs])}
    return endpoint_specs(ctx, "deploy", plan.nodes["deploy"].endpoints, results)


def test_endpoint_spec_from_yaml_and_edges(tmp_path: Path) -> None:
    endpoint = PREDICT.replace("python3 serve.py", "[echo one, python3 serve.py]").replace(
        "models/model.json", "./models/model.json"
    )
    (spec,) = _specs(tmp_path, endpoint, "- [train.output.*.json, deploy.file.predict.model]", ["model.json"])
    assert spec.image == "pipeline-designer-test/python:1" and spec.port == 8000
    assert spec.argv == ["/bin/sh", "-c", "echo one\npython3 serve.py\n"]  # one session, like a step
    assert [(f.path, f.source) for f in spec.files] == [("models/model.json", "train:model.json")]
    assert spec.env == {"VALOHAI_PORT": "8000", "PYTHONUNBUFFERED": "1"}
    assert spec.labels["pipeline-designer.run-id"] == "r1" and spec.labels["t"] == "1"
    assert spec.labels[OWNER_PID_LABEL] == str(os.getpid()) and spec.container_name == "vh-r1-deploy-predict"


def test_wsgi_target_is_an_argument_never_shell_text(tmp_path: Path) -> None:
    endpoint = "name: predict\nimage: busybox\nwsgi: 'app:application; touch /tmp/x'\nport: 9000\n"
    (spec,) = _specs(tmp_path, endpoint, "[]", [])
    assert spec.argv[:2] == ["/bin/sh", "-c"] and "app" not in spec.argv[2]
    assert spec.argv[3:] == ["sh", "/valohai/runner/wsgi_serve.py", "app:application; touch /tmp/x", "9000"]


@pytest.mark.parametrize(
    ("edges", "outputs", "expected"),
    [
        ("- [train.output.*.json, deploy.file.predict.model]", ["a.json", "b.json"], "matched 2 outputs"),
        ("- [train.output.*.json, deploy.file.predict.model]", [], "matched 0 outputs"),
        ("- [train.output.m.json, deploy.file.other.model]", ["m.json"], "does not list endpoint 'other'"),
        ("- [train.output.m.json, deploy.input.model]", ["m.json"], "receives only `file.<endpoint>"),
        ("- [train.metadata.w, deploy.file.predict.model]", [], "endpoint files come from `output` edges"),
    ],
)
def test_bad_file_edges_are_refused_with_the_edge_named(
    tmp_path: Path, edges: str, outputs: list[str], expected: str
) -> None:
    from runner.deploy.endpoint import DeployError

    with pytest.raises(DeployError, match="edge train") as err:
        _specs(tmp_path, PREDICT, edges, outputs)
    assert expected in str(err.value)


def test_plan_refuses_a_deployment_of_an_unknown_endpoint(tmp_path: Path) -> None:
    import valohai_yaml

    from runner.execution.plan import PlanError, plan_pipeline

    text = _yaml(PREDICT, "[]").replace("endpoints: [predict]", "endpoints: [predict, nope]")
    with pytest.raises(
        PlanError, match=r"node 'deploy': endpoint 'nope' does not exist \(endpoints: predict\)"
    ):
        plan_pipeline(valohai_yaml.parse(text), "ship", tmp_path)


@pytest.mark.docker
def test_deployment_serves_a_prediction_of_the_model_trained_upstream(
    write_project, deploy, docker_client, container_label
) -> None:
    path = write_project(_yaml(PREDICT), **{"serve.py": SERVE})
    run = deploy(path)
    assert run.status == "succeeded", run.events
    assert run.final("deploy").status == "succeeded"
    (ready,) = run.of(EndpointReady)
    assert (ready.node, ready.endpoint) == ("deploy", "predict")
    assert ready.url.startswith("http://127.0.0.1:") and ready.url.endswith("/")
    # trained on y = 2x + 1: the endpoint computes from the model file the train step wrote
    answer = _get(ready.url + "predict?x=3")
    assert answer == {"y": pytest.approx(7.0), "cwd": "/valohai/repository"}
    assert "serving w=2.0 on port 8000" in run.lines("deploy", "stdout")
    assert f"endpoint predict is serving at {ready.url}" in run.lines("deploy", "runner")
    (container,) = _ours(docker_client, container_label)
    assert container.name == ready.container and container.labels[ENDPOINT_LABEL] == "predict"
    assert container.ports["8000/tcp"][0]["HostIp"] == "127.0.0.1"

    run.handle.stop_endpoints()
    assert _ours(docker_client, container_label) == []
    assert [(e.node, e.endpoint) for e in run.handle.events.queue if isinstance(e, EndpointStopped)] == [
        ("deploy", "predict")
    ]
    with pytest.raises(urllib.error.URLError):
        _get(ready.url + "predict?x=3")


@pytest.mark.docker
def test_wsgi_endpoint_is_served_by_our_standard_library_server(
    write_project, deploy, docker_client, container_label
) -> None:
    endpoint = """\
    name: predict
    image: python:3.12-slim
    wsgi: app:application
    port: 8080
    files:
      - {name: model, path: model.json}
    """
    run = deploy(write_project(_yaml(endpoint), **{"app.py": WSGI_APP}))
    assert run.status == "succeeded", run.events
    (ready,) = run.of(EndpointReady)
    assert _get(ready.url + "anything") == {"w": pytest.approx(2.0), "path": "/anything"}
    assert "serving WSGI app:application on port 8080" in run.lines("deploy", "stdout")


@pytest.mark.docker
def test_failing_server_command_fails_the_node_with_its_log_tail(
    write_project, deploy, docker_client, container_label
) -> None:
    endpoint = """\
    name: predict
    image: python:3.12-slim
    server-command:
      - echo loading the model
      - echo "model is corrupt" >&2; exit 3
    files:
      - {name: model, path: models/model.json}
    """
    run = deploy(write_project(_yaml(endpoint)))
    assert run.status == "failed"
    failed = run.final("deploy")
    assert failed.status == "failed"
    assert "endpoint 'predict' exited (exit code 3) before answering HTTP on port 8000" in failed.message
    tail = failed.message.split("; last log lines:\n", 1)[1].splitlines()
    assert sorted(tail) == ["loading the model", "model is corrupt"]  # stdout and stderr: any order
    assert run.of(EndpointReady) == [] and _ours(docker_client, container_label) == []


@pytest.mark.docker
def test_endpoint_that_never_answers_times_out_and_is_removed(
    write_project, deploy, docker_client, container_label
) -> None:
    endpoint = """\
    name: predict
    image: busybox
    server-command: echo not listening; sleep 60
    """
    run = deploy(write_project(_yaml(endpoint, "[]")), endpoint_timeout=2)
    failed = run.final("deploy")
    assert failed.status == "failed"
    assert (
        "did not answer HTTP on port 8000 within 2 s" in failed.message and "not listening" in failed.message
    )
    assert _ours(docker_client, container_label) == []


@pytest.mark.docker
@pytest.mark.parametrize("bad", ["../outside.json", "/etc/model.json", "models/../../x.json"])
def test_file_path_escaping_the_repository_is_refused(
    bad: str, write_project, deploy, docker_client, container_label
) -> None:
    endpoint = PREDICT.replace("models/model.json", bad)
    run = deploy(write_project(_yaml(endpoint)))
    failed = run.final("deploy")
    assert failed.status == "failed"
    assert f"deployment node 'deploy' endpoint 'predict' file 'model' path: unsafe file name {bad!r}" in (
        failed.message
    )
    assert "relative to the repository" in failed.message
    assert _ours(docker_client, container_label) == []


@pytest.mark.docker
def test_declared_file_without_an_edge_names_endpoint_and_file(
    write_project, deploy, docker_client, container_label
) -> None:
    run = deploy(write_project(_yaml(PREDICT, "[]")))
    failed = run.final("deploy")
    assert failed.status == "failed"
    assert failed.message.startswith(
        "deployment node 'deploy' endpoint 'predict': file 'model' receives nothing"
    )
    assert "deploy.file.predict.model" in failed.message
    assert _ours(docker_client, container_label) == []


@pytest.mark.docker
def test_cancel_stops_endpoints_and_a_new_run_replaces_the_old_endpoint(
    write_project, home, docker_client, container_label
) -> None:
    from runner.api import RunOptions, plan_run, start_run

    path = write_project(_yaml(PREDICT), **{"serve.py": SERVE})
    opts = RunOptions(image_map=IMAGE_MAP, labels=container_label)
    first = start_run(
        plan_run(path, pipeline="ship"), opts, network="none", pull="never", client=docker_client
    )
    try:
        assert first.wait(120) == "succeeded"
        (old,) = _ours(docker_client, container_label)
        second = start_run(
            plan_run(path, pipeline="ship"), opts, network="none", pull="never", client=docker_client
        )
        assert second.wait(120) == "succeeded"
        (new,) = _ours(docker_client, container_label)  # the first run's endpoint was removed
        assert new.id != old.id and new.labels["pipeline-designer.run-id"] == second.run_id
        second.stop_endpoints()
        assert _ours(docker_client, container_label) == []
    finally:
        first.stop_endpoints()


@pytest.mark.docker
def test_cancelled_run_stops_its_endpoints(write_project, home, docker_client, container_label) -> None:
    from runner.api import RunOptions, plan_run, start_run

    yaml_text = _yaml(PREDICT).replace(
        "      - {name: train, type: execution, step: train}\n",
        "      - {name: train, type: execution, step: train}\n"
        "      - {name: slow, type: execution, step: slow}\n",
    )
    yaml_text = "- step: {name: slow, image: busybox, command: sleep 60}\n" + yaml_text
    path = write_project(yaml_text, **{"serve.py": SERVE})
    events: list[Event] = []
    handle = start_run(
        plan_run(path, pipeline="ship"),
        RunOptions(image_map=IMAGE_MAP, labels=container_label),
        network="none",
        pull="never",
        client=docker_client,
        on_event=events.append,
    )
    deadline = time.monotonic() + 60
    while not any(isinstance(e, EndpointReady) for e in events) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any(isinstance(e, EndpointReady) for e in events), events
    handle.cancel()
    assert handle.wait(30) == "cancelled"
    assert any(isinstance(e, EndpointStopped) for e in events)
    assert _ours(docker_client, container_label) == []


@pytest.mark.docker
def test_orphaned_endpoint_of_a_dead_process_is_removed(
    docker_client, busybox_image, tmp_path, container_label
):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    labels = {
        **container_label,
        ENDPOINT_LABEL: "predict",
        OWNER_PID_LABEL: str(dead.pid),
        OWNER_HOST_LABEL: socket.gethostname(),
    }
    alive = docker_client.containers.create(
        busybox_image, ["sleep", "60"], labels={**labels, OWNER_PID_LABEL: str(os.getpid())}
    )
    engine = EndpointEngine(docker_client, ArtifactStore(tmp_path / "artifacts"))
    for _attempt in range(3):
        orphan = docker_client.containers.create(busybox_image, ["sleep", "60"], labels=labels)
        removed = engine.remove_orphans()
        if any(orphan.name in name for name in removed):
            break
        # Every run with endpoints sweeps orphans: another xdist worker's sweep may have been first
        # (then the orphan is gone all the same, once the engine finishes); one left is the bug.
        deadline = time.monotonic() + 30
        while orphan.id in [c.id for c in _ours(docker_client, container_label)]:
            assert time.monotonic() < deadline, f"the orphan was left: {removed}"
            time.sleep(0.2)
    else:
        pytest.fail("other sweeps removed the orphan first three times in a row")
    assert [c.id for c in _ours(docker_client, container_label)] == [alive.id]


@pytest.mark.docker
def test_cli_run_no_serve_prints_the_url_and_leaves_no_container(
    write_project, home, monkeypatch, docker_client
) -> None:
    from runner.cli import run_cmd

    monkeypatch.setenv("PIPELINE_DESIGNER_IMAGE_MAP", "python:3.12-slim=pipeline-designer-test/python:1")
    path = write_project(_yaml(PREDICT), **{"serve.py": SERVE})
    parser = argparse.ArgumentParser()
    run_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["run", str(path), "-p", "ship", "--network", "none", "--pull", "never", "--no-serve"]
    )
    out = io.StringIO()
    try:
        code = args.func(args, out)
    finally:
        mine = {"label": f"{OWNER_PID_LABEL}={os.getpid()}"}
        left = docker_client.containers.list(all=True, ignore_removed=True, filters=mine)
        for container in left:
            container.remove(force=True)
    text = out.getvalue()
    assert code == 0, text
    url_line = next(line for line in text.splitlines() if line.startswith("endpoint deploy/predict: "))
    assert url_line.split(": ", 1)[1].startswith("http://127.0.0.1:")
    assert "stopped 1 endpoint(s)" in text
    assert left == []


@pytest.mark.docker
def test_stop_endpoints_while_deploying_gives_up_at_once(
    write_project, home, docker_client, container_label
) -> None:
    from runner.api import RunOptions, plan_run, start_run

    endpoint = """\
    name: predict
    image: busybox
    server-command: sleep 60
    """
    path = write_project(_yaml(endpoint, "[]"))
    handle = start_run(
        plan_run(path, pipeline="ship"),
        RunOptions(image_map=IMAGE_MAP, labels=container_label, endpoint_timeout=60),
        network="none",
        pull="never",
        client=docker_client,
    )
    deadline = time.monotonic() + 60
    while not _ours(docker_client, container_label) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ours(docker_client, container_label), "the endpoint container never started"
    t0 = time.monotonic()
    handle.stop_endpoints()
    assert handle.wait(30) == "cancelled"
    assert time.monotonic() - t0 < 10
    assert _ours(docker_client, container_label) == []


@pytest.mark.docker
def test_cli_run_serves_until_sigterm_then_stops_the_endpoint(write_project, home, docker_client) -> None:
    path = write_project(_yaml(PREDICT), **{"serve.py": SERVE})
    repo = REPO
    env = {
        **os.environ,
        "PYTHONPATH": str(repo),
        "PYTHONUNBUFFERED": "1",
        "PIPELINE_DESIGNER_IMAGE_MAP": "python:3.12-slim=pipeline-designer-test/python:1",
    }
    code = (
        "import sys, argparse; from runner.cli import run_cmd; p = argparse.ArgumentParser(); "
        "run_cmd.register(p.add_subparsers(dest='command')); a = p.parse_args(sys.argv[1:]); "
        "sys.exit(a.func(a))"
    )
    argv = [
        sys.executable,
        "-c",
        code,
        "run",
        str(path),
        "-p",
        "ship",
        "--network",
        "none",
        "--pull",
        "never",
    ]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=repo, env=env
    )
    mine = {"label": f"{OWNER_PID_LABEL}={proc.pid}"}
    try:
        url, seen = "", []
        for line in proc.stdout:  # type: ignore[union-attr]
            seen.append(line)
            if line.startswith("endpoint deploy/predict: "):
                url = line.split(": ", 1)[1].strip()
            if line.startswith("serving; press Ctrl-C"):
                break
        assert url, "".join(seen)
        assert _get(url + "predict?x=3")["y"] == pytest.approx(7.0)  # still serving after the run
        assert len(docker_client.containers.list(filters=mine)) == 1
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, rest
        assert "stopped 1 endpoint(s)" in rest
        assert docker_client.containers.list(all=True, ignore_removed=True, filters=mine) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        for container in docker_client.containers.list(all=True, ignore_removed=True, filters=mine):
            container.remove(force=True)


def test_remote_runs_deploy_on_the_local_engine_and_say_so() -> None:
    from types import SimpleNamespace

    from runner.deploy.deployments import _local_client

    local = SimpleNamespace(name="docker", client="local-client", pull="never")
    pool = SimpleNamespace(name="ssh:gpu1,local", backends={"gpu1": object(), "local": local})
    assert _local_client(pool) == ("local-client", "never", "ssh:gpu1,local")
    assert _local_client(local) == ("local-client", "never", "")


@pytest.mark.docker
def test_a_finished_runs_unread_queue_stops_growing_with_endpoint_logs(
    write_project, deploy, monkeypatch
) -> None:
    import runner.api

    monkeypatch.setattr(runner.api, "MAX_UNREAD_AFTER_RUN", 50)
    chatty = SERVE.replace(
        'print(f"serving',
        "import threading, time\n"
        "def tick():\n"
        "    while True:\n"
        '        print("tick", flush=True)\n'
        "        time.sleep(0.002)\n"
        "threading.Thread(target=tick, daemon=True).start()\n"
        'print(f"serving',
    )
    endpoint = """\
    name: predict
    image: python:3.12-slim
    server-command: python3 serve.py
    files:
      - {name: model, path: models/model.json}
    """
    done = deploy(write_project(_yaml(endpoint), **{"serve.py": chatty}))
    assert done.status == "succeeded"
    queued, heard = done.handle.events.qsize(), len(done.events)
    time.sleep(2)  # the endpoint goes on printing a line every few ms; nobody reads the queue
    assert done.handle.events.qsize() <= max(queued, 50) + 5  # a handful may race the check
    ticks = [e for e in done.events[heard:] if isinstance(e, LogLine) and e.text == "tick"]
    assert len(ticks) > 200  # subscribers (on_event) still get every line
