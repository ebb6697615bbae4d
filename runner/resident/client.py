"""The console script's side of the resident runner: hand a command over, or say it cannot.

Imports only the standard library (the point is not paying for the run's imports): the entry
point calls ``forward(argv)`` before anything else. It returns the command's exit status when
the resident process ran it, or None when the command is to run in this process as ever: the
feature is off, the command is not ``run``/``lint``, or no resident process of this installation
listens yet (one is then started in the background for the next command).

The conversation on the socket (a folder only this user can open, checked before use):
the server says ``{"key": ..., "pid": ...}``; the client sends one request (argv, folder,
environment, umask) with its stdin/stdout/stderr attached as file descriptors (SCM_RIGHTS), so
the child writes straight to the caller's terminal or pipe; then ``S<signum>`` lines while the
child runs (SIGINT/SIGTERM/SIGHUP reach it as they would reach an in-process run); the server
answers ``{"exit": N}``. A client that goes away (killed) closes the socket: the child is sent
SIGTERM, which cancels its run the way Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import stat
import sys
import zlib

ENABLE_ENV = "PIPELINE_DESIGNER_RESIDENT"  # 1/on: use it; 0/off: never (whatever the settings say)
DIR_ENV = "PIPELINE_DESIGNER_RESIDENT_DIR"  # the socket folder (tests give each their own)
COMMANDS = ("run", "lint")
SETTING = "resident_runner"
HELLO_S = 5.0
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # runner/


class Unsafe(Exception):
    """The socket folder is not this user's private folder: nothing is served through it."""


def enabled(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """The env switch, else the saved setting (settings.json read with json alone)."""
    value = environ.get(ENABLE_ENV, "").strip().lower()
    if value:
        return value in ("1", "on", "true", "yes")
    path = os.path.join(_config_dir(environ), "settings.json")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return False  # no file, or one the command itself will report on
    return isinstance(data, dict) and data.get(SETTING) is True


def _config_dir(environ: dict[str, str] | os._Environ[str]) -> str:
    """runner.hosts.paths.config_dir without platformdirs (its Linux and macOS answers)."""
    if environ.get("PIPELINE_DESIGNER_CONFIG"):
        return environ["PIPELINE_DESIGNER_CONFIG"]
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "pipeline-designer")
    return os.path.join(environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "pipeline-designer")


def fingerprint() -> str:
    """This installation: its Python, its runner package and every module's mtime (an edited or
    upgraded copy has another fingerprint, so a resident process of the old code is not used)."""
    parts = [sys.executable, _PACKAGE, sys.version]
    for folder, dirs, files in os.walk(_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                parts.append(f"{name}:{os.stat(os.path.join(folder, name)).st_mtime_ns}")
    text = "\0".join(parts).encode()
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"  # zlib: hashlib's OpenSSL costs ms


def folder(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The private socket folder, made 0700 and checked: this user's, nobody else may enter."""
    path = environ.get(DIR_ENV)
    if not path:
        base = environ.get("XDG_RUNTIME_DIR") or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "pipeline-designer", "resident")
    with contextlib.suppress(FileExistsError):
        os.makedirs(path, 0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise Unsafe(f"{path} is not a private folder of this user (mode 0700): remove it and retry")
    return path


def socket_path(key: str, environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    return os.path.join(folder(environ), f"r-{key}.sock")


def forward(argv: list[str]) -> int | None:
    """The exit status of ``argv`` run by the resident process, or None: run it here."""
    if os.name != "posix" or not argv or argv[0] not in COMMANDS or not enabled():
        return None
    key = fingerprint()
    try:
        path = socket_path(key)
    except (Unsafe, OSError) as exc:
        print(f"pipeline-designer: resident runner not used: {exc}", file=sys.stderr)
        return None
    sock = _dial(path)
    if sock is None:
        start(path, key)
        return None
    with sock:
        return _served(sock, key, argv, path[: -len(".sock")] + ".log")


def _dial(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:  # none yet, or a stale socket of a process that is gone
        sock.close()
        return None
    return sock


def _served(sock: socket.socket, key: str, argv: list[str], log: str) -> int | None:
    sock.settimeout(HELLO_S)
    reader = sock.makefile("rb")
    try:
        hello = json.loads(reader.readline() or b"null")
    except (OSError, ValueError):
        return None  # a hung or broken resident process: this command runs here
    if not isinstance(hello, dict) or hello.get("key") != key:
        return None  # another version's: never served by it
    umask = os.umask(0)
    os.umask(umask)
    request = {
        "argv": argv,
        "argv0": sys.argv[0] if sys.argv else "pipeline-designer",
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
        "encoding": getattr(sys.stdout, "encoding", None) or "utf-8",
    }
    payload = json.dumps(request).encode()
    try:
        socket.send_fds(sock, [len(payload).to_bytes(8, "big")], [0, 1, 2])
        sock.sendall(payload)
    except OSError:
        return None  # nothing was started: run it here
    sock.settimeout(None)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: _tell(sock, signum))
    try:
        line = reader.readline()
    except OSError:
        line = b""
    try:
        return int(json.loads(line)["exit"])
    except (ValueError, KeyError, TypeError):
        print(
            f"pipeline-designer: the resident runner ended during the command (its log: {log})",
            file=sys.stderr,
        )
        return 1


def _tell(sock: socket.socket, signum: int) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(f"S{signum}\n".encode())


def start(path: str, key: str) -> None:
    """Start the resident process in the background (its own session, its log beside the
    socket) unless one holds the folder's lock (it is starting, or serves already)."""
    lock_path = path[: -len(".sock")] + ".lock"
    try:
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # held: one is on its way
    import subprocess  # only on this path: the command runs in-process anyway

    here = os.path.dirname(_PACKAGE)  # the same copy of the runner, whatever sys.path says
    python_path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    with open(path[: -len(".sock")] + ".log", "ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "runner.resident.server", path, key],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this command and its terminal
            close_fds=True,
            cwd="/",
            env={**os.environ, "PYTHONPATH": python_path},
        )
