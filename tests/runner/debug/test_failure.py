"""A failed node's traceback as data: exception in full, frames mapped to the local files."""

from __future__ import annotations

from pathlib import Path

from runner.debug.failure import last_error_line, map_to_local, parse_traceback, source_context

LOG = """\
loading data
Traceback (most recent call last):
  File "/valohai/repository/train.py", line 4, in <module>
    main()
  File "/valohai/repository/lib/model.py", line 2, in main
    fit(rows=[1, 2])
    ^^^^^^^^^^^^^^^^
  File "/usr/lib/python3/dist-packages/numpy/core/fromnumeric.py", line 57, in fit
    return bound(*args, **kwds)
           ~~~~~^^^^^^^^^^^^^^^
ValueError: shapes (3,) and (4,) not aligned:
  3 (dim 0) != 4 (dim 0)
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir(parents=True)
    (tmp_path / "train.py").write_text("from lib.model import main\n\n\nmain()\n")
    (tmp_path / "lib" / "model.py").write_text("def main():\n    fit(rows=[1, 2])\n")
    return tmp_path


def test_frames_map_to_local_files_and_the_message_is_whole(tmp_path: Path) -> None:
    root = _project(tmp_path)
    failure = parse_traceback(LOG.splitlines(), root)
    assert failure is not None
    assert failure.exception == "ValueError"
    assert failure.message == "shapes (3,) and (4,) not aligned:\n  3 (dim 0) != 4 (dim 0)"
    assert failure.headline == "ValueError: shapes (3,) and (4,) not aligned:"
    assert [(f.line, f.function, f.source) for f in failure.frames] == [
        (4, "<module>", "main()"),
        (2, "main", "fit(rows=[1, 2])"),
        (57, "fit", "return bound(*args, **kwds)"),
    ]
    assert [f.local_path for f in failure.frames] == [
        (root / "train.py").resolve(),
        (root / "lib" / "model.py").resolve(),
        None,
    ]
    assert failure.failing_frame == failure.frames[1]  # the innermost frame of the user's code
    assert source_context(root / "lib" / "model.py", 2, around=1) == [
        (1, "def main():"),
        (2, "    fit(rows=[1, 2])"),
    ]


def test_the_last_of_chained_tracebacks_is_the_one_that_ended_it() -> None:
    log = [
        "Traceback (most recent call last):",
        '  File "/valohai/repository/a.py", line 1, in <module>',
        "    d['k']",
        "KeyError: 'k'",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        '  File "/valohai/repository/a.py", line 3, in <module>',
        "    raise RuntimeError('no key')",
        "RuntimeError: no key",
    ]
    failure = parse_traceback(log)
    assert failure is not None and failure.headline == "RuntimeError: no key"
    assert [f.line for f in failure.frames] == [3]
    assert last_error_line(log) == "RuntimeError: no key"


def test_syntax_error_and_plain_errors() -> None:
    log = [
        '  File "/valohai/repository/bad.py", line 2',
        "    def (:",
        "        ^",
        "SyntaxError: invalid syntax",
    ]
    failure = parse_traceback(log)
    assert failure is not None and failure.exception == "SyntaxError" and failure.frames[0].line == 2
    assert parse_traceback(["cp: cannot stat 'x': No such file or directory"]) is None
    assert last_error_line(["starting", "cp: cannot stat 'x': No such file", "cleanup done", ""]) == (
        "cp: cannot stat 'x': No such file"
    )
    assert last_error_line(["just this", "  "]) == "just this"
    assert last_error_line([]) == ""


def test_paths_never_escape_the_code_folder(tmp_path: Path) -> None:
    root = _project(tmp_path / "code")
    (tmp_path / "secret.py").write_text("x")
    (root / "link.py").symlink_to(tmp_path / "secret.py")
    assert map_to_local("/valohai/repository/../secret.py", root) is None
    assert map_to_local("/valohai/repository/link.py", root) is None
    assert map_to_local("/etc/passwd", root) is None
    assert map_to_local("train.py", root) == (root / "train.py").resolve()
    assert map_to_local("/valohai/repository/train.py", None) is None


def test_the_traceback_at_the_end_of_a_huge_log_is_found_without_reading_it_all(tmp_path: Path) -> None:
    from runner.debug.service import TAIL_BYTES, failure_of

    log = tmp_path / "node.log"
    with open(log, "w") as fh:
        filler = "2026-01-01T00:00:00Z stdout " + "x" * 200 + "\n"
        fh.write(filler * (TAIL_BYTES // len(filler) * 3))
        for line in LOG.splitlines():
            fh.write(f"2026-01-01T00:00:01Z stderr {line}\n")
    failure = failure_of({"log_path": str(log)}, None)
    assert failure is not None and failure.headline == "ValueError: shapes (3,) and (4,) not aligned:"
