"""Attach with VS Code (launch.json merged, never clobbered) and opening a frame in $EDITOR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.debug.attach_config import AttachConfigError, write_vscode_launch
from runner.debug.editor import editor_command
from runner.debug.local_pty import LocalTerminal


def test_launch_json_is_created_then_merged_keeping_the_users_configurations(tmp_path: Path) -> None:
    path = write_vscode_launch(tmp_path, "train", 40001)
    (config,) = json.loads(path.read_text())["configurations"]
    assert config["request"] == "attach" and config["connect"] == {"host": "127.0.0.1", "port": 40001}
    assert config["pathMappings"] == [
        {"localRoot": "${workspaceFolder}", "remoteRoot": "/valohai/repository"}
    ]
    # The user's own file, with VS Code's comments and trailing commas.
    path.write_text(
        '{\n  // my settings\n  "version": "0.2.0",\n  "configurations": [\n'
        '    {"name": "Run tests", "type": "debugpy", "request": "launch", "url": "http://x//y",},\n'
        '    /* the old one */ {"name": "Attach to pipeline node train", "connect": {"port": 1}},\n  ],\n}\n'
    )
    write_vscode_launch(tmp_path, "train", 40002)
    write_vscode_launch(tmp_path, "eval", 40003)
    configs = json.loads(path.read_text())["configurations"]
    assert [c["name"] for c in configs] == [
        "Run tests", "Attach to pipeline node train", "Attach to pipeline node eval"
    ]  # fmt: skip
    assert configs[0]["url"] == "http://x//y"  # a // inside a string is not a comment
    assert configs[1]["connect"]["port"] == 40002


def test_an_unreadable_launch_json_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / ".vscode" / "launch.json"
    path.parent.mkdir()
    path.write_text('{"configurations": [ {"name": oops} ]}')
    with pytest.raises(AttachConfigError, match="left as it is") as info:
        write_vscode_launch(tmp_path, "train", 40001)
    assert '"port": 40001' in str(info.value)  # what to add by hand
    assert path.read_text() == '{"configurations": [ {"name": oops} ]}'


@pytest.mark.parametrize(
    ("editor", "argv", "terminal"),
    [
        ("code --wait", ["code", "--wait", "-g", "/p/m.py:4"], False),
        ("/usr/bin/subl", ["/usr/bin/subl", "/p/m.py:4"], False),
        ("vim", ["vim", "+4", "/p/m.py"], True),
        ("emacs -nw", ["emacs", "-nw", "+4", "/p/m.py"], True),
        ("emacs", ["emacs", "+4", "/p/m.py"], False),
        ("pycharm", ["pycharm", "--line", "4", "/p/m.py"], False),
        ("myeditor", ["myeditor", "/p/m.py"], False),
    ],
)
def test_editor_command_opens_the_file_at_the_line(editor: str, argv: list[str], terminal: bool) -> None:
    command = editor_command(Path("/p/m.py"), 4, {"EDITOR": editor})
    assert command is not None and (command.argv, command.in_terminal) == (argv, terminal)


def test_visual_wins_and_nothing_set_means_the_system_opener() -> None:
    command = editor_command(Path("/p/m.py"), 4, {"VISUAL": "nano", "EDITOR": "code"})
    assert command is not None and command.argv[0] == "nano"
    assert editor_command(Path("/p/m.py"), 4, {}) is None
    assert editor_command(Path("/p/m.py"), 4, {"EDITOR": "'unclosed"}) is None


def test_a_terminal_editor_runs_under_a_local_pty() -> None:
    term = LocalTerminal(
        ["sh", "-c", "stty size; read line; stty size; echo got $line; exit 3"], size=(33, 77)
    )
    seen = b""
    while b"33 77" not in seen:
        seen += term.read()
    term.resize(40, 100)
    term.write(b"hello\r")
    while b"got hello" not in seen or b"40 100" not in seen:
        chunk = term.read()
        assert chunk, seen
        seen += chunk
    assert term.exit_code() == 3
    term.close()
