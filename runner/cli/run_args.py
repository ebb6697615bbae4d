"""The arguments ``run`` and ``watch`` share: how containers are made (image map, backend,
network, pull), approvals answered in advance, and ``NAME=VALUE`` pairs (``--param``,
``--input``) with their values."""

from __future__ import annotations

import argparse
from typing import Any


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    """How containers are made: image map, backend, network, pull (shared by run and watch)."""
    p.add_argument(
        "--image-map",
        action="append",
        default=[],
        metavar="FROM=TO",
        help="run image TO where the YAML says FROM (over the saved settings' image map and "
        "env PIPELINE_DESIGNER_IMAGE_MAP; see `pipeline-designer settings`)",
    )
    p.add_argument(
        "--backend",
        choices=("docker", "docker-archive", "local"),
        default="docker",
        help="docker: bind mounts (default); docker-archive: put/get archive; "
        "local: subprocess, NOT isolated",
    )
    p.add_argument(
        "--network",
        default=None,
        help="container network; 'none' for no network (default: the saved settings', else the engine's)",
    )
    p.add_argument(
        "--pull",
        choices=("missing", "never"),
        default="missing",
        help="pull images that are not on the engine (default) or never",
    )


def engine_options(args: argparse.Namespace) -> tuple[dict[str, str], str | None]:
    """The image map and network of a run: the saved settings (the designer's Preferences), then
    env PIPELINE_DESIGNER_IMAGE_MAP, then the flags; a later one wins. Raises ValueError."""
    from runner.api import image_map_from_env, load_settings, parse_image_map

    settings = load_settings()
    image_map = {**settings.image_map, **image_map_from_env(), **parse_image_map(args.image_map)}
    return image_map, args.network if args.network is not None else settings.network


def saved_network(args: argparse.Namespace) -> str | None:
    """--network, else the network saved in Preferences (None: the engine's default). Raises
    SettingsError (a ValueError) on a settings file that cannot be read."""
    from runner.api import load_settings

    return args.network if args.network is not None else load_settings().network


def add_host_argument(p: argparse.ArgumentParser) -> None:
    """--host: where nodes run (the saved settings' run target when not given)."""
    p.add_argument(
        "--host",
        default=None,
        metavar="local|NAME|NAME1,NAME2",
        help="where nodes run: the local engine, a registered host, or a pool of them "
        "(see `pipeline-designer hosts`); GPU steps go to hosts with free GPUs "
        "(default: the saved settings' run target, else local)",
    )


def run_hosts(args: argparse.Namespace) -> list[str]:
    """--host, else the run target Preferences (or `settings set run-target`) saved, else local."""
    from runner.api import load_settings, run_target_hosts

    return run_target_hosts(args.host if args.host is not None else load_settings().run_target) or ["local"]


def start_error(exc: BaseException, command: str, local: bool) -> str:
    """Why a run could not start, translated when the engine said something we know."""
    from runner.api import describe_engine_error

    text = describe_engine_error(exc) if local else str(exc)
    return f"pipeline-designer {command}: error: cannot start: {text}"


def add_approval_arguments(p: argparse.ArgumentParser, otherwise: str) -> None:
    """--approve NODE / --approve-all: require-approval actions answered in advance."""
    p.add_argument(
        "--approve",
        action="append",
        default=[],
        metavar="NODE",
        help="approve NODE's require-approval actions in advance (repeatable); "
        f"otherwise they are {otherwise}",
    )
    p.add_argument("--approve-all", action="store_true", help="approve every require-approval action")


def pairs(items: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ValueError(f"{what} {item!r} is not NAME=VALUE")
        out.append((key, value))
    return out


def param_values(items: list[tuple[str, str]]) -> dict[str, Any]:
    """``--param`` values: text (cast by the parameter's type later), except ``[a, b]``, a list
    (a task node spreads it into one execution per item; a ``multiple`` parameter takes it)."""
    import yaml

    values: dict[str, Any] = {}
    for key, text in items:
        value: Any = text
        if text.strip().startswith("[") and text.strip().endswith("]"):
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise ValueError(f"--param {key}={text}: not a list ({exc.problem})") from None
        values[key] = value
    return values
