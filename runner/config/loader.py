"""Read a valohai.yaml safely and keep a map from config paths to source positions.

Hostile input is refused before it can hurt: oversized files, binary junk, undecodable
bytes, YAML syntax errors and alias bombs all raise :class:`ConfigLoadError` with the
file, line and column. Anything that is readable YAML loads, however invalid as a
valohai.yaml; judging it is :func:`runner.config.lint.lint`'s job.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from runner.config import query
from runner.config.errors import ConfigLoadError
from runner.config.gc_pause import paused_gc

try:  # libyaml is ~10x faster; fall back to the pure-Python loader where it is missing
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_BYTES = 5 * 1024 * 1024
# An alias bomb is small on disk and explodes when expanded: cap the values that aliases add
# (a file without aliases is limited only by its size). Real files reuse a few small anchors.
MAX_EXPANDED_NODES = 100_000
DEFAULT_FILENAME = "valohai.yaml"
BOM = "\ufeff"  # kept in the text so a save gives the same bytes back; stripped for parsing

ConfigPath = query.ConfigPath


@dataclass(frozen=True)
class Mark:
    """A 1-based source position."""

    line: int
    column: int


class LoadedConfig:
    """One parsed valohai.yaml: its text, plain data, positions and valohai-yaml view.

    ``marks`` (where each value starts), ``key_marks`` (where each mapping key starts) and
    ``duplicate_keys`` come with the parse; a view built from an exact edit finds them on
    first use instead, so an edit pays only for what it changed.
    """

    def __init__(
        self,
        text: str,
        data: Any,
        path: Path | None = None,
        marks: dict[ConfigPath, Mark] | None = None,
        key_marks: dict[ConfigPath, Mark] | None = None,
        duplicate_keys: list[tuple[ConfigPath, Mark]] | None = None,
        *,
        has_aliases: bool = False,
        positions_known: bool = True,
    ) -> None:
        self.text = text
        self.data = data
        self.path = path
        self.has_aliases = has_aliases  # the text reuses nodes (aliases, merge keys)
        self._marks = marks if marks is not None else {}
        self._key_marks = key_marks if key_marks is not None else {}
        self._duplicate_keys = duplicate_keys if duplicate_keys is not None else []
        self._positions_known = positions_known

    def _positions(self) -> None:
        if self._positions_known:
            return
        self._positions_known = True
        fresh = load_text(self.text, self.path)
        self._marks, self._key_marks = fresh._marks, fresh._key_marks
        self._duplicate_keys = fresh._duplicate_keys

    @property
    def marks(self) -> dict[ConfigPath, Mark]:
        self._positions()
        return self._marks

    @property
    def key_marks(self) -> dict[ConfigPath, Mark]:
        self._positions()
        return self._key_marks

    @property
    def duplicate_keys(self) -> list[tuple[ConfigPath, Mark]]:
        self._positions()
        return self._duplicate_keys

    @property
    def root_dir(self) -> Path:
        """The folder of the YAML: the repository a step sees as its working directory."""
        return self.path.parent if self.path else Path.cwd()

    @property
    def display_name(self) -> str:
        return str(self.path) if self.path else "<text>"

    @cached_property
    def _parsed(self) -> tuple[Any, Exception | None]:
        from valohai_yaml.objs import Config

        if not isinstance(self.data, list):
            return None, None
        try:
            return Config.parse(self.data), None
        except Exception as exc:  # valohai-yaml raises many types on malformed input
            return None, exc

    @property
    def config(self) -> Any:
        """The valohai-yaml ``Config`` (parsed without schema validation), or None."""
        return self._parsed[0]

    @property
    def parse_error(self) -> Exception | None:
        """Why valohai-yaml could not build a ``Config``, if it could not."""
        return self._parsed[1]

    def config_step_names(self) -> list[str]:
        return self._names("step")

    def config_pipeline_names(self) -> list[str]:
        return self._names("pipeline")

    def _names(self, kind: str) -> list[str]:
        return [
            body["name"] for _i, body in query.items(self.data, kind) if isinstance(body.get("name"), str)
        ]

    def locate(self, path: ConfigPath, *, key: bool = False) -> Mark:
        """The position of ``path``, or of its nearest located ancestor."""
        marks = self.marks
        table = self.key_marks if key else marks
        for end in range(len(path), -1, -1):
            mark = table.get(path[:end]) or marks.get(path[:end])
            if mark is not None:
                return mark
        return Mark(1, 1)

    def top_level_index(self, kind: str, name: str) -> int | None:
        """Index of the top-level ``- <kind>:`` item named ``name``; ``pipeline`` finds ``blueprint`` too."""
        path = query.item_path(self.data, kind, name)
        return int(path[0]) if path else None

    def item_path(self, kind: str, name: str) -> ConfigPath:
        """Config path of a named top-level item's body, e.g. ``(3, "pipeline")``."""
        return query.item_path(self.data, kind, name)


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """A directory stands for the valohai.yaml inside it."""
    candidate = Path(path)
    if candidate.is_dir() and (candidate / DEFAULT_FILENAME).is_file():
        return candidate / DEFAULT_FILENAME
    return candidate


def read_text(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """Read and decode a file, turning every OS failure into a clear ConfigLoadError."""
    file = resolve_path(path)
    try:
        if file.is_dir():
            raise ConfigLoadError(
                "is a directory, not a valohai.yaml file",
                file=file,
                readable=False,
                hint=f"pass the YAML file itself, or a folder that contains {DEFAULT_FILENAME}",
            )
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise ConfigLoadError(
                f"file is {size / 1e6:.1f} MB; the limit for a valohai.yaml is {MAX_BYTES / 1e6:.1f} MB",
                file=file,
                readable=False,
                hint="check that this is the right file",
            )
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigLoadError("no such file", file=file, hint="check the path", readable=False) from None
    except PermissionError:
        raise ConfigLoadError(
            "permission denied", file=file, hint="make the file readable for your user", readable=False
        ) from None
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EISDIR:
            reason = "is a directory"
        raise ConfigLoadError(reason, file=file, readable=False) from None
    return file, decode(raw, file)


def decode(raw: bytes, file: Path | None = None) -> str:
    if b"\x00" in raw[:8192]:
        raise ConfigLoadError(
            "this is a binary file, not YAML text",
            file=file,
            hint="open the valohai.yaml text file",
            readable=False,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigLoadError(
            f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
            file=file,
            readable=False,
            line=line,
            column=column,
            hint="save the file as UTF-8",
        ) from None


def load(path: str | os.PathLike[str]) -> LoadedConfig:
    """Load a valohai.yaml file (or the one inside a folder)."""
    file, text = read_text(path)
    return load_text(text, path=file)


def load_text(text: str, path: Path | None = None) -> LoadedConfig:
    """Parse YAML text; raises ConfigLoadError for anything that is not readable YAML."""
    if len(text) > MAX_BYTES:
        raise ConfigLoadError("text is too large for a valohai.yaml", file=path)
    with paused_gc():  # ~100,000 objects that live on (runner.config.gc_pause)
        return _parse(text, path)


def _parse(text: str, path: Path | None) -> LoadedConfig:
    loader = _Loader(text.removeprefix(BOM))
    loaded = LoadedConfig(text=text, data=None, path=path)
    try:
        node = loader.get_single_node()
        if node is None:
            return loaded  # an empty file: lint says what to put in it
        loaded.has_aliases = _check_expansion(node, path)
        # Before constructing: PyYAML flattens merge keys (<<) into node.value in place.
        _collect_marks(node, (), loaded)
        loaded.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, path) from None
    except yaml.YAMLError as exc:
        raise ConfigLoadError(f"YAML error: {exc}", file=path) from None
    except RecursionError:
        raise ConfigLoadError("the YAML is nested too deeply", file=path) from None
    finally:
        loader.dispose()
    return loaded


# PyYAML notices some mistakes only at the next token, often on a later line: a key without
# its ":" at the start of the next line, an unclosed quote or bracket at the end of the file.
# For these its context mark (where the key, quote or bracket began) is where the user must
# look, and the mistake has a plainer name than the parser's.
_AT_CONTEXT = {
    "while scanning a simple key": "this line has a key without its “:” (write key: value)",
    "while scanning a quoted scalar": "this quoted text is never closed",
    "while parsing a flow sequence": "this “[” list is never closed (or lacks a comma)",
    "while parsing a flow mapping": "this “{” mapping is never closed (or lacks a comma)",
}


def _syntax_error(exc: yaml.MarkedYAMLError, path: Path | None) -> ConfigLoadError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    context = exc.context_mark
    if exc.context:
        problem = f"{problem} ({exc.context})"
    plain = _AT_CONTEXT.get(exc.context or "")
    if mark is not None and context is not None and plain and context.line < mark.line:
        problem = f"{plain}; the parser noticed at line {mark.line + 1}: {exc.problem}"
        mark = context
    return ConfigLoadError(
        f"YAML syntax error: {problem}",
        file=path,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
        hint="check the indentation and quoting on this line and the one before it",
    )


def _check_expansion(root: yaml.Node, path: Path | None) -> bool:
    """Refuse alias bombs and recursive aliases without expanding anything; True when the
    text reuses a node at all.

    Only what aliases add counts: the expanded size minus the nodes written in the text, so
    a large plain file is limited by its size alone.
    """
    sizes: dict[int, int] = {}
    on_stack: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_stack:
            mark = node.start_mark
            raise ConfigLoadError(
                "recursive YAML alias (an anchor that contains itself)",
                file=path,
                line=mark.line + 1,
                column=mark.column + 1,
                hint="remove the alias",
            )
        total = 1
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            on_stack.add(key)
            children = (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else [n for pair in node.value for n in pair]
            )
            for child in children:
                total += size(child)
            on_stack.discard(key)
        sizes[key] = total
        return total

    added = size(root) - len(sizes)
    if added > MAX_EXPANDED_NODES:
        raise ConfigLoadError(
            f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values (an alias bomb?)",
            file=path,
            hint="use fewer nested anchors and aliases",
        )
    return added > 0


def _collect_marks(root: yaml.Node, prefix: ConfigPath, loaded: LoadedConfig) -> None:
    """Record the start of every value (and of every mapping key) under its config path."""
    stack: list[tuple[yaml.Node, ConfigPath]] = [(root, prefix)]
    seen: set[tuple[int, ConfigPath]] = set()
    while stack:  # aliases are walked at every place they appear: bounded by MAX_EXPANDED_NODES
        node, path = stack.pop()
        if (id(node), path) in seen:
            continue
        seen.add((id(node), path))
        loaded.marks[path] = Mark(node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, (*path, i)) for i, child in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            keys: set[Any] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = key_node.value
                key_mark = Mark(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key in keys and key != "<<":
                    loaded.duplicate_keys.append(((*path, key), key_mark))
                keys.add(key)
                loaded.key_marks[(*path, key)] = key_mark
                stack.append((value_node, (*path, key)))
