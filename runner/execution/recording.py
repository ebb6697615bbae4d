"""Version-controls what a run does: the executor's collaborator for code and reuse.

Per run (``start``): the code set (runner.execution.codeset) kept as a snapshot, the git state
of the folder with its diff, the YAML text, the runner's version. Per execution: it runs from
that snapshot with the read recorder injected (``prepare``); what it ran with is recorded
(``fields``); whether an earlier execution can stand for it is decided on what that one read,
or on the whole code folder when its reads are not known (``decide``), and the reason is kept;
after it ran, what it read becomes its dependencies (``completed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner import __version__
from runner.execution import codeset
from runner.execution.codeset import CodeSet
from runner.execution.inject import READS_ENV
from runner.execution.provenance import git_state, recorded_env
from runner.execution.reads import Reads, from_reports
from runner.execution.spec import ExecutionSpec
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

MAX_NAMED = 3  # files named in a reason before "and N more"


@dataclass(frozen=True)
class Decision:
    prior: dict[str, Any] | None  # the execution to reuse, or None: run it
    reason: str  # "reused: none of the 3 files train read changed", "re-ran: train.py changed"


class CodeRecorder:
    def __init__(
        self,
        store: RunStore,
        artifacts: ArtifactStore,
        root: Path,
        yaml_path: Path | None = None,
        yaml_text: str | None = None,
        keep: bool = True,
        snapshot: str | None = None,
    ) -> None:
        """``keep``: store the code's files (off: hashed only, no snapshot, no reproduce);
        ``snapshot``: run this stored snapshot instead of the folder (reproduce)."""
        self.store, self.artifacts = store, artifacts
        self.root, self.yaml_path, self.yaml_text = root, yaml_path, yaml_text
        self.keep, self.snapshot = keep, snapshot
        self.code: CodeSet | None = None

    # per run ---------------------------------------------------------------------------------
    def start(self, run_id: str) -> CodeSet:
        if self.snapshot is not None:
            rows = self.store.snapshot_files(self.snapshot)
            gone = [r["path"] for r in rows if r["sha256"] and not self.artifacts.claim(r["sha256"])]
            if not rows or gone:
                what = f"its file {gone[0]} is" if gone else "it is"
                raise RuntimeError(
                    f"code snapshot {self.snapshot[:12]}: {what} no longer in the artifact store"
                )
            self.code = codeset.from_snapshot(self.root, self.snapshot, rows, self._yaml_rel())
        else:
            self.code = codeset.build(self.root, self.store, self.artifacts, self.yaml_path, self.keep)
        fields: dict[str, Any] = {"runner_version": __version__}
        if self.keep or self.snapshot:
            fields["snapshot_id"] = self.code.snapshot_id
        if self.yaml_text is not None:
            fields["yaml_sha256"] = self.artifacts.put_stream(_Bytes(self.yaml_text.encode()))[0]
        state = git_state(self.root) if self.snapshot is None else None
        if state is not None:
            info, diff = state
            if diff:
                info["diff_sha256"] = self.artifacts.put_stream(_Bytes(diff))[0]
            fields["git"] = info
        self.store.update_run(run_id, **fields)
        return self.code

    def _yaml_rel(self) -> str | None:
        if self.yaml_path is None:
            return None
        try:
            return self.yaml_path.absolute().relative_to(self.root.absolute()).as_posix()
        except ValueError:
            return None

    # per execution ---------------------------------------------------------------------------
    def prepare(self, spec: ExecutionSpec) -> None:
        """Run from the snapshot, with the read recorder on."""
        assert self.code is not None, "start() first"
        spec.code = self.code
        spec.code_hash = self.code.key()
        spec.inject.setdefault(READS_ENV, "1")

    def fields(self, spec: ExecutionSpec, base_key: str, image_identity: str) -> dict[str, Any]:
        """What the execution row records about what it ran with."""
        assert self.code is not None
        return {
            "snapshot_id": self.code.snapshot_id if (self.keep or self.snapshot) else None,
            "base_key": base_key,
            "code_key": self.code.key(),
            "image_digest": image_identity or None,
            "gpu_ids": list(spec.gpu_ids) or None,
            "runner_version": __version__,
            "env": recorded_env(spec.env),
        }

    def decide(self, spec: ExecutionSpec, base_key: str, node: str) -> Decision:
        """An earlier execution with the same everything-but-code whose code dependencies are
        unchanged, or None with what changed."""
        assert self.code is not None
        changed_reads: list[str] | None = None
        changed_folder: tuple[list[str], str] | None = None
        for prior in self.store.reuse_candidates(base_key):
            if not self.artifacts.claim_all(o["sha256"] for o in self.store.outputs(prior["id"])):
                continue
            reads = prior.get("reads") or {}
            if reads.get("complete"):
                deps: dict[str, str] = reads.get("dependencies") or {}
                changed = [d for d, state in deps.items() if self.code.state(d) != state]
                if not changed:
                    files = sum(1 for d in deps if d.startswith("f:"))
                    return Decision(prior, f"reused: none of the {_count(files, 'file')} {node} read changed")
                changed_reads = changed_reads or changed
            elif prior.get("code_key") == self.code.key():
                why = reads.get("why") or "what it read is not known"
                return Decision(prior, f"reused: nothing in the code folder changed ({why})")
            elif changed_folder is None:
                changed_folder = (self._changed_files(prior), reads.get("why") or "what it read is not known")
        if changed_reads is not None:
            return Decision(None, "re-ran: " + _describe(changed_reads))
        if changed_folder is not None:
            files, why = changed_folder
            what = _names(files) + (" changed" if files else "the code folder changed")
            return Decision(None, f"re-ran: {what} ({why}, so any code change counts)")
        return Decision(None, self._why_no_candidate(spec, node))

    def _changed_files(self, prior: dict[str, Any]) -> list[str]:
        assert self.code is not None
        if not prior.get("snapshot_id"):
            return []
        before = {r["path"]: r for r in self.store.snapshot_files(prior["snapshot_id"])}
        now = {rel: f.as_row() for rel, f in self.code.files.items() if rel != self.code.yaml_rel}
        before.pop(self.code.yaml_rel or "", None)
        paths = set(before) | set(now)
        return sorted(
            p for p in paths if (before.get(p) or {}).get("sha256") != (now.get(p) or {}).get("sha256")
        )

    def _why_no_candidate(self, spec: ExecutionSpec, node: str) -> str:
        """No earlier success with the same key: say what differs from the last execution."""
        last = self.store.previous_execution(node, spec.step, float("inf"))
        if last is None:
            return f"ran: no earlier execution of {node}"
        if last["status"] != "succeeded":
            return f"re-ran: the last execution of {node} {last['status']}"
        params, before = spec.parameters, last.get("parameters") or {}
        names = [k for k in sorted(set(params) | set(before)) if params.get(k) != before.get(k)]
        if names:
            return f"re-ran: {_plural('parameter', names)} {', '.join(names)} changed"
        inputs_now = {k: sorted(f.sha256 for f in v) for k, v in spec.inputs.items()}
        inputs_then = {k: sorted(f["sha256"] for f in v) for k, v in (last.get("inputs") or {}).items()}
        names = [
            k for k in sorted(set(inputs_now) | set(inputs_then)) if inputs_now.get(k) != inputs_then.get(k)
        ]
        if names:
            return f"re-ran: {_plural('input', names)} {', '.join(names)} changed"
        if spec.image != last.get("image"):
            return f"re-ran: the image changed ({last.get('image')} -> {spec.image})"
        if spec.script != last.get("command"):
            return "re-ran: its command changed"
        env_then = last.get("env") or {}
        names = [
            k
            for k in sorted(set(spec.env) | set(env_then))
            if recorded_env(spec.env).get(k) != env_then.get(k)
        ]
        if names:
            return f"re-ran: environment {_plural('variable', names)} {', '.join(names)} changed"
        return "re-ran: the image was rebuilt (same tag, new image id)"

    def completed(self, spec: ExecutionSpec, reports: dict[str, bytes] | None) -> Reads:
        """Record what the execution read (its dependencies now, by state) once it has run."""
        assert self.code is not None
        reads = from_reports(
            reports or {}, spec.script, hooked=reports is not None and READS_ENV in spec.inject
        )
        self.store.upsert_execution(spec.execution_id, reads=reads.record(self.code.state))
        return reads


class _Bytes:
    """A readable over bytes, for ArtifactStore.put_stream."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _plural(noun: str, names: list[str]) -> str:
    return noun if len(names) == 1 else noun + "s"


def _names(paths: list[str]) -> str:
    shown = paths[:MAX_NAMED]
    rest = len(paths) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    return " and ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _describe(changed: list[str]) -> str:
    """ "train.py changed", "new file numpy.py shadows a module", "the files in data/ changed"."""
    files = sorted(d[2:] for d in changed if d.startswith(("f:", "s:")))
    folders = sorted(d[2:] for d in changed if d.startswith("d:"))
    modules = sorted(d[2:].rpartition(":")[2] for d in changed if d.startswith("m:"))
    parts = []
    if files:
        parts.append(f"{_names(files)} changed")
    if folders:
        where = [f"{f}/" for f in folders if f != "."]
        if "." in folders:
            where.insert(0, "the code folder")
        parts.append("the files in " + _names(where) + " changed")
    if modules:
        parts.append(f"a file now shadows {_plural('module', modules)} {_names(modules)}")
    return "; ".join(parts)
