"""The store's tables, derived from the parcel data standard, and value coercion.

Both backends hold the same columns: every standard field of a layer as a typed column
(text, real, integer, boolean; dates as ISO ``YYYY-MM-DD`` text so that comparisons and
LIKE behave the same everywhere), plus bookkeeping columns. Unknown input columns of the
register are kept in ``extra`` (JSON).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal

from landuse.errors import SchemaError
from landuse.labels import both, header, label
from landuse.standard import RECORD_LAYERS, Layer, get_standard

__all__ = [
    "ASSESSMENT",
    "ASSESSMENT_INDEXED",
    "COLLECTIONS",
    "LANGS",
    "STORAGE_SRID",
    "SUPPLY_COLLECTIONS",
    "TRANSLATED",
    "Collection",
    "Column",
    "coerce_value",
    "stored_column",
]

STORAGE_SRID = 4490
"""Geometries are stored in CGCS2000 geographic coordinates, x = longitude, y = latitude."""

Kind = Literal["text", "date", "real", "int", "bool"]

_KIND_OF_TYPE: dict[str, Kind] = {
    "text": "text",
    "code": "text",
    "date": "date",
    "number": "real",
    "area": "real",
    "int": "int",
    "bool": "bool",
}


@dataclass(frozen=True)
class Column:
    """One queryable column: its name, storage kind and code list (if coded)."""

    name: str
    kind: Kind
    codes: str | None = None
    title: str = ""


@dataclass(frozen=True)
class Collection:
    """A feature collection of the store: table, id column and columns."""

    name: str
    table: str
    id_column: str
    columns: tuple[Column, ...]
    title: str
    description: str
    derived: tuple[Column, ...] = ()
    """Read-only columns joined from another table (the parcels' assessment)."""
    temporal: str | None = None
    """The date property the ``datetime`` parameter filters on (OGC API – Features)."""

    def column(self, name: str) -> Column:
        """A stored or derived column by name (KeyError when neither)."""
        for c in self.columns + self.derived:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """The stored columns (what can be written)."""
        return [c.name for c in self.columns]

    @property
    def queryable(self) -> tuple[Column, ...]:
        """Stored and derived columns: what can be selected, filtered and sorted on."""
        return self.columns + self.derived

    @property
    def all_names(self) -> list[str]:
        return [c.name for c in self.queryable]


def _columns(layer: Layer) -> tuple[Column, ...]:
    std = get_standard()
    return tuple(
        Column(f.name, _KIND_OF_TYPE[f.type], f.codes, f.aliases[0] if f.aliases else f.name)
        for f in std.fields[layer]
    )


_LEDGER_EXTRA = tuple(
    Column(name, "text", None, label("store", name, "zh"))
    for name in ("recorded_at", "recorded_by")
)


def _assessment() -> tuple[Column, ...]:
    std = get_standard()
    return tuple(
        Column(f.name, _KIND_OF_TYPE[f.type], f.codes if f.type == "code" else None,
               header(f.name, "zh"))
        for f in std.fields["assessment"]
        if f.name != "ruleset"  # bookkeeping of the table, with ``as_of``
    )


ASSESSMENT: tuple[Column, ...] = _assessment()
"""The assessment fields (§3 of the parcel standard) the store materialises per parcel in
table ``parcel_assessment`` (plus ``as_of`` and ``ruleset``) and joins to the parcels."""

LANGS = ("zh", "en")
"""Languages the store keeps the assessment's sentences in."""

TRANSLATED: dict[str, dict[str, str]] = {"reasons": {"zh": "reasons", "en": "reasons_en"}}
"""Assessment fields whose value is a sentence: field -> language -> stored column. The
other fields are codes, numbers and flags, the same in every language. The extra columns
(``reasons_en``) follow ``as_of`` and ``ruleset`` in table ``parcel_assessment``."""

ASSESSMENT_INDEXED = ("lifecycle", "idle_type", "mujun_class", "low_efficiency")
"""Assessment columns with an index (the common filters)."""

COLLECTIONS: dict[str, Collection] = {
    "parcels": Collection(
        name="parcels",
        table="parcels",
        id_column="parcel_id",
        columns=_columns("parcels"),
        title=both("store", "collection_parcels"),
        description="宗地登记 The parcel register of the development zone (parcel standard §1), "
        "with its assessment (§3) as of the date the response names.",
        derived=ASSESSMENT,
        temporal="supply_date",
    ),
    "ledger": Collection(
        name="ledger",
        table="ledger",
        id_column="event_id",
        temporal="event_date",
        columns=_columns("ledger") + _LEDGER_EXTRA,
        title=both("store", "collection_ledger"),
        description=(
            "盘活处置台账 One row per event on a parcel's road back to use; rows are never "
            "edited or deleted, a correction is a new event (parcel standard §2)."
        ),
    ),
}


def _parse_date(value: Any, where: str) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            pass
    raise SchemaError(f"{where}: '{value}' is not a date. Fix: write it as YYYY-MM-DD.")


def coerce_value(col: Column, value: Any, where: str) -> Any:
    """Return ``value`` as the Python type of ``col`` (None stays None).

    Raises
    ------
    SchemaError
        When the value cannot mean that type; the message names ``where`` and the fix.
    """
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if col.kind == "text":
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise SchemaError(f"{where}: expected text, got {value!r}. Fix: quote the value.")
        out = str(value)
        if col.codes:
            code = get_standard().code_for(col.codes, out)
            if code is None:
                allowed = ", ".join(get_standard().codes[col.codes])
                raise SchemaError(
                    f"{where}: '{out}' is not a code of list '{col.codes}'. "
                    f"Fix: use one of {allowed}."
                )
            out = code
        return out
    if col.kind == "date":
        return _parse_date(value, where)
    if col.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise SchemaError(f"{where}: expected true or false, got {value!r}.")
    # numbers
    if isinstance(value, bool):
        raise SchemaError(f"{where}: expected a number, got {value!r}.")
    try:
        num = float(value)
    except (TypeError, ValueError):
        raise SchemaError(f"{where}: expected a number, got {value!r}.") from None
    if not math.isfinite(num):
        raise SchemaError(f"{where}: expected a finite number, got {value!r}.")
    if col.kind == "int":
        if num != int(num):
            raise SchemaError(f"{where}: expected a whole number, got {value!r}.")
        if abs(num) > 2**62:
            raise SchemaError(f"{where}: {value!r} is out of range.")
        return int(num)
    return num


def stored_column(name: str, lang: str = "zh") -> str:
    """The column of table ``parcel_assessment`` that holds field ``name`` in ``lang``."""
    if lang not in LANGS:
        raise SchemaError(f"lang: '{lang}' is not a language of the store. Fix: use zh or en.")
    return TRANSLATED.get(name, {}).get(lang, name)


# -- supply records (domain.md §11): one read-only collection per record kind -----------------

_SUPPLY_ID = {"batches": "batch_id", "reductions": "reduction_id", "supply": "supervision_no",
              "reserve": "reserve_id", "quota_events": "event_id", "supply_plan": "record_id",
              "disposal_tasks": "record_id", "mortgages": "mortgage_id"}
"""Id column of each supply collection; the plan and the tasks get ``record_id`` (year-use,
year-zone-task), as they have no id of their own."""

_SUPPLY_TEMPORAL = {"batches": "approval_date", "reductions": "reduction_date",
                    "supply": "contract_date", "reserve": "clean_land_date",
                    "quota_events": "event_date", "mortgages": "registration_date"}


def _supply_columns(kind: Layer) -> tuple[Column, ...]:
    std = get_standard()
    own = tuple(Column(f.name, _KIND_OF_TYPE[f.type], f.codes, std.record_labels[kind][f.name][0])
                for f in std.fields[kind])
    if _SUPPLY_ID[kind] == "record_id":
        own = (Column("record_id", "text", None, label("store", "record_id", "zh")), *own)
    return own + _LEDGER_EXTRA


SUPPLY_COLLECTIONS: tuple[str, ...] = tuple(RECORD_LAYERS)
"""The supply collections, each stored in the table of its name (written by
``landuse supply import``; read-only over the API)."""

COLLECTIONS.update({
    kind: Collection(
        name=kind, table=kind, id_column=_SUPPLY_ID[kind], columns=_supply_columns(kind),
        title=both("store", f"collection_{kind}"),
        description=f"{label('store', f'about_{kind}', 'zh')} "
                    f"{label('store', f'about_{kind}', 'en')} (domain.md §11)",
        temporal=_SUPPLY_TEMPORAL.get(kind),
    )
    for kind in RECORD_LAYERS
})
