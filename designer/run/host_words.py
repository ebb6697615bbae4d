"""What the Hosts dialog says in words: a host error, a test report, who offered a host key."""

from __future__ import annotations

from runner.api import HostAuthError, HostConfigError, HostError, HostKeyError, HostReport, SecretStoreError
from runner.api import hosts as service


def plain_error(exc: BaseException) -> str:
    """What went wrong, in words (the runner's host errors never contain secrets)."""
    if isinstance(exc, HostAuthError):
        return f"{exc}\nEdit the host to enter its password or key passphrase (kept in the keyring)."
    if isinstance(exc, HostKeyError | HostError | HostConfigError | SecretStoreError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def report_text(report: HostReport) -> str:
    lines = [
        f"Host {report.name}: connected in {report.connect_s:.1f} s ({report.route})",
        f"Docker engine {report.engine_version} (API {report.api_version}, {report.os})",
        f"Runtimes: {', '.join(report.runtimes) or 'none'}",
    ]
    if report.gpus:
        lines.append(f"GPUs ({len(report.gpus)}, from nvidia-smi):")
        lines += [f"    {gpu.describe()}" for gpu in report.gpus]
        if report.gpu_note:
            lines.append(f"Warning: {report.gpu_note}")
    else:
        lines.append(f"GPUs: none ({report.gpu_note})" if report.gpu_note else "GPUs: none")
    if report.gpu_check:
        lines.append(f"Warning: {report.gpu_check} (Use GPUs found declares those found)")
    if report.leftovers_removed:
        lines.append(f"Removed {report.leftovers_removed} container(s) left by earlier runs")
    if report.error:
        lines.append(f"Error: {report.error}")
    return "\n".join(lines)


def who_offered(offered: service.OfferedKey) -> str:
    """ "The host gpubox", or "Jump host bastion (hop 1 of 2 on the way to gpubox)"."""
    if offered.hops == 1:
        return f"The host {offered.host}"
    if offered.is_target:
        return f"The host {offered.host} (hop {offered.hop} of {offered.hops})"
    return f"Jump host {offered.label} (hop {offered.hop} of {offered.hops} on the way to {offered.host})"
