"""Files written here in each pattern that used to make edits re-dump or refuse the whole
file (see issue 17): sections indented differently, a repeated key somewhere, pipeline
parameters targeting several nodes next to node overrides, multi-line flow lists and
mappings inside flow lists, CRLF without a final newline, a task blueprint and endpoints
in the same file."""

from __future__ import annotations

MIXED = """\
- step:
    name: a
    image: busybox
    command:
    - echo a
    parameters:
    - name: n
      default: 1
- step:<SP>
    name: b
    image: busybox
    command:
      - echo {parameter:n}
    parameters:
      - name: n
        default: 2
- pipeline:
    name: p
    parameters:
      - name: shared
        targets:
          - first.parameter.n
          - second.parameter.n
        default: 3
    nodes: [{name: first, type: execution, step: a}, {name: second, type: execution, step: b,
             override: {parameters: [{name: n, default: 4}]}}]
    edges:
      - [
          first.parameter.n,
          second.parameter.n
        ]
""".replace("<SP>", " ")  # a trailing space after "- step:" that an edit must keep

REPEATED = """\
- step:
    name: dup
    image: python:3.11
    command: echo
    image: python:3.12
- step:
    name: other
    image: busybox
    command: echo {parameter:k}
    parameters:
      - name: k
        type: integer
        default: 1
    inputs:
      - name: data
- pipeline:
    name: p
    nodes:
      - name: n1
        type: execution
        step: other
      - name: n2
        type: execution
        step: other
    edges:
      - [n1.output.*, n2.input.data]
"""

TARGETS_AND_OVERRIDES = """\
# Pipeline parameters feeding several nodes, next to node overrides and actions.
- step:
    name: train
    image: python:3.12
    command: python train.py {parameters}
    parameters:
      - name: epochs
        type: integer
        default: 3
      - name: lr
        type: float
        default: 0.01
    inputs:
      - name: data
        optional: true
- pipeline:
    name: tune
    parameters:
      - name: epochs
        targets:
          - first.parameter.epochs
          - second.parameter.epochs
          - third.parameter.epochs
        default: 5
      - name: rate
        target: second.parameter.lr
    nodes:
      - name: first
        type: execution
        step: train
        override:
          parameters:
            - name: lr
              default: 0.1
          environment-variables:
            - name: SEED
              default: "1"
        actions:
          - when: node-complete
            if: metadata.loss > 1
            then: stop-pipeline
      - name: second
        type: execution
        step: train
      - name: third
        type: execution
        step: train
        override:
          image: python:3.11
    edges:
      - [first.output.*, second.input.data]
      - source: second.output.model*
        target: third.input.data
"""

FLOW = """\
- step: {name: f, image: busybox, command: [echo f], parameters: [{name: x, type: integer, default: 1}],
    inputs: [{name: i}]}
- step:
    name: g
    image: busybox
    command: echo g
    inputs: [{name: data, optional: true}]
- pipeline:
    name: flows
    nodes: [{name: a, type: execution, step: f}, {name: b, type: execution, step: g}]
    edges: [
      [a.output.*, b.input.data],
      [
        a.output.*.log,
        b.input.data
      ]
    ]
"""

CRLF = (
    "# CRLF line ends and no newline at the end\n"
    "- step:\n    name: s\n    image: busybox\n    command: echo\n    parameters:\n"
    "      - name: p\n        default: 1\n"
    "- pipeline:\n    name: q\n    nodes:\n      - name: only\n        type: execution\n        step: s"
).replace("\n", "\r\n")

TASKS_AND_ENDPOINTS = """\
- step:
    name: fit
    image: python:3.12
    command: python fit.py {parameters}
    parameters:
      - name: alpha
        type: float
        default: 0.5
      - name: beta
        type: integer
        default: 2
    outputs:
      - name: model.pkl
- task:
    name: sweep
    step: fit
    type: manual_search
    parameters:
      - name: alpha
        style: multiple
        rules:
          items: [0.1, 0.5]
- endpoint:
    name: serve
    image: python:3.12
    server-command: python serve.py
    port: 8000
    files:
      - name: model
        path: model.pkl
- pipeline:
    name: release
    nodes:
      - name: fit
        type: task
        task: sweep
      - name: deploy
        type: deployment
        deployment: prod
        endpoints: [serve]
    edges:
      - [fit.output.model.pkl, deploy.file.serve.model]
"""

# A step that takes another's keys through a merge (<<: *base): an edit inside it cannot be
# a patch (the merged keys are not in its text) and goes through the ruamel.yaml re-dump.
MERGED = """\
- step: &base
    name: train
    image: python:3.12
    command: python train.py
    parameters:
      - name: epochs
        type: integer
        default: 3
- step:
    <<: *base
    name: evaluate
- pipeline:
    name: p
    nodes:
      - name: train
        type: execution
        step: train
      - name: evaluate
        type: execution
        step: evaluate
    edges:
      - [train.parameter.epochs, evaluate.parameter.epochs]
"""

PATTERNS = {
    "mixed-indentation": MIXED,
    "repeated-key": REPEATED,
    "targets-and-overrides": TARGETS_AND_OVERRIDES,
    "flow-lists": FLOW,
    "crlf-no-final-newline": CRLF,
    "tasks-and-endpoints": TASKS_AND_ENDPOINTS,
    "merged-step": MERGED,
}
