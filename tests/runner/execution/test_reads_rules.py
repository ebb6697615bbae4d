"""When the recorded reads are the whole truth: only Python programs ran, each loaded the hook,
nothing unseen was started. Otherwise the whole code folder counts."""

from __future__ import annotations

import json

import pytest

from runner.execution.reads import command_programs, from_reports


@pytest.mark.parametrize(
    ("script", "pythons"),
    [
        ("python train.py --epochs=5\n", 1),
        ("pip install -r requirements.txt\npython3 train.py\n", 2),
        ("cd src && PYTHONHASHSEED=0 python -m pkg.main 'a b' \"*.csv\"\n", 1),
        ("#!/bin/bash\n# comment\nexport X=1; echo start; python3.11 a.py | python b.py\n", 2),
        ("mkdir -p /valohai/outputs/x && echo done > /valohai/outputs/x/done.txt\n", 0),
        ("exec python train.py\n", 1),
    ],
)
def test_commands_whose_only_readers_are_python(script: str, pythons: int) -> None:
    assert command_programs(script) == (pythons, "")


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("bash prepare.sh && python train.py\n", "runs bash"),
        ("./run.sh\n", "runs run.sh"),
        ("cat config.txt\n", "runs cat"),
        ("python train.py < params.txt\n", "an input redirection"),
        ("python train.py $(cat args)\n", "a command substitution"),
        ('python train.py "`cat args`"\n', "a command substitution"),
        ("python train.py data/*.csv\n", "a file name pattern"),
        ("python train.py && make\n", "runs make"),
    ],
)
def test_commands_with_readers_the_hook_cannot_see(script: str, why: str) -> None:
    count, text = command_programs(script)
    assert count == -1 and why in text


def _report(*processes: tuple[dict, list[dict]]) -> dict[str, bytes]:
    out = {}
    for i, (proc, facts) in enumerate(processes):
        lines = [json.dumps({"process": proc}), *map(json.dumps, facts)]
        out[f"reads/{proc['pid']}-{i}.jsonl"] = ("\n".join(lines) + "\n").encode()
    return out


def test_reads_of_every_process_are_combined() -> None:
    reports = _report(
        (
            {"pid": 7, "ppid": 1, "via": "start"},
            [{"r": "train.py"}, {"m": [".", "numpy"]}, {"spawn": "python3"}],
        ),
        ({"pid": 9, "ppid": 7, "via": "start"}, [{"r": "helper.py"}, {"d": "conf"}]),
        ({"pid": 11, "ppid": 7, "via": "fork"}, [{"s": "cache.npz"}]),
    )
    reads = from_reports(reports, "python train.py\n")
    assert reads.complete, reads.why
    assert reads.dependencies == {"f:train.py", "f:helper.py", "d:conf", "s:cache.npz", "m:.:numpy"}
    assert reads.files == ["helper.py", "train.py"]


def test_a_python_that_did_not_load_the_hook_makes_the_reads_unknown() -> None:
    reports = _report(({"pid": 7, "ppid": 1, "via": "start"}, [{"r": "a.py"}]))
    reads = from_reports(reports, "python a.py && python b.py\n")
    assert not reads.complete and "1 of its Python processes did not load" in reads.why
    spawned = _report(({"pid": 7, "ppid": 1, "via": "start"}, [{"spawn": "python"}]))
    assert "a Python it started" in from_reports(spawned, "python a.py\n").why


def test_a_program_started_from_python_makes_the_reads_unknown() -> None:
    reports = _report(({"pid": 7, "ppid": 1, "via": "start"}, [{"r": "a.py"}, {"unknown": "ran git"}]))
    reads = from_reports(reports, "python a.py\n")
    assert not reads.complete and reads.why == "it ran git"
    record = reads.record(lambda d: "x")
    assert record == {"complete": False, "why": "it ran git"}
