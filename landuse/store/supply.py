"""Supply records in the store (both backends): read them back, import new ones all or
nothing. The tables are those of the supply collections (:data:`SUPPLY_COLLECTIONS`),
made by PostGIS migration 007 and by the GeoPackage store (:func:`gpkg_supply_sql`)."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from landuse.errors import CRSError
from landuse.store.keyset import quote_ident
from landuse.store.schema import COLLECTIONS, STORAGE_SRID, SUPPLY_COLLECTIONS, Column
from landuse.supply.model import SupplyData, empty_layer

__all__ = ["GEOMETRY_KINDS", "SupplyStoreMixin", "gpkg_supply_sql", "record_ids"]

GEOMETRY_KINDS = ("batches", "reserve")
"""Supply kinds whose records carry a geometry (a boundary)."""

_GPKG_TYPE = {"text": "TEXT", "date": "DATE", "real": "DOUBLE", "int": "INTEGER",
              "bool": "BOOLEAN"}


def gpkg_supply_sql() -> list[str]:
    """Statements that make the supply tables of a GeoPackage store when missing (the same
    columns as PostGIS migration 007; batches and reserve registered as features)."""
    out = []
    for kind in SUPPLY_COLLECTIONS:
        c = COLLECTIONS[kind]
        cols = ",\n  ".join(
            f'"{col.name}" {_GPKG_TYPE[col.kind]}'
            + (" NOT NULL UNIQUE" if col.name == c.id_column else "") for col in c.columns)
        out.append(f'CREATE TABLE IF NOT EXISTS "{kind}" (fid INTEGER PRIMARY KEY '
                   f"AUTOINCREMENT,\n  {cols},\n  geom GEOMETRY)")
        kind_type = "features" if kind in GEOMETRY_KINDS else "attributes"
        srs = STORAGE_SRID if kind in GEOMETRY_KINDS else "NULL"
        out.append("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                   f"description, srs_id) VALUES ('{kind}', '{kind_type}', '{kind}', "
                   f"'{c.title}', {srs})")
        if kind in GEOMETRY_KINDS:
            out.append(f"INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('{kind}', 'geom', "
                       f"'GEOMETRY', {STORAGE_SRID}, 0, 0)")
    for op, verb in (("DELETE", "deleted"), ("UPDATE", "edited")):
        out.append(f"CREATE TRIGGER IF NOT EXISTS quota_events_no_{op.lower()} BEFORE {op} ON "
                   "quota_events BEGIN SELECT RAISE(ABORT, 'quota events are never "
                   f"{verb}: add a correcting event instead'); END")
    return out


def record_ids(kind: str, frame: pd.DataFrame) -> pd.Series:
    """``record_id`` of the plan (year-use) and of the tasks (year-zone-task; 全区 when
    no zone), the records that have no id of their own."""
    year = pd.to_numeric(frame["year"], errors="coerce").astype("Int64").astype(str)
    if kind == "supply_plan":
        return year + "-" + frame["use"].astype(str)
    zone = frame["zone"].astype(object).where(frame["zone"].notna(), "全区").astype(str)
    return year + "-" + zone + "-" + frame["task_kind"].astype(str)


def _db_value(col: Column, v: Any) -> Any:
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if v is pd.NA:
        return None
    if col.kind == "date":
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    if col.kind == "real":
        return float(v)
    if col.kind == "int":
        return int(v)
    if col.kind == "bool":
        return bool(v)
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


class SupplyStoreMixin:
    """Supply methods of :class:`landuse.store.sql.SQLStore` (shared SQL)."""

    def supply_data(self) -> SupplyData:
        """Every stored supply record, as read from files (standard names, dates as
        timestamps, batches and reserve with their geometry in CGCS2000)."""
        d = SupplyData()
        for kind in SUPPLY_COLLECTIONS:
            c = COLLECTIONS[kind]
            names = get_names(kind)
            rows = self._fetch(  # type: ignore[attr-defined]
                f"SELECT {', '.join(quote_ident(n) for n in names)}, "
                f"{self._geom_select()} FROM {quote_ident(kind)} ORDER BY fid", [])  # type: ignore[attr-defined]
            frame = pd.DataFrame([r[:-1] for r in rows], columns=names) if rows else \
                empty_layer(kind)
            for col in c.columns:
                if col.name in frame.columns and col.kind == "date":
                    frame[col.name] = pd.to_datetime(frame[col.name])
            if kind in GEOMETRY_KINDS:
                geoms = self._decode_geoms([r[-1] for r in rows])  # type: ignore[attr-defined]
                frame = gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_SRID)
            setattr(d, kind, frame)
            d.sources[kind] = f"store ({kind})"
        return d

    def import_supply(self, data: SupplyData, parcel_ids: Any = None,
                      actor: str = "import") -> int:
        """Check ``data`` with what is stored and store it, all or nothing.

        The new records are checked together with the stored ones (an id or 电子监管号
        already stored is a duplicate; a batch's stored supply counts towards its area);
        any error raises (SchemaError naming file, row, field and fix) and nothing is
        stored. Geometries are stored in CGCS2000 (EPSG:4490). Returns the number of rows
        stored.
        """
        stored = self.supply_data()
        union = SupplyData()
        for kind in SUPPLY_COLLECTIONS:
            old, new = stored.layer(kind), data.layer(kind)
            both = pd.concat([pd.DataFrame(old).drop(columns="geometry", errors="ignore"),
                              pd.DataFrame(new).drop(columns="geometry", errors="ignore")],
                             ignore_index=True)
            cells = dict(new.attrs.get("landuse", {}).get("cells", {}))
            if cells:
                cells["row"] = [r + len(old) for r in cells["row"]]
            both.attrs["landuse"] = {"cells": cells}
            setattr(union, kind, both)
            union.sources[kind] = data.sources.get(kind, kind)
        from landuse.supply.validate import supply_problems

        probs = supply_problems(union, parcel_ids)
        offsets = {union.sources[k]: len(stored.layer(k)) for k in SUPPLY_COLLECTIONS}
        probs["row"] = probs["row"] - probs["source"].map(offsets).fillna(0).astype(int)
        new_probs = probs[probs["row"] >= 1]
        if (new_probs["severity"] == "error").any():
            check_supply_frame(new_probs)
        n = 0
        with self._tx() as cur:  # type: ignore[attr-defined]
            for kind in SUPPLY_COLLECTIONS:
                n += self._insert_supply(cur, kind, data.layer(kind), actor)
            self._audit(cur, actor, "import", "supply", data.counts())  # type: ignore[attr-defined]
        return n

    def _insert_supply(self, cur: Any, kind: str, frame: pd.DataFrame, actor: str) -> int:
        if not len(frame):
            return 0
        from landuse.store.types import now_iso

        c = COLLECTIONS[kind]
        f = pd.DataFrame(frame).copy()
        if c.id_column == "record_id":
            f["record_id"] = record_ids(kind, f)
        f["recorded_at"], f["recorded_by"] = now_iso(), actor
        geoms: list[Any] = [None] * len(f)
        if kind in GEOMETRY_KINDS and isinstance(frame, gpd.GeoDataFrame):
            g = frame.geometry
            if g.notna().any():
                if frame.crs is None:
                    raise CRSError(f"{kind}: the geometries have no CRS. Fix: give the layer "
                                   "its CRS (a .prj, or a GeoPackage layer with its SRS).")
                if not CRS.from_user_input(frame.crs).equals(CRS.from_epsg(STORAGE_SRID)):
                    g = g.to_crs(STORAGE_SRID)
            geoms = list(g)
        names = c.names
        sql = (f"INSERT INTO {quote_ident(kind)} ({', '.join(quote_ident(x) for x in names)}, "
               f"geom) VALUES ({', '.join('?' for _ in names)}, {self._geom_param_sql()})")  # type: ignore[attr-defined]
        rows = [
            (*(_db_value(col, rec.get(col.name)) for col in c.columns),
             self._geom_param(geom))  # type: ignore[attr-defined]
            for rec, geom in zip(f.to_dict("records"), geoms, strict=True)
        ]
        cur.executemany(sql, rows)
        return len(rows)


def get_names(kind: str) -> list[str]:
    """Stored columns of a supply collection."""
    return COLLECTIONS[kind].names


def check_supply_frame(problems: pd.DataFrame) -> None:
    """Raise the SchemaError of :func:`landuse.supply.validate.check_supply` for a problem
    frame already computed (the import's, rows of the new records)."""
    from landuse.supply.validate import raise_errors

    raise_errors(problems)

