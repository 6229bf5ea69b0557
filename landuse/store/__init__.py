"""The parcel store: one interface, two backends (a GeoPackage file, a PostGIS database).

Examples
--------
>>> from landuse.store import open_store, Query  # doctest: +SKIP
>>> with open_store("park.gpkg") as store:  # doctest: +SKIP
...     page = store.query_parcels(Query(bbox=(120.0, 30.0, 120.1, 30.1), limit=10))
"""

from __future__ import annotations

from pathlib import Path

from landuse.store.base import (
    ROLES,
    Feature,
    KeyInfo,
    Page,
    Query,
    Store,
    ledger_pairs,
    prepare_parcels,
)
from landuse.store.schema import COLLECTIONS, STORAGE_SRID

__all__ = [
    "COLLECTIONS",
    "ROLES",
    "STORAGE_SRID",
    "Feature",
    "KeyInfo",
    "Page",
    "Query",
    "Store",
    "is_database_url",
    "ledger_pairs",
    "open_store",
    "prepare_parcels",
]


def is_database_url(target: str | Path) -> bool:
    """True when ``target`` names a PostgreSQL database rather than a file."""
    return str(target).startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def open_store(target: str | Path, create: bool = False) -> Store:
    """Open the store at ``target``: a ``postgresql://`` URL or a GeoPackage path.

    ``create`` makes a new empty GeoPackage store when the file does not exist (a PostGIS
    store is always migrated to the current schema when opened).
    """
    if is_database_url(target):
        from landuse.store.postgis import PostGISStore

        url = str(target).replace("postgresql+psycopg://", "postgresql://")
        return PostGISStore(url)
    from landuse.store.gpkg import GeoPackageStore

    return GeoPackageStore(target, create=create)
