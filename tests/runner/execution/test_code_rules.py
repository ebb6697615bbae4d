"""Which files count as code: what git would commit, minus .vhignore, caches, the designer's own
files and editor backups (saving, moving a node or an editor's backup changes no code)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from runner.execution.code import code_files, tree_hash


def _files(root: Path) -> list[str]:
    return [rel for rel, _full in code_files(root)]


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "valohai.yaml").write_text("- step: {name: a, image: busybox, command: 'true'}\n")
    (root / "train.py").write_text("print('train')\n")
    (root / "lib").mkdir()
    (root / "lib" / "model.py").write_text("W = 1\n")
    return root


DESIGNER_AND_EDITOR_FILES = [
    ".valohai.designer.json",  # the layout sidecar (node positions)
    ".other.designer.json",
    "valohai.yaml.bak",  # the previous version kept on save
    ".valohai.yaml.k2j3h4.tmp",  # an atomic save in flight
    ".autosave-abc.tmp",
    "train.py~",  # editor backups and merge leftovers
    "train.py.orig",
    "train.py.rej",
    ".train.py.swp",
    ".#train.py",
    "#train.py#",
    ".~lock.notes.odt#",
    "lib/.model.py.swo",
    "lib/model.py~",
    ".DS_Store",
]


def test_designer_files_and_editor_backups_are_never_code(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    before = tree_hash(root)
    for rel in DESIGNER_AND_EDITOR_FILES:
        (root / rel).write_text("scratch\n")
    assert tree_hash(root) == before
    assert _files(root) == ["lib/model.py", "train.py", "valohai.yaml"]


def test_caches_and_virtual_environments_are_not_code(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    for folder in ("__pycache__", ".venv/lib", "node_modules/x", ".pytest_cache", "lib/__pycache__"):
        (root / folder).mkdir(parents=True)
        (root / folder / "f.pyc").write_text("x")
    assert _files(root) == ["lib/model.py", "train.py", "valohai.yaml"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@needs_git
def test_in_a_git_work_tree_the_code_is_what_git_would_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = _project(repo / "ml")  # the YAML's folder is a sub-folder of the work tree
    _git(repo, "init", "-q")
    (repo / ".gitignore").write_text("*.ckpt\nscratch/\n")
    (repo / ".git" / "info" / "exclude").write_text("local-notes.txt\n")
    (root / "big.ckpt").write_text("weights")
    (root / "scratch").mkdir()
    (root / "scratch" / "try.py").write_text("x")
    (root / "local-notes.txt").write_text("todo")
    (root / "old.py").write_text("print('old')\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "one")
    (root / "old.py").unlink()  # tracked, deleted in the work tree: not code any more
    (root / "new_module.py").write_text("print('new')\n")  # untracked, not ignored: code
    (root / "train.py~").write_text("backup")  # not ignored by git, still never code
    (root / ".vhignore").write_text("data/\n")
    (root / "data").mkdir()
    (root / "data" / "x.csv").write_text("1\n")
    assert _files(root) == [".vhignore", "lib/model.py", "new_module.py", "train.py", "valohai.yaml"]
    before = tree_hash(root)
    (root / "more.ckpt").write_text("w2")  # ignored by git
    assert tree_hash(root) == before
    (root / "lib" / "model.py").write_text("W = 2\n")
    assert tree_hash(root) != before


@needs_git
def test_outside_git_the_whole_folder_minus_vhignore_counts(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    (root / ".gitignore").write_text("*.ckpt\n")  # not a work tree: .gitignore means nothing
    (root / "big.ckpt").write_text("w")
    (root / ".vhignore").write_text("*.log\n")
    (root / "run.log").write_text("log")
    assert _files(root) == [".gitignore", ".vhignore", "big.ckpt", "lib/model.py", "train.py", "valohai.yaml"]


_NAME_PARTS = [".git", ".", "~", "#", "*", "designer", "json", "lock", "tmp", "autosave-", "bak", "swp", "\n"]


@pytest.mark.parametrize("seed", range(5))
def test_one_pattern_for_the_not_code_globs_says_what_fnmatch_says(seed: int) -> None:
    """The globs are matched with one regex (fast to build at each CLI start): same verdicts."""
    import fnmatch
    import random

    from runner.execution.code import NOT_CODE, _not_code

    rng = random.Random(seed)
    names = [*NOT_CODE, ".valohai.designer.json", "a.py", "Thumbs.db", ".DS_Store", "x.orig"]
    names += ["".join(rng.choices(_NAME_PARTS, k=rng.randint(1, 5))) for _ in range(400)]
    for name in names:
        assert _not_code(name) == any(fnmatch.fnmatchcase(name, g) for g in NOT_CODE), repr(name)
