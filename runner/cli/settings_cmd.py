"""``pipeline-designer settings``: the saved settings the designer's Preferences edit.

    pipeline-designer settings                     # show them (and the file)
    pipeline-designer settings map python:3.12-slim my/python:1
    pipeline-designer settings unmap python:3.12-slim
    pipeline-designer settings set network none    # "default": the engine's default network
    pipeline-designer settings set run-target gpu1
    pipeline-designer settings set theme dark
    pipeline-designer settings set resident-runner on   # run/lint served by a warm process

``run`` and ``watch`` use them unless a flag says otherwise. Exit status 0, or 2 for a bad value
or an unreadable settings file.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO

KEYS = ("network", "run-target", "theme", "resident-runner")
SWITCH = {"on": True, "off": False}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "settings",
        help="show or change the saved settings (image map, network, run target, theme)",
        description="The settings the designer's Preferences edit; run and watch use them unless "
        "a flag (--image-map, --network, --host) says otherwise.",
    )
    sub = p.add_subparsers(dest="settings_command", metavar="ACTION")
    show = sub.add_parser("show", help="print the settings (the default action)")
    show.add_argument("--json", action="store_true", help="as a JSON object")
    mapping = sub.add_parser("map", help="run image TO wherever a step names image FROM")
    mapping.add_argument("source", metavar="FROM", help="the image the YAML names")
    mapping.add_argument("target", metavar="TO", help="a local image (built or loaded on the engine)")
    unmap = sub.add_parser("unmap", help="remove the mapping of image FROM")
    unmap.add_argument("source", metavar="FROM")
    setter = sub.add_parser("set", help="set network, run-target, theme or resident-runner")
    setter.add_argument("key", choices=KEYS)
    setter.add_argument(
        "value",
        help="network: a name, 'none' or 'default'; run-target: local, HOST or H1,H2; "
        "theme: system|light|dark; resident-runner: on|off (run and lint served by a warm process)",
    )
    p.add_argument("--json", action="store_true", help="show the settings as a JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    from runner.api import SettingsError, load_settings, save_settings, settings_path

    out = out or sys.stdout
    action = getattr(args, "settings_command", None) or "show"
    try:
        settings = load_settings()
        if action == "map":
            settings.image_map[args.source] = args.target
        elif action == "unmap":
            if settings.image_map.pop(args.source, None) is None:
                known = ", ".join(sorted(settings.image_map)) or "none"
                raise SettingsError(f"no mapping of image {args.source!r} (mapped: {known})")
        elif action == "set":
            if args.key == "network":
                settings.network = None if args.value in ("", "default") else args.value
            elif args.key == "run-target":
                settings.run_target = args.value
            elif args.key == "resident-runner":
                if args.value not in SWITCH:
                    raise SettingsError(f"resident-runner {args.value!r}: on or off")
                settings.resident_runner = SWITCH[args.value]
            else:
                settings.theme = args.value
        if action != "show":
            save_settings(settings)
    except SettingsError as exc:
        print(f"pipeline-designer settings: error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(settings.to_json(), indent=2, sort_keys=True), file=out)
        return 0
    print(f"settings file: {settings_path()}", file=out)
    print("image map:" + ("" if settings.image_map else " (none)"), file=out)
    for source, target in sorted(settings.image_map.items()):
        print(f"  {source} -> {target}", file=out)
    print(f"network: {settings.network or 'the engine default'}", file=out)
    print(f"run target: {settings.run_target}", file=out)
    print(f"theme: {settings.theme}", file=out)
    print(f"resident runner: {'on' if settings.resident_runner else 'off'}", file=out)
    return 0


__all__ = ["register", "run"]
