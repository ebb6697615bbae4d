"""The saved settings: one file the designer's Preferences and the CLI both read."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from runner.api import Settings, SettingsError, load_settings, save_settings, settings_path
from runner.cli import run_cmd, settings_cmd


def _cli(module, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    out = io.StringIO()
    return args.func(args, out), out.getvalue()


def test_defaults_without_a_file_then_a_round_trip(config_dir: Path) -> None:
    assert load_settings() == Settings()
    saved = Settings(image_map={"python:3.12-slim": "local/python:1"}, network="none", run_target="gpu1")
    path = save_settings(saved)
    assert path == settings_path() and path.parent == config_dir
    assert load_settings() == saved
    assert json.loads(path.read_text())["image_map"] == {"python:3.12-slim": "local/python:1"}


def test_a_broken_file_names_the_line_and_the_fix(config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "settings.json").write_text('{\n  "network": "none",\n  "theme": dark\n}\n')
    with pytest.raises(SettingsError, match=r"settings.json:3:12: not valid JSON .*delete it"):
        load_settings()
    (config_dir / "settings.json").write_text('{"theme": "purple"}')
    with pytest.raises(SettingsError, match="theme 'purple': one of system, light, dark"):
        load_settings()


def test_bad_values_are_refused_before_writing(config_dir: Path) -> None:
    save_settings(Settings(network="none"))
    with pytest.raises(SettingsError, match="both images must be named"):
        save_settings(Settings(image_map={"python:3.12": ""}))
    assert load_settings().network == "none"  # the file is left as it was


def test_settings_command_changes_what_run_uses(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINE_DESIGNER_IMAGE_MAP", raising=False)
    assert _cli(settings_cmd, "settings", "map", "busybox", "local/busybox:1")[0] == 0
    assert _cli(settings_cmd, "settings", "set", "network", "none")[0] == 0
    code, text = _cli(settings_cmd, "settings")
    assert code == 0 and "busybox -> local/busybox:1" in text and "network: none" in text
    parser = argparse.ArgumentParser()
    run_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["run", "x.yaml", "--step", "s"])
    assert run_cmd.engine_options(args) == ({"busybox": "local/busybox:1"}, "none")
    # The environment and the flags win over the saved values, in that order.
    monkeypatch.setenv("PIPELINE_DESIGNER_IMAGE_MAP", "busybox=env/busybox:2")
    args = parser.parse_args(["run", "x.yaml", "--step", "s", "--network", "bridge"])
    assert run_cmd.engine_options(args) == ({"busybox": "env/busybox:2"}, "bridge")
    args = parser.parse_args(["run", "x.yaml", "--step", "s", "--image-map", "busybox=flag/busybox:3"])
    assert run_cmd.engine_options(args)[0] == {"busybox": "flag/busybox:3"}
    assert _cli(settings_cmd, "settings", "set", "network", "default")[0] == 0
    assert _cli(settings_cmd, "settings", "unmap", "busybox")[0] == 0
    assert load_settings() == Settings()


def test_settings_command_refuses_bad_values(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(settings_cmd, "settings", "set", "theme", "purple")[0] == 2
    assert "theme 'purple'" in capsys.readouterr().err
    assert _cli(settings_cmd, "settings", "unmap", "nothing")[0] == 2
    assert "no mapping of image 'nothing'" in capsys.readouterr().err


def test_watch_sends_its_runs_to_the_saved_run_target(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`settings set run-target` (or Preferences) applies to watch as to run; --host wins."""
    from runner.cli import watch_cmd

    monkeypatch.setenv("PIPELINE_DESIGNER_HOME", str(tmp_path / "home"))
    path = tmp_path / "valohai.yaml"
    path.write_text(
        '- step: {name: s, image: busybox, command: "true"}\n'
        "- pipeline: {name: p, nodes: [{name: a, type: execution, step: s}], edges: []}\n"
    )
    assert _cli(settings_cmd, "settings", "set", "run-target", "gpu-nowhere")[0] == 0
    once = ["watch", str(path), "--pipeline", "p", "--every", "1h", "--once-at-start", "--max-runs", "1"]
    code, text = _cli(watch_cmd, *once, "--backend", "local")
    assert code == 1 and "not started: cannot start: unknown host 'gpu-nowhere'" in text
    code, text = _cli(watch_cmd, *once, "--backend", "local", "--host", "local")
    assert code == 0 and ": succeeded (1 node, " in text


@pytest.mark.docker
def test_reproduce_and_shell_use_the_saved_network(
    config_dir: Path, home: Path, project, docker_client, busybox_image: str, capsys: pytest.CaptureFixture
) -> None:
    """The network set in Preferences is where reproduce's and shell's containers go too (--network wins)."""
    from runner.cli import reproduce_cmd, shell_cmd

    path = project(f'- step: {{name: hello, image: {busybox_image}, command: "echo hello"}}\n')
    code, _ = _cli(run_cmd, "run", str(path), "--step", "hello", "--network", "none")
    assert code == 0
    assert _cli(settings_cmd, "settings", "set", "network", "pd-test-no-such-network")[0] == 0
    code, text = _cli(reproduce_cmd, "reproduce", "latest")
    assert code == 1 and "container network 'pd-test-no-such-network' does not exist" in text
    code, text = _cli(reproduce_cmd, "reproduce", "latest", "--network", "none")
    assert code == 0, text
    capsys.readouterr()
    code, _ = _cli(shell_cmd, "shell", "latest/hello", "--", "true")
    err = capsys.readouterr().err
    assert code == 2 and "network 'pd-test-no-such-network' does not exist" in err and "Traceback" not in err
