"""``python driver.zip``: a run's relay to the head's driver (``--address``), or that driver
itself (``--serve SOCKET --address``, started by a relay)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-designer-ray-driver")
    parser.add_argument("--address", default="auto")
    parser.add_argument("--serve", metavar="SOCKET", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        from .daemon import serve

        return serve(args.serve, args.address)
    from .relay import main as relay

    return relay(args.address, os.path.abspath(sys.argv[0]))
