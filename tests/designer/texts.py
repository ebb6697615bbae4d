"""YAML texts shared by the designer tests."""

from __future__ import annotations

# Two steps and a pipeline p: prep feeds train's data input.
PREP_TRAIN = """\
- step:
    name: prep
    image: busybox
    command: date
- step:
    name: train
    image: busybox
    command: date
    parameters:
      - name: epochs
        type: integer
        default: 3
    inputs:
      - name: data
- pipeline:
    name: p
    nodes:
      - name: prep
        type: execution
        step: prep
      - name: train
        type: execution
        step: train
    edges:
      - [prep.output.*, train.input.data]
"""
