"""A throwaway OpenSSH server on 127.0.0.1 for tests of remote Docker hosts.

``ThrowawaySshd`` writes a private config, a fresh host key and two client keys (one with a
passphrase) into a temporary folder, then runs ``/usr/sbin/sshd -D -e -f <config>`` on a free
non-standard port. The server lets the client forward TCP and Unix sockets, so both ways of
reaching the engine work: ``docker system dial-stdio`` over an exec channel (what the Docker SDK
does for ``ssh://`` URLs) and ``-L local.sock:/var/run/docker.sock`` forwarding.

    with ThrowawaySshd() as server:
        home = server.client_home(tmp_path / "home")   # ~/.ssh/config + known_hosts for paramiko
        monkeypatch.setenv("HOME", str(home))
        client = docker.DockerClient(base_url=server.base_url, use_ssh_client=False)

Nothing here touches the real ``~/.ssh`` or the system sshd. Only the current user can log in
(root when the tests run as root, which is what reaches /var/run/docker.sock).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

SSHD = "/usr/sbin/sshd"  # sshd refuses to re-exec itself unless started by absolute path
HOST = "127.0.0.1"
KEY_PASSPHRASE = "throwaway passphrase"


class SshdUnavailable(RuntimeError):
    """sshd is not installed here or could not start; the message says why."""


@dataclass(frozen=True)
class ClientKey:
    path: Path  # private key (OpenSSH format, ed25519)
    passphrase: str | None
    public_line: str  # the authorized_keys line


def free_port() -> int:
    """A port that was free a moment ago (sshd may still lose a race; start() retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path, passphrase: str, comment: str) -> str:
    if shutil.which("ssh-keygen") is None:
        raise SshdUnavailable("ssh-keygen is not installed (apt-get install -y openssh-client)")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_suffix(".pub").read_text().strip()


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (from /proc; empty where there is no /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _started_with(argument: str) -> list[int]:
    """Processes whose command line contains ``argument`` (our unique config path)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argument.encode() in argv and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


class ThrowawaySshd:
    """One sshd process with its own keys and config; use as a context manager."""

    def __init__(
        self,
        workdir: Path | None = None,
        start_timeout: float = 10.0,
        password: str | None = None,
        extra_config: str = "",
        path_first: Path | None = None,
    ) -> None:
        """``password``: also accept this password for the current user (see ``_password_shadow``);
        ``extra_config``: more sshd_config lines; ``path_first``: a folder put first on the PATH of
        every session (tools the "host" has, such as an nvidia-smi)."""
        self._own_workdir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="pd-sshd-")) if workdir is None else workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o700)
        self.user = getpass.getuser()
        self.start_timeout = start_timeout
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "sshd.log"
        self.config_path = self.workdir / "sshd_config"
        self.host_key_path = self.workdir / "ssh_host_ed25519_key"
        self.key: ClientKey
        self.key_with_passphrase: ClientKey
        self.host_public_key = ""
        self.password = password
        self.extra_config = extra_config
        self.path_first = path_first

    # -- set-up -----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"ssh://{self.user}@{HOST}:{self.port}"

    @property
    def known_hosts_line(self) -> str:
        key_type, key_b64 = self.host_public_key.split()[:2]
        return f"[{HOST}]:{self.port} {key_type} {key_b64}"

    def _write_keys(self) -> None:
        self.host_public_key = _keygen(self.host_key_path, "", "pd-test-host")
        plain = self.workdir / "client_ed25519"
        locked = self.workdir / "client_ed25519_passphrase"
        self.key = ClientKey(plain, None, _keygen(plain, "", "pd-test-client"))
        self.key_with_passphrase = ClientKey(
            locked, KEY_PASSPHRASE, _keygen(locked, KEY_PASSPHRASE, "pd-test-client-passphrase")
        )
        authorized = self.workdir / "authorized_keys"
        authorized.write_text(f"{self.key.public_line}\n{self.key_with_passphrase.public_line}\n")
        authorized.chmod(0o600)

    def _write_config(self) -> None:
        w = self.workdir
        self.config_path.write_text(
            f"""# throwaway test sshd (tests/sshd/sshd_server.py)
Port {self.port}
ListenAddress {HOST}
HostKey {self.host_key_path}
PidFile {w / "sshd.pid"}
AuthorizedKeysFile {w / "authorized_keys"}
PermitRootLogin {"yes" if self.password else "prohibit-password"}
PubkeyAuthentication yes
PasswordAuthentication {"yes" if self.password else "no"}
KbdInteractiveAuthentication no
# PAM would need the system's login stack; key checks need none of it.
UsePAM no
# The key files sit in a temp dir, which StrictModes would reject.
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
AllowAgentForwarding no
X11Forwarding no
PermitTTY yes
PrintMotd no
MaxSessions 64
MaxStartups 64:30:128
LogLevel VERBOSE
Subsystem sftp internal-sftp
# bash sources ~/.bashrc for commands run over ssh only when SHLVL is unset (shell level 1).
# The test machine's root .bashrc runs `pyenv init`, whose rehash lock is left stale when a
# test kills sshd mid-session, and then every later session hangs on it. Skip the rc file.
SetEnv SHLVL=1{self._path_env()}
{self.extra_config}
"""
        )

    def _path_env(self) -> str:
        # sshd takes only the first SetEnv line: every variable goes on that one.
        if self.path_first is None:
            return ""
        return f" PATH={self.path_first}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    def start(self) -> ThrowawaySshd:
        if not os.path.isfile(SSHD):
            raise SshdUnavailable(f"{SSHD} is not installed (apt-get install -y openssh-server)")
        if os.geteuid() == 0:
            # Debian's sshd needs its privilege-separation directory.
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        self._write_keys()
        last_error = ""
        for _ in range(3):  # a free port can be taken between free_port() and bind()
            self.port = free_port()
            self._write_config()
            check = subprocess.run([SSHD, "-t", "-f", str(self.config_path)], capture_output=True, text=True)
            if check.returncode != 0:
                raise SshdUnavailable(f"sshd rejected its config: {check.stderr.strip()}")
            last_error = self._launch()
            if not last_error:
                return self
        raise SshdUnavailable(f"sshd did not start: {last_error}")

    def _password_shadow(self) -> list[str]:
        """The command prefix that shows sshd a shadow file where the user has ``password``.

        sshd (without PAM) checks passwords against /etc/shadow. A copy with this user's hash
        replaced is bind-mounted over it in a private mount namespace (``unshare --mount``):
        only this sshd and its children see it; the system's file is never touched.
        """
        if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("openssl") is None:
            raise SshdUnavailable("a password login test needs root, unshare and openssl")
        digest = subprocess.run(
            ["openssl", "passwd", "-6", "-stdin"],
            input=self.password,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        lines = []
        for line in Path("/etc/shadow").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == self.user:
                fields[1] = digest
            lines.append(":".join(fields))
        shadow = self.workdir / "shadow"
        shadow.write_text("\n".join(lines) + "\n")
        shadow.chmod(0o600)
        script = f'mount --bind "{shadow}" /etc/shadow && exec "$@"'
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"]

    def _launch(self) -> str:
        """Start sshd and wait for its banner; return an error text, or '' when it is up."""
        log = self.log_path.open("ab")
        prefix = self._password_shadow() if self.password else []
        self._proc = subprocess.Popen(
            [*prefix, SSHD, "-D", "-e", "-f", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                return f"sshd exited at start-up: {self.log_text()[-2000:]}"
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"SSH-2.0-"):
                        return ""
            except OSError:
                time.sleep(0.05)
        self.stop()
        return f"no SSH banner on {HOST}:{self.port} within {self.start_timeout} s: {self.log_text()[-2000:]}"

    def freeze(self, frozen: bool = True) -> None:
        """SIGSTOP (or SIGCONT) sshd and its connections: a host that hangs without closing TCP."""
        if self._proc is None:
            return
        for pid in [self._proc.pid, *_descendants(self._proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP if frozen else signal.SIGCONT)

    def restart(self) -> ThrowawaySshd:
        """Start again after ``stop()``: same port, host key and client keys (a host coming back)."""
        if self.running:
            return self
        error = self._launch()
        if error:
            raise SshdUnavailable(f"sshd did not restart: {error}")
        return self

    # -- client side ------------------------------------------------------------
    def client_home(self, home: Path, key: ClientKey | None = None) -> Path:
        """Write ``home/.ssh/{config,known_hosts}`` for this server and return ``home``.

        paramiko (the Docker SDK's ``use_ssh_client=False`` transport) reads ``~/.ssh/config``
        for IdentityFile and ``~/.ssh/known_hosts`` for the host key, through ``$HOME``: point
        HOME at this folder. The OpenSSH client takes the same files with ``-F home/.ssh/config``.
        """
        key = key or self.key
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(parents=True, exist_ok=True)
        ssh_dir.chmod(0o700)
        known_hosts = ssh_dir / "known_hosts"
        known_hosts.write_text(self.known_hosts_line + "\n")
        config = ssh_dir / "config"
        config.write_text(
            f"Host {HOST}\n"
            f"    Port {self.port}\n"
            f"    User {self.user}\n"
            f"    IdentityFile {key.path}\n"
            f"    IdentitiesOnly yes\n"
            f"    UserKnownHostsFile {known_hosts}\n"
            f"    StrictHostKeyChecking yes\n"
            f"    BatchMode yes\n"
        )
        config.chmod(0o600)
        return home

    def ssh_wrapper_dir(self, home: Path) -> Path:
        """A folder holding an ``ssh`` script that adds ``-F home/.ssh/config``; put it first on PATH.

        The OpenSSH client ignores ``$HOME`` (it reads the passwd entry), so this is how the docker
        CLI (``docker -H ssh://...``) and the SDK's ``use_ssh_client=True`` find the throwaway config.
        """
        real_ssh = shutil.which("ssh")
        if real_ssh is None:
            raise SshdUnavailable("the ssh client is not installed (apt-get install -y openssh-client)")
        config = home / ".ssh" / "config"
        if not config.is_file():
            self.client_home(home)
        bin_dir = home / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        wrapper = bin_dir / "ssh"
        wrapper.write_text(f'#!/bin/sh\nexec {real_ssh} -F "{config}" "$@"\n')
        wrapper.chmod(0o755)
        return bin_dir

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- tear-down --------------------------------------------------------------
    def stop(self) -> None:
        self.freeze(False)  # a stopped process would not act on SIGTERM
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # sshd's per-connection children call setsid(), so the listener's process group does not
        # hold them: find them by parentage first, then end the group and each of them.
        children = _descendants(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        # SIGKILL, as a crash would: a connection process handling SIGTERM gracefully could keep
        # the client's TCP connection open a while. Also anything started with our config file.
        for pid in {*children, *_started_with(str(self.config_path))}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> ThrowawaySshd:
        try:
            return self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
