"""tests/images/apt_mirror.py finds the Debian mirror in the apt configuration it is given."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "images" / "apt_mirror.py"


def _mirror(apt_dir: Path, suite: str = "bookworm") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), suite, str(apt_dir)], capture_output=True, text=True, timeout=30
    )


def test_deb822_sources_skip_disabled_and_security_entries(tmp_path: Path) -> None:
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (parts / "debian.sources").write_text(
        "Types: deb\n"
        "URIs: http://off.invalid/debian\n"
        "Suites: bookworm\n"
        "Components: main\n"
        "Enabled: no\n"
        "\n"
        "# the security archive carries no base system\n"
        "Types: deb\n"
        "URIs: http://sec.invalid/debian-security\n"
        "Suites: bookworm-security\n"
        "Components: main\n"
        "\n"
        "Types: deb deb-src\n"
        "URIs: http://main.invalid/debian/\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main contrib\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )
    result = _mirror(tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "http://main.invalid/debian")


def test_one_line_entries_with_options_and_disabled_files(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.invalid/debian bookworm main\n"
        "deb-src http://src.invalid/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://opt.invalid/debian bookworm main\n"
    )
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (parts / "other.list.disabled").write_text("deb http://ignored.invalid/debian bookworm main\n")
    result = _mirror(tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "http://opt.invalid/debian")


def test_another_release_still_gives_a_usable_archive(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text(
        "deb http://sec.invalid/debian-security trixie-security main\n"
        "deb http://arch.invalid/debian trixie main\n"
    )
    result = _mirror(tmp_path)
    assert result.stdout.strip() == "http://arch.invalid/debian"


def test_no_debian_archive_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text("deb https://apt.invalid/tools stable contrib\n")
    result = _mirror(tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no Debian 'main' archive" in result.stderr
    assert "DEBIAN_MIRROR" in result.stderr
