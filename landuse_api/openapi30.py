"""The API definition as OpenAPI 3.0 (for the ``oas30`` conformance class).

FastAPI writes OpenAPI 3.1, whose schemas are JSON Schema 2020-12; OGC API – Features Part 1
(``/conf/oas30``) and the clients that test it read OpenAPI 3.0, whose schemas are a dialect
of JSON Schema draft 5. :func:`to_oas30` rewrites the few 3.1 constructs FastAPI emits into
their 3.0 spelling, so one definition serves both: 3.1 at ``/openapi.json`` and 3.0 at
``/openapi-3.0.json`` (the landing page's ``service-desc``).

Examples
--------
>>> to_oas30({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
...           "components": {"schemas": {"A": {"anyOf": [{"type": "string"},
...                                                      {"type": "null"}]}}}})["components"]
{'schemas': {'A': {'type': 'string', 'nullable': True}}}
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["OAS30_VERSION", "to_oas30"]

OAS30_VERSION = "3.0.3"

_NULL = {"type": "null"}
# keywords of JSON Schema 2020-12 that OpenAPI 3.0 schemas do not have (and that carry no
# constraint our clients need)
_DROP = ("$schema", "$id", "$comment", "unevaluatedProperties", "contentEncoding",
         "dependentRequired", "dependentSchemas", "$defs")


def _schema(s: Any) -> Any:
    """One schema object (recursively) in the OpenAPI 3.0 dialect."""
    if isinstance(s, list):
        return [_schema(x) for x in s]
    if not isinstance(s, dict):
        return s
    out: dict[str, Any] = {}
    nullable = False
    for key, val in s.items():
        if key in _DROP:
            continue
        if key in ("anyOf", "oneOf") and isinstance(val, list) and _NULL in val:
            nullable = True
            rest = [x for x in val if x != _NULL]
            if len(rest) == 1:
                only = _schema(rest[0])
                if "$ref" in only:  # siblings of $ref are ignored in 3.0: wrap it
                    out["allOf"] = [only]
                else:
                    out.update(only)
            else:
                out[key] = _schema(rest)
        elif key == "type" and isinstance(val, list):
            kinds = [t for t in val if t != "null"]
            nullable = nullable or len(kinds) < len(val)
            out["type"] = kinds[0] if len(kinds) == 1 else "string"
        elif key == "const":
            out["enum"] = [val]
        elif key == "examples" and isinstance(val, list):
            if val:
                out["example"] = val[0]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(val, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = val
            out[key] = True
        elif key == "contentMediaType":
            out.setdefault("format", "binary")
        elif key in ("properties", "patternProperties"):
            out[key] = {k: _schema(v) for k, v in val.items()}
        elif key in ("items", "additionalProperties", "not") or key in ("allOf", "anyOf",
                                                                          "oneOf"):
            out[key] = _schema(val)
        else:
            out[key] = val
    if nullable:
        out["nullable"] = True
    return out


def _walk(obj: Any) -> Any:
    """Every ``schema`` member below ``obj`` (parameters, bodies, responses)."""
    if isinstance(obj, list):
        return [_walk(x) for x in obj]
    if not isinstance(obj, dict):
        return obj
    return {k: (_schema(v) if k == "schema" else _walk(v)) for k, v in obj.items()}


def to_oas30(doc: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.1 document (as FastAPI writes it) rewritten as OpenAPI 3.0.3.

    Parameters
    ----------
    doc : dict
        The 3.1 document; it is not changed.

    Returns
    -------
    dict
        The same operations and schemas in OpenAPI 3.0.3 spelling.
    """
    d = copy.deepcopy(doc)
    d["openapi"] = OAS30_VERSION
    for key in ("webhooks", "jsonSchemaDialect"):
        d.pop(key, None)
    info = d.get("info", {})
    info.pop("summary", None)
    info.get("license", {}).pop("identifier", None)
    d["paths"] = _walk(d.get("paths", {}))
    comps = d.get("components", {})
    if "schemas" in comps:
        comps["schemas"] = {k: _schema(v) for k, v in comps["schemas"].items()}
    for part in ("parameters", "responses", "requestBodies", "headers"):
        if part in comps:
            comps[part] = _walk(comps[part])
    return d
