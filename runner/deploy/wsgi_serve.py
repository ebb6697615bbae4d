"""Serve a WSGI callable with the standard library; copied into endpoint containers that say ``wsgi:``.

    python3 wsgi_serve.py package.module[:callable] PORT

Runs inside the endpoint's image, so it uses nothing but the standard library (wsgiref).
Without ``:callable`` it looks for ``application`` (the WSGI convention), then ``app`` (Flask's).
"""

from __future__ import annotations

import importlib
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow client must not block the next request


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: wsgi_serve.py module[:callable] PORT", file=sys.stderr)
        return 2
    target, port = argv[0], int(argv[1])
    module_name, _, attr = target.partition(":")
    sys.path.insert(0, os.getcwd())  # the repository, like `python -m`
    module = importlib.import_module(module_name)
    names = [attr] if attr else ["application", "app"]
    app = next((getattr(module, n) for n in names if callable(getattr(module, n, None))), None)
    if app is None:
        print(f"wsgi: {module_name} has no callable {' or '.join(names)}", file=sys.stderr)
        return 1
    with make_server("0.0.0.0", port, app, server_class=_ThreadingServer) as httpd:
        print(f"serving WSGI {target} on port {port}", flush=True)
        httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
