"""valohai-yaml's own validation and lint, turned into positioned Diagnostics.

valohai-yaml is the schema authority. Its schema errors carry a data path, which we map to
a line and column; its semantic messages are plain text, which we place by the names they
quote. Messages that our own checks (``checks.py``) report better, with a position and a
hint, are dropped here so the user sees each problem once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from runner.config import query
from runner.config.diagnostics import Diagnostic
from runner.config.loader import ConfigPath, LoadedConfig
from runner.config.pipeline_index import indexed_pipelines
from runner.config.schema import schema_errors

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaError

SOURCE = "valohai-yaml"

# Semantic messages that checks.py covers with positions and hints.
_COVERED = [
    re.compile(p)
    for p in (
        r"^Pipeline .* edge (source|target) node .* does not exist$",
        r"^Pipeline .* (source|target) type .* not valid$",
        r"^Pipeline .* has \d+ nodes with the same name of ",
        r'^Pipeline ".*" node ".*" step ".*" does not exist$',
        r"^Duplicate step name: ",
        # valohai-yaml 0.61 does not know require-approval yet; the platform and our runner do.
        r"""^"then" value \['require-approval'\] is not well-known""",
    )
]

_HINTS = {
    "required": "add the missing key",
    "additionalProperties": "remove the key or fix its spelling",
    "enum": "use one of the allowed values",
    "type": "change the value to the expected type",
    "minItems": "add at least one item",
    "pattern": "change the value to match the expected format",
}


def official_diagnostics(loaded: LoadedConfig) -> Iterator[Diagnostic]:
    errors = schema_errors(loaded.data)
    if errors:
        from jsonschema.exceptions import relevance

        errors.sort(key=lambda e: (relevance(e), repr(e.path)))
    for error in errors:
        if not error.absolute_path and error.validator == "type":
            continue  # "not a list": checks.py says it in plainer words
        yield _schema_diagnostic(loaded, error)
    if errors:
        return  # valohai-yaml does not lint a config that fails its schema
    config = loaded.config
    if config is None:
        if loaded.parse_error is not None:
            yield Diagnostic(
                "error",
                f"valohai-yaml cannot read this config: {loaded.parse_error}",
                hint="fix the item this message names",
                file=loaded.display_name,
                **_place_text(loaded, str(loaded.parse_error)),
                code="parse",
                source=SOURCE,
            )
        return
    from valohai_yaml.lint import LintResult

    result = LintResult()
    try:
        with indexed_pipelines(config):  # the same checks, without rebuilding a map per edge
            config.lint(result, context={})
    except Exception as exc:  # a lint crash inside valohai-yaml must not hide everything else
        result.add_error(f"valohai-yaml lint crashed: {exc}")
    for message in result.messages:
        text = str(message["message"]).strip()
        if any(p.search(text) for p in _COVERED):
            continue
        yield Diagnostic(
            message["type"],
            text,
            file=loaded.display_name,
            **_place_text(loaded, text),
            code="valohai-lint",
            source=SOURCE,
        )


def _schema_diagnostic(loaded: LoadedConfig, error: SchemaError) -> Diagnostic:
    if error.validator in ("anyOf", "oneOf") and error.context:
        error = _most_specific(error)
    path: ConfigPath = tuple(error.absolute_path)
    where = describe_path(loaded.data, path)
    message = _schema_message(error)
    mark = loaded.locate(path, key=error.validator == "required")
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)' (?:was|were) unexpected", error.message)
        names = extra or re.findall(r"'([^']+)'", error.message.split("(")[-1])
        if names:
            mark = loaded.locate((*path, names[0]), key=True)
    return Diagnostic(
        "error",
        f"{where}: {message}" if where else message,
        hint=_hint(error),
        file=loaded.display_name,
        line=mark.line,
        column=mark.column,
        path=path,
        code=f"schema-{error.validator}",
        source=SOURCE,
    )


def _hint(error: SchemaError) -> str:
    if error.validator == "type" and error.validator_value == "string":
        if isinstance(error.instance, dict):
            return (
                "YAML read this line as a mapping because of the ': ' in it; "
                "put the whole line in single quotes"
            )
        if isinstance(error.instance, int | float) and not isinstance(error.instance, bool):
            return f"quote it ('{error.instance}') if it is meant as text"
        if isinstance(error.instance, list):
            return "write one value here: a list is not allowed"
    return _HINTS.get(str(error.validator), "see the valohai.yaml reference for this key")


def _most_specific(error: SchemaError) -> SchemaError:
    """Of an anyOf/oneOf failure, the sub-error of the branch meant (the one whose ``type``
    constant matched), deepest first; else jsonschema's best guess."""
    branches: dict[object, list[SchemaError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
    meant = [errs for errs in branches.values() if not any(e.validator == "const" for e in errs)]
    # Of the rest, the branch whose type fits the value is the one the user meant
    # (for keep-directories: 'partial' was meant for the enum, not the boolean).
    typed = [errs for errs in meant if not any(e.validator == "type" and not e.path for e in errs)]
    if len(typed) == 1:
        meant = typed
    if len(meant) == 1:
        return max(meant[0], key=lambda e: (len(e.absolute_path), e.validator != "additionalProperties"))
    from jsonschema.exceptions import best_match

    specific = best_match(error.context or [])
    if specific is not None and len(specific.absolute_path) >= len(error.absolute_path):
        return specific
    return error


def _schema_message(error: SchemaError) -> str:
    if error.validator in ("anyOf", "oneOf"):
        return f"the value {_short(error.instance)} does not match any allowed form"
    if error.validator == "type":
        return f"{_short(error.instance)} should be of type {error.validator_value}"
    if error.validator == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        return f"{_short(error.instance)} is not one of {allowed}"
    return error.message


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_path(data: Any, path: ConfigPath) -> str:
    """``(0, "step", "parameters", 1, "type")`` → ``step "train" › parameters[1] › type``."""
    parts: list[str] = []
    node = data
    for i, key in enumerate(path):
        child = _child(node, key)
        if i == 1 and isinstance(child, dict) and isinstance(child.get("name"), str):
            parts = [f'{key} "{child["name"]}"']
        elif isinstance(key, int):
            name = child.get("name") if isinstance(child, dict) else None
            if parts:
                parts[-1] += f'["{name}"]' if isinstance(name, str) else f"[{key}]"
            else:
                parts.append(f"item {key + 1}")
        elif i > 0 or not isinstance(node, list):
            parts.append(str(key))
        node = child
    return " › ".join(parts)


def _child(node: Any, key: str | int) -> Any:
    try:
        return node[key]
    except (KeyError, IndexError, TypeError):
        return None


_QUOTED = {
    "pipeline": re.compile(r'Pipeline "?([^"]+?)"?(?: (?:node|edge|source|target|parameter|has)\b|$)'),
    "step": re.compile(r'^Step "?([^",]+)"?[,:]'),
    "endpoint": re.compile(r'^Endpoint "([^"]+)"'),
    "node": re.compile(r'node "([^"]+)"'),
    "parameter": re.compile(r'parameter "?([^",:]+)"?'),
}


def _place_text(loaded: LoadedConfig, text: str) -> dict[str, Any]:
    """Find the most specific item a text message names; default to the top of the file."""
    path: ConfigPath = ()
    for kind in ("pipeline", "step", "endpoint"):
        match = _QUOTED[kind].search(text)
        if match and (found := loaded.item_path(kind, match.group(1).strip())):
            path = found
            break
    if path and path[1] in ("pipeline", "blueprint") and (node := _QUOTED["node"].search(text)):
        pipeline = loaded.data[path[0]][path[1]]
        path = query.node_path(loaded.data, pipeline.get("name"), node.group(1)) or path
    elif path and path[1] == "step" and (param := _QUOTED["parameter"].search(text)):
        step = loaded.data[path[0]]["step"]
        wanted = param.group(1).strip()
        index = query.named_index(step.get("parameters"), wanted)
        path = path if index is None else (*path, "parameters", index)
    mark = loaded.locate(path)
    return {"line": mark.line, "column": mark.column, "path": path}
