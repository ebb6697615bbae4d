"""The code snapshot of a step (hash and copy): what counts as code, what .vhignore leaves out."""

from __future__ import annotations

from pathlib import Path

from runner.execution.code import copy_tree, tree_hash


def _project(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "train.csv").write_text("a,b\n1,2\n")
    (root / "src").mkdir()
    (root / "src" / "train.py").write_text("print('hi')\n")
    (root / "src" / "notes.log").write_text("scratch\n")
    (root / "train.py").write_text("print('top')\n")
    return root


def test_without_vhignore_every_file_is_code(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    before = tree_hash(root)
    (root / "data" / "train.csv").write_text("a,b\n3,4\n")
    assert tree_hash(root) != before


def test_vhignore_leaves_data_out_of_hash_and_copy(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    (root / ".vhignore").write_text("# data is fed as inputs\ndata/\n*.log\n")
    before = tree_hash(root)
    (root / "data" / "train.csv").write_text("a,b\n3,4\n")
    (root / "src" / "notes.log").write_text("changed\n")
    assert tree_hash(root) == before  # neither change is code
    (root / "src" / "train.py").write_text("print('changed')\n")
    assert tree_hash(root) != before  # a code change still is
    dest = tmp_path / "copy"
    copy_tree(root, dest)
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert copied == [".vhignore", "src/train.py", "train.py"]


def test_pattern_with_a_slash_matches_from_the_root_only(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    (root / "src" / "data").mkdir()
    (root / "src" / "data" / "keep.py").write_text("x = 1\n")
    (root / ".vhignore").write_text("/data\nsrc/*.log\n")
    dest = tmp_path / "copy"
    copy_tree(root, dest)
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert copied == [".vhignore", "src/data/keep.py", "src/train.py", "train.py"]
