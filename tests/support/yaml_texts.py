"""valohai.yaml texts the tests share, and the pieces they are built from.

A test's text is written out where its details matter (comments, odd styles, exact lines a diff
asserts); the plain parts many tests repeat (a step's head, a pipeline's execution nodes) come from
``step``, ``node`` and ``pipeline``, which write exactly the block style the tests use: two spaces
a level, lists indented under their key.
"""

from __future__ import annotations

from collections.abc import Sequence


def _indent(body: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in body.splitlines(keepends=True))


def step(name: str, image: str = "busybox", command: str | None = "date", body: str = "") -> str:
    """A ``- step:`` item; ``body``: its further keys, written from column 0 (a command list there
    when ``command`` is None)."""
    head = f"- step:\n    name: {name}\n    image: {image}\n"
    return head + (f"    command: {command}\n" if command is not None else "") + _indent(body, 4)


def node(name: str, ref: str | None = None, kind: str = "execution", body: str = "") -> str:
    """One node of a pipeline's nodes list; ``ref``: its step (task, deployment), its name by default."""
    key = "step" if kind == "execution" else kind
    return f"      - name: {name}\n        type: {kind}\n        {key}: {ref or name}\n" + _indent(body, 8)


def pipeline(name: str, *nodes: str, edges: Sequence[str] = (), head: str = "") -> str:
    """A ``- pipeline:`` item of ``nodes`` (from ``node``); ``edges``: one ``[source, target]`` a line;
    ``head``: keys before the nodes (parameters), written from column 0."""
    listed = "".join(f"      - {edge}\n" for edge in edges)
    return (
        f"- pipeline:\n    name: {name}\n"
        + _indent(head, 4)
        + "    nodes:\n"
        + "".join(nodes)
        + ("    edges:\n" + listed if edges else "    edges: []\n")
    )


def parameter(name: str, kind: str, default: object) -> str:
    """One item of a step's parameters list, written from column 0."""
    return f"  - name: {name}\n    type: {kind}\n    default: {default}\n"


EPOCHS_3 = "parameters:\n" + parameter("epochs", "integer", 3)

# Two steps and a pipeline p: prep feeds train's data input.
PREP_TRAIN = (
    step("prep")
    + step("train", body=EPOCHS_3 + "inputs:\n  - name: data\n")
    + pipeline("p", node("prep"), node("train"), edges=["[prep.output.*, train.input.data]"])
)


def train_py(body: str = "") -> str:
    """A Python training step ``train`` that passes its parameters on the command line."""
    return step("train", image="python:3.12", command="python train.py {parameters}", body=body)


# A sweep's parameters, a blueprint lr-sweep over the first and a pipeline p of train and its sweep.
LEARNING_RATE_EPOCHS = (
    "parameters:\n" + parameter("learning-rate", "float", 0.01) + parameter("epochs", "integer", 5)
)
SWEEP_PIPELINE = pipeline("p", node("train"), node("sweep", "lr-sweep", kind="task"))

# prep (step prepare) writes rows.csv, train reads it: the pipeline of the debug views' runs.
ROWS_PIPELINE = """\
- pipeline:
    name: p
    nodes:
      - {name: prep, step: prepare, type: execution}
      - {name: train, step: train, type: execution}
    edges:
      - [prep.output.rows.csv, train.input.rows]
"""
