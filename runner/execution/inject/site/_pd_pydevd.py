"""Debug this node in PyCharm: the Python running the step's script is debugged by pydevd-pycharm
(mounted by the runner, the version of the user's PyCharm), talking to PyCharm's Python Debug
Server, before the user's code starts.

PyCharm's debug server listens and the program connects to it. The runner carries that
connection (runner/debug/ide_relay.py): this hook listens on a container port the runner
reaches (published on the engine host's 127.0.0.1, forwarded over SSH for a remote host), the
runner joins it to the debug server on the user's machine once it answers, and pydevd is handed
that socket instead of dialling out itself. So the debug server may listen on 127.0.0.1 only, and
a remote host needs neither a route back to the user's machine nor sshd's GatewayPorts.

Like debugpy's hook (_pd_debug) only the step's script is debugged, and only its first Python.
"""

import os
import socket
import sys

import _pd_debug

ENV = "PIPELINE_DESIGNER_PYDEVD"  # the container port the runner connects to
LIB_ENV = "PIPELINE_DESIGNER_PYDEVD_LIB"  # the folder holding the mounted pydevd-pycharm
MARKER = "pipeline-designer: waiting for PyCharm's debugger on port"


def start():
    port = os.environ.pop(ENV, "")  # taken: children of this process do not wait again
    main = _pd_debug.step_script()
    if not port or not main:
        if port:
            os.environ[ENV] = port  # not the step's script (pip, a one-liner): leave it for that one
        return
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", int(port)))
    server.listen(1)
    # Only now: the runner connects as soon as it reads this line.
    sys.stderr.write("%s %s, waiting for PyCharm (%s)\n" % (MARKER, port, os.path.basename(main)))
    sys.stderr.flush()
    conn, _peer = server.accept()
    server.close()
    lib = os.environ.get(LIB_ENV)
    if lib and lib not in sys.path:
        sys.path.insert(0, lib)
    # The mounted package is plain Python (its compiled speed-ups are for other platforms).
    os.environ.setdefault("PYDEVD_USE_CYTHON", "NO")
    os.environ.setdefault("PYDEVD_USE_FRAME_EVAL", "NO")
    import pydevd

    dial = pydevd.start_client
    pydevd.start_client = lambda _host, _port: conn  # the runner's connection, already joined
    try:
        # host, output to the IDE (no: the log keeps it), port, suspend (no: stop at breakpoints
        # only). Returns once PyCharm has sent its breakpoints and "run".
        pydevd.settrace("127.0.0.1", False, False, int(port), False)
    finally:
        pydevd.start_client = dial
