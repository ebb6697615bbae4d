"""Capture locals on failure: at an uncaught exception, the repr of each frame's local variables
(truncated, size-capped) is written to ``<PIPELINE_DESIGNER_REPORTS>/locals/record.json``, then the
traceback prints as usual. Nothing is captured unless the run asked for it.

Imports happen only when the hook fires: a module imported at start-up would be imported before the
user's code, so a repository file of the same name (json.py) would no longer shadow it.
"""

import os
import sys

MAX_FRAMES = 30  # the innermost ones
MAX_LOCALS = 40  # per frame
MAX_VALUE = 400  # characters of one repr
MAX_TOTAL = 60000  # characters of the whole record


def _record(kind, tb):
    import reprlib

    short = reprlib.Repr()
    short.maxstring = short.maxother = MAX_VALUE
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 20

    def safe(value):
        try:
            text = short.repr(value)
        except Exception as exc:  # a broken __repr__ must not hide the real error
            text = "<repr failed: %s>" % type(exc).__name__
        return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "..."

    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    frames = []
    for tb in entries[-MAX_FRAMES:]:
        frame = tb.tb_frame
        names = sorted(n for n in frame.f_locals if not (n.startswith("__") and n.endswith("__")))
        frames.append(
            {
                "file": frame.f_code.co_filename,
                "line": tb.tb_lineno,
                "function": frame.f_code.co_name,
                "locals": dict((n, safe(frame.f_locals[n])) for n in names[:MAX_LOCALS]),
            }
        )
    return {"exception": kind.__name__, "frames": frames}


def _write(record):
    import json

    text = json.dumps(record)
    while len(text) > MAX_TOTAL and len(record["frames"]) > 1:
        record["frames"] = record["frames"][1:]  # keep the innermost frames
        text = json.dumps(record)
    if len(text) > MAX_TOTAL:
        return
    folder = os.path.join(os.environ["PIPELINE_DESIGNER_REPORTS"], "locals")
    if not os.path.isdir(folder):
        os.makedirs(folder)
    tmp = os.path.join(folder, ".record.%d" % os.getpid())
    with open(tmp, "w") as out:
        out.write(text)
    os.rename(tmp, os.path.join(folder, "record.json"))  # the last process to fail wins


def install():
    if not os.environ.get("PIPELINE_DESIGNER_REPORTS"):
        return
    previous = sys.excepthook

    def hook(kind, value, tb):
        try:  # noqa: SIM105 (contextlib would be one more module imported before the user's code)
            _write(_record(kind, tb))
        except Exception:
            pass
        previous(kind, value, tb)

    sys.excepthook = hook
