"""CQL2 filters (text and JSON): read by the ``cql2`` library, kept as a small tree, and
translated to SQL with bound values.

Both encodings are parsed by ``cql2`` (OGC 21-065 grammar); the text is turned into
CQL2-JSON, and :func:`from_json` builds our tree from that one form. Supported: ``and``,
``or``, ``not``, comparisons (``= <> < > <= >=``), ``like``, ``between``, ``in``,
``isNull`` and ``s_intersects`` (with a GeoJSON/WKT geometry or ``BBOX``); literals are
text, numbers, booleans, ``DATE('YYYY-MM-DD')`` and ``TIMESTAMP('...')``. Property names are
checked against the collection; every value is a bound parameter, never spliced into SQL.

Examples
--------
>>> tree = parse("zone = 'A' AND (stat_year >= 2020 OR NOT above_scale = TRUE)")
>>> type(tree).__name__
'And'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from landuse.errors import SchemaError
from landuse.store.schema import Collection, coerce_value

__all__ = [
    "And",
    "Between",
    "CQLError",
    "Cmp",
    "In",
    "Intersects",
    "IsNull",
    "Like",
    "Node",
    "Not",
    "Or",
    "from_json",
    "map_geometries",
    "parse",
    "parse_json",
    "to_sql",
]

MAX_LENGTH = 20_000
MAX_DEPTH = 40
GEOMETRY_PROPERTIES = ("geom", "geometry")


class CQLError(SchemaError):
    """The filter is not valid CQL2 text (of the supported subset)."""


@dataclass(frozen=True)
class Cmp:
    prop: str
    op: str
    value: Any


@dataclass(frozen=True)
class Like:
    prop: str
    pattern: str
    negate: bool = False


@dataclass(frozen=True)
class Between:
    prop: str
    low: Any
    high: Any
    negate: bool = False


@dataclass(frozen=True)
class In:
    prop: str
    values: tuple[Any, ...]
    negate: bool = False


@dataclass(frozen=True)
class IsNull:
    prop: str
    negate: bool = False


@dataclass(frozen=True)
class Intersects:
    prop: str
    geom: BaseGeometry


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Cmp | Like | Between | In | IsNull | Intersects | And | Or | Not

OPS = {"=": "=", "<>": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_FLIP = {"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def parse(text: str) -> Node:
    """Parse CQL2 text into a tree; :class:`CQLError` names the problem and position.

    The text is read by the ``cql2`` library (the CQL2 grammar of OGC 21-065) into
    CQL2-JSON, which :func:`from_json` turns into our tree.
    """
    if not text or not text.strip():
        raise CQLError("filter: empty. Fix: give an expression such as zone = 'A'.")
    if len(text) > MAX_LENGTH:
        raise CQLError(f"filter: longer than {MAX_LENGTH} characters. Fix: shorten it.")
    import cql2

    try:
        obj = cql2.parse_text(text).to_json()
    except (cql2.ParseError, ValueError) as e:
        raise CQLError(f"filter: not valid CQL2 text ({_first_lines(e)}).") from None
    return from_json(obj)


def parse_json(text: str | dict[str, Any]) -> Node:
    """Parse CQL2-JSON (a JSON text or an already decoded object) into a tree."""
    import json

    if isinstance(text, str):
        if not text.strip():
            raise CQLError("filter: empty. Fix: give a CQL2-JSON expression such as "
                           '{"op": "=", "args": [{"property": "zone"}, "A"]}.')
        if len(text) > MAX_LENGTH:
            raise CQLError(f"filter: longer than {MAX_LENGTH} characters. Fix: shorten it.")
        try:
            obj = json.loads(text)
        except ValueError as e:
            raise CQLError(f"filter: not JSON ({e}). Fix: send CQL2-JSON with "
                           "filter-lang=cql2-json.") from None
    else:
        obj = text
    return from_json(obj)


def _first_lines(e: BaseException) -> str:
    return " ".join(line.strip() for line in str(e).splitlines() if line.strip())[:200]


def from_json(obj: Any, depth: int = 0) -> Node:
    """A CQL2-JSON boolean expression (a decoded object) as our tree.

    Supported: ``and or not``, the comparisons ``= <> < > <= >=``, ``like``, ``between``,
    ``in``, ``isNull`` and ``s_intersects``; anything else is a :class:`CQLError` naming it.
    """
    if depth > MAX_DEPTH:
        raise CQLError(f"filter: nested deeper than {MAX_DEPTH}. Fix: simplify it.")
    if not isinstance(obj, dict) or "op" not in obj or not isinstance(obj.get("args"), list):
        raise CQLError(f"filter: expected an expression {{\"op\": ..., \"args\": [...]}}, "
                       f"got {_short(obj)}.")
    op = str(obj["op"]).lower()
    args = obj["args"]
    if op in ("and", "or"):
        if len(args) < 2:
            raise CQLError(f"filter: '{op}' needs at least two arguments.")
        items = tuple(from_json(a, depth + 1) for a in args)
        return And(items) if op == "and" else Or(items)
    if op == "not":
        _arity(op, args, 1)
        return Not(from_json(args[0], depth + 1))
    if op in OPS:
        _arity(op, args, 2)
        left, right = args
        if _is_prop(left):
            return Cmp(_prop(left), op, _value(right))
        if _is_prop(right):
            return Cmp(_prop(right), _FLIP[op], _value(left))
        raise CQLError(f"filter: '{op}' compares two values; one side must be a property.")
    if op == "like":
        _arity(op, args, 2)
        pattern = _value(args[1])
        if not isinstance(pattern, str):
            raise CQLError("filter: LIKE needs a quoted pattern.")
        return Like(_prop(args[0]), pattern)
    if op == "between":
        _arity(op, args, 3)
        return Between(_prop(args[0]), _value(args[1]), _value(args[2]))
    if op == "in":
        _arity(op, args, 2)
        if not isinstance(args[1], list) or not args[1]:
            raise CQLError("filter: IN needs a non-empty list of values.")
        return In(_prop(args[0]), tuple(_value(v) for v in args[1]))
    if op == "isnull":
        _arity(op, args, 1)
        return IsNull(_prop(args[0]))
    if op in ("s_intersects", "intersects"):
        _arity(op, args, 2)
        left, right = args
        if not _is_prop(left):
            left, right = right, left
        return Intersects(_prop(left), _geometry(right))
    raise CQLError(f"filter: '{obj['op']}' is not supported. Fix: use and, or, not, "
                   "= <> < > <= >=, like, between, in, isNull or s_intersects.")


def _short(obj: Any) -> str:
    return repr(obj)[:60]


def _arity(op: str, args: list[Any], n: int) -> None:
    if len(args) != n:
        raise CQLError(f"filter: '{op}' takes {n} argument(s), got {len(args)}.")


def _is_prop(obj: Any) -> bool:
    return isinstance(obj, dict) and set(obj) == {"property"}


def _prop(obj: Any) -> str:
    if not _is_prop(obj) or not isinstance(obj["property"], str):
        raise CQLError(f"filter: expected a property, got {_short(obj)}.")
    return str(obj["property"])


def _value(obj: Any) -> Any:
    """A scalar literal: text, number, boolean, or a date/timestamp (as ISO text)."""
    if isinstance(obj, bool | str) or obj is None:
        return obj
    if isinstance(obj, int | float):
        if not math.isfinite(obj):
            raise CQLError(f"filter: {obj!r} is not a finite number.")
        return int(obj) if isinstance(obj, float) and obj.is_integer() else obj
    if isinstance(obj, dict) and len(obj) == 1:
        ((kind, v),) = obj.items()
        if kind in ("date", "timestamp") and isinstance(v, str):
            return v
        if kind == "property":
            raise CQLError("filter: compare a property with a value, not with another "
                           "property.")
    raise CQLError(f"filter: expected a value, got {_short(obj)}.")


def _geometry(obj: Any) -> BaseGeometry:
    """A GeoJSON geometry or ``{"bbox": [...]}`` of CQL2-JSON as a shapely geometry."""
    if isinstance(obj, dict) and "bbox" in obj:
        nums = obj["bbox"]
        if not (isinstance(nums, list) and len(nums) in (4, 6) and all(
                isinstance(n, int | float) and not isinstance(n, bool) for n in nums)):
            raise CQLError("filter: BBOX needs four numbers minx, miny, maxx, maxy.")
        half = len(nums) // 2
        return shapely.box(nums[0], nums[1], nums[half], nums[half + 1])
    if not isinstance(obj, dict) or "type" not in obj:
        raise CQLError(f"filter: expected a geometry, got {_short(obj)}.")
    try:
        geom = shapely.geometry.shape(obj)
    except Exception as e:  # shapely raises several types for malformed GeoJSON
        raise CQLError(f"filter: not a valid geometry ({e}).") from None
    if geom.is_empty:
        raise CQLError("filter: the S_INTERSECTS geometry is empty.")
    return geom


def map_geometries(node: Node, fn: Callable[[BaseGeometry], BaseGeometry]) -> Node:
    """The tree with every S_INTERSECTS geometry replaced by ``fn(geometry)`` (e.g. from
    the filter's CRS to the storage CRS)."""
    if isinstance(node, Intersects):
        return Intersects(node.prop, fn(node.geom))
    if isinstance(node, And | Or):
        return type(node)(tuple(map_geometries(i, fn) for i in node.items))
    if isinstance(node, Not):
        return Not(map_geometries(node.item, fn))
    return node


# -- translation ---------------------------------------------------------------------


@dataclass
class Dialect:
    """What differs between SQL engines: the placeholder and the spatial predicate."""

    placeholder: str
    intersects: Callable[[str, BaseGeometry], tuple[str, list[Any]]]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def to_sql(node: Node, coll: Collection, dialect: Dialect) -> tuple[str, list[Any]]:
    """Translate a tree into a SQL condition and its bound parameters."""
    ph = dialect.placeholder

    def col(prop: str) -> tuple[str, Any]:
        try:
            return _q(prop), coll.column(prop)
        except KeyError:
            raise CQLError(
                f"filter: '{prop}' is not a property of {coll.name}. "
                f"Fix: use one of {', '.join(coll.names)}."
            ) from None

    def val(c: Any, v: Any) -> Any:
        try:
            return coerce_value(c, v, f"filter: {c.name}")
        except SchemaError as e:
            raise CQLError(str(e)) from None

    def go(n: Node) -> tuple[str, list[Any]]:
        if isinstance(n, And | Or):
            parts = [go(i) for i in n.items]
            joiner = " AND " if isinstance(n, And) else " OR "
            return "(" + joiner.join(p[0] for p in parts) + ")", [x for p in parts for x in p[1]]
        if isinstance(n, Not):
            s, p = go(n.item)
            return f"(NOT {s})", p
        if isinstance(n, Intersects):
            if n.prop not in GEOMETRY_PROPERTIES:
                raise CQLError(f"filter: S_INTERSECTS needs the geometry property 'geom', "
                               f"not '{n.prop}'.")
            return dialect.intersects("geom", n.geom)
        name, c = col(n.prop)
        if isinstance(n, Cmp):
            op = "<>" if n.op == "<>" else n.op
            return f"({name} {op} {ph})", [val(c, n.value)]
        if isinstance(n, Like):
            if c.kind not in ("text", "date"):
                raise CQLError(f"filter: LIKE needs a text property; '{n.prop}' is {c.kind}.")
            neg = "NOT " if n.negate else ""
            return f"({name} {neg}LIKE {ph} ESCAPE '\\')", [n.pattern]
        if isinstance(n, Between):
            neg = "NOT " if n.negate else ""
            return f"({name} {neg}BETWEEN {ph} AND {ph})", [val(c, n.low), val(c, n.high)]
        if isinstance(n, In):
            neg = "NOT " if n.negate else ""
            marks = ", ".join([ph] * len(n.values))
            return f"({name} {neg}IN ({marks}))", [val(c, v) for v in n.values]
        if isinstance(n, IsNull):
            return f"({name} IS {'NOT ' if n.negate else ''}NULL)", []
        raise CQLError(f"filter: unsupported expression {n!r}")  # pragma: no cover

    return go(node)
