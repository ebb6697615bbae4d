"""Load → save with no edit gives every corpus file back byte for byte (CRLF, no final
newline, comments, anchors, flow style included), and load → save → load the same data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runner.config import ConfigLoadError, edits, load
from runner.config.document import YamlDocument
from runner.config.errors import EditError
from tests.support.corpus import DATA_DIR, all_files, file_id

# file → why an edit to the value a key already has still changes the text.
KNOWN_NOOP_BUGS: dict[str, str] = {}


def _named_steps(data: object) -> list[dict[str, object]]:
    items = data if isinstance(data, list) else []
    steps = [i["step"] for i in items if isinstance(i, dict) and isinstance(i.get("step"), dict)]
    return [s for s in steps if isinstance(s.get("name"), str) and isinstance(s.get("image"), str)]


def _loadable(known: dict[str, str] | None = None, *, with_step: bool = False) -> list[object]:
    params = []
    for path in all_files():
        try:
            data = load(path).data
        except ConfigLoadError:
            continue
        if with_step and not _named_steps(data):
            continue
        reason = (known or {}).get(file_id(path))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(path, id=file_id(path), marks=marks))
    return params


LOADABLE = _loadable()


def test_most_files_load() -> None:
    # Only the YAML syntax error files of both corpora may fail to load.
    assert len(LOADABLE) == len(all_files()) - 2


@pytest.mark.parametrize("path", LOADABLE)
def test_save_without_edit_is_byte_for_byte(path: Path, tmp_path: Path) -> None:
    original = path.read_bytes()
    doc = YamlDocument.load(path)
    assert not doc.modified
    target = tmp_path / "valohai.yaml"
    doc.save(target)
    assert target.read_bytes() == original


@pytest.mark.parametrize("path", LOADABLE)
def test_save_over_the_file_keeps_a_backup(path: Path, tmp_path: Path) -> None:
    target = tmp_path / "valohai.yaml"
    shutil.copyfile(path, target)
    YamlDocument.load(target).save()
    assert target.read_bytes() == path.read_bytes()
    assert (tmp_path / "valohai.yaml.bak").read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["valohai.yaml", "valohai.yaml.bak"]


@pytest.mark.parametrize("path", LOADABLE)
def test_load_save_load_gives_equal_data(path: Path, tmp_path: Path) -> None:
    target = tmp_path / "valohai.yaml"
    YamlDocument.load(path).save(target)
    assert load(target).data == load(path).data


@pytest.mark.parametrize("path", _loadable(KNOWN_NOOP_BUGS, with_step=True))
def test_edit_to_the_same_value_changes_nothing(path: Path) -> None:
    """Setting a step's image to what it already is goes through ruamel and must be a no-op."""
    doc = YamlDocument.load(path)
    named = _named_steps(doc.loaded.data)
    edits.set_step_field(doc, named[0]["name"], "image", named[0]["image"])  # no change: nothing refused
    assert doc.text.encode() == path.read_bytes().decode("utf-8-sig").encode()
    assert not doc.modified


def test_byte_order_mark_survives_a_save(tmp_path: Path) -> None:
    source = tmp_path / "bom.yaml"
    source.write_bytes(b"\xef\xbb\xbf- step:\n    name: s\n    image: busybox\n    command: echo\n")
    doc = YamlDocument.load(source)
    assert doc.loaded.data[0]["step"]["name"] == "s"
    doc.save()
    assert source.read_bytes().startswith(b"\xef\xbb\xbf")
    edits.set_step_field(doc, "s", "image", "alpine")  # an edit keeps it too
    doc.save()
    assert source.read_bytes() == b"\xef\xbb\xbf- step:\n    name: s\n    image: alpine\n    command: echo\n"


def test_edits_in_a_file_with_duplicate_keys_are_refused_without_change() -> None:
    """A re-dump keeps one of two duplicate keys, which could change the value that wins
    (it did: an edit of "command" deleted the effective "image:" line). So an edit inside
    the mapping that repeats a key is refused with a message naming the key and both lines,
    and nothing changes."""
    doc = YamlDocument.load(DATA_DIR / "warn-duplicate-keys.yaml")
    before = doc.text
    with pytest.raises(EditError, match=r'"image" appears twice .*lines \d+ and 5'):
        edits.set_step_field(doc, "dup", "command", "echo bye")
    assert doc.text == before and not doc.modified
    assert doc.loaded.data[0]["step"]["image"] == "python:3.12"
