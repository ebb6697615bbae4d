"""Debug this node: the Python running the step's script listens for a debugger (debugpy) and
waits for it before the user's code starts.

Only a Python whose main script (or ``-m`` module) lives in the code folder is debugged, so
``pip install ... && python train.py`` stops in train.py, not in pip. The first such process takes
the debugger; its children are followed by debugpy itself.
"""

import os
import sys

ENV = "PIPELINE_DESIGNER_DEBUG"  # the port to listen on inside the container
LIB_ENV = "PIPELINE_DESIGNER_DEBUGPY"  # the folder holding the mounted debugpy package
MARKER = "pipeline-designer: debugger listening on port"


def _repository():
    return os.path.abspath(os.environ.get("VH_REPOSITORY_DIR") or os.getcwd())


def _inside(path, root):
    path = os.path.abspath(path)
    return path == root or path.startswith(root + os.sep)


def _main_file():
    argv = list(getattr(sys, "orig_argv", None) or [])
    args = argv[1:] if argv else list(sys.argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-m" and i + 1 < len(args):
            return _module_file(args[i + 1])
        if arg.startswith("-m") and len(arg) > 2:
            return _module_file(arg[2:])
        if arg in ("-c", "-"):
            return None
        if arg in ("-W", "-X", "--check-hash-based-pycs"):
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return arg
    return None if argv else (sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c", "-m") else None)


def _module_file(name):
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        return None
    return getattr(spec, "origin", None) if spec is not None else None


def step_script():
    """The script (or ``-m`` module file) this Python runs when it is one of the code folder's:
    the process a debugger is meant for; None for pip, a ``-c`` one-liner, a tool."""
    main = _main_file()
    return main if main and _inside(main, _repository()) else None


def start():
    port = os.environ.pop(ENV, "")  # taken: children of this process do not listen again
    main = step_script()
    if not port or not main:
        if port:
            os.environ[ENV] = port  # not the step's script (pip, a -c one-liner): leave it for that one
        return
    lib = os.environ.get(LIB_ENV)
    if lib and lib not in sys.path:
        sys.path.insert(0, lib)
    import debugpy

    debugpy.listen(("0.0.0.0", int(port)))
    script = os.path.basename(main)
    sys.stderr.write(f"{MARKER} {port}, waiting for the debugger to attach ({script})\n")
    sys.stderr.flush()
    debugpy.wait_for_client()
