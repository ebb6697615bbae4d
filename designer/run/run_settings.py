"""What a run started in the designer gets: the saved settings (Preferences, shared with the CLI)
read at each start, under what the run UI sets itself (tests, the debug menu).

The image map is the settings' map, then env ``PIPELINE_DESIGNER_IMAGE_MAP``, then the run UI's
own; the network is the settings' unless the run UI names one; the target is the Run dialog's
last choice, else the default run target of Preferences.
"""

from __future__ import annotations

from typing import Any

from designer.run.run_dialog import LOCAL, default_target, target_hosts
from runner.api import RunOptions, image_map_from_env, load_settings


def start_arguments(ui: Any) -> tuple[RunOptions, dict[str, Any]]:
    """(options, ``start_run`` keyword arguments) of the next run; SettingsError on a bad file."""
    saved = load_settings()
    image_map = {**saved.image_map, **image_map_from_env(), **ui.image_map}
    options = RunOptions(
        image_map=image_map,
        reuse=ui.reuse,
        labels=dict(ui.labels),
        debug_nodes=ui.debug_nodes,
        capture_locals=ui.capture_locals,
        pause_before=tuple(sorted(ui.pause_before)),
        pycharm=ui.debug_pycharm,  # Debug This Node in PyCharm (designer/debug/attach_ide.py)
    )
    kwargs: dict[str, Any] = {"home": ui.home, "network": saved.network, **ui.start_kwargs}
    hosts = run_target(ui.window.settings)
    if hosts != [LOCAL]:
        kwargs["hosts"] = hosts
    return options, kwargs


def run_target(settings: Any) -> list[str]:
    """The Run dialog's last choice (``run/target``), else Preferences' default run target."""
    return target_hosts(str(settings.value("run/target", default_target())))


__all__ = ["run_target", "start_arguments"]
