"""Attach with PyCharm: a "Python Debug Server" run configuration for a node, in the project's
``.idea/runConfigurations/`` (the nearest ``.idea`` at or above the pipeline's folder), with the
port the node connects to and the path mapping ``/valohai/repository`` -> the local folder.

An existing configuration of that name is updated in place (its port and our mapping; the rest
the user set stays); a file that cannot be read, or a configuration of that name of another
kind, is never overwritten: the error says so and shows what to add. Writes are atomic.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from runner.debug.attach_config import REMOTE_ROOT, AttachConfigError

TYPE = "PyRemoteDebugConfigurationType"
FACTORY = "Python Remote Debug"
FOLDER = Path(".idea") / "runConfigurations"


def configuration_name(node: str) -> str:
    return f"Attach to pipeline node {node}"


def idea_root(folder: Path) -> Path:
    """The PyCharm project holding ``folder``: the nearest folder with ``.idea``, else ``folder``."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".idea").is_dir():
            return candidate
    return folder


def configured_port(folder: Path, node: str) -> int | None:
    """The port of the node's existing configuration (None when there is none, or unreadable)."""
    found = _find(idea_root(folder), configuration_name(node), strict=False)
    if found is None:
        return None
    option = found[2].find("option[@name='PORT']")
    value = option.get("value", "") if option is not None else ""
    return int(value) if value.isdigit() else None


def write_pycharm_config(folder: Path, node: str, port: int, host: str = "localhost") -> Path:
    """Add or update the node's Python Debug Server configuration; returns the file written."""
    from runner.config.document import atomic_write

    project = idea_root(folder)
    name = configuration_name(node)
    rel = Path(folder).resolve().relative_to(project).as_posix()
    local_root = "$PROJECT_DIR$" + ("" if rel == "." else f"/{rel}")
    found = _find(project, name, strict=True)
    if found is None:
        path, tree = _free_file(project, name), None
        config = _new_configuration(name, _module_name(project))
        root = ET.Element("component", name="ProjectRunConfigurationManager")
        root.append(config)
    else:
        path, tree, config = found
        root = tree.getroot()
        if config.get("type") != TYPE:
            raise AttachConfigError(
                f"{path}: a run configuration named “{name}” of another kind ({config.get('type')}) is "
                "there; it was left as it is. Rename it, or add a Python Debug Server configuration "
                f"on port {port} mapping {REMOTE_ROOT} to {local_root}."
            )
    _set_option(config, "PORT", str(port))
    _set_option(config, "HOST", host)
    _map(config, local_root)
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode("utf-8"))
    return path


def _find(project: Path, name: str, strict: bool) -> tuple[Path, ET.ElementTree, ET.Element] | None:
    """The file and element of the configuration named ``name``; ``strict``: a file that cannot
    be read raises (it might be the one), instead of being passed over."""
    folder = project / FOLDER
    for path in sorted(folder.glob("*.xml")) if folder.is_dir() else []:
        try:
            tree = ET.parse(path)
        except (OSError, ET.ParseError) as exc:
            if strict and path.name == _file_name(name):
                raise AttachConfigError(
                    f"{path} could not be read ({exc}); it was left as it is. Add a Python Debug Server "
                    f"configuration named “{name}” by hand (Run ▸ Edit Configurations)."
                ) from None
            continue
        for config in tree.getroot().iter("configuration"):
            if config.get("name") == name:
                return path, tree, config
    return None


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name) + ".xml"  # as PyCharm names shared configurations


def _free_file(project: Path, name: str) -> Path:
    base = project / FOLDER / _file_name(name)
    path, n = base, 1
    while path.exists():  # that name is taken by a configuration of another name
        n += 1
        path = base.with_name(f"{base.stem}_{n}.xml")
    return path


def _module_name(project: Path) -> str:
    modules = sorted((project / ".idea").glob("*.iml"))
    return modules[0].stem if modules else project.name


def _new_configuration(name: str, module: str) -> ET.Element:
    config = ET.Element("configuration", default="false", name=name, type=TYPE, factoryName=FACTORY)
    ET.SubElement(config, "module", name=module)
    for option in ("PORT", "HOST"):
        ET.SubElement(config, "option", name=option, value="")
    mappings = ET.SubElement(ET.SubElement(config, "PathMappingSettings"), "option", name="pathMappings")
    ET.SubElement(mappings, "list")
    # The node's output stays in its log; it stops at breakpoints only, not on connecting.
    ET.SubElement(config, "option", name="REDIRECT_OUTPUT", value="false")
    ET.SubElement(config, "option", name="SUSPEND_AFTER_CONNECT", value="false")
    ET.SubElement(config, "method", v="2")
    return config


def _set_option(config: ET.Element, name: str, value: str) -> None:
    option = config.find(f"option[@name='{name}']")
    if option is None:
        option = ET.SubElement(config, "option", name=name)
    option.set("value", value)


def _map(config: ET.Element, local_root: str) -> None:
    """Our mapping in the configuration's list, replacing an earlier one of ours only."""
    settings = config.find("PathMappingSettings")
    if settings is None:
        settings = ET.SubElement(config, "PathMappingSettings")
    option = settings.find("option[@name='pathMappings']")
    if option is None:
        option = ET.SubElement(settings, "option", name="pathMappings")
    mappings = option.find("list")
    if mappings is None:
        mappings = ET.SubElement(option, "list")
    for mapping in list(mappings):
        if mapping.get("remote-root") == REMOTE_ROOT:
            mappings.remove(mapping)
    ET.SubElement(mappings, "mapping", {"local-root": local_root, "remote-root": REMOTE_ROOT})
