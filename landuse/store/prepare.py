"""Frames to stored values and back: parcel preparation, ledger rows, assessment rows.

:func:`prepare_parcels` checks a register and brings it to the store's columns, CRS and
types (errors name the parcel, the field and the fix); :func:`ledger_pairs` and
:func:`stored_event` do the same for ledger events; :func:`features_frame` turns stored
features back into a (Geo)DataFrame in the standard's columns.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from landuse.core.values import parse_bools, parse_dates, parse_numbers
from landuse.errors import CRSError, GeometryError, SchemaError
from landuse.standard import get_standard
from landuse.store.schema import (
    ASSESSMENT,
    COLLECTIONS,
    STORAGE_SRID,
    TRANSLATED,
    Collection,
    Column,
    coerce_value,
)
from landuse.store.types import Feature

__all__ = [
    "assessment_rows",
    "assessment_table",
    "features_frame",
    "ledger_pairs",
    "nan_to_none",
    "parcel_changes",
    "prepare_parcels",
    "registers_from_versions",
    "stored_event",
]


def nan_to_none(v: Any) -> Any:
    """None for every missing value (None, NaT, NA, NaN); numpy scalars as Python ones."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def _at(s: pd.Series, positions: Any) -> pd.Series:
    """A boolean mask of ``s``, true at the given 0-based positions."""
    mask = np.zeros(len(s), dtype=bool)
    mask[np.asarray(positions, dtype=np.int64)] = True
    return pd.Series(mask, index=s.index)


def _column_series(col: Column, s: pd.Series, layer: str, ids: pd.Series) -> pd.Series:
    """Coerce one column to the store's type, vectorised; errors name parcel and field.

    Dates, numbers and yes/no are read by :mod:`landuse.core.values`, as the register
    and ledger readers read them."""
    notnull = s.notna()

    def fail(mask: pd.Series, what: str, fix: str) -> None:
        if not bool((mask & notnull).any()):
            return
        bad = ids[mask & notnull].astype(str).tolist()
        vals = s[mask & notnull].astype(str).tolist()
        raise SchemaError(
            f"{layer}: field '{col.name}' has {what} for {', '.join(bad[:5])}"
            f"{' …' if len(bad) > 5 else ''} (e.g. '{vals[0]}'). Fix: {fix}"
        )

    if col.kind == "date":
        parsed, bad = parse_dates(s)
        fail(_at(s, bad), "values that are not dates", "write dates as YYYY-MM-DD.")
        return parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), None)
    if col.kind in ("real", "int"):
        num, bad = parse_numbers(s)
        fail(_at(s, bad), "values that are not numbers", "give plain numbers.")
        if col.kind == "int":
            fail(num.notna() & (num != num.round()), "non-whole numbers", "give whole numbers.")
            return pd.Series([None if nan_to_none(v) is None else int(v) for v in num],
                             index=s.index, dtype=object)
        return num.astype(object).where(notnull, None)
    if col.kind == "bool":
        flags, bad = parse_bools(s)
        fail(_at(s, bad), "values that are not yes/no", "use true/false (是/否).")
        return pd.Series([None if v is pd.NA else bool(v) for v in flags], index=s.index,
                         dtype=object)
    # text and codes
    out = pd.Series([None if nan_to_none(v) is None else str(v) for v in s],
                    index=s.index, dtype=object)
    if col.codes:
        std = get_standard()
        uniq = {v: std.code_for(col.codes, v) for v in out.dropna().unique()}
        unknown = pd.Series([v is not None and uniq.get(v) is None for v in out], index=s.index)
        if unknown.any():
            fail(unknown, f"values outside code list '{col.codes}'",
                 f"use one of {', '.join(std.codes[col.codes])}.")
        out = out.map(lambda v: None if v is None else uniq[v])
    return out


def prepare_parcels(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check a register and return it in the store's columns, CRS and types.

    Raises SchemaError/GeometryError/CRSError naming the parcel, the field and the fix.
    """
    coll = COLLECTIONS["parcels"]
    if parcels.crs is None:
        raise CRSError("parcels: no CRS. Fix: set the CRS of the register (e.g. EPSG:4490).")
    if "parcel_id" not in parcels.columns:
        raise SchemaError("parcels: no 'parcel_id' (宗地号) column. Fix: add one.")
    ids = parcels["parcel_id"]
    if ids.isna().any():
        rows = [str(i) for i in np.flatnonzero(ids.isna().to_numpy())[:5]]
        raise SchemaError(f"parcels: rows {', '.join(rows)} have no parcel_id. Fix: fill it.")
    ids = ids.astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise SchemaError(
            f"parcels: parcel_id {', '.join(dup.unique()[:5])} occurs more than once. "
            "Fix: give every parcel its own id."
        )
    geoms = parcels.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise GeometryError(
            f"parcels: {', '.join(ids[missing][:5])} have no geometry. Fix: draw the parcel."
        )
    types = shapely.get_type_id(geoms)
    wrong = ~np.isin(types, [3, 6])
    if wrong.any():
        raise GeometryError(
            f"parcels: {', '.join(ids[wrong][:5])} are not polygons. Fix: give polygon outlines."
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        raise GeometryError(
            f"parcels: {ids.iloc[i]} has an invalid outline "
            f"({shapely.is_valid_reason(geoms[i])}). Fix: repair it (e.g. QGIS Fix geometries)."
        )
    gdf = parcels.to_crs(epsg=STORAGE_SRID) if parcels.crs.to_epsg() != STORAGE_SRID else parcels
    out = pd.DataFrame(index=gdf.index)
    for col in coll.columns:
        if col.name in gdf.columns:
            vals = _column_series(col, gdf[col.name], "parcels", ids)
            out[col.name] = pd.Series([nan_to_none(v) for v in vals], index=gdf.index,
                                      dtype=object)
        else:
            out[col.name] = None
    out["parcel_id"] = ids.to_numpy()
    extras = [c for c in gdf.columns if c not in coll.names and c != gdf.geometry.name]
    if extras:
        sub = gdf[extras].astype(object)
        out["extra"] = [
            json.dumps(
                {k: _json_safe(v) for k, v in zip(extras, row, strict=True)
                 if nan_to_none(v) is not None},
                ensure_ascii=False,
            )
            for row in sub.itertuples(index=False, name=None)
        ]
    else:
        out["extra"] = None
    return gpd.GeoDataFrame(out, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)


def _json_safe(v: Any) -> Any:
    v = nan_to_none(v)
    if isinstance(v, pd.Timestamp | dt.date):
        return v.isoformat()[:10] if isinstance(v, dt.date) else v.isoformat()
    if isinstance(v, int | float | str | bool) or v is None:
        return v
    return str(v)


def ledger_pairs(ledger: pd.DataFrame) -> list[tuple[dict[str, Any], BaseGeometry | None]]:
    """A ledger table as (properties, geometry) pairs for :meth:`Store.append_events`.

    Geometries (of a GeoDataFrame) are brought to the storage CRS; values are passed on
    as they are: :func:`landuse.ledger.validate_events` checks them when they are written.
    """
    geom_col: str | None = None
    if isinstance(ledger, gpd.GeoDataFrame):
        geom_col = str(ledger.geometry.name)
        if ledger.crs is not None and ledger.crs.to_epsg() != STORAGE_SRID:
            ledger = ledger.to_crs(epsg=STORAGE_SRID)
    out: list[tuple[dict[str, Any], BaseGeometry | None]] = []
    for rec in ledger.to_dict("records"):
        geom = rec.pop(geom_col, None) if geom_col else None
        out.append(({str(k): v for k, v in rec.items()}, geom))
    return out


def stored_event(rec: dict[str, Any]) -> dict[str, Any]:
    """A normalised ledger row (:func:`landuse.ledger.validate_events`) as stored values."""
    out: dict[str, Any] = {}
    for name in get_standard().names("ledger"):
        v = nan_to_none(rec.get(name))
        if v is not None and name == "event_date":
            v = pd.Timestamp(v).strftime("%Y-%m-%d")
        elif v is not None and name == "zombie_cleared":
            v = bool(v)
        out[name] = v
    return out


def features_frame(features: Iterable[Feature], coll: Collection, geo: bool) -> Any:
    """The features as a frame of ``coll``'s columns (a GeoDataFrame in the storage CRS when
    ``geo``). The features are read once, column by column as they come: a store's pages of
    features (each with its dict of properties) are dropped as soon as they are read, so a
    register of a million parcels never holds a million dicts at once."""
    names = [c.name for c in coll.columns]
    columns: list[list[Any]] = [[] for _ in names]
    pairs = list(zip(names, columns, strict=True))
    geoms: list[Any] = []
    for f in features:
        props = f.properties
        for name, values in pairs:
            values.append(props.get(name))
        if geo:
            geoms.append(f.geometry)
    data = dict(zip(names, columns, strict=True))
    del columns, pairs
    return columns_frame(data, coll, geoms if geo else None)


def columns_frame(data: dict[str, list[Any]], coll: Collection,
                  geoms: list[Any] | None) -> Any:
    """The frame of ``coll``'s columns from their values (one list per column, as
    :func:`features_frame` gathers them): dates as datetime64, numbers as float, flags as
    the nullable boolean; a GeoDataFrame (EPSG:4490) when ``geoms`` is given. ``data`` is
    emptied once the frame holds its values, so the lists are not kept beside it."""
    df = pd.DataFrame({c.name: data.get(c.name, [None] * _length(data)) for c in coll.columns})
    data.clear()
    for c in coll.columns:
        if c.kind == "date":
            df[c.name] = pd.to_datetime(df[c.name], errors="coerce")
        elif c.kind in ("real", "int"):
            df[c.name] = pd.to_numeric(df[c.name], errors="coerce").astype(float)
        elif c.kind == "bool":
            df[c.name] = df[c.name].astype("boolean")
    if geoms is not None:
        return gpd.GeoDataFrame(df, geometry=geoms, crs=STORAGE_SRID)
    return df


def registers_from_versions(versions: Any, hids: np.ndarray, picks: list[np.ndarray],
                            coll: Collection) -> list[Any]:
    """Several registers out of one frame of parcel versions.

    Parameters
    ----------
    versions : geopandas.GeoDataFrame
        The versions (rows of ``parcel_history``) as :func:`columns_frame` types them, one
        row per id of ``hids``, in that order.
    hids : ndarray
        The versions' history ids, ascending.
    picks : list of ndarray
        Per register, its versions as rows ``(hid, fid)``.
    coll : Collection
        The parcels' collection.

    Returns
    -------
    list of geopandas.GeoDataFrame
        Per register, its versions in ``fid`` order typed as :func:`columns_frame` types
        them alone: a field without any value in a register is typed as an empty field is
        (a text field all missing is ``object``, not ``str``, and a date field has the
        resolution of an empty one), so each equals the register read by itself.
    """
    empty = columns_frame({c.name: [None] for c in coll.columns}, coll, None)
    out = []
    for pick in picks:
        by_fid = pick[np.lexsort((pick[:, 0], pick[:, 1]))]
        frame = versions.take(np.searchsorted(hids, by_fid[:, 0])).reset_index(drop=True)
        zeros = np.zeros(len(frame), dtype=np.int64)
        for c in coll.columns:
            if frame[c.name].isna().all():
                frame[c.name] = empty[c.name].take(zeros).set_axis(frame.index)
        out.append(frame)
    return out


def _length(data: dict[str, list[Any]]) -> int:
    return len(next(iter(data.values()))) if data else 0


def assessment_rows(assessed: dict[str, pd.DataFrame], as_of: str,
                    label: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns and rows of table ``parcel_assessment`` from the register assessed in
    each language of :data:`~landuse.store.schema.LANGS` (``{"zh": frame, "en": frame}``):
    the fields of ``zh``, then ``as_of`` and ``ruleset``, then the other languages'
    sentences (:data:`~landuse.store.schema.TRANSLATED`)."""
    zh = assessed["zh"]
    ids = zh["parcel_id"].astype(str).to_numpy(dtype=object)
    cols = ["parcel_id", *(c.name for c in ASSESSMENT), "as_of", "ruleset"]
    data = [ids]
    for c in ASSESSMENT:
        data.append(_stored_values(zh[c.name], c.kind))
    n = len(zh)
    data += [np.array([as_of] * n, dtype=object), np.array([label] * n, dtype=object)]
    for name, by_lang in TRANSLATED.items():
        for lang, column in by_lang.items():
            if lang == "zh":
                continue
            other = assessed[lang]
            if not np.array_equal(other["parcel_id"].astype(str).to_numpy(dtype=object), ids):
                raise ValueError(f"the {lang} assessment does not list the same parcels")
            cols.append(column)
            data.append(_stored_values(other[name], "text"))
    return cols, list(zip(*data, strict=True))


def assessment_table(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Rows of ``parcel_id``, the assessment fields, ``as_of`` and ``ruleset`` as a frame
    typed as :func:`landuse.rules.assess` types them (Int64 days, bool flags, float)."""
    names = ["parcel_id", *(c.name for c in ASSESSMENT), "as_of", "ruleset"]
    df = pd.DataFrame.from_records(rows, columns=names)
    for c in ASSESSMENT:
        if c.kind == "real":
            df[c.name] = pd.to_numeric(df[c.name], errors="coerce").astype(float)
        elif c.kind == "int":
            df[c.name] = pd.array([None if pd.isna(v) else int(v) for v in df[c.name]],
                                  dtype="Int64")
        elif c.kind == "bool":
            df[c.name] = df[c.name].fillna(False).astype(bool)
    return df


def _stored_values(s: pd.Series, kind: str) -> np.ndarray:
    conv: Any = {"bool": bool, "int": int, "real": float}.get(kind, str)
    return np.array([None if nan_to_none(v) is None else conv(v)
                     for v in s.to_numpy(dtype=object)], dtype=object)


def parcel_changes(parcel_id: str, properties: dict[str, Any],
                   geometry: BaseGeometry | None) -> dict[str, Any]:
    """An edit of a stored parcel checked and coerced to stored values (field -> value).

    Raises SchemaError for an unknown field, a changed ``parcel_id`` or an empty edit, and
    GeometryError for a new outline that is not a valid polygon.
    """
    coll = COLLECTIONS["parcels"]
    changes: dict[str, Any] = {}
    for k, v in properties.items():
        if k == "parcel_id":
            if v != parcel_id:
                raise SchemaError("parcel_id cannot be changed. Fix: leave it out.")
            continue
        try:
            if k not in coll.names:
                raise KeyError(k)
            col = coll.column(k)
        except KeyError:
            raise SchemaError(
                f"property '{k}' is not a parcel field. Fix: use one of "
                f"{', '.join(coll.names)}."
            ) from None
        changes[k] = coerce_value(col, v, f"parcel {parcel_id}: field '{k}'")
    if geometry is not None:
        if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
            raise GeometryError(
                f"parcel {parcel_id}: the new geometry must be a valid polygon."
            )
    if not changes and geometry is None:
        raise SchemaError(f"parcel {parcel_id}: nothing to change. Fix: give properties.")
    return changes
