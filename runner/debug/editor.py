"""How to open a file at a line in the user's editor (``$VISUAL``, else ``$EDITOR``)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_COLON = {"code", "code-insiders", "codium", "cursor"}  # -g FILE:LINE
_SUFFIX = {"subl", "sublime_text", "zed", "atom"}  # FILE:LINE
_PLUS = {"vim", "nvim", "vi", "gvim", "nano", "emacs", "emacsclient", "micro", "kak", "hx", "helix",
         "gedit", "mousepad", "joe", "ne", "mcedit"}  # +LINE FILE  # fmt: skip
_LINE_FLAG = {"pycharm", "pycharm.sh", "charm", "idea", "idea.sh", "pycharm-community"}
_IN_TERMINAL = {"vim", "nvim", "vi", "nano", "emacs", "micro", "kak", "hx", "helix", "joe", "ne", "mcedit"}


@dataclass(frozen=True)
class EditorCommand:
    argv: list[str]
    in_terminal: bool  # a terminal editor (vim, nano, ...): it needs a terminal to run in


def editor_command(path: Path, line: int, env: Mapping[str, str] | None = None) -> EditorCommand | None:
    """The command opening ``path`` at ``line``; None when neither variable names an editor
    (the caller then asks the system to open the file)."""
    env = os.environ if env is None else env
    text = (env.get("VISUAL") or env.get("EDITOR") or "").strip()
    if not text:
        return None
    try:
        argv = shlex.split(text)
    except ValueError:
        return None
    if not argv:
        return None
    name = Path(argv[0]).name
    file = str(path)
    if name in _COLON:
        args = ["-g", f"{file}:{line}"]
    elif name in _SUFFIX:
        args = [f"{file}:{line}"]
    elif name in _PLUS:
        args = [f"+{line}", file]
    elif name in _LINE_FLAG:
        args = ["--line", str(line), file]
    else:
        args = [file]
    terminal = ("-nw" in argv) if name == "emacs" else name in _IN_TERMINAL
    return EditorCommand([*argv, *args], terminal)
