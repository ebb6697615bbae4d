"""Typed errors of the configuration model.

Each carries what a user needs to fix the problem: where (file, line, column) and what to do (hint).
"""

from __future__ import annotations

from pathlib import Path


class ConfigLoadError(Exception):
    """The file could not be read or parsed as YAML at all."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str = "",
        readable: bool = True,
    ) -> None:
        self.message = message
        # False when the bytes could not be read as text at all (missing, a directory,
        # no permission, binary, too large): the CLI exits 2 then, and 1 for bad YAML.
        self.readable = readable
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        where = self.file or "<text>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: error: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class EditError(Exception):
    """An edit was refused; the message says why in a sentence fit for a tooltip."""


class UnknownNameError(EditError, KeyError):
    """A step, pipeline, node, parameter or input of that name does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(EditError):
    """The name is already taken."""


class EdgeError(EditError):
    """An edge cannot be created as asked."""


class CycleError(EdgeError):
    """The edge would close a cycle; ``cycle`` is the path, first node repeated at the end."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(f"This edge would create a cycle: {' → '.join(cycle)}")


class PortMismatchError(EdgeError):
    """The two ports cannot be connected (e.g. an output into a parameter)."""


class DuplicateEdgeError(EdgeError):
    """The same edge already exists, or the target already has its one allowed feed."""
