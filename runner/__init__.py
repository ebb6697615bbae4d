"""Headless engine of Pipeline Designer: the valohai.yaml model, the DAG, and the runner.

Nothing in this package imports Qt or ``designer``.
"""

from runner.deferred import defer

__version__ = "0.1.0"

defer("paramiko")  # SSH only for remote hosts: not on every start of the CLI (runner.deferred)
