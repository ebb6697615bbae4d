"""The valohai.yaml model: load, lint, edit and save without losing what the user wrote."""

from runner.config.diagnostics import Diagnostic
from runner.config.errors import ConfigLoadError
from runner.config.lint import lint
from runner.config.loader import LoadedConfig, Mark, load, load_text

__all__ = ["ConfigLoadError", "Diagnostic", "LoadedConfig", "Mark", "lint", "load", "load_text"]
