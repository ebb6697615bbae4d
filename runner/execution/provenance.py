"""What a run records about where its code and environment came from, beyond the code itself:
the git commit, branch and uncommitted changes of the code folder, the environment variables
(secret-looking ones by name only), the runner's version.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

GIT_TIMEOUT = 20.0
MAX_DIFF_BYTES = 8 * 1024 * 1024  # a bigger diff is recorded as truncated (the snapshot has it all)
MAX_UNTRACKED = 200
# Variable names that usually hold a credential: recorded by name, never by value.
_SECRET_NAME = re.compile(
    r"(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE)", re.I
)
HIDDEN = "<hidden>"


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def recorded_env(env: dict[str, str]) -> dict[str, str]:
    """The environment as the store keeps it: secret-looking values replaced by ``<hidden>``."""
    return {k: HIDDEN if is_secret_name(k) else v for k, v in env.items()}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_state(root: Path) -> tuple[dict[str, Any], bytes] | None:
    """(commit, branch, dirty, untracked files; the diff of the folder against the commit) when
    ``root`` is in a git work tree with a commit, else None. Paths are those under ``root``."""
    head = _git(root, "rev-parse", "--verify", "-q", "HEAD")
    if head is None or head.returncode != 0:
        return None
    branch = _git(root, "symbolic-ref", "--short", "-q", "HEAD")
    status = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    diff = _git(root, "diff", "HEAD", "--binary", "--", ".")
    entries = [e for e in (status.stdout.split(b"\0") if status and status.returncode == 0 else []) if e]
    untracked = [e[3:].decode("utf-8", "replace") for e in entries if e.startswith(b"?? ")]
    patch = diff.stdout if diff and diff.returncode == 0 else b""
    info: dict[str, Any] = {
        "commit": head.stdout.decode().strip(),
        "branch": branch.stdout.decode().strip() if branch and branch.returncode == 0 else None,
        "dirty": bool(entries),
        "untracked": untracked[:MAX_UNTRACKED],
    }
    if len(patch) > MAX_DIFF_BYTES:
        info["diff_truncated"] = len(patch)
        patch = patch[:MAX_DIFF_BYTES]
    return info, patch
