"""Record which files under the repository this Python process reads (an audit hook).

Turned on by ``PIPELINE_DESIGNER_RECORD_READS`` (runner.execution.inject). One JSON line per
fact, appended to ``<PIPELINE_DESIGNER_REPORTS>/reads/<pid>-<n>.jsonl`` as it happens (a
process killed or ending in ``os._exit`` keeps what it recorded):

- ``{"process": {"pid", "ppid", "via": "start"|"fork", "argv"}}`` first;
- ``{"r": PATH}`` opened for reading (imports included); ``{"d": PATH}`` listed;
  ``{"s": PATH}`` asked whether it exists (``os.stat``); ``{"m": [DIR, NAME]}`` looked up module
  NAME on a repository folder of ``sys.path`` (a new ``NAME.py`` there would shadow it);
- ``{"spawn": ARGV0}`` started another Python (it records itself);
- ``{"unknown": WHY}`` did something whose reads cannot be seen (ran a non-Python program).

PATHs are relative to the repository (``VH_REPOSITORY_DIR``), "/"-separated; paths elsewhere
are not recorded. The runner turns this into the files a node depends on
(runner.execution.reads). Needs Python 3.8 (audit hooks); sitecustomize checks.
"""

import itertools
import os
import sys

# No json import: a module imported here is imported before the user's code, so a repository
# file of the same name (json.py) would no longer shadow it. Facts are written by _dumps.

_PYC_TAG = ".cpython-"
_IMPORT_FRAMES = ("<frozen importlib._bootstrap", "importlib/_bootstrap")
_SPAWN_EVENTS = ("subprocess.Popen", "os.posix_spawn", "os.spawn", "os.exec")
_NOT_SEEN_EVENTS = {"os.system": "ran a shell command (os.system)", "pty.spawn": "started a program on a pty"}
_counter = itertools.count()
ENV = "PIPELINE_DESIGNER_RECORD_READS"


def _is_python(argv0):
    name = os.path.basename(str(argv0))
    return name.startswith("python") or name.startswith("pip")


class Recorder:
    def __init__(self, reports, repo):
        self.folder = os.path.join(reports, "reads")
        self.repo = os.path.abspath(repo)
        self.prefix = self.repo + os.sep
        self.seen = set()
        self.busy = False
        self.out = None
        self._open("start", os.getppid())

    def _open(self, via, ppid):
        self.busy = True
        try:
            os.makedirs(self.folder, exist_ok=True)
            name = "%d-%d.jsonl" % (os.getpid(), next(_counter))
            self.out = open(os.path.join(self.folder, name), "a", buffering=1, encoding="utf-8")
        finally:
            self.busy = False
        self._write({"process": {"pid": os.getpid(), "ppid": ppid, "via": via, "argv": sys.argv[:8]}})

    def forked(self, parent):
        self.out = None
        self._open("fork", parent)

    def _write(self, fact):
        if self.out is None:
            return
        try:
            self.out.write(_dumps(fact) + "\n")
        except (OSError, ValueError):  # reports folder gone, file closed at shutdown
            self.out = None

    def _note(self, kind, value):
        key = (kind, value if isinstance(value, str) else tuple(value))
        if key not in self.seen:
            self.seen.add(key)
            self._write({kind: value})

    def _rel(self, path):
        """The repository-relative path of ``path`` (str, bytes or PathLike), or None."""
        if path is None or isinstance(path, int):
            return None
        try:
            full = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            return None
        if full == self.repo:
            return "."
        if not full.startswith(self.prefix):
            return None
        rel = full[len(self.prefix) :].replace(os.sep, "/")
        folder, _, name = rel.rpartition("/")
        if folder.endswith("__pycache__") and _PYC_TAG in name:  # a compiled module: its source
            base = folder[: -len("__pycache__")]
            return base + name.split(".", 1)[0] + ".py"
        return rel

    def hook(self, event, args):
        if self.busy or self.out is None:
            return
        if event == "open":
            self._opened(args)
        elif event == "import":
            self._imported(args)
        elif event in ("os.listdir", "os.scandir"):
            rel = self._rel(args[0] if args and args[0] is not None else os.curdir)
            if rel is not None and not _from_import_system():
                self._note("d", rel)
        elif event in _SPAWN_EVENTS:
            self._spawned(event, args)
        elif event in _NOT_SEEN_EVENTS:
            self._note("unknown", _NOT_SEEN_EVENTS[event])
        elif event == "ctypes.dlopen":
            rel = self._rel(args[0] if args else None)
            if rel is not None:
                self._note("r", rel)

    def _opened(self, args):
        path, mode = args[0], args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else 0
        # io.open gives a mode; os.open gives None and its flags decide
        reading = ("r" in mode or "+" in mode) if isinstance(mode, str) else (flags or 0) & 3 != os.O_WRONLY
        if reading:
            rel = self._rel(path)
            if rel is not None:
                self._note("r", rel)

    def _imported(self, args):
        name, search = args[0], args[2] if len(args) > 2 else None
        if not isinstance(name, str) or "." in name or not search:
            return
        for entry in search:
            rel = self._rel(entry or os.curdir) if isinstance(entry, str) else None
            if rel is not None:
                self._note("m", [rel, name])

    def _spawned(self, event, args):
        if event == "os.spawn":  # (mode, path, args, env)
            path, argv, env = args[1], args[2], args[3] if len(args) > 3 else None
        elif event == "subprocess.Popen":  # (executable, args, cwd, env)
            path, argv, env = args[0], args[1], args[3] if len(args) > 3 else None
        else:  # (path, argv, env)
            path, argv, env = args[0], args[1], args[2] if len(args) > 2 else None
        if isinstance(argv, (str, bytes)):
            argv = [os.fsdecode(argv)]
            if not path and len(argv[0].split()) > 1:  # a command line: shell=True
                self._note("unknown", "ran a shell command")
                return
        program = path or next(iter(argv or [""]), "")
        if isinstance(program, bytes):
            program = os.fsdecode(program)
        if not _is_python(program) or not _keeps_hook(env):
            self._note("unknown", "ran %s" % os.path.basename(str(program) or "a program"))
        elif event != "os.exec":  # an exec'd Python replaces this one and records itself
            self._write({"spawn": os.path.basename(str(program))})


def _dumps(value):
    """JSON text of the facts' values: dicts, lists, str, int (what json.dumps would give)."""
    if isinstance(value, dict):
        return "{" + ", ".join(_dumps(str(k)) + ": " + _dumps(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_dumps(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int):
        return str(value)
    text = str(value)
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF:  # controls, undecodable bytes
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _keeps_hook(env):
    """A child with this environment (None: ours) loads the hook too."""
    if env is None:
        return True
    try:
        value = env.get("PYTHONPATH") or env.get(b"PYTHONPATH") or ""
        on = env.get(ENV) or env.get(ENV.encode()) or ""
    except AttributeError:
        return False
    ours = os.path.dirname(os.path.abspath(__file__))
    return bool(on) and ours in os.fsdecode(value).split(os.pathsep)


def _from_import_system():
    """The listing is the import system's directory cache (imports are recorded as opens and
    module lookups), not the step's own: its caller is FileFinder._fill_cache."""
    code = sys._getframe(2).f_code
    return code.co_name == "_fill_cache" and code.co_filename.startswith(_IMPORT_FRAMES)


def _patch_stat(recorder):
    """``os.path.exists``/``isfile``/``Path.exists`` reach ``os.stat``: a probe of a repository
    path that does not exist yet must count too (the import system binds its own stat)."""
    real_stat, real_lstat = os.stat, os.lstat

    def stat(path, *args, **kwargs):
        rel = recorder._rel(path) if not recorder.busy else None
        if rel is not None:
            recorder._note("s", rel)
        return real_stat(path, *args, **kwargs)

    def lstat(path, *args, **kwargs):
        rel = recorder._rel(path) if not recorder.busy else None
        if rel is not None:
            recorder._note("s", rel)
        return real_lstat(path, *args, **kwargs)

    stat.__doc__, lstat.__doc__ = real_stat.__doc__, real_lstat.__doc__
    os.stat, os.lstat = stat, lstat


def start():
    reports = os.environ.get("PIPELINE_DESIGNER_REPORTS")
    repo = os.environ.get("VH_REPOSITORY_DIR")
    if not reports or not repo or sys.version_info < (3, 8):
        return
    recorder = Recorder(reports, repo)
    os.register_at_fork(after_in_child=lambda: recorder.forked(os.getppid()))
    _patch_stat(recorder)
    sys.addaudithook(recorder.hook)
