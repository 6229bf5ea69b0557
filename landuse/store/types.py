"""The store's value types: features, pages, queries and API key records.

A store answers queries with :class:`Page` objects whose ``next_key`` is a keyset cursor:
the sort values and ``fid`` of the last row, so a page deep into the table costs the same
as the first one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

from landuse.store import cql

__all__ = ["LEDGER_GEOMETRIES", "Feature", "KeyInfo", "Page", "Query", "now_iso"]


@dataclass
class Feature:
    """One row of a collection: id, properties, geometry (storage CRS) and version."""

    id: str
    fid: int
    properties: dict[str, Any]
    geometry: BaseGeometry | None
    version: int | None = None


@dataclass
class Page:
    """A page of features, the cursor of the next page and the count when asked."""

    features: list[Feature]
    next_key: tuple[Any, ...] | None
    number_matched: int | None = None


LEDGER_GEOMETRIES = ("point", "polygon", "event")


@dataclass
class Query:
    """What to select from a collection. Geometries are in the storage CRS (lon/lat)."""

    bbox: tuple[float, float, float, float] | None = None
    equals: dict[str, Any] = field(default_factory=dict)
    filter: cql.Node | None = None
    intersects: BaseGeometry | None = None
    sortby: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    limit: int = 100
    after: tuple[Any, ...] | None = None
    properties: list[str] | None = None
    skip_geometry: bool = False
    count: bool = False
    lang: str = "zh"  # language of the assessment's sentences (reasons)
    # how ledger events are drawn: at their parcel, "point" (its representative point,
    # always inside the polygon) or "polygon" (the parcel itself); or "event" (the geometry
    # stored with the event, if one was given)
    ledger_geometry: str = "point"
    # the parcels as they stood on a date (valid time) as recorded by a time (record time,
    # ISO UTC); None and None: the current register with its stored assessment. A past
    # register carries no assessment (its §3 fields are null).
    valid_at: str | None = None
    known_at: str | None = None


@dataclass(frozen=True)
class KeyInfo:
    """An API key as the store knows it (the secret itself is never stored)."""

    key_id: str
    role: str
    label: str
    created_at: str
    revoked_at: str | None


def now_iso() -> str:
    """The current UTC time, ISO 8601 with microseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")

