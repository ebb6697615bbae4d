"""The local test images (tests/images/build.sh) start real containers and hold what tests need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker


def _run(
    client: object, image: str, command: list[str], label: dict[str, str], **kwargs: object
) -> tuple[int, str]:
    container = client.containers.run(  # type: ignore[attr-defined]
        image, command, labels=label, network_mode="none", detach=True, **kwargs
    )
    status = container.wait(timeout=60)["StatusCode"]
    return status, container.logs().decode()


def test_busybox_image_runs_a_shell_and_keeps_the_exit_code(
    docker_client: object, busybox_image: str, container_label: dict[str, str]
) -> None:
    script = 'echo "hello from $(id -un)"; test -d /tmp -a -k /tmp && echo tmp-ok; exit 7'
    status, logs = _run(docker_client, busybox_image, ["sh", "-c", script], container_label)
    assert status == 7
    assert logs.splitlines() == ["hello from root", "tmp-ok"]


def test_busybox_image_has_the_applets_and_a_shell_default(
    docker_client: object, busybox_image: str, container_label: dict[str, str]
) -> None:
    attrs = docker_client.images.get(busybox_image).attrs  # type: ignore[attr-defined]
    assert attrs["Config"]["Cmd"] == ["/bin/sh"]
    # Applets resolved through PATH, as a step's one-line command would use them.
    status, logs = _run(
        docker_client,
        busybox_image,
        ["sh", "-c", "sleep 0; seq 3 | awk '{s+=$1} END {print s}'"],
        container_label,
    )
    assert (status, logs.strip()) == (0, "6")


def test_python_image_imports_numpy_and_valohai_without_network(
    docker_client: object, python_image: str, container_label: dict[str, str]
) -> None:
    code = (
        "import json, socket, numpy, valohai, valohai_yaml;"
        "ok = True\n"
        "try: socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
        "except OSError: ok = False\n"
        "print(json.dumps({'sum': int(numpy.arange(5).sum()), 'network': ok}))"
    )
    status, logs = _run(docker_client, python_image, ["python3", "-c", code], container_label)
    assert status == 0, logs
    assert json.loads(logs.strip().splitlines()[-1]) == {"sum": 10, "network": False}


def test_python_image_runs_valohai_utils_against_a_valohai_tree(
    docker_client: object, python_image: str, container_label: dict[str, str], tmp_path: Path
) -> None:
    """valohai-utils inside the image reads /valohai/config and /valohai/inputs as on the platform."""
    (tmp_path / "config").mkdir()
    (tmp_path / "inputs" / "dataset").mkdir(parents=True)
    (tmp_path / "outputs").mkdir()
    (tmp_path / "inputs" / "dataset" / "a.csv").write_text("x\n1\n")
    (tmp_path / "config" / "parameters.json").write_text(json.dumps({"epochs": 3}))
    files = [{"name": "a.csv", "path": "/valohai/inputs/dataset/a.csv"}]
    (tmp_path / "config" / "inputs.json").write_text(json.dumps({"dataset": {"files": files}}))
    code = (
        "import valohai;"
        "valohai.prepare(step='s', default_parameters={'epochs': 99});"
        "path = valohai.inputs('dataset').path();"
        "open(valohai.outputs().path('copy.csv'), 'w').write(open(path).read());"
        "print(valohai.parameters('epochs').value)"
    )
    env = {
        "VH_JOB_ID": "exec-test",
        "VH_CONFIG_DIR": "/valohai/config",
        "VH_INPUTS_DIR": "/valohai/inputs",
        "VH_OUTPUTS_DIR": "/valohai/outputs",
    }
    volumes = {
        str(tmp_path / d): {"bind": f"/valohai/{d}", "mode": "rw"} for d in ("config", "inputs", "outputs")
    }
    status, logs = _run(
        docker_client,
        python_image,
        ["python3", "-c", code],
        container_label,
        environment=env,
        volumes=volumes,
    )
    assert status == 0, logs
    assert logs.strip().splitlines()[-1] == "3"
    assert (tmp_path / "outputs" / "copy.csv").read_text() == "x\n1\n"
