"""A CQL2-text subset: parse a filter into a small tree, translate it to SQL with bound values.

Supported: comparisons (``= <> < > <= >=``), ``AND``/``OR``/``NOT``, parentheses,
``[NOT] IN (...)``, ``[NOT] LIKE``, ``[NOT] BETWEEN a AND b``, ``IS [NOT] NULL``,
``S_INTERSECTS(geom, <WKT or BBOX(...)>)``; literals: 'text' ('' escapes a quote), numbers,
TRUE/FALSE, DATE('YYYY-MM-DD'), TIMESTAMP('...'). Property names are checked against the
collection; every value is a bound parameter, never spliced into SQL text.

Examples
--------
>>> tree = parse("zone = 'A' AND (stat_year >= 2020 OR NOT above_scale = TRUE)")
>>> type(tree).__name__
'And'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shapely
import shapely.wkt
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
    "parse",
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

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<op><>|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_.:]*|"[^"]+")
    )""",
    re.VERBOSE,
)

_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "BETWEEN", "IS", "NULL", "TRUE", "FALSE"}


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise CQLError(f"filter: longer than {MAX_LENGTH} characters. Fix: shorten it.")
        self.text = text
        self.pos = 0
        self.depth = 0

    # -- lexer -------------------------------------------------------------------------
    def _match(self) -> re.Match[str] | None:
        if self.pos >= len(self.text) or not self.text[self.pos :].strip():
            return None
        m = _TOKEN.match(self.text, self.pos)
        if m is None:
            bad = self.text[self.pos :].strip()[:20]
            raise CQLError(f"filter: cannot read '{bad}' at character {self.pos}.")
        return m

    def peek(self) -> tuple[str, str] | None:
        m = self._match()
        if m is None:
            return None
        kind = m.lastgroup or ""
        return kind, m.group(kind)

    def next(self) -> tuple[str, str]:
        m = self._match()
        if m is None:
            raise CQLError("filter: ended too early. Fix: complete the expression.")
        self.pos = m.end()
        kind = m.lastgroup or ""
        return kind, m.group(kind)

    def peek_word(self) -> str | None:
        t = self.peek()
        if t and t[0] == "ident":
            return t[1].upper()
        return None

    def expect(self, value: str) -> None:
        _, text = self.next()
        if text.upper() != value:
            raise CQLError(f"filter: expected '{value}' but found '{text}' at {self.pos}.")

    # -- grammar -----------------------------------------------------------------------
    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise CQLError(f"filter: unexpected '{self.peek()[1]}' at {self.pos}.")  # type: ignore[index]
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.peek_word() == "OR":
            self.next()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.peek_word() == "AND":
            self.next()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CQLError(f"filter: nested deeper than {MAX_DEPTH}. Fix: simplify it.")
        try:
            if self.peek_word() == "NOT":
                self.next()
                return Not(self.not_expr())
            return self.predicate()
        finally:
            self.depth -= 1

    def predicate(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise CQLError("filter: ended too early. Fix: complete the expression.")
        if tok == ("punct", "("):
            self.next()
            node = self.or_expr()
            self.expect(")")
            return node
        word = self.peek_word()
        if word in ("S_INTERSECTS", "INTERSECTS"):
            self.next()
            self.expect("(")
            prop = self.property()
            self.expect(",")
            geom = self.geometry()
            self.expect(")")
            return Intersects(prop, geom)
        prop = self.property()
        negate = False
        if self.peek_word() == "NOT":
            self.next()
            negate = True
        word = self.peek_word()
        if word == "LIKE":
            self.next()
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise CQLError(f"filter: LIKE on '{prop}' needs a quoted pattern.")
            return Like(prop, pattern, negate)
        if word == "BETWEEN":
            self.next()
            low = self.literal()
            self.expect("AND")
            high = self.literal()
            return Between(prop, low, high, negate)
        if word == "IN":
            self.next()
            self.expect("(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.next()
                values.append(self.literal())
            self.expect(")")
            return In(prop, tuple(values), negate)
        if negate:
            raise CQLError(f"filter: NOT after '{prop}' must be followed by LIKE, BETWEEN or IN.")
        if word == "IS":
            self.next()
            neg = False
            if self.peek_word() == "NOT":
                self.next()
                neg = True
            self.expect("NULL")
            return IsNull(prop, neg)
        kind, op = self.next()
        if kind != "op":
            raise CQLError(f"filter: expected a comparison after '{prop}', found '{op}'.")
        return Cmp(prop, op, self.literal())

    def property(self) -> str:
        kind, text = self.next()
        if kind != "ident" or text.upper() in _KEYWORDS:
            raise CQLError(f"filter: expected a property name, found '{text}'.")
        return text.strip('"')

    def literal(self) -> Any:
        kind, text = self.next()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "ident":
            up = text.upper()
            if up in ("TRUE", "FALSE"):
                return up == "TRUE"
            if up in ("DATE", "TIMESTAMP"):
                self.expect("(")
                inner = self.literal()
                self.expect(")")
                if not isinstance(inner, str):
                    raise CQLError(f"filter: {up}() needs a quoted value.")
                return inner
        raise CQLError(f"filter: expected a value, found '{text}'.")

    def geometry(self) -> BaseGeometry:
        word = self.peek_word()
        if word == "BBOX":
            self.next()
            self.expect("(")
            nums = [self.literal()]
            while self.peek() == ("punct", ","):
                self.next()
                nums.append(self.literal())
            self.expect(")")
            if len(nums) != 4 or not all(
                isinstance(n, int | float) and not isinstance(n, bool) for n in nums
            ):
                raise CQLError("filter: BBOX needs four numbers minx, miny, maxx, maxy.")
            return shapely.box(*nums)
        # a WKT literal: the geometry word then balanced parentheses
        start = self.pos
        m = re.compile(r"\s*[A-Za-z]+\s*").match(self.text, self.pos)
        if m is None:
            raise CQLError("filter: S_INTERSECTS needs a WKT geometry or BBOX(...).")
        i, depth = m.end(), 0
        while i < len(self.text):
            ch = self.text[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            elif depth == 0 and not ch.isspace():
                break
            i += 1
        wkt = self.text[start:i].strip()
        try:
            geom = shapely.wkt.loads(wkt)
        except Exception as e:  # shapely raises GEOSException / ValueError variants
            raise CQLError(f"filter: '{wkt[:40]}' is not a valid WKT geometry ({e}).") from None
        if geom is None or geom.is_empty:
            raise CQLError("filter: the S_INTERSECTS geometry is empty.")
        self.pos = i
        return geom


def parse(text: str) -> Node:
    """Parse CQL2 text into a tree; :class:`CQLError` names the problem and position."""
    if not text or not text.strip():
        raise CQLError("filter: empty. Fix: give an expression such as zone = 'A'.")
    return _Parser(text).parse()


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
