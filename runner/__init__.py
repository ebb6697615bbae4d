"""Headless engine of Pipeline Designer: the valohai.yaml model, the DAG, and the runner.

Nothing in this package imports Qt or ``designer``.
"""

__version__ = "0.1.0"
