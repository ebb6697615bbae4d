"""Started by every Python in a node's container (the runner puts this folder on PYTHONPATH).

Turns on the runner's features named by environment variables, then runs the image's own
sitecustomize (which this module shadows), so the image behaves as without us. Runs inside the
user's Python (any version: no syntax newer than 2.7's here, features check what they need):
standard library only, and never raises into the user's program.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _features():
    if os.environ.get("PIPELINE_DESIGNER_DEBUG"):
        import _pd_debug

        _pd_debug.start()
    if os.environ.get("PIPELINE_DESIGNER_PYDEVD"):
        import _pd_pydevd

        _pd_pydevd.start()
    if os.environ.get("PIPELINE_DESIGNER_CAPTURE_LOCALS"):
        import _pd_locals

        _pd_locals.install()
    if os.environ.get("PIPELINE_DESIGNER_RECORD_READS") and sys.version_info >= (3, 8):
        import _pd_reads

        _pd_reads.start()


def _chain():
    """Import the sitecustomize that would have run without us (Debian's, a venv's, ...)."""
    path = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
    if sys.version_info < (3, 4):  # no PathFinder.find_spec (Python 2): a plain file only
        import imp

        for entry in path:
            candidate = os.path.join(entry or ".", "sitecustomize.py")
            if os.path.isfile(candidate):
                sys.modules["sitecustomize"] = imp.load_source("sitecustomize", candidate)
                return
        return
    import importlib.machinery
    import importlib.util

    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _features()
except Exception as exc:  # a feature must never stop the user's program
    sys.stderr.write("pipeline-designer: runner feature failed to start: %r\n" % (exc,))
try:
    _chain()
except Exception as exc:
    sys.stderr.write("pipeline-designer: the image's sitecustomize failed: %r\n" % (exc,))
