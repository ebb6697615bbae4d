"""valohai-yaml's JSON schema: jsonschema's verdicts, found fast.

jsonschema (valohai-yaml's own validator, the authority) resolves ``$ref`` through the
``referencing`` library on every visit, which made validating a 500-step file take ~2 s. The
schema has no recursive references, so inlining them once gives the same verdicts about 8x
faster (``validator``). Even so it walks a 500-step file in ~70 ms, so for a large file a
compiled validator (jsonschema-rs) answers first: a config it finds valid has no schema errors,
in about 1 ms; a config it finds invalid, or cannot read (values that are not JSON, such as a
YAML date), is judged by jsonschema, which lists the errors with their paths.
tests/runner/config/test_schema.py compares the verdicts of all three on every corpus file and
on broken variants of them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

BASE_URL = "https://valohai.com"


# Building the compiled validator takes ~10 ms (once per process); jsonschema checks a small
# file in well under 1 ms. So a file of fewer top-level items than this, in a process that has
# not built it yet (a CLI start), goes to jsonschema directly.
COMPILE_FROM_ITEMS = 50


def schema_errors(data: Any) -> list[Any]:
    """jsonschema's ``ValidationError``s for ``data`` ([] when it is valid)."""
    large = isinstance(data, list) and len(data) >= COMPILE_FROM_ITEMS
    valid = compiled_check() if large or compiled_check.cache_info().currsize else None
    if valid is not None:
        try:
            if valid(data):
                return []
        except Exception:  # not JSON to it (a date, a set, a huge int): jsonschema judges
            pass
    return list(validator().iter_errors(data))


@cache
def validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json_schema()
    return Draft202012Validator(_inline(schema, schema.get("$defs", {}), ()))


@cache
def compiled_check() -> Callable[[Any], bool] | None:
    """jsonschema-rs's ``is_valid`` for the inlined schema, or None where it is not installed."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; jsonschema alone gives the same verdicts
        return None
    schema = json_schema()
    inlined = _inline(schema, schema.get("$defs", {}), ())
    # "format" only annotates in draft 2020-12, as jsonschema treats it without a format checker.
    return jsonschema_rs.validator_for(inlined, validate_formats=False).is_valid  # type: ignore[no-any-return]


def json_schema() -> dict[str, Any]:
    """valohai-yaml's schema, built as ``valohai_yaml.validation.get_json_schema`` builds it
    (test_schema.py checks they are equal) without importing that module's jsonschema."""
    from valohai_yaml import schema_data

    schemata = dict(schema_data.SCHEMATA)  # shallow: nothing here changes what it holds (_inline copies)
    base = schemata.pop(f"{BASE_URL}/schemas/base")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Valohai YAML Schema",
        "description": "Base schema for Valohai YAML files.",
        **base,
        "$defs": schemata,
    }


def _inline(node: Any, defs: dict[str, Any], stack: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs, stack) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in stack:
            raise ValueError(f"recursive $ref {ref} cannot be inlined")
        target = _inline(defs[BASE_URL + ref if ref.startswith("/") else ref], defs, (*stack, ref))
        rest = {k: _inline(v, defs, stack) for k, v in node.items() if k != "$ref"}
        # In draft 2020-12 a $ref with sibling keywords applies both, as allOf does.
        return {"allOf": [target], **rest} if rest else target
    return {k: _inline(v, defs, stack) for k, v in node.items() if k not in ("$defs", "$id")}
