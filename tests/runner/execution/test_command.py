"""Parameter resolution and command rendering against worked examples of docs/runtime.md §6."""

from __future__ import annotations

import shlex
import subprocess
import textwrap

import pytest
import valohai_yaml

from runner.execution.command import (
    ParameterError,
    build_script,
    render_command,
    resolve_parameters,
    script_argv,
)

CONTRACT_STEP = """
- step:
    name: t
    image: x
    command: python train.py {parameters}
    parameters:
      - {name: epochs, type: integer, default: 10}
      - {name: lr, type: float, pass-as: "--lr={v}", default: 0.001}
      - {name: arch, type: string, pass-as: "-a {v}", default: "two words; rm -rf /"}
      - {name: verbose, type: flag, default: true}
      - {name: dry, type: flag, pass-true-as: "--dry=yes", pass-false-as: "--dry=no"}
      - {name: opt, type: string, optional: true}
      - {name: ids, type: integer, multiple: separate, multiple-separator: ":", default: [1,2,3]}
      - {name: tags, type: string, multiple: repeat, pass-as: "--tag {v}", default: [a, "b c"]}
"""


def _step(text: str = CONTRACT_STEP):
    return valohai_yaml.parse(textwrap.dedent(text)).steps["t"]


def test_contract_worked_example() -> None:
    step = _step()
    values = resolve_parameters(step.parameters, {"verbose": True, "dry": False})
    assert render_command(step.command, step.parameters, values) == [
        "python train.py --epochs=10 --lr=0.001 -a 'two words; rm -rf /' --verbose --dry=no "
        "--ids=1:2:3 --tag a --tag 'b c'"
    ]


def test_flag_defaults_are_passed_explicitly() -> None:
    step = _step()
    values = resolve_parameters(step.parameters, {})
    assert values["verbose"] is True and "dry" not in values and "opt" not in values
    assert "--verbose" in render_command(step.command, step.parameters, values)[0]


def test_cli_strings_are_cast() -> None:
    step = _step()
    values = resolve_parameters(
        step.parameters, {"epochs": "7", "lr": "1e-5", "verbose": "false", "ids": "4:5"}
    )
    assert values["epochs"] == 7 and values["lr"] == 1e-5 and values["verbose"] is False
    assert values["ids"] == [4, 5]


def test_parameter_value_placeholder_and_missing() -> None:
    step = _step()
    values = resolve_parameters(step.parameters, {})
    rendered = render_command(
        ["echo {parameter-value:ids} {parameter-value:verbose} {parameter-value:opt} {parameter:opt}|"],
        step.parameters,
        values,
    )
    assert rendered == ["echo '[1, 2, 3]' True {parameter-value:opt} |"]


def test_injection_value_stays_one_literal_argument() -> None:
    step = _step(
        """
        - step:
            name: t
            image: x
            command: printf '%s\\n' {parameters}
            parameters:
              - {name: s, type: string}
        """
    )
    evil = 'x"; touch /tmp/pwned; echo "'
    values = resolve_parameters(step.parameters, {"s": evil})
    (line,) = render_command(step.command, step.parameters, values)
    assert shlex.split(line) == ["printf", "%s\\n", f"--s={evil}"]
    result = subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True, check=True)
    assert result.stdout == f"--s={evil}\n"


def test_errors_name_the_parameter() -> None:
    step = _step(
        """
        - step:
            name: t
            image: x
            command: run
            parameters:
              - {name: n, type: integer, min: 1}
              - {name: f, type: flag}
        """
    )
    with pytest.raises(ParameterError, match="'n' is required"):
        resolve_parameters(step.parameters, {})
    with pytest.raises(ParameterError, match=r"'n'.*less than the minimum"):
        resolve_parameters(step.parameters, {"n": 0})
    with pytest.raises(ParameterError, match=r"'n'.*not an integer"):
        resolve_parameters(step.parameters, {"n": "three"})
    with pytest.raises(ParameterError, match=r"'f'.*not a flag"):
        resolve_parameters(step.parameters, {"n": 1, "f": "maybe"})
    with pytest.raises(ParameterError, match="unknown parameter"):
        resolve_parameters(step.parameters, {"n": 1, "zzz": 2})


def test_script_join_default_and_strict_and_shebang() -> None:
    assert build_script(["false", "echo ok"]) == "false\necho ok\n"
    assert build_script(["false", "echo ok"], strict=True) == "false && echo ok\n"
    script = build_script(["#!/usr/bin/env python3\nprint(1)", "print(2)"])
    assert script == "#!/usr/bin/env python3\nprint(1)\nprint(2)\n"
    assert script_argv("/s.sh", script) == ["/usr/bin/env", "python3", "/s.sh"]
    assert script_argv("/s.sh", "echo\n") == ["/bin/sh", "/s.sh"]


def test_default_join_exit_code_is_the_last_commands(tmp_path) -> None:
    script = tmp_path / "s.sh"
    script.write_text(build_script(["false", "true"]))
    assert subprocess.run(["/bin/sh", str(script)]).returncode == 0
    script.write_text(build_script(["false", "true"], strict=True))
    assert subprocess.run(["/bin/sh", str(script)]).returncode == 1
