"""The lazy working copy an edit mutates, and the split of a file into its top-level items.

The copy must never let an edit reach the original data, whichever way the edit reads a
child (a leak would make the view say one thing and the text another); the split must
find every top-level item, and refuse texts whose items it cannot tell apart.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from runner.config import cow
from runner.config.chunks import Items, TreeCache, runs, split
from runner.config.treediff import diff


def _data() -> list[Any]:
    return [
        {"step": {"name": "a", "parameters": [{"name": "n", "default": 1}], "command": ["echo"]}},
        {"pipeline": {"name": "p", "nodes": [{"name": "x"}, {"name": "y"}], "edges": [["x.o.*", "y.i.d"]]}},
    ]


# Each mutation reaches a nested container through a different way of reading it.
MUTATIONS: dict[str, Callable[[Any], None]] = {
    "index": lambda t: t[0]["step"]["parameters"][0].update(default=2),
    "get": lambda t: t[0].get("step").get("parameters")[0].__setitem__("default", 2),
    "iterate": lambda t: [item for item in t][1]["pipeline"]["nodes"].append({"name": "z"}),
    "items": lambda t: next(v for k, v in t[0].items())["command"].append("more"),
    "values": lambda t: next(iter(t[1].values()))["edges"][0].append("extra"),
    "pop": lambda t: t[1]["pipeline"].pop("nodes").append({"name": "z"}),
    "popitem": lambda t: t[1]["pipeline"].popitem()[1].clear(),
    "setdefault": lambda t: t[0]["step"].setdefault("parameters", []).clear(),
    "slice": lambda t: t[1]["pipeline"]["nodes"][0:1][0].clear(),
    "dict()": lambda t: dict(t[0])["step"]["command"].clear(),
    "unpack": lambda t: {**t[0]}["step"]["command"].clear(),
    "list()": lambda t: list(t[1]["pipeline"]["nodes"])[1].clear(),
    "star": lambda t: [*t[1]["pipeline"]["nodes"]][1].clear(),
    "reversed": lambda t: next(reversed(t[1]["pipeline"]["nodes"])).clear(),
    "list pop": lambda t: t[1]["pipeline"]["nodes"].pop(0).clear(),
    "copy": lambda t: t[1]["pipeline"]["nodes"].copy()[0].clear(),
    "dict copy": lambda t: t[0]["step"].copy()["command"].clear(),
    "add": lambda t: (t[1]["pipeline"]["nodes"] + [])[0].clear(),
    "radd": lambda t: ([] + t[1]["pipeline"]["nodes"])[0].clear(),
    "or": lambda t: (t[0]["step"] | {})["command"].clear(),
    "ror": lambda t: ({} | t[0]["step"])["command"].clear(),
    "mul": lambda t: (t[1]["pipeline"]["nodes"] * 1)[0].clear(),
    "deepcopy": lambda t: copy.deepcopy(t[0]),
    "pickle": lambda t: pickle.loads(pickle.dumps(t[0]))["step"].clear(),
    "move": lambda t: t[1]["pipeline"]["nodes"].insert(0, t[1]["pipeline"]["nodes"].pop()),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_no_way_of_reading_the_copy_reaches_the_original(name: str) -> None:
    original = _data()
    pristine = copy.deepcopy(original)
    work = cow.working_copy(original)
    MUTATIONS[name](work)
    assert original == pristine
    tree, origin = cow.finish(work)
    assert type(tree) is list and all(type(item) is dict for item in tree)
    changes = diff(original, tree, origin)
    expected = copy.deepcopy(pristine)
    MUTATIONS[name](expected)
    assert tree == expected  # the finished copy is exactly what the edit made
    assert bool(changes.ops) == (expected != pristine)


def test_what_the_edit_never_read_is_shared_and_skipped() -> None:
    original = _data()
    work = cow.working_copy(original)
    work[1]["pipeline"]["nodes"][1]["name"] = "w"
    tree, origin = cow.finish(work)
    assert tree[0] is original[0]  # never read
    assert tree[1]["pipeline"]["edges"] is original[1]["pipeline"]["edges"]  # never read
    assert tree[1]["pipeline"]["nodes"][0] is original[1]["pipeline"]["nodes"][0]  # read, unchanged
    ops = diff(original, tree, origin).ops
    assert [(op.kind, op.path, op.value) for op in ops] == [
        ("replace", (1, "pipeline", "nodes", 1, "name"), "w")
    ]


def test_a_container_the_edit_created_keeps_its_type_and_gets_plain_copies() -> None:
    from ruamel.yaml.comments import CommentedSeq

    original = _data()
    work = cow.working_copy(original)
    new = CommentedSeq([work[1]["pipeline"]["nodes"][0]])
    new.fa.set_flow_style()
    work[1]["pipeline"]["nodes"] = new
    tree, _origin = cow.finish(work)
    assert tree[1]["pipeline"]["nodes"] is new and new.fa.flow_style()
    assert type(new[0]) is dict and new[0] is original[1]["pipeline"]["nodes"][0]


TEXT = b"""\
# header
---
- step:
    name: a
    command: |
      - not an item: inside a block scalar
- step: {name: b}

# about the pipeline
- pipeline:
    name: p
"""


def test_the_text_splits_at_its_top_level_items() -> None:
    starts = split(TEXT, 3)
    assert starts is not None
    assert [TEXT[s:].split(b"\n")[0] for s in starts] == [b"- step:", b"- step: {name: b}", b"- pipeline:"]
    items = Items(TEXT, 3, TreeCache())
    region = items.region(1, 1)
    assert TEXT[region.start : region.end] == b"- step: {name: b}\n\n# about the pipeline\n"
    assert not items.tree(region).broken
    assert items.tree(region) is items.tree(items.region(1, 1))  # parsed once


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (b'- a: "x\n- y"\n- b\n', 2),  # a quoted string with a line that looks like an item
        (b"[a, b]\n", 2),  # a flow root
        (b"a: 1\n", 1),  # a mapping root
        (b"%YAML 1.2\n---\n- a\n", 1),  # a directive
        (b"--- - a\n", 1),
        (b"", 0),
    ],
)
def test_texts_that_cannot_be_split_are_one_region(text: bytes, count: int) -> None:
    assert split(text, count) is None
    items = Items(text, count, TreeCache())
    assert items.regions([(0, 0)]) == [items.region(None, None)]
    assert items.region(None, None).end == len(text)


def test_indented_root_items_and_runs() -> None:
    text = b"  - step: {name: a}\n  - step: {name: b}\n"
    assert split(text, 2) == [0, 20]
    assert runs([1, 2, 4, 6, 7]) == [(1, 2), (4, 4), (6, 7)]
    items = Items(text, 2, TreeCache())
    assert [(r.first, r.last) for r in items.regions([(1, 1), (0, 0), (1, 1)])] == [(0, 0), (1, 1)]
