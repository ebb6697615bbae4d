"""Headless subcommands of ``pipeline-designer``. Nothing here may import Qt."""
