"""Debugging a node in the designer: the terminal dock, the failure view, the debugger prompt."""
