"""The parcel store: one interface, two backends (a GeoPackage file, a PostGIS database).

Modules: ``types`` (Feature, Page, Query, KeyInfo), ``keys`` (API key format and hashing),
``prepare`` (frames to stored values and back), ``base`` (the :class:`Store` interface),
``sql`` (the SQL engine both backends share), ``gpkg`` and ``postgis`` (the backends),
``schema`` (tables from the standard) and ``cql`` (filter expressions).

Examples
--------
>>> from landuse.store import open_store, Query  # doctest: +SKIP
>>> with open_store("park.gpkg") as store:  # doctest: +SKIP
...     page = store.query_parcels(Query(bbox=(120.0, 30.0, 120.1, 30.1), limit=10))
"""

from __future__ import annotations

from pathlib import Path

from landuse.store.base import Store
from landuse.store.keys import ROLES
from landuse.store.prepare import ledger_pairs, prepare_parcels
from landuse.store.schema import COLLECTIONS, STORAGE_SRID
from landuse.store.types import Feature, KeyInfo, Page, Query

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
    "is_store_file",
    "ledger_pairs",
    "open_store",
    "prepare_parcels",
]


def is_database_url(target: str | Path) -> bool:
    """True when ``target`` names a PostgreSQL database rather than a file."""
    return str(target).startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def is_store_file(path: str | Path) -> bool:
    """True when ``path`` is a GeoPackage store made by ``landuse load`` (it has the store's
    ``landuse_meta`` table with a schema version), False for a plain GeoPackage or any other
    file. Only read: nothing in the file is changed."""
    import sqlite3

    p = Path(path)
    if not p.is_file():
        return False
    with p.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            return False
    try:
        con = sqlite3.connect(p)
    except sqlite3.Error:
        return False
    try:
        row = con.execute(
            "SELECT value FROM landuse_meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.Error:  # not SQLite, or no landuse_meta table: a plain file
        return False
    finally:
        con.close()
    return row is not None


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
