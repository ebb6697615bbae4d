"""``pipeline-designer hosts add|list|test|trust|secret|remove``: remote Docker hosts over SSH.

Exit codes: 0 ok; 1 the host failed its test; 2 usage or registry errors; 3 the host key is
unknown or changed (the fingerprint is printed: check it, then ``hosts trust NAME``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from typing import IO, Any

EXIT_HOST_KEY = 3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("hosts", help="remote Docker hosts reached over SSH")
    sub = p.add_subparsers(dest="hosts_command", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add", help="register a host (ssh://ALIAS of ~/.ssh/config, or ssh://user@host[:port])"
    )
    add.add_argument("name")
    add.add_argument(
        "url",
        help="ssh://ALIAS (HostName, User, Port, IdentityFile, ProxyJump... from ~/.ssh/config) "
        "or ssh://user@host[:port]; ray+ssh://... for a Ray cluster, reached through its head",
    )
    add.add_argument("--identity", help="private key file (its passphrase goes in the keyring)")
    add.add_argument("--gpus", type=int, default=0, help="GPUs the runner may hand out on this host")
    add.add_argument("--max-parallel", type=int, default=4, help="nodes run at once on this host")
    add.add_argument(
        "--gpu-access",
        choices=("device-request", "env"),
        default="device-request",
        help="how a container gets its GPUs: a device request (docker run --gpus; default) or "
        "NVIDIA_VISIBLE_DEVICES for an engine whose default runtime is nvidia",
    )
    add.add_argument(
        "--environment", action="append", default=[], help="valohai environment name this host serves"
    )
    add.add_argument(
        "--ray-address",
        help="Ray cluster: its address as the head sees it (default: auto, the one started there)",
    )
    add.add_argument(
        "--ray-python",
        help="Ray cluster: the head's Python with Ray (default: the one the `ray` command runs)",
    )
    add.add_argument("--replace", action="store_true", help="overwrite an existing entry")
    lst = sub.add_parser("list", help="list registered hosts")
    lst.add_argument("--json", action="store_true")
    test = sub.add_parser("test", help="connect, show the engine and its GPUs, remove leftovers")
    test.add_argument("name")
    test.add_argument("--json", action="store_true")
    test.add_argument(
        "--gpu-image",
        default=None,
        help="image already on the host in which to check that containers see the GPUs "
        "(default ubuntu:24.04)",
    )
    test.add_argument(
        "--use-gpus", action="store_true", help="declare the GPUs nvidia-smi lists as the ones runs may use"
    )
    trust = sub.add_parser("trust", help="show the host's key fingerprint and trust it explicitly")
    trust.add_argument("name")
    trust.add_argument(
        "--fingerprint",
        action="append",
        help="accept only this SHA256:... fingerprint (no prompt; for scripts); "
        "behind ProxyJump once per hop, in hop order",
    )
    trust.add_argument("--replace", action="store_true", help="replace a CHANGED key (after checking it)")
    secret = sub.add_parser("secret", help="store the SSH password or key passphrase in the keyring")
    secret.add_argument("name")
    secret.add_argument("kind", choices=("password", "passphrase"))
    secret.add_argument("--stdin", action="store_true", help="read it from stdin instead of a prompt")
    secret.add_argument("--delete", action="store_true", help="remove it from the keyring")
    rm = sub.add_parser("remove", help="forget a host (and its keyring secrets)")
    rm.add_argument("name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    from runner.hosts.known_hosts import HostKeyError
    from runner.hosts.registry import HostConfigError
    from runner.hosts.secrets import SecretStoreError
    from runner.hosts.ssh import HostError

    out = out or sys.stdout
    action = {
        "add": _add,
        "list": _list,
        "test": _test,
        "trust": _trust,
        "secret": _secret,
        "remove": _remove,
    }
    try:
        return action[args.hosts_command](args, out)
    except HostKeyError as exc:
        print(f"pipeline-designer hosts: {exc}", file=sys.stderr)
        return EXIT_HOST_KEY
    except (HostConfigError, SecretStoreError) as exc:
        print(f"pipeline-designer hosts: error: {exc}", file=sys.stderr)
        return 2
    except HostError as exc:
        print(f"pipeline-designer hosts: {exc}", file=sys.stderr)
        return 1


def _add(args: argparse.Namespace, out: IO[str]) -> int:
    from runner.hosts.registry import HostConfig, HostRegistry

    host = HostConfig(
        args.name,
        args.url,
        args.identity,
        args.gpus,
        args.max_parallel,
        tuple(args.environment),
        args.gpu_access,
        ray_address=args.ray_address,
        ray_python=args.ray_python,
    )
    if host.kind != "ray" and (host.ray_address or host.ray_python):
        print("error: --ray-address and --ray-python are for ray+ssh:// hosts", file=sys.stderr)
        return 2
    from runner.hosts.ssh_config import resolve

    route = resolve(host.url, host.identity)  # a broken ssh config entry is refused now, not at run time
    HostRegistry().add(host, replace=args.replace)
    print(f"added host {host.name} ({host.url}: {route.describe()})", file=out)
    print(f"next: `pipeline-designer hosts trust {host.name}` to check and accept its host key", file=out)
    return 0


def _list(args: argparse.Namespace, out: IO[str]) -> int:
    from runner.hosts.registry import HostRegistry

    hosts = HostRegistry().load()
    if args.json:
        out.write(json.dumps({"hosts": [h.to_json() for h in hosts.values()]}, indent=2) + "\n")
        return 0
    for h in hosts.values():
        envs = f" env={','.join(h.environments)}" if h.environments else ""
        access = "" if h.gpu_access == "device-request" else f" gpu-access={h.gpu_access}"
        print(f"{h.name:<16} {h.url:<36} gpus={h.gpus} max-parallel={h.max_parallel}{envs}{access}", file=out)
    if not hosts:
        print("no hosts registered (`pipeline-designer hosts add NAME ssh://user@host`)", file=out)
    return 0


def _test(args: argparse.Namespace, out: IO[str]) -> int:
    from runner.hosts.health import GPU_PROBE_IMAGE
    from runner.hosts.service import test_host, use_found_gpus

    report = test_host(args.name, gpu_image=args.gpu_image or GPU_PROBE_IMAGE)
    if getattr(report, "kind", "") == "ray":  # a Ray cluster: its nodes, their GPUs, what is free
        from runner.ray.service import describe

        out.write(
            json.dumps(asdict(report), indent=2) + "\n" if args.json else "\n".join(describe(report)) + "\n"
        )
        return 0
    if args.use_gpus:
        use_found_gpus(args.name, report)
    if args.json:
        out.write(json.dumps(asdict(report), indent=2) + "\n")
        return 0
    print(f"host {report.name}: connected in {report.connect_s:.2f} s ({report.route})", file=out)
    print(f"  engine {report.engine_version} (API {report.api_version}, {report.os})", file=out)
    print(f"  runtimes: {', '.join(report.runtimes) or 'none'}", file=out)
    if report.gpus:
        print(f"  GPUs ({len(report.gpus)}, nvidia-smi):", file=out)
        for gpu in report.gpus:
            print(f"    {gpu.describe()}", file=out)
        if report.gpu_note:
            print(f"  warning: {report.gpu_note}", file=out)
    else:
        print(f"  GPUs: none ({report.gpu_note})", file=out)
    if args.use_gpus and report.gpus:
        print(f"  declared: runs now use its {len(report.gpus)} GPU(s)", file=out)
    elif report.gpu_check:
        fix = f"`pipeline-designer hosts test {report.name} --use-gpus` declares those found"
        print(f"  warning: {report.gpu_check}; {fix}", file=out)
    if report.leftovers_removed:
        print(f"  removed {report.leftovers_removed} leftover container(s)", file=out)
    return 0


def _trust(args: argparse.Namespace, out: IO[str]) -> int:
    """Walk the route hop by hop: each key not trusted yet is shown and asked about in turn."""
    from runner.hosts.known_hosts import HostKeyChangedError, KnownHosts
    from runner.hosts.service import offered_keys, route_of, trust_offered

    route = route_of(args.name)
    given = [f.strip() for f in args.fingerprint or []]
    if given and len(given) != len(route.hops):
        hops = ", ".join(h.label for h in route.hops)
        print(
            f"error: the route to {args.name} has {len(route.hops)} hop(s) ({hops}): give --fingerprint "
            "once per hop, in that order",
            file=sys.stderr,
        )
        return 2
    if route.jumps:
        print(f"route to {args.name}: " + " → ".join(h.label for h in route.hops), file=out)
    shown: set[int] = set()
    while True:
        offered = offered_keys(args.name)
        for key in offered:
            if key.known and key.hop not in shown:
                shown.add(key.hop)
                print(f"{_hop_name(key)}: {key.key_type} {key.fingerprint} is already trusted", file=out)
                if given and given[key.hop - 1] != key.fingerprint:
                    print(
                        f"error: that is not the fingerprint you gave ({given[key.hop - 1]})", file=sys.stderr
                    )
                    return EXIT_HOST_KEY
        last = offered[-1]
        if last.known:
            return 0
        if last.hop in shown:  # trusted a moment ago, still refused: never loop on it
            print(f"error: {_hop_name(last)} is still not trusted", file=sys.stderr)
            return EXIT_HOST_KEY
        shown.add(last.hop)
        if last.changed and not args.replace:
            old = ", ".join(last.trusted)
            raise HostKeyChangedError(last.host_id, last.key_type, old, last.fingerprint, args.name)
        print(
            f"{_hop_name(last)} offers a {last.key_type} key with fingerprint\n    {last.fingerprint}",
            file=out,
        )
        if given:
            if given[last.hop - 1] != last.fingerprint:
                print(
                    f"error: that is not the fingerprint you gave ({given[last.hop - 1]}); NOT trusted",
                    file=sys.stderr,
                )
                return EXIT_HOST_KEY
        elif not _confirm("Is this the host's real key? Type 'yes' to trust it: "):
            print("not trusted", file=out)
            return EXIT_HOST_KEY
        trust_offered(args.name, last, replace=args.replace)
        print(f"trusted {last.host_id} {last.fingerprint} (stored in {KnownHosts().path})", file=out)


def _hop_name(key: Any) -> str:
    if key.hops == 1:
        return f"host {key.host} ({key.host_id})"
    role = "host" if key.is_target else "jump host"
    return f"hop {key.hop}/{key.hops}: {role} {key.label}"


def _confirm(prompt: str) -> bool:
    if not sys.stdin.isatty():
        print("error: no terminal to confirm on; pass --fingerprint SHA256:... instead", file=sys.stderr)
        return False
    return input(prompt).strip().lower() == "yes"


def _secret(args: argparse.Namespace, out: IO[str]) -> int:
    from runner.hosts.registry import HostRegistry
    from runner.hosts.secrets import delete_secret, set_secret

    host = HostRegistry().get(args.name)
    if args.delete:
        found = delete_secret(host.name, args.kind)
        print(f"{args.kind} of {host.name} {'removed from' if found else 'was not in'} the keyring", file=out)
        return 0
    value: Any = (
        sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass(f"{args.kind} for {host.name}: ")
    )
    if not value:
        print("error: empty secret, nothing stored", file=sys.stderr)
        return 2
    set_secret(host.name, args.kind, value)
    print(f"stored the {args.kind} of {host.name} in the system keyring", file=out)
    return 0


def _remove(args: argparse.Namespace, out: IO[str]) -> int:
    from runner.hosts.service import remove_host

    remove_host(args.name)
    print(f"removed host {args.name} and its keyring secrets", file=out)
    return 0
