"""PyInstaller entry point: the same ``entry`` as the ``pipeline-designer`` console script."""

from designer.cli import entry

if __name__ == "__main__":
    entry()
