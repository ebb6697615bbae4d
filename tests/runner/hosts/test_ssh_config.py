"""Routes from ssh config text (paramiko's SSHConfig plus our ProxyJump and Include handling)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from runner.hosts.ssh_config import Hop, SshConfigError, load_config, resolve
from tests.support.remote import write_ssh_config


def _route(home: Path, text: str, url: str, identity: str | None = None) -> list[Hop]:
    config = write_ssh_config(home, text)
    return list(resolve(url, identity, load_config([config])).hops)


def test_an_alias_takes_hostname_user_port_keys_and_timeouts_from_the_config(ssh_home: Path) -> None:
    (hop,) = _route(
        ssh_home,
        """
        Host gpubox
            HostName 10.0.0.5
            User ml
            Port 2222
            IdentityFile ~/.ssh/gpu_key
            IdentityFile ~/.ssh/other
            IdentitiesOnly yes
            ConnectTimeout 4
            ServerAliveInterval 7
            ServerAliveCountMax 2
        Host *
            User fallback
            Port 2200
        """,
        "ssh://gpubox",
    )
    assert hop == Hop(
        "gpubox", "10.0.0.5", 2222, "ml", (str(ssh_home / ".ssh/gpu_key"), str(ssh_home / ".ssh/other")),
        True, 4.0, 7.0, 2,
    )  # fmt: skip
    assert hop.host_id == "[10.0.0.5]:2222" and hop.label == "gpubox (10.0.0.5:2222)"


def test_the_url_user_port_and_identity_win_over_the_config(ssh_home: Path) -> None:
    text = "Host gpubox\n  HostName 10.0.0.5\n  User ml\n  Port 2222\n  IdentityFile ~/k1\n"
    (hop,) = _route(ssh_home, text, "ssh://root@gpubox:23", identity="/keys/mine")
    assert (hop.user, hop.port, hop.identity_files) == ("root", 23, ("/keys/mine", str(ssh_home / "k1")))
    (plain,) = _route(ssh_home, "", "ssh://example.org")
    assert (plain.hostname, plain.port, plain.user, plain.identity_files) == (
        "example.org", 22, getpass.getuser(), ()
    )  # fmt: skip


def test_proxyjump_lists_are_hops_in_order_and_the_first_jump_keeps_its_own(ssh_home: Path) -> None:
    hops = _route(
        ssh_home,
        """
        Host target
            HostName 192.168.1.9
            ProxyJump edge,ops@inner:2022
        Host edge
            HostName 203.0.113.7
            ProxyJump outer
        Host inner
            HostName 10.1.0.1
            ProxyJump never-used
        Host outer
            HostName 198.51.100.1
            User gate
        """,
        "ssh://target",
    )
    assert [(h.alias, h.hostname, h.port, h.user) for h in hops] == [
        ("outer", "198.51.100.1", 22, "gate"),
        ("edge", "203.0.113.7", 22, getpass.getuser()),
        ("inner", "10.1.0.1", 2022, "ops"),  # as ssh -J: a later jump's own ProxyJump is not followed
        ("target", "192.168.1.9", 22, getpass.getuser()),
    ]
    assert _route(ssh_home, "Host a\n  ProxyJump none\n", "ssh://a")[0].alias == "a"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n", "loop"),
        ("Host a\n  ProxyCommand nc %h %p\n", "ProxyCommand, which is not supported; use ProxyJump"),
        ("Host a\n  Port twenty\n", "Port of 'a'"),
        ("Host a\n  ConnectTimeout soon\n", "connecttimeout of 'a'"),
        ("Host a\n  ProxyJump ssh://b/path\n", "bad entry"),
    ],
)
def test_routes_we_cannot_follow_are_refused_with_the_reason(ssh_home: Path, text: str, match: str) -> None:
    with pytest.raises(SshConfigError, match=match):
        _route(ssh_home, text, "ssh://a")


def test_include_lines_are_read_and_the_enclosing_block_goes_on_after_them(ssh_home: Path) -> None:
    (ssh_home / ".ssh" / "conf.d").mkdir()
    (ssh_home / ".ssh" / "conf.d" / "work.conf").write_text("Host work\n  HostName 10.9.9.9\n")
    text = "Host a\n  Include conf.d/*.conf\n  User after-include\nHost a b\n  Port 2201\n"
    (work,) = _route(ssh_home, text, "ssh://work")
    assert work.hostname == "10.9.9.9"
    (a,) = _route(ssh_home, text, "ssh://a")
    assert (a.user, a.port) == ("after-include", 2201)
    (b,) = _route(ssh_home, text, "ssh://b")
    assert b.user == getpass.getuser()  # "User after-include" belongs to Host a only
