"""Sweep expansion (runner.execution.sweep): every task type and variant style, pure."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml
from valohai_yaml import parse

from runner.execution.sweep import MAX_EXECUTIONS, Sweep, SweepError, Variant, expand, expand_blueprint
from runner.metadata import rank_children

STEP = """
- step:
    name: train
    image: busybox
    command: echo
    parameters:
      - {name: lr, type: float, default: 0.1}
      - {name: epochs, type: integer, default: 1}
      - {name: opt, type: string, default: sgd}
      - {name: aug, type: flag, default: false}
"""
TYPES = {"lr": "float", "epochs": "integer", "opt": "string", "aug": "flag"}


def blueprint(task: dict[str, Any]) -> list[dict[str, Any]]:
    text = textwrap.dedent(STEP) + yaml.safe_dump([{"task": {"name": "t", "step": "train", **task}}])
    config = parse(text)
    return expand_blueprint(config.tasks["t"], config.steps["train"])


def sweep(*variants: tuple[str, str, dict[str, Any]], **kw: Any) -> Sweep:
    return Sweep("task 't'", variants=tuple(Variant(*v) for v in variants), **kw)


def test_grid_is_the_cartesian_product_in_yaml_order() -> None:
    out = blueprint(
        {
            "parameters": [
                {"name": "lr", "style": "multiple", "rules": {"items": [0.1, 0.01, 0.001]}},
                {"name": "opt", "style": "multiple", "rules": {"items": ["sgd", "adam"]}},
            ]
        }
    )
    assert out == [
        {"lr": 0.1, "opt": "sgd"},
        {"lr": 0.1, "opt": "adam"},
        {"lr": 0.01, "opt": "sgd"},
        {"lr": 0.01, "opt": "adam"},
        {"lr": 0.001, "opt": "sgd"},
        {"lr": 0.001, "opt": "adam"},
    ]


def test_single_value_and_casting_to_the_step_types() -> None:
    out = expand(
        sweep(
            ("epochs", "multiple", {"items": ["3", 4.0]}),
            ("aug", "single", {"value": "true"}),
            ("opt", "single", {"value": 5}),
        ),
        TYPES,
    )
    assert out == [{"epochs": 3, "aug": True, "opt": "5"}, {"epochs": 4, "aug": True, "opt": "5"}]
    assert [type(x["epochs"]) for x in out] == [int, int]


def test_bad_casts_are_refused_with_the_parameter_name() -> None:
    with pytest.raises(SweepError, match=r"'epochs' \(integer\) cannot take 2.5"):
        expand(sweep(("epochs", "multiple", {"items": [1, 2.5]})), TYPES)
    with pytest.raises(SweepError, match=r"'aug' \(flag\) cannot take 'maybe'"):
        expand(sweep(("aug", "single", {"value": "maybe"})), TYPES)
    with pytest.raises(SweepError, match=r"'nope' is not a parameter of the step"):
        expand(sweep(("nope", "single", {"value": 1})), TYPES)


def test_linear_includes_the_end_with_float_tolerance() -> None:
    out = expand(sweep(("lr", "linear", {"start": 0.1, "end": 0.5, "step": 0.1})), TYPES)
    assert [x["lr"] for x in out] == [0.1, 0.2, 0.3, 0.4, 0.5]
    down = expand(sweep(("epochs", "linear", {"start": 10, "end": 1, "step": -3})), TYPES)
    assert [x["epochs"] for x in down] == [10, 7, 4, 1]
    with pytest.raises(SweepError, match="step 0 never gets"):
        expand(sweep(("lr", "linear", {"start": 0, "end": 1, "step": 0})), TYPES)
    with pytest.raises(SweepError, match="never gets from 0 to 1"):
        expand(sweep(("lr", "linear", {"start": 0, "end": 1, "step": -1})), TYPES)


def test_logspace_matches_numpy() -> None:
    numpy = pytest.importorskip("numpy")
    out = expand(sweep(("lr", "logspace", {"start": -4, "end": -1, "count": 4})), TYPES)
    assert [x["lr"] for x in out] == pytest.approx(list(numpy.logspace(-4, -1, 4)))
    base2 = expand(sweep(("lr", "logspace", {"start": 1, "end": 3, "count": 3, "base": 2})), TYPES)
    assert [x["lr"] for x in base2] == [2.0, 4.0, 8.0]
    with pytest.raises(SweepError, match="count must be at least 1"):
        expand(sweep(("lr", "logspace", {"start": 1, "end": 3, "count": 0})), TYPES)


def test_random_search_count_range_and_seed_reproducibility() -> None:
    task = {
        "type": "random_search",
        "execution-count": 7,
        "parameters": [
            {"name": "lr", "style": "random", "rules": {"min": 0.001, "max": 0.1, "seed": 42}},
            {
                "name": "epochs",
                "style": "random",
                "rules": {"min": 1, "max": 9, "integerify": True, "seed": 42},
            },
            {"name": "opt", "style": "multiple", "rules": {"items": ["sgd", "adam"], "seed": 42}},
        ],
    }
    first, second = blueprint(task), blueprint(task)
    assert first == second and len(first) == 7
    assert all(0.001 <= x["lr"] <= 0.1 and 1 <= x["epochs"] <= 9 for x in first)
    assert all(isinstance(x["epochs"], int) and x["opt"] in ("sgd", "adam") for x in first)
    assert len({x["lr"] for x in first}) == 7
    task["parameters"][0]["rules"]["seed"] = 43
    assert [x["lr"] for x in blueprint(task)] != [x["lr"] for x in first]


def test_random_distributions() -> None:
    def draw(rules: dict[str, Any]) -> list[float]:
        s = sweep(("lr", "random", {"min": 0.0001, "max": 1, "seed": 1, **rules}), type="random_search")
        return [x["lr"] for x in expand(Sweep(**{**s.__dict__, "execution_count": 400}), TYPES)]

    loguni = draw({"distribution": "loguniform"})
    assert sum(x < 0.01 for x in loguni) > 150  # half the decades lie below 0.01
    uniform = draw({})
    assert sum(x < 0.01 for x in uniform) < 20
    normal = draw({"distribution": "normal", "mean": 0.5, "stddev": 0.01})
    assert all(0.4 < x < 0.6 for x in normal)
    with pytest.raises(SweepError, match="distribution 'cauchy'"):
        draw({"distribution": "cauchy"})


def test_random_search_needs_execution_count() -> None:
    with pytest.raises(SweepError, match="execution-count of at least 1"):
        blueprint(
            {
                "type": "random_search",
                "parameters": [{"name": "lr", "style": "random", "rules": {"min": 0, "max": 1}}],
            }
        )


def test_manual_search_one_execution_per_set() -> None:
    out = blueprint(
        {
            "type": "manual_search",
            "parameter-sets": [{"lr": 0.1, "opt": "sgd"}, {"lr": "0.5", "epochs": 3}],
        }
    )
    assert out == [{"lr": 0.1, "opt": "sgd"}, {"lr": 0.5, "epochs": 3}]
    with pytest.raises(SweepError, match="needs parameter-sets"):
        expand(sweep(type="manual_search"), TYPES)


@pytest.mark.parametrize("kind", ["bayesian_tpe", "distributed"])
def test_unsupported_types_name_the_task(kind: str) -> None:
    with pytest.raises(
        SweepError, match=rf"task 't': task type '{kind}' is not supported by the local runner"
    ):
        blueprint(
            {"type": kind, "parameters": [{"name": "lr", "style": "multiple", "rules": {"items": [1]}}]}
        )


def test_absurd_sweeps_are_refused() -> None:
    with pytest.raises(SweepError, match=f"would start 10201 executions \\(at most {MAX_EXECUTIONS}\\)"):
        expand(
            sweep(
                ("lr", "linear", {"start": 0, "end": 100, "step": 1}),
                ("epochs", "linear", {"start": 0, "end": 100, "step": 1}),
            ),
            TYPES,
        )
    with pytest.raises(SweepError, match="would start"):
        expand(sweep(("lr", "linear", {"start": 0, "end": 1, "step": 1e-9})), TYPES)
    with pytest.raises(SweepError, match=r"needs a non-empty rules\.items"):
        expand(sweep(("lr", "multiple", {"items": []})), TYPES)
    with pytest.raises(SweepError, match="'lr' is varied twice"):
        expand(sweep(("lr", "multiple", {"items": [1, 2]}), ("lr", "multiple", {"items": [3]})), TYPES)


def test_spread_lists_multiply_and_replace_variants() -> None:
    s = sweep(("lr", "multiple", {"items": [1, 2]}), ("opt", "multiple", {"items": ["a", "b", "c"]}))
    out = expand(s, TYPES, spread={"opt": ["x"], "epochs": ["1", "2"]})
    assert out == [
        {"lr": 1.0, "opt": "x", "epochs": 1},
        {"lr": 1.0, "opt": "x", "epochs": 2},
        {"lr": 2.0, "opt": "x", "epochs": 1},
        {"lr": 2.0, "opt": "x", "epochs": 2},
    ]
    assert expand(Sweep("node 'n'"), TYPES) == [{}]  # a plain task node: one execution
    with pytest.raises(SweepError, match="node 'n': parameter 'lr' got an empty list"):
        expand(Sweep("node 'n'"), TYPES, spread={"lr": []})


def test_rank_children_by_latest_value_missing_last() -> None:
    records = {
        1: [{"acc": 0.9}, {"acc": 0.5}],  # latest counts: 0.5
        2: [{"loss": 1}],
        3: [{"acc": 0.7}],
        4: [{"acc": float("nan")}],
        5: [{"acc": 0.7, "_time": "x"}],
        6: [{"acc": float("inf")}],  # an infinity is no score either: last, whichever the order
    }
    assert rank_children(records, "acc") == [
        (3, 0.7),
        (5, 0.7),
        (1, 0.5),
        (2, None),
        (4, None),
        (6, None),
    ]
    assert [c for c, _v in rank_children(records, "acc", descending=False)] == [1, 3, 5, 2, 4, 6]
    assert rank_children({}, "acc") == []


def test_plan_refuses_an_unsupported_task_naming_the_node(tmp_path) -> None:
    from runner.execution.plan import PlanError, plan_pipeline

    pipeline = [
        {
            "task": {
                "name": "opt",
                "step": "train",
                "type": "bayesian_tpe",
                "parameters": [{"name": "lr", "style": "random", "rules": {"min": 0, "max": 1}}],
            }
        },
        {"pipeline": {"name": "p", "nodes": [{"name": "tune", "type": "task", "task": "opt"}], "edges": []}},
    ]
    config = parse(textwrap.dedent(STEP) + yaml.safe_dump(pipeline))
    with pytest.raises(
        PlanError, match=r"node 'tune' \(task 'opt'\): task type 'bayesian_tpe' is not supported"
    ):
        plan_pipeline(config, "p", tmp_path)
    pipeline[1]["pipeline"]["nodes"][0]["task"] = "nope"
    config = parse(textwrap.dedent(STEP) + yaml.safe_dump(pipeline))
    with pytest.raises(PlanError, match=r"task 'nope' does not exist \(tasks: opt\)"):
        plan_pipeline(config, "p", tmp_path)
