"""Pipeline Designer: the PySide6 node-graph editor for valohai.yaml.

This ``__init__`` imports no Qt, so the headless subcommands of ``designer.cli`` start fast.
"""
