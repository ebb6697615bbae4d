"""Setting up PyCharm's debugger: its run configuration written or merged into ``.idea`` (never
clobbering what cannot be read), the pydevd-pycharm version found from the installed PyCharm,
and the package laid out as plain Python from what the index serves."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from runner.debug.attach_config import AttachConfigError
from runner.debug.pycharm import (
    BUILD_ENV,
    SEARCH_ENV,
    PyCharmSetupError,
    PyCharmTarget,
    choose_build,
    installed_builds,
    parse_connect,
)
from runner.debug.pycharm_config import configured_port, write_pycharm_config
from runner.debug.pydevd_package import _package_path, ensure_pydevd


def _config(path: Path) -> ET.Element:
    config = ET.parse(path).getroot().find("configuration")
    assert config is not None
    return config


def _options(config: ET.Element) -> dict[str, str]:
    return {o.get("name", ""): o.get("value", "") for o in config.findall("option")}


def _mappings(config: ET.Element) -> list[dict[str, str]]:
    return [dict(m.attrib) for m in config.iterfind("PathMappingSettings/option/list/mapping")]


def test_a_new_configuration_then_an_update_that_keeps_what_the_user_set(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / ".idea").mkdir(parents=True)
    (project / ".idea" / "proj-module.iml").write_text("<module/>")
    path = write_pycharm_config(project, "train-2", 5679)
    assert path == project / ".idea" / "runConfigurations" / "Attach_to_pipeline_node_train_2.xml"
    config = _config(path)
    assert config.get("type") == "PyRemoteDebugConfigurationType"
    assert config.find("module").get("name") == "proj-module"  # type: ignore[union-attr]
    assert _options(config) == {
        "PORT": "5679",
        "HOST": "localhost",
        "REDIRECT_OUTPUT": "false",
        "SUSPEND_AFTER_CONNECT": "false",
    }
    assert _mappings(config) == [{"local-root": "$PROJECT_DIR$", "remote-root": "/valohai/repository"}]
    # The user adds a mapping of their own and turns on output redirection in PyCharm.
    text = path.read_text().replace('"REDIRECT_OUTPUT" value="false"', '"REDIRECT_OUTPUT" value="true"')
    text = text.replace("<list>", '<list><mapping local-root="/data" remote-root="/valohai/inputs" />')
    path.write_text(text)
    assert configured_port(project, "train-2") == 5679
    assert write_pycharm_config(project, "train-2", 6001) == path  # updated in place
    config = _config(path)
    assert _options(config)["PORT"] == "6001" and _options(config)["REDIRECT_OUTPUT"] == "true"
    assert _mappings(config) == [
        {"local-root": "/data", "remote-root": "/valohai/inputs"},
        {"local-root": "$PROJECT_DIR$", "remote-root": "/valohai/repository"},
    ]
    assert len(list(path.parent.iterdir())) == 1  # no temporary file left beside it


def test_the_pycharm_project_may_be_a_parent_folder(tmp_path: Path) -> None:
    (tmp_path / ".idea").mkdir()
    pipelines = tmp_path / "ml" / "pipelines"
    pipelines.mkdir(parents=True)
    path = write_pycharm_config(pipelines, "train", 5679)
    assert path.parent == tmp_path / ".idea" / "runConfigurations"
    assert _mappings(_config(path))[0]["local-root"] == "$PROJECT_DIR$/ml/pipelines"


def test_what_cannot_be_read_or_is_another_kind_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / ".idea" / "runConfigurations"
    folder.mkdir(parents=True)
    broken = folder / "Attach_to_pipeline_node_train.xml"
    broken.write_text("<component><configuration name='Attach to pipeline node train'")
    with pytest.raises(AttachConfigError, match=r"could not be read .* left as it is"):
        write_pycharm_config(tmp_path, "train", 5679)
    assert broken.read_text().endswith("node train'")
    assert configured_port(tmp_path, "train") is None
    broken.unlink()
    other = folder / "mine.xml"
    other.write_text(
        '<component name="ProjectRunConfigurationManager"><configuration name="Attach to pipeline node '
        'train" type="PythonConfigurationType" /></component>'
    )
    with pytest.raises(AttachConfigError, match=r"of another kind \(PythonConfigurationType"):
        write_pycharm_config(tmp_path, "train", 5679)
    assert "PythonConfigurationType" in other.read_text() and len(list(folder.iterdir())) == 1


def _pycharm(folder: Path, build: str, product_info: bool = True) -> Path:
    folder.mkdir(parents=True)
    if product_info:
        info = {"name": "PyCharm", "version": "2026.3", "buildNumber": build, "productCode": "PY"}
        (folder / "product-info.json").write_text(json.dumps(info))
    else:
        (folder / "build.txt").write_text(f"PC-{build}\n")
    return folder


def test_the_build_of_the_newest_installed_pycharm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _pycharm(tmp_path / "pycharm-community-2025.2", "252.23892.515", product_info=False)
    new = _pycharm(tmp_path / "PyCharm.app" / "Contents" / "Resources", "263.7307.50").parents[1]
    not_pycharm = tmp_path / "idea"
    not_pycharm.mkdir()
    (not_pycharm / "build.txt").write_text("IU-263.1.1\n")
    found = installed_builds([old, new, not_pycharm])
    assert [(i.path, i.build) for i in found] == [(new, "263.7307.50"), (old, "252.23892.515")]

    monkeypatch.setenv(SEARCH_ENV, f"{old}")
    monkeypatch.delenv(BUILD_ENV, raising=False)
    chosen = choose_build(PyCharmTarget())
    assert (chosen.build, chosen.why) == ("252.23892.515", f"PyCharm in {old}")
    monkeypatch.setenv(BUILD_ENV, "PY-261.1.2")  # the setting
    assert choose_build(PyCharmTarget()).build == "261.1.2"
    assert choose_build(PyCharmTarget(build="263.9.9")).build == "263.9.9"  # --pycharm-build
    monkeypatch.setenv(SEARCH_ENV, str(tmp_path / "nothing"))
    monkeypatch.delenv(BUILD_ENV)
    assert choose_build(PyCharmTarget()).build == ""  # the newest available, then
    with pytest.raises(PyCharmSetupError, match="Help ▸ About"):
        choose_build(PyCharmTarget(build="2026.3 beta"))


def test_debug_connect_address() -> None:
    assert parse_connect("5679") == ("127.0.0.1", 5679)
    assert parse_connect("devbox:6000") == ("devbox", 6000)
    assert parse_connect("[::1]:6000") == ("::1", 6000)
    for bad in ("", "host:", "70000", "x"):
        with pytest.raises(PyCharmSetupError):
            parse_connect(bad)


def test_what_of_the_archive_is_kept() -> None:
    top = "pydevd_pycharm-263.7307.50"
    kept = {
        f"{top}/pydevd.py": ["pydevd.py"],
        f"{top}/_pydevd_bundle/pydevd_comm.py": ["_pydevd_bundle", "pydevd_comm.py"],
        f"{top}/pydevd_attach_to_process/attach_linux_amd64.so": [
            "pydevd_attach_to_process",
            "attach_linux_amd64.so",
        ],
    }
    for member, parts in kept.items():
        assert _package_path(member) == parts
    for member in (
        f"{top}/../evil.py",
        "/etc/passwd",
        f"{top}/setup.py",
        f"{top}/tests/test_pydevd.py",
        f"{top}/_pydevd_bundle/pydevd_cython.c",
        f"{top}/_pydevd_bundle/pydevd_cython_win32_312_64.cp312-win_amd64.pyd",
        f"{top}/pydevd_attach_to_process/attach_amd64.dll",
        f"{top}/pydevd_attach_to_process/linux_and_mac/attach.cpp",
        f"{top}/pydevd_pycharm.egg-info/PKG-INFO",
    ):
        assert _package_path(member) is None, member


def test_a_build_without_a_release_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(PyCharmSetupError, match=r"999\.0\.1 could not be fetched.*--pycharm-build"):
        ensure_pydevd(tmp_path, "999.0.1")
    assert [p.name for p in (tmp_path / "debuggers" / "pydevd-pycharm").iterdir()] == []
