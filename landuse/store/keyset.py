"""Keyset paging: the sort keys of a query and the condition that starts after a cursor.

A page's ``next_key`` holds the sort values and ``fid`` of its last row; the next page is
the rows after it in the same order, so a page deep into the table costs the same as the
first one. NULLs sort as a sentinel value so that the comparison is total.
"""

from __future__ import annotations

import math
from typing import Any

from landuse.errors import SchemaError
from landuse.store.schema import Collection, Column

__all__ = ["SortKey", "check_cursor", "keyset_condition", "order_keys", "quote_ident"]

SortKey = tuple[str, bool, Column | None]
"""(SQL expression, descending, column; None for the final ``fid``)."""

_SENTINEL = {"text": "''", "date": "''", "real": "-1e300", "int": "-1e300", "bool": "FALSE"}


def quote_ident(name: str) -> str:
    """A column or table name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def order_keys(coll: Collection, sortby: list[tuple[str, bool]]) -> list[SortKey]:
    """The ORDER BY keys of a query: its sort properties (NULLs as a sentinel), then fid."""
    keys: list[SortKey] = []
    for name, desc in sortby:
        try:
            col = coll.column(name)
        except KeyError:
            raise SchemaError(
                f"sortby: '{name}' is not a property of {coll.name}. "
                f"Fix: use one of {', '.join(coll.all_names)}."
            ) from None
        if name == coll.id_column and coll.name in _NOT_NULL_IDS:
            # never missing: the column itself, so its index orders the rows (a page of
            # a list sorted by id reads the page, not the register)
            keys.append((quote_ident(name), desc, col))
            continue
        keys.append((f"COALESCE({quote_ident(name)}, {_SENTINEL[col.kind]})", desc, col))
    keys.append(('"fid"', False, None))
    return keys


_NOT_NULL_IDS = ("parcels", "parcels_past", "ledger")
"""Collections whose id column is NOT NULL UNIQUE in both backends' schemas."""

def check_cursor(keys: list[SortKey], after: tuple[Any, ...]) -> list[Any]:
    """The values of a cursor (``next_key``) checked against the query's keys."""
    if len(after) != len(keys):
        raise SchemaError("cursor: does not fit this query. Fix: follow the 'next' link.")
    out: list[Any] = []
    for (_, _, col), v in zip(keys, after, strict=True):
        kind = col.kind if col else "fid"
        ok = (
            (kind in ("text", "date") and isinstance(v, str))
            or (kind == "bool" and isinstance(v, bool))
            or (kind in ("real", "int") and isinstance(v, int | float)
                and not isinstance(v, bool) and math.isfinite(v))
            or (kind == "fid" and isinstance(v, int) and not isinstance(v, bool)
                and abs(v) < 2**62)
        )
        if not ok:
            raise SchemaError("cursor: is damaged. Fix: follow the 'next' link as given.")
        out.append(v)
    return out


def keyset_condition(keys: list[SortKey], vals: list[Any], ph: str) -> tuple[str, list[Any]]:
    """SQL (and its parameters) selecting the rows after ``vals`` in the order of ``keys``."""

    def cond(i: int) -> tuple[str, list[Any]]:
        expr, desc, _ = keys[i]
        op = "<" if desc else ">"
        if i == len(keys) - 1:
            return f"{expr} {op} {ph}", [vals[i]]
        inner, p = cond(i + 1)
        return (f"({expr} {op} {ph} OR ({expr} = {ph} AND {inner}))",
                [vals[i], vals[i], *p])

    return cond(0)
