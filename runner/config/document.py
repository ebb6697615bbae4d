"""The editable valohai.yaml: the user's text held as a ruamel.yaml round-trip tree.

This is the one source of truth the designer edits. Every edit mutates the tree, and the
change is carried back onto the text with :func:`merge_edit`, so comments, key order and
formatting of untouched parts stay byte for byte as the user wrote them. valohai-yaml only
validates and interprets; it never writes (its ``serialize()`` drops comments).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError

from runner.config import exact
from runner.config.chunks import TreeCache
from runner.config.errors import ConfigLoadError, EditError
from runner.config.indentation import guess_indent
from runner.config.loader import BOM, LoadedConfig, load_text, read_text
from runner.config.textmerge import merge_edit


class YamlDocument:
    """A valohai.yaml being edited. ``text`` always equals what ``save()`` writes."""

    def __init__(self, text: str, path: Path | None = None) -> None:
        self.path = Path(path) if path else None
        # True when the last edit could not be merged line by line and the whole file was
        # re-dumped (same data, normalised formatting). Rare; tests watch it.
        self.last_edit_rewrote_file = False
        # Why the last edit could not be written as patches of the text (and went through
        # the ruamel.yaml re-dump instead); None when it was patched exactly.
        self.last_edit_fallback: str | None = None
        self._cst: Any = None  # where the text's top-level items are (runner.config.chunks.Items)
        self._trees: Any = None  # their syntax trees by text, kept across undo and redo
        self._set_text(text)
        self.saved_text = text

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> YamlDocument:
        file, text = read_text(path)
        return cls(text, file)

    @classmethod
    def from_text(cls, text: str, path: str | os.PathLike[str] | None = None) -> YamlDocument:
        return cls(text, Path(path) if path else None)

    # -- state ---------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._text

    @property
    def loaded(self) -> LoadedConfig:
        """The parsed view of the current text (rebuilt after each edit, from the one parse
        that also checked the edit)."""
        return self._loaded

    @property
    def config(self) -> Any:
        """The typed valohai-yaml view of the current text (``loaded.config``: built once per
        text, on first use), or None when the text is not a valid valohai.yaml."""
        return self._loaded.config

    @property
    def modified(self) -> bool:
        return self._text != self.saved_text

    @property
    def tree(self) -> Any:
        """The ruamel.yaml tree (a CommentedSeq). Mutate it only through :meth:`apply`."""
        if self._tree is None:
            try:
                tree = self._yaml.load(self._body) if self._body.strip() else None
            except RuamelError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" (line {mark.line + 1})" if mark else ""
                raise EditError(
                    f"This file uses YAML the structural editor cannot change safely{where}: "
                    f"{getattr(exc, 'problem', None) or exc}. Edit it as text in the YAML view."
                ) from None
            self._tree = tree if tree is not None else CommentedSeq()
        return self._tree

    def snapshot(self) -> str:
        return self._text

    def restore(self, snapshot: str) -> None:
        self._set_text(snapshot)

    def set_text(self, text: str) -> None:
        """Replace the whole text (e.g. typed in the YAML dock). Raises ConfigLoadError if unreadable."""
        self._set_text(text)

    # -- editing -------------------------------------------------------------------------

    def apply(self, mutate: Callable[[Any], None]) -> None:
        """Run ``mutate(tree)`` and carry the change onto the text.

        If ``mutate`` raises, nothing changes. The merged text is checked against the
        dump it came from: if the two would not parse to the same data, the dump wins, so
        an edit can lose formatting but never meaning.
        """
        if self._trees is None:
            self._trees = TreeCache()
        loaded, syntax, trees = self._loaded, self._cst, self._trees
        try:
            done = _shaped(lambda: exact.exact_edit(loaded, syntax, self._style, mutate, trees))
        except exact.PatchImpossible as why:
            self.last_edit_fallback = str(why)
        else:
            self.last_edit_fallback = None
            self.last_edit_rewrote_file = False
            if done is not None:
                text, loaded, self._cst = done
                self._set_text(text, loaded=loaded, keep_cst=True)
            return
        self._apply_by_redump(mutate)

    def _apply_by_redump(self, mutate: Callable[[Any], None]) -> None:
        """The fallback where a patch is impossible: edit the ruamel.yaml tree and merge its
        re-dump line by line (``last_edit_fallback`` says why)."""
        if self._loaded.duplicate_keys:
            path, mark = self._loaded.duplicate_keys[0]
            raise EditError(
                f'The key "{path[-1]}" appears twice in one mapping (line {mark.line}); '
                "remove one of them in the YAML view before editing here."
            )
        tree = self.tree
        try:
            base = self._dump(tree)
        except (RuamelError, IndexError, AttributeError, TypeError, ValueError) as exc:
            # ruamel.yaml cannot write back some layouts it reads (a root "[]" after comments)
            raise EditError(
                "This edit cannot be written as a patch of the text here, and the YAML writer "
                f"cannot rewrite this file's layout ({type(exc).__name__}); make it in the YAML view."
            ) from exc
        try:
            edited = _shaped(lambda: (mutate(tree), _replace_emptied_containers(tree), self._dump(tree))[2])
        except BaseException:
            self._tree = None  # a half-done mutation must not leak into the next edit
            raise
        if edited == base:
            return
        intended = to_plain(tree)
        merged = self._merge(base, edited)
        loaded = self._parse_if_means(merged, intended)
        if loaded is not None:
            self.last_edit_rewrote_file = False
            self._set_text(merged, keep_tree=True, loaded=loaded)
            return
        # The line-by-line merge went wrong somewhere: the plain dump is the next best.
        dumped = self._finish(edited.split("\n"))
        self._tree = None
        loaded = self._parse_if_means(dumped, intended)
        if loaded is None:
            raise EditError(
                "This edit cannot be written without changing other parts of the file; "
                "make it in the YAML view instead."
            )
        self.last_edit_rewrote_file = True
        self._set_text(dumped, loaded=loaded)

    def _parse_if_means(self, text: str, intended: Any) -> LoadedConfig | None:
        """The parse of ``text`` if it means ``intended``: the check and the next view in one parse."""
        try:
            loaded = load_text(text, self.path)
        except ConfigLoadError:
            return None
        return loaded if loaded.data == intended else None

    def _merge(self, base: str, edited: str) -> str:
        return self._finish(merge_edit(self._body.split("\n"), base.split("\n"), edited.split("\n")))

    def _finish(self, lines: list[str]) -> str:
        """Join lines back with the file's own conventions: newline, final newline, BOM."""
        text = "\n".join(lines)
        if self._final_newline and not text.endswith("\n"):
            text += "\n"
        elif not self._final_newline:
            text = text.rstrip("\n")
        if self._newline != "\n":
            text = text.replace("\n", self._newline)
        return BOM + text if self._bom else text

    # -- saving --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically (temp file + rename), keeping the previous version as ``<file>.bak``."""
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("this document has no file name yet; pass a path")
        atomic_write(target, self._text.encode("utf-8"), backup=True)
        self.path = target
        self.saved_text = self._text
        self._loaded = load_text(self._text, target)
        return target

    # -- internals -----------------------------------------------------------------------

    def _set_text(
        self,
        text: str,
        *,
        keep_tree: bool = False,
        loaded: LoadedConfig | None = None,
        keep_cst: bool = False,
    ) -> None:
        if loaded is None:
            loaded = load_text(text, self.path)  # raises on unreadable text: nothing is changed then
        self._text = text
        self._loaded = loaded
        self._bom = text.startswith(BOM)
        self._newline = "\r\n" if "\r\n" in text else "\n"
        self._body = text.removeprefix(BOM).replace("\r\n", "\n")
        self._final_newline = self._body.endswith("\n") or not self._body
        self._style_cache = None  # how the text indents: guessed from it again when needed
        if not keep_cst:
            self._cst = None  # the syntax tree for exact edits: parsed at the next edit
        if keep_tree:
            return  # the tree already holds this content; its dump is the next base
        self._tree = None
        self._yaml_cache = None

    @property
    def _yaml(self) -> YAML:
        if self._yaml_cache is None:
            self._yaml_cache = _make_yaml(self._body)
            # ruamel applies one dash offset everywhere; valohai files put top-level dashes at
            # column 0 but indent nested lists. Dump with the nested offset, then shift back.
            offset = self._yaml_cache.sequence_dash_offset
            self._root_shift = offset if offset and re.search(r"^- ", self._body, re.M) else 0
        return self._yaml_cache

    def _style(self) -> Any:
        from runner.config.render import Style

        if self._style_cache is None:
            mapping, offset = guess_indent(self._body)
            self._style_cache = Style(indent=mapping, offset=offset)
        return self._style_cache

    def _dump(self, tree: Any) -> str:
        stream = io.StringIO()
        self._yaml.dump(tree, stream)  # sets _root_shift too
        text = stream.getvalue()
        if self._root_shift:
            pad = " " * self._root_shift
            # Comment lines keep the column they were read at; leave them alone.
            text = "\n".join(
                line[self._root_shift :]
                if line.startswith(pad) and not line.lstrip().startswith("#")
                else line
                for line in text.split("\n")
            )
        return text


def _shaped(run: Callable[[], Any]) -> Any:
    """``run()``, its stumbles on shapes the schema does not allow turned into an EditError."""
    try:
        return run()
    except EditError:
        raise
    except (TypeError, KeyError, AttributeError, IndexError, ValueError) as exc:
        # The edit functions expect the schema's shapes (lists of mappings...); a file
        # that lint rejects can have anything there. Refuse with a typed error.
        raise EditError(
            "This part of the file does not have the shape a valohai.yaml needs "
            f"({type(exc).__name__}: {exc}); fix it in the YAML view, where lint points at it."
        ) from exc


def _replace_emptied_containers(node: Any) -> None:
    """ruamel.yaml mis-dumps a block list or mapping that became empty while comments hang
    on it (it emits ``[]`` at column 0 and breaks what follows). Swap such a container for a
    fresh flow-style ``[]`` / ``{}`` and drop the comment lines that introduced its items."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in list(children):
        if not isinstance(child, dict | list):
            continue
        if child:
            _replace_emptied_containers(child)
            continue
        entry = node.ca.items.get(key) if hasattr(node, "ca") else None
        commented = bool(getattr(child, "ca", None) and (child.ca.comment or child.ca.items))
        if commented or (entry and len(entry) > 3 and entry[3]):
            fresh = CommentedSeq() if isinstance(child, list) else CommentedMap()
            fresh.fa.set_flow_style()
            node[key] = fresh
            if entry and len(entry) > 3:
                entry[3] = None


def to_plain(node: Any) -> Any:
    """The ruamel tree as plain data, to compare with what a text parses to."""
    if isinstance(node, dict):
        return {to_plain(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):  # ruamel's ScalarFloat, ScalarInt, quoted strings...
        if isinstance(node, kind):
            return kind(node)
    return node


def _make_yaml(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = True  # keep the user's file loadable; lint reports duplicates
    yaml.width = 4096  # never re-wrap long lines
    mapping, offset = guess_indent(text)
    yaml.indent(mapping=mapping, sequence=mapping + offset if offset else mapping, offset=offset)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def atomic_write(target: Path, data: bytes, *, backup: bool = False) -> None:
    """Write ``data`` to ``target`` so that a crash leaves either the old or the new file."""
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    mode = None
    if target.exists():
        mode = target.stat().st_mode & 0o7777
        if backup:
            shutil.copy2(target, target.with_name(target.name + ".bak"))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
