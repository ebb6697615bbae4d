"""Pipeline Designer's desktop application (PySide6).

This package's ``__init__`` and ``cli`` import no Qt, so the headless subcommands start fast.
"""
