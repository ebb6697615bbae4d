"""Fuzz sequences of edits on generated, schema-shaped files.

Oracles: an edit either succeeds or raises EditError/ConfigLoadError (never anything else);
lint of the result never raises; and a document edited step by step (which keeps its ruamel
tree between edits) ends in exactly the text that a fresh document loaded from the previous
text reaches with the same edit, so the cached tree never drifts from the text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.config import ConfigLoadError, edits, lint
from runner.config.document import YamlDocument
from runner.config.errors import EditError

NAME = st.sampled_from(["a", "b", "s", "p"])
SOCKET = st.builds(
    "{}.{}.{}".format, NAME, st.sampled_from(["output", "input", "parameter", "metadata"]), NAME
)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), NAME)
SPEC = st.fixed_dictionaries(
    {"name": NAME}, optional={"type": st.sampled_from(["string", "integer"]), "default": SCALAR}
)
STEP = st.fixed_dictionaries(
    {"name": NAME, "image": st.just("busybox"), "command": st.just("echo {parameter:a}")},
    optional={"parameters": st.lists(SPEC, max_size=3), "inputs": st.lists(SPEC, max_size=3)},
)
NODE = st.fixed_dictionaries(
    {"name": NAME, "type": st.sampled_from(["execution", "task"])},
    optional={"step": NAME, "override": st.fixed_dictionaries({"parameters": st.lists(SPEC, max_size=2)})},
)
EDGE = st.one_of(
    st.lists(SOCKET, min_size=2, max_size=2),
    st.builds(lambda s, t: {"source": s, "target": t}, SOCKET, SOCKET),
)
PIPELINE = st.fixed_dictionaries(
    {"name": NAME, "nodes": st.lists(NODE, max_size=4), "edges": st.lists(EDGE, max_size=4)},
    optional={
        "parameters": st.lists(
            st.fixed_dictionaries({"name": NAME, "targets": st.lists(SOCKET, max_size=2)}), max_size=2
        )
    },
)
FILES = st.lists(
    st.one_of(st.builds(lambda s: {"step": s}, STEP), st.builds(lambda p: {"pipeline": p}, PIPELINE)),
    max_size=4,
)

Edit = Callable[[YamlDocument], None]
EDITS: list[st.SearchStrategy[Edit]] = [
    st.builds(lambda a, b, c: lambda d: edits.rename_parameter(d, a, b, c), NAME, NAME, NAME),
    st.builds(lambda a, b, v: lambda d: edits.set_parameter_field(d, a, b, "default", v), NAME, NAME, SCALAR),
    st.builds(lambda a, s, t: lambda d: edits.add_edge(d, a, s, t), NAME, SOCKET, SOCKET),
    st.builds(lambda a, s, t: lambda d: edits.set_edge(d, a, 0, s, t), NAME, SOCKET, SOCKET),
    st.builds(lambda a: lambda d: edits.remove_edge(d, a, 0), NAME),
    st.builds(lambda a, b, c: lambda d: edits.rename_node(d, a, b, c), NAME, NAME, NAME),
    st.builds(lambda a, b: lambda d: edits.remove_node(d, a, b), NAME, NAME),
    st.builds(lambda a, b, c: lambda d: edits.add_node(d, a, b, c), NAME, NAME, NAME),
    st.builds(lambda a, b: lambda d: edits.rename_step(d, a, b), NAME, NAME),
    st.builds(lambda a, b, c: lambda d: edits.rename_input(d, a, b, c), NAME, NAME, NAME),
    st.builds(lambda a, b: lambda d: edits.add_parameter(d, a, {"name": b}), NAME, NAME),
    st.builds(lambda a, b: lambda d: edits.remove_parameter(d, a, b), NAME, NAME),
]


def _outcome(doc: YamlDocument, edit: Edit) -> type[Exception] | None:
    try:
        edit(doc)
    except (EditError, ConfigLoadError) as exc:
        return type(exc)
    return None


# Each example parses and edits a document up to eight times (an edit costs ~40-80 ms):
# fewer examples than the other fuzz tests keep this one under ~8 s.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILES, st.booleans(), st.lists(st.one_of(EDITS), min_size=1, max_size=4))
def test_edit_sequences_stay_consistent(data: Any, flow: bool, sequence: list[Edit]) -> None:
    doc = YamlDocument.from_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=flow))
    for edit in sequence:
        fresh = YamlDocument.from_text(doc.text)
        outcome = _outcome(doc, edit)
        assert _outcome(fresh, edit) == outcome
        assert doc.text == fresh.text
        lint(doc.loaded)  # must not raise
