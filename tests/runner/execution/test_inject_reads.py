"""The injected read recorder on each backend, on the user's unchanged image: the image's own
sitecustomize and PYTHONPATH still work, an image without Python is not bothered."""

from __future__ import annotations

import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.execution.factory import make_backend
from runner.execution.inject import READS_ENV
from runner.execution.reads import from_reports
from runner.execution.spec import ExecutionSpec
from runner.store.artifacts import ArtifactStore

TRAIN = """\
import os
import helper
with open("config.json") as fh:
    print("config", fh.read().strip())
print("cache", os.path.exists("cache.npz"))
"""
DERIVED_TAG = "pipeline-designer-test/python-own-site:versioning"


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "train.py").write_text(TRAIN)
    (root / "helper.py").write_text("X = 1\n")
    (root / "config.json").write_text('{"lr": 0.1}\n')
    (root / "README.md").write_text("not read\n")
    return root


def _spec(repo: Path, image: str, script: str, label: dict[str, str], run_id: str) -> ExecutionSpec:
    return ExecutionSpec(
        run_id=run_id,
        node="train",
        execution_id=f"{run_id}-train",
        step="train",
        image=image,
        commands=[script],
        script=script + "\n",
        parameters={},
        inputs={},
        env={},
        repository=repo,
        code_hash="0" * 64,
        extra_labels=label,
        inject={READS_ENV: "1"},
    )


def _run(backend: Any, spec: ExecutionSpec) -> tuple[int | None, list[str], dict[str, bytes]]:
    handle = backend.launch(spec, threading.Event())
    assert handle.wait(60), "the step did not finish"
    lines = [text for _stream, text, _t in backend.poll(handle).lines]
    try:
        return handle.exit_code, lines, backend.reports(handle)
    finally:
        backend.cleanup(handle)


@pytest.mark.docker
@pytest.mark.parametrize("backend_name", ["docker", "docker-archive", "local"])
def test_reads_are_recorded_on_every_backend(
    backend_name: str, tmp_path: Path, docker_client: Any, python_image: str, container_label: dict[str, str]
) -> None:
    artifacts = ArtifactStore(tmp_path / "home" / "artifacts")
    backend = make_backend(
        backend_name, tmp_path / "home", artifacts, network="none", pull="never", client=docker_client
    )
    spec = _spec(
        _repo(tmp_path / "repo"), python_image, "python3 train.py", container_label, f"t{backend_name[:8]}"
    )
    code, lines, reports = _run(backend, spec)
    assert code == 0, lines
    assert 'config {"lr": 0.1}' in lines and "cache False" in lines
    reads = from_reports(reports, spec.script)
    assert reads.complete, reads.why
    assert {"f:train.py", "f:helper.py", "f:config.json", "s:cache.npz", "m:.:helper"} <= reads.dependencies
    assert not any("README" in d for d in reads.dependencies)


@pytest.fixture(scope="module")
def own_site_image(docker_client: Any, python_image: str) -> Iterator[str]:
    """The test Python image plus a sitecustomize and PYTHONPATH of its own (built locally)."""
    files = {
        "Dockerfile": f"FROM {python_image}\nCOPY site/ /opt/site/\nENV PYTHONPATH=/opt/site\n",
        "site/sitecustomize.py": "import os\nos.environ['IMAGE_SITECUSTOMIZE'] = 'ran'\n",
        "site/imagemod.py": "WHERE = 'image'\n",
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, text in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    buf.seek(0)
    docker_client.images.build(fileobj=buf, custom_context=True, tag=DERIVED_TAG, pull=False, rm=True)
    yield DERIVED_TAG
    docker_client.images.remove(DERIVED_TAG, force=True)


@pytest.mark.docker
def test_the_images_own_sitecustomize_and_pythonpath_still_work(
    tmp_path: Path, docker_client: Any, own_site_image: str, container_label: dict[str, str]
) -> None:
    artifacts = ArtifactStore(tmp_path / "home" / "artifacts")
    backend = make_backend(
        "docker", tmp_path / "home", artifacts, network="none", pull="never", client=docker_client
    )
    script = (
        "python3 -c 'import os, imagemod; print(os.environ.get(\"IMAGE_SITECUSTOMIZE\"), imagemod.WHERE)'"
    )
    spec = _spec(_repo(tmp_path / "repo"), own_site_image, script, container_label, "tsite")
    code, lines, reports = _run(backend, spec)
    assert code == 0, lines
    assert lines == ["ran image"]
    assert from_reports(reports, spec.script).complete


@pytest.mark.docker
def test_an_image_without_python_runs_as_before(
    tmp_path: Path, docker_client: Any, busybox_image: str, container_label: dict[str, str]
) -> None:
    artifacts = ArtifactStore(tmp_path / "home" / "artifacts")
    backend = make_backend(
        "docker", tmp_path / "home", artifacts, network="none", pull="never", client=docker_client
    )
    spec = _spec(
        _repo(tmp_path / "repo"), busybox_image, "echo $PYTHONPATH && cat README.md", container_label, "tbusy"
    )
    code, lines, reports = _run(backend, spec)
    assert code == 0 and lines == ["/valohai/inject", "not read"]
    reads = from_reports(reports, spec.script)
    assert not reads.complete and reads.why == "its command runs cat"
