"""valohai-yaml's lint, linear in the number of edges.

valohai-yaml's ``Pipeline.node_map`` builds a new name → node map on every call, and its lint
asks for it once per edge and per pipeline parameter: a 500-node pipeline with 1,000 edges built
half a million entries (~60 ms of a 500-step file's lint). While ``indexed_pipelines`` is
active, each pipeline of the config answers with one map built on first use; the lint that runs
is valohai-yaml's own, unchanged, so its messages are the same (tests/runner/config/
test_lint_speed.py compares them with the plain lint's over the corpus and large files).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from valohai_yaml.objs.pipelines.pipeline import Pipeline

_MAPS: dict[int, Any] = {}  # id(pipeline) -> its node map, while its lint runs


class _IndexedPipeline(Pipeline):
    @property
    def node_map(self) -> Any:  # an OrderedDict, as Pipeline.node_map gives
        found = _MAPS.get(id(self))
        if found is None:
            found = _MAPS[id(self)] = Pipeline.node_map.fget(self)  # type: ignore[attr-defined]
        return found


@contextlib.contextmanager
def indexed_pipelines(config: Any) -> Iterator[None]:
    """Within the block, the config's pipelines build their node map once (their nodes do not
    change while they are linted); afterwards they are plain ``Pipeline``s again."""
    pipelines = [p for p in config.pipelines.values() if type(p) is Pipeline]
    for pipeline in pipelines:
        pipeline.__class__ = _IndexedPipeline
    try:
        yield
    finally:
        for pipeline in pipelines:
            pipeline.__class__ = Pipeline
            _MAPS.pop(id(pipeline), None)
