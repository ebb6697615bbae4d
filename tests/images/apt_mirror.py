#!/usr/bin/env python3
"""Print the Debian mirror URL this machine's apt is configured with.

The test images are debootstrapped from whatever mirror the host already uses, so the
repository never names a host. Reads one-line ``deb`` entries from sources.list and
``*.list`` files, and deb822 stanzas from ``*.sources`` files (skipping ``Enabled: no``).
An entry carrying the wanted suite (default: bookworm) wins over a plain Debian ``main``
entry; security and updates suites are never chosen because they hold no base system.

Usage: apt_mirror.py [SUITE] [APT_ETC_DIR]   (exit 1 with a reason when none is found)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def _one_line_entries(text: str) -> list[Source]:
    found = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        words = words[1:]
        if words[0].startswith("["):  # options such as [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            found.append(Source(words[0], (words[1],), tuple(words[2:])))
    return found


def _deb822_entries(text: str) -> list[Source]:
    found = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and key:  # continuation line
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        components = tuple(fields.get("components", "").split())
        found.extend(Source(uri, suites, components) for uri in fields.get("uris", "").split())
    return found


def sources(apt_dir: Path) -> list[Source]:
    found: list[Source] = []
    main_list = apt_dir / "sources.list"
    if main_list.is_file():
        found += _one_line_entries(main_list.read_text(errors="replace"))
    parts = apt_dir / "sources.list.d"
    for path in sorted(parts.glob("*.list")) if parts.is_dir() else []:
        found += _one_line_entries(path.read_text(errors="replace"))
    for path in sorted(parts.glob("*.sources")) if parts.is_dir() else []:
        found += _deb822_entries(path.read_text(errors="replace"))
    return found


def pick_mirror(entries: list[Source], suite: str) -> str | None:
    usable = [e for e in entries if e.uri.startswith(("http://", "https://", "file:/"))]
    for entry in usable:
        if suite in entry.suites and "main" in entry.components:
            return entry.uri.rstrip("/")
    for entry in usable:  # any plain Debian archive serves every release
        base = [s for s in entry.suites if "-" not in s and "/" not in s]
        if base and "main" in entry.components and "security" not in entry.uri:
            return entry.uri.rstrip("/")
    return None


def main(argv: list[str]) -> int:
    suite = argv[1] if len(argv) > 1 else "bookworm"
    apt_dir = Path(argv[2]) if len(argv) > 2 else Path("/etc/apt")
    mirror = pick_mirror(sources(apt_dir), suite)
    if mirror is None:
        print(
            f"apt_mirror: no Debian 'main' archive found in {apt_dir}/sources.list(.d); "
            "set DEBIAN_MIRROR to a mirror URL",
            file=sys.stderr,
        )
        return 1
    print(mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
