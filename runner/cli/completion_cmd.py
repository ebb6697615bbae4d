"""``pipeline-designer completion bash|zsh``: a shell completion script generated from the parser.

The script is derived from the argparse tree at run time, so a new subcommand, option or
``choices=`` list is completed without editing anything here. Nested subcommands (``hosts add``)
are followed to any depth. zsh reuses the bash function through ``bashcompinit``.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field

PROG = "pipeline-designer"


@dataclass
class _Level:
    """What one (sub)command accepts: its options, the options' fixed choices, its subcommands."""

    path: tuple[str, ...]
    options: list[str] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)  # option -> its choices
    takes_value: list[str] = field(default_factory=list)  # options followed by a free value
    commands: dict[str, str] = field(default_factory=dict)  # subcommand -> help


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description="Print a completion script for the shell. Load it for this session with "
        '`eval "$(pipeline-designer completion bash)"` (zsh: `... completion zsh`), or save it '
        "as a file your shell reads at start-up (see docs/getting-started.md).",
    )
    p.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from runner.cli.main import build_parser  # imported here: main imports this module

    print(script(build_parser(), args.shell), end="")
    return 0


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[_Level]:
    """Every command level of the parser tree, parents before children."""
    level = _Level(path)
    children: list[_Level] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                level.commands[name] = helps.get(name, "")
                children.extend(walk(sub, (*path, name)))
        elif not action.option_strings:
            if action.choices:  # a positional with fixed values (``completion bash|zsh``)
                level.commands.update({str(c): "" for c in action.choices})
        else:
            level.options.extend(action.option_strings)
            for option in action.option_strings if action.nargs != 0 else ():
                if action.choices:
                    level.choices[option] = [str(c) for c in action.choices]
                else:
                    level.takes_value.append(option)
    return [level, *children]


def _q(words: list[str] | tuple[str, ...]) -> str:
    return shlex.quote(" ".join(words))


def bash_script(parser: argparse.ArgumentParser) -> str:
    levels = walk(parser)
    transitions, per_level = [], []
    for level in levels:
        here = " ".join(level.path)
        for name in level.commands:
            transitions.append(
                f"            {shlex.quote(here + ':' + name)}) path={_q((*level.path, name))} ;;"
            )
        value_cases = [
            f'                {shlex.quote(opt)}) COMPREPLY=($(compgen -W {_q(ch)} -- "$cur")); return ;;'
            for opt, ch in level.choices.items()
        ]
        if level.takes_value:
            alternatives = "|".join(shlex.quote(o) for o in level.takes_value)
            value_cases.append(
                f'                {alternatives}) COMPREPLY=($(compgen -f -- "$cur")); return ;;'
            )
        per_level.append(
            f"        {shlex.quote(here)})\n"
            f"            opts={_q(level.options)}; cmds={_q(list(level.commands))}\n"
            f'            case "$prev" in\n' + "\n".join(value_cases) + "\n            esac ;;"
        )
    return f"""# bash completion for {PROG}; generated from its argument parser.
_pipeline_designer() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local path="" opts="" cmds="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "$path:${{COMP_WORDS[i]}}" in
{chr(10).join(transitions)}
        esac
    done
    case "$path" in
{chr(10).join(per_level)}
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ -z "$path" ]]; then  # the designer also takes a FILE here
        COMPREPLY=($(compgen -W "$cmds" -- "$cur") $(compgen -f -- "$cur"))
    elif [[ -n "$cmds" ]]; then
        COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _pipeline_designer {PROG}
"""


def zsh_script(parser: argparse.ArgumentParser) -> str:
    return (
        f"#compdef {PROG}\n# zsh completion for {PROG}: the bash function, through bashcompinit.\n"
        "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
        + bash_script(parser).split("\n", 1)[1]
    )


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    if shell == "bash":
        return bash_script(parser)
    if shell == "zsh":
        return zsh_script(parser)
    raise ValueError(f"no completion for shell {shell!r}: use bash or zsh")


__all__ = ["register", "run", "script", "walk"]
