"""Desktop entry, AppStream metainfo, icons, the PyInstaller spec and the generated CLI reference."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.paths import REPO

PACKAGING = REPO / "packaging"
APP_ID = "io.github.pipelinedesigner.PipelineDesigner"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"


def _console_script() -> str:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    return next(iter(scripts))


def test_desktop_entry_fields() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "Pipeline Designer"
    assert entry["Exec"].split()[0] == _console_script() == entry["TryExec"]
    assert (PACKAGING / "icons" / f"{entry['Icon']}.svg").is_file()
    assert entry["Categories"].endswith(";") and entry["Terminal"] == "false"


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="apt-get install desktop-file-utils"
)
def test_desktop_file_validate() -> None:
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_fields() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == _console_script()
    assert root.findtext("project_license") == "MIT"
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert version in {r.get("version") for r in root.iter("release")}


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="apt-get install appstream")
def test_appstreamcli_validate() -> None:
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_icons_follow_the_svg(qapp) -> None:
    sys.path.insert(0, str(PACKAGING))
    try:
        from render_icons import SIZES, render
    finally:
        sys.path.remove(str(PACKAGING))
    from PySide6.QtGui import QImage

    assert (PACKAGING / "icons" / "pipeline-designer.svg").read_bytes() == (
        REPO / "resources" / "icons" / "app.svg"
    ).read_bytes()
    for size in SIZES:
        committed = QImage(str(PACKAGING / "icons" / "png" / f"{size}.png"))
        assert (committed.width(), committed.height()) == (size, size)
        fresh = render(size).convertToFormat(committed.format())
        worst = max(
            abs(a - b)
            for y in range(0, size, max(1, size // 16))
            for x in range(0, size, max(1, size // 16))
            for a, b in zip(committed.pixelColor(x, y).getRgb(), fresh.pixelColor(x, y).getRgb(), strict=True)
        )
        assert worst <= 8, f"{size}.png differs from the SVG: run packaging/render_icons.py"


def test_spec_references_existing_files() -> None:
    spec = (PACKAGING / "pipeline-designer.spec").read_text()
    compile(spec, "pipeline-designer.spec", "exec")
    assert '"entry.py"' in spec and (PACKAGING / "entry.py").is_file()
    for folder in ("resources", "examples"):
        assert f'tree("{folder}")' in spec and (REPO / folder).is_dir()


def test_cli_reference_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "docs" / "gen_cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    text = (REPO / "docs" / "cli.md").read_text()
    for command in ("lint", "graph", "run", "history", "completion"):
        assert f"# pipeline-designer {command}\n" in text
    assert "--self-test" in text


def test_install_desktop_script(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(["sh", str(PACKAGING / "install-desktop.sh")], env=env, check=True, capture_output=True)
    assert (tmp_path / "applications" / DESKTOP.name).read_bytes() == DESKTOP.read_bytes()
    assert (tmp_path / "icons" / "hicolor" / "256x256" / "apps" / "pipeline-designer.png").is_file()
    subprocess.run(["sh", str(PACKAGING / "install-desktop.sh"), "--uninstall"], env=env, check=True)
    assert not (tmp_path / "applications" / DESKTOP.name).exists()


def test_docs_links_and_screenshots_exist() -> None:
    import re

    pages = sorted((REPO / "docs").glob("*.md"))
    assert {"getting-started.md", "pipelines.md", "runtime.md", "troubleshooting.md", "cli.md"} <= {
        p.name for p in pages
    }
    for page in pages:
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
            if "://" not in target:
                assert (page.parent / target).is_file(), f"{page.name}: broken link {target}"
    shots = re.findall(r"\(screenshots/([^)]+)\)", (REPO / "docs" / "getting-started.md").read_text())
    assert len(shots) >= 6
