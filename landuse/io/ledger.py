"""Appending ledger events to a plain GeoPackage (the GIS office's file), all or nothing.

The stores (``landuse.store``) append through ``Store.append_events``; both writers check
the events with :func:`landuse.ledger.validate_events` first, so a bad event gets the same
message wherever it is refused.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse.core.values import is_missing
from landuse.errors import DataSourceError
from landuse.ledger import LEDGER_FIELDS, validate_events
from landuse.standard import get_standard

__all__ = ["append_events"]

_SQL_TYPES = {
    "event_id": "TEXT", "parcel_id": "TEXT", "event_date": "DATE", "stage": "TEXT",
    "method": "TEXT", "area_m2": "REAL", "new_holder": "TEXT", "expected_output_wan": "REAL",
    "zombie_cleared": "BOOLEAN", "corrects": "TEXT", "note": "TEXT",
    "holder": "TEXT", "fee_wan": "REAL",
    "recorded_at": "DATETIME", "recorded_by": "TEXT",
}


def _sql_value(field: str, v: Any) -> Any:
    if is_missing(v):
        return None
    if field == "event_date":
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    if field == "zombie_cleared":
        return int(bool(v))
    if isinstance(v, np.generic):
        return v.item()
    return v


def _ledger_columns(con: sqlite3.Connection) -> list[str] | None:
    rows = con.execute("PRAGMA table_info('ledger')").fetchall()
    return [r[1] for r in rows] if rows else None


def _create_ledger_table(con: sqlite3.Connection) -> None:
    cols = ", ".join(f'"{c}" {t}' for c, t in _SQL_TYPES.items())
    con.execute(f'CREATE TABLE "ledger" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {cols})')
    has_contents = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='gpkg_contents'"
    ).fetchone()
    if has_contents:
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES ('ledger', 'attributes', 'ledger', "
            "'disposal ledger (append-only)', strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        )


def append_events(
    gpkg_path: str | Path,
    events_df: pd.DataFrame,
    actor: str | None = None,
    parcels: pd.DataFrame | None = None,
) -> int:
    """Append ledger events to the ``ledger`` table of a GeoPackage, all or nothing.

    The rows are validated first (against ``parcels``, by default the file's own
    ``parcels`` layer, and against the event ids already stored), then inserted inside
    one ``BEGIN IMMEDIATE`` transaction: either every row is stored or, on any error
    (including a crash mid-batch), none is. Rows are only ever INSERTed; existing rows are
    never updated or deleted. Each row records ``recorded_at`` (UTC) and ``recorded_by``
    (``actor``). A store whose ledger columns carry Chinese aliases or an area in 亩
    is written in its own columns and unit.

    Parameters
    ----------
    gpkg_path : str or Path
        The GeoPackage (created ledger table if it has none).
    events_df : DataFrame
        New events in the standard's names (codes may be Chinese words).
    actor : str, optional
        Who records the events.
    parcels : DataFrame, optional
        Parcels to validate against; read from the file's ``parcels`` layer if omitted.

    Returns
    -------
    int
        Number of rows appended.
    """
    p = Path(gpkg_path)
    if not p.exists():
        raise DataSourceError(f"{p}: file not found. Fix: check the path.")
    if parcels is None:
        from landuse.io import read_parcels

        parcels = read_parcels(p)
    std = get_standard()
    con = sqlite3.connect(p, timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            cols = _ledger_columns(con)
            if cols is None:
                _create_ledger_table(con)
                cols = _ledger_columns(con) or []
            colmap: dict[str, tuple[str, float]] = {}
            for c in cols:
                m = std.match_header(c, "ledger")
                if m is not None and m.field.name not in colmap:
                    colmap[m.field.name] = (c, m.unit_m2 or 1.0)
            for extra in ("holder", "fee_wan", "recorded_at", "recorded_by"):
                # fields added to the standard after the table was made, and bookkeeping
                if extra in colmap:
                    continue
                if extra not in cols:
                    con.execute(f'ALTER TABLE "ledger" ADD COLUMN "{extra}" {_SQL_TYPES[extra]}')
                colmap[extra] = (extra, 1.0)
            existing = [
                r[0] for r in con.execute(f'SELECT "{colmap["event_id"][0]}" FROM "ledger"')
            ] if "event_id" in colmap else []
            led = validate_events(events_df, parcels, existing, source=f"{p} (new events)",
                                  unknown_fields="ignore")
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            led = led.assign(recorded_at=now, recorded_by=actor)
            fields = [f for f in (*LEDGER_FIELDS, "recorded_at", "recorded_by") if f in colmap]
            target = ", ".join(f'"{colmap[f][0]}"' for f in fields)
            sql = f'INSERT INTO "ledger" ({target}) VALUES ({", ".join("?" * len(fields))})'
            rows = []
            for rec in led[fields].to_dict("records"):
                vals = []
                for f in fields:
                    v = _sql_value(f, rec[f])
                    if f == "area_m2" and v is not None:
                        v = v / colmap[f][1]
                    vals.append(v)
                rows.append(vals)
            con.executemany(sql, rows)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except sqlite3.Error as e:
        raise DataSourceError(
            f"{p}: the ledger could not be written ({e}); nothing was stored. "
            "Fix: check the file is a writable GeoPackage not locked by another program."
        ) from e
    finally:
        con.close()
    return len(rows)
