"""PyInstaller entry point: the same ``main`` as the ``pipeline-designer`` console script."""

import sys

from designer.cli import main

if __name__ == "__main__":
    sys.exit(main())
