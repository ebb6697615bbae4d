"""Turn input sources (local paths, http(s) URLs) into files in the artifact store."""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from runner.execution.download import DownloadError, download
from runner.execution.spec import InputFile
from runner.store.artifacts import ArtifactStore

Log = Callable[[str], None]
_GLOB_CHARS = set("*?[")


class InputError(RuntimeError):
    """An input cannot be resolved; the message names the input and the source."""


def safe_file_name(name: str, what: str) -> str:
    """A name used under /valohai/inputs/<input>/: relative, no '..', no empty pieces."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in name:
        raise InputError(f"{what}: unsafe file name {name!r}")
    return name


def resolve_source(
    input_name: str,
    source: str,
    root_dir: Path,
    artifacts: ArtifactStore,
    cache_dir: Path,
    log: Log,
    allow_outside: bool = False,
    stop: threading.Event | None = None,
) -> list[InputFile]:
    """The files ``source`` stands for, stored; ``stop`` set (the run is cancelled) ends a
    download early (runner.execution.download)."""
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    if scheme == "artifact":
        return [_stored(input_name, source, artifacts)]
    if scheme in ("http", "https"):
        return [_download(input_name, source, artifacts, cache_dir, log, stop)]
    if len(scheme) > 1:  # one letter would be a Windows drive
        raise InputError(
            f"input {input_name!r}: {scheme}:// sources cannot be fetched locally ({source}); "
            f"pass --input {input_name}=PATH_OR_URL"
        )
    return _local(input_name, source, root_dir, artifacts, allow_outside)


def _local(
    input_name: str, source: str, root_dir: Path, artifacts: ArtifactStore, allow_outside: bool
) -> list[InputFile]:
    base = root_dir.resolve()
    pattern = str(Path(os.path.expanduser(source)) if allow_outside else Path(source))
    if not os.path.isabs(pattern):
        pattern = str(base / pattern)
    matches = [pattern]
    if _GLOB_CHARS & set(source):  # "**" would follow a link to a folder round a loop
        matches = [m for m in sorted(glob.glob(pattern, recursive=True)) if not _below_link(Path(m), base)]
    files: list[tuple[str, Path]] = []
    for match in matches:
        path = _resolve(input_name, Path(match))
        if not allow_outside and not path.is_relative_to(base):
            raise InputError(
                f"input {input_name!r}: default {source!r} points outside the YAML folder {base}; "
                f"pass it explicitly with --input {input_name}=PATH"
            )
        if path.is_dir():
            for dirpath, _dirs, names in os.walk(path):  # links to folders are not followed
                for name in sorted(names):
                    full = Path(dirpath) / name
                    target = (
                        _link_target(input_name, full, base, allow_outside) if full.is_symlink() else full
                    )
                    files.append((full.relative_to(path).as_posix(), target))
        elif path.is_file():
            files.append((path.name, path))
    if not files:
        raise InputError(f"input {input_name!r}: no file at {source!r} (relative to {base})")
    out = []
    for name, path in files:
        sha, size = artifacts.put_file(path)
        out.append(InputFile(safe_file_name(name, f"input {input_name!r}"), sha, size, path.as_uri()))
    return out


def _below_link(path: Path, base: Path) -> bool:
    """Whether ``path`` is a link to a folder, or a folder between ``base`` and it is a link."""
    if path.is_symlink() and path.is_dir():
        return True
    return any(p.is_symlink() for p in path.parents if p.is_relative_to(base) and p != base)


def _resolve(input_name: str, path: Path) -> Path:
    try:
        return path.resolve(strict=path.is_symlink())
    except (OSError, RuntimeError) as exc:  # a loop (ELOOP; RuntimeError before Python 3.13)
        raise InputError(f"input {input_name!r}: {path} cannot be read: {_why(exc)}") from None


def _link_target(input_name: str, link: Path, base: Path, allow_outside: bool) -> Path:
    """A link inside a folder input stands for its file; a loop, a dangling link or (for a
    default) one leading out of the YAML folder is refused with the path."""
    target = _resolve(input_name, link)
    if not target.is_file():
        raise InputError(f"input {input_name!r}: {link} is a link to {target}, which is not a file")
    if not allow_outside and not target.is_relative_to(base):
        raise InputError(
            f"input {input_name!r}: {link} links to {target}, outside the YAML folder {base}; "
            f"pass it explicitly with --input {input_name}=PATH"
        )
    return target


def _why(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "it is a symbolic link loop"
    return getattr(exc, "strerror", None) or str(exc)


def artifact_uri(sha256: str, name: str) -> str:
    """An input source naming a stored file by content (a reproduction's inputs)."""
    return f"artifact://sha256/{sha256}/{urllib.parse.quote(name)}"


def _stored(input_name: str, source: str, artifacts: ArtifactStore) -> InputFile:
    parts = urllib.parse.urlsplit(source)
    sha, _, name = parts.path.lstrip("/").partition("/")
    if parts.netloc != "sha256" or not name:
        raise InputError(f"input {input_name!r}: {source!r} is not artifact://sha256/<hex>/<name>")
    try:
        path = artifacts.path_for(sha)
    except ValueError:
        raise InputError(f"input {input_name!r}: {source!r} does not name a sha256") from None
    if not artifacts.claim(sha):
        raise InputError(
            f"input {input_name!r}: the stored file {sha[:16]}... is no longer in the artifact store"
        )
    name = safe_file_name(urllib.parse.unquote(name), f"input {input_name!r}")
    return InputFile(name, sha, path.stat().st_size, source)


def _download(
    input_name: str,
    url: str,
    artifacts: ArtifactStore,
    cache_dir: Path,
    log: Log,
    stop: threading.Event | None,
) -> InputFile:
    """Download once: the cache maps the URL to a stored sha256."""
    key = hashlib.sha256(url.encode()).hexdigest()[:32]
    record = cache_dir / "downloads" / f"{key}.json"
    name = os.path.basename(urllib.parse.unquote(urllib.parse.urlsplit(url).path)) or "download"
    if record.is_file():
        data = json.loads(record.read_text())
        if artifacts.claim(data["sha256"]):
            log(f"input {input_name}: {url} from the download cache")
            return InputFile(safe_file_name(name, f"input {input_name!r}"), data["sha256"], data["size"], url)
    log(f"input {input_name}: downloading {url}")
    try:
        sha, size = download(url, artifacts, lambda msg: log(f"input {input_name}: {msg}"), stop)
    except DownloadError as exc:
        raise InputError(f"input {input_name!r}: {exc}") from None
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"url": url, "sha256": sha, "size": size}))
    log(f"input {input_name}: downloaded {size} bytes")
    return InputFile(safe_file_name(name, f"input {input_name!r}"), sha, size, url)
