"""The store interface (:class:`Store`) and the SQL engine both backends share.

A store holds the parcel register, the disposal ledger (append-only), an audit log of every
write (who, when, what) and hashed API keys. Queries return :class:`Page` objects whose
``next_key`` is a keyset cursor: the sort values and ``fid`` of the last row, so a page deep
into the table costs the same as the first one.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import math
import secrets
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from landuse.errors import (
    ConflictError,
    CRSError,
    GeometryError,
    NotFoundError,
    SchemaError,
    StaleVersionError,
)
from landuse.ledger import STORED_ID_PROBLEM
from landuse.standard import get_standard
from landuse.store import cql
from landuse.store.schema import (
    ASSESSMENT,
    COLLECTIONS,
    STORAGE_SRID,
    Collection,
    Column,
    coerce_value,
)

__all__ = [
    "ROLES",
    "Feature",
    "KeyInfo",
    "Page",
    "Query",
    "SQLStore",
    "Store",
    "ledger_pairs",
    "prepare_parcels",
]

ROLES = ("viewer", "editor")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


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


def _nan_to_none(v: Any) -> Any:
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


# -- validation of input data ------------------------------------------------------------


def _column_series(col: Column, s: pd.Series, layer: str, ids: pd.Series) -> pd.Series:
    """Coerce one column to the store's type, vectorised; errors name parcel and field."""
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
        if pd.api.types.is_datetime64_any_dtype(s):
            out = s.dt.strftime("%Y-%m-%d")
        else:
            parsed = pd.to_datetime(s.astype("string"), errors="coerce", format="mixed")
            fail(parsed.isna(), "values that are not dates", "write dates as YYYY-MM-DD.")
            out = parsed.dt.strftime("%Y-%m-%d")
        return out.astype(object).where(notnull, None)
    if col.kind in ("real", "int"):
        num = pd.to_numeric(s, errors="coerce")
        fail(num.isna(), "values that are not numbers", "give plain numbers.")
        if col.kind == "int":
            fail(num.notna() & (num != num.round()), "non-whole numbers", "give whole numbers.")
            return pd.Series([None if _nan_to_none(v) is None else int(v) for v in num],
                             index=s.index, dtype=object)
        return num.astype(object).where(notnull, None)
    if col.kind == "bool":
        def to_bool(v: Any) -> Any:
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                return None
            if isinstance(v, bool | np.bool_):
                return bool(v)
            if isinstance(v, int | float | np.number) and v in (0, 1):
                return bool(v)
            t = str(v).strip().lower()
            if t in ("true", "1", "1.0", "是", "y", "yes"):
                return True
            if t in ("false", "0", "0.0", "否", "n", "no"):
                return False
            return "?"

        out = s.astype(object).map(to_bool)
        fail(out == "?", "values that are not yes/no", "use true/false (是/否).")
        return out
    # text and codes
    out = pd.Series([None if _nan_to_none(v) is None else str(v) for v in s],
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
            out[col.name] = pd.Series([_nan_to_none(v) for v in vals], index=gdf.index,
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
                 if _nan_to_none(v) is not None},
                ensure_ascii=False,
            )
            for row in sub.itertuples(index=False, name=None)
        ]
    else:
        out["extra"] = None
    return gpd.GeoDataFrame(out, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)


def _json_safe(v: Any) -> Any:
    v = _nan_to_none(v)
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


def _stored_event(rec: dict[str, Any]) -> dict[str, Any]:
    """A normalised ledger row (:func:`landuse.ledger.validate_events`) as stored values."""
    out: dict[str, Any] = {}
    for name in get_standard().names("ledger"):
        v = _nan_to_none(rec.get(name))
        if v is not None and name == "event_date":
            v = pd.Timestamp(v).strftime("%Y-%m-%d")
        elif v is not None and name == "zombie_cleared":
            v = bool(v)
        out[name] = v
    return out


# -- keys ---------------------------------------------------------------------------------


def hash_secret(secret: str, salt: bytes) -> bytes:
    """scrypt (N=2^14, r=8, p=1) of an API key secret."""
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)


def split_key(key: str) -> tuple[str, str] | None:
    """``lu_<key_id>_<secret>`` -> (key_id, secret), None when malformed."""
    if not key.startswith("lu_") or key.count("_") < 2:
        return None
    _, key_id, secret = key.split("_", 2)
    if not key_id or not secret or len(key) > 200:
        return None
    return key_id, secret


# -- the interface --------------------------------------------------------------------------


class Store(abc.ABC):
    """One store: parcels, an append-only ledger, an audit log and API keys."""

    url: str

    @abc.abstractmethod
    def load(
        self, parcels: gpd.GeoDataFrame, ledger: pd.DataFrame | None = None, actor: str = "load"
    ) -> dict[str, int]:
        """Import a validated register (and ledger) into an empty store."""

    @abc.abstractmethod
    def query(self, collection: str, q: Query) -> Page:
        """Select features of ``parcels`` or ``ledger`` (bbox, filters, CQL, keyset paging)."""

    def query_parcels(self, q: Query) -> Page:
        """:meth:`query` on the parcels."""
        return self.query("parcels", q)

    @abc.abstractmethod
    def get(self, collection: str, item_id: str) -> Feature:
        """One feature by its id; NotFoundError when absent."""

    def get_parcel(self, parcel_id: str) -> Feature:
        """One parcel by ``parcel_id`` (with its version)."""
        return self.get("parcels", parcel_id)

    def parcel_at(self, lon: float, lat: float, limit: int = 10) -> list[Feature]:
        """Parcels containing or touching the point (stacked parcels all returned)."""
        return self.parcels_in(shapely.Point(lon, lat), limit=limit)

    def parcels_in(self, geom: BaseGeometry, limit: int = 1000) -> list[Feature]:
        """Parcels intersecting ``geom`` (storage CRS), in fid order."""
        return self.query("parcels", Query(intersects=geom, limit=limit)).features

    @abc.abstractmethod
    def search(self, text: str, limit: int = 10) -> list[dict[str, Any]]:
        """Typeahead: parcels whose id starts with, or holder contains, ``text``."""

    @abc.abstractmethod
    def append_events(
        self, events: Sequence[tuple[dict[str, Any], BaseGeometry | None]], actor: str
    ) -> list[Feature]:
        """Append ledger events in one transaction; returns them as stored."""

    @abc.abstractmethod
    def update_parcel(
        self,
        parcel_id: str,
        properties: dict[str, Any],
        geometry: BaseGeometry | None,
        expected_version: int,
        actor: str,
    ) -> Feature:
        """Edit a parcel if its version is still ``expected_version`` (else StaleVersionError)."""

    @abc.abstractmethod
    def audit_log(self, limit: int = 100, after: int = 0) -> list[dict[str, Any]]:
        """Audit records after sequence ``after``, oldest first."""

    @abc.abstractmethod
    def add_key(self, role: str, label: str = "", actor: str = "cli") -> str:
        """Make an API key; returns the key (shown once, only its hash is stored)."""

    @abc.abstractmethod
    def revoke_key(self, key_id: str, actor: str = "cli") -> None:
        """Revoke a key (kept, marked revoked)."""

    @abc.abstractmethod
    def list_keys(self) -> list[KeyInfo]:
        """All keys, revoked ones included."""

    @abc.abstractmethod
    def verify_key(self, key: str) -> KeyInfo | None:
        """The key's info when it is valid and not revoked, else None."""

    def change_seq(self) -> int:
        """Sequence number of the last write (audit); changes whenever the store changes."""
        rows = self._fetch("SELECT MAX(seq) FROM audit", [])  # type: ignore[attr-defined]
        return int(rows[0][0] or 0)

    @abc.abstractmethod
    def assessment_state(self) -> dict[str, Any] | None:
        """The materialised assessment: ``{as_of, ruleset, seq}`` (None before the first)."""

    @abc.abstractmethod
    def refresh_assessment(self, as_of: str, ruleset: Any = None,
                           wait: bool = True) -> dict[str, Any]:
        """Make table ``parcel_assessment`` hold ``landuse.rules.assess`` of the parcels as of
        ``as_of``; a no-op when it already does for the store's current change sequence.

        Returns the state of the table (:meth:`assessment_state`) plus ``current``. With
        ``wait=False``, while another thread is refreshing, the table as it is (the previous
        assessment, which readers keep seeing until the refresh commits) is returned at once
        with ``current`` False instead of waiting."""

    @abc.abstractmethod
    def count(self, collection: str) -> int:
        """Number of rows of a collection (cheap)."""

    @abc.abstractmethod
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Extent of the parcels in storage CRS."""

    @abc.abstractmethod
    def integrity_check(self) -> list[str]:
        """Problems found in the store (empty when consistent)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close every connection."""

    def parcels_frame(self) -> gpd.GeoDataFrame:
        """All parcels as a GeoDataFrame in the standard's columns (EPSG:4490)."""
        return _frame(self._iter_all("parcels"), COLLECTIONS["parcels"], geo=True)

    def ledger_frame(self) -> pd.DataFrame:
        """The whole ledger as a DataFrame in the standard's columns (dates as datetime64)."""
        df = _frame(self._iter_all("ledger"), COLLECTIONS["ledger"], geo=False)
        return df

    def _iter_all(self, collection: str) -> Iterator[Feature]:
        after = None
        while True:
            page = self.query(collection, Query(limit=10_000, after=after,
                                                properties=COLLECTIONS[collection].names))
            yield from page.features
            if page.next_key is None:
                return
            after = page.next_key

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _frame(features: Iterable[Feature], coll: Collection, geo: bool) -> Any:
    feats = list(features)
    data = {c.name: [f.properties.get(c.name) for f in feats] for c in coll.columns}
    df = pd.DataFrame(data)
    for c in coll.columns:
        if c.kind == "date":
            df[c.name] = pd.to_datetime(df[c.name], errors="coerce")
        elif c.kind in ("real", "int"):
            df[c.name] = pd.to_numeric(df[c.name], errors="coerce").astype(float)
        elif c.kind == "bool":
            df[c.name] = df[c.name].astype("boolean")
    if geo:
        return gpd.GeoDataFrame(df, geometry=[f.geometry for f in feats], crs=STORAGE_SRID)
    return df


# -- the shared SQL engine -------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_SENTINEL = {"text": "''", "date": "''", "real": "-1e300", "int": "-1e300", "bool": "FALSE"}


class SQLStore(Store):
    """What both SQL backends share: query building, keyset paging, validation, keys."""

    placeholder = "?"

    def __init__(self) -> None:
        self._key_cache: dict[tuple[str, bytes], bool] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # one connection per thread
        self._conns: list[Any] = []  # every connection opened, for close()
        self._assess_lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for c in self._conns:
                with contextlib.suppress(Exception):
                    c.close()
            self._conns.clear()
        self._local = threading.local()

    # backend hooks ------------------------------------------------------------------------
    @abc.abstractmethod
    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...

    @abc.abstractmethod
    def _geom_select(self) -> str: ...

    @abc.abstractmethod
    def _decode_geoms(self, values: list[Any]) -> list[BaseGeometry | None]: ...

    @abc.abstractmethod
    def _intersects_sql(self, coll: Collection, geom: BaseGeometry) -> tuple[str, list[Any]]: ...

    def _from_db(self, col: Column, v: Any) -> Any:
        if v is None:
            return None
        if col.kind == "bool":
            return bool(v)
        if col.kind == "int":
            return int(v)
        if col.kind == "real":
            return float(v)
        return v

    def _source(self, coll: Collection) -> str:
        """The FROM of a collection: the parcels joined to their assessment."""
        if not coll.derived:
            return _q(coll.table)
        cols = ", ".join(f"a.{_q(c.name)}" for c in coll.derived)
        return (f"(SELECT p.*, {cols} FROM parcels p LEFT JOIN parcel_assessment a "
                "ON a.parcel_id = p.parcel_id) AS parcels")

    # queries --------------------------------------------------------------------------------
    def _dialect(self, coll: Collection) -> cql.Dialect:
        return cql.Dialect(self.placeholder, lambda c, g: self._intersects_sql(coll, g))

    def _where(self, coll: Collection, q: Query) -> tuple[list[str], list[Any]]:
        ph = self.placeholder
        parts: list[str] = []
        params: list[Any] = []
        for name, value in q.equals.items():
            try:
                col = coll.column(name)
            except KeyError:
                raise SchemaError(f"{name}: not a property of {coll.name}.") from None
            if value is None:
                parts.append(f"{_q(name)} IS NULL")
            else:
                parts.append(f"{_q(name)} = {ph}")
                params.append(coerce_value(col, value, name))
        if q.bbox is not None:
            s, p = self._intersects_sql(coll, shapely.box(*q.bbox))
            parts.append(s)
            params += p
        if q.intersects is not None:
            s, p = self._intersects_sql(coll, q.intersects)
            parts.append(s)
            params += p
        if q.filter is not None:
            s, p = cql.to_sql(q.filter, coll, self._dialect(coll))
            parts.append(s)
            params += p
        return parts, params

    def _order(self, coll: Collection, q: Query) -> list[tuple[str, bool, Column | None]]:
        keys: list[tuple[str, bool, Column | None]] = []
        for name, desc in q.sortby:
            try:
                col = coll.column(name)
            except KeyError:
                raise SchemaError(
                    f"sortby: '{name}' is not a property of {coll.name}. "
                    f"Fix: use one of {', '.join(coll.all_names)}."
                ) from None
            keys.append((f"COALESCE({_q(name)}, {_SENTINEL[col.kind]})", desc, col))
        keys.append(('"fid"', False, None))
        return keys

    def _check_after(self, keys: list[tuple[str, bool, Column | None]], after: tuple) -> list:
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

    def query(self, collection: str, q: Query) -> Page:
        coll = self._collection(collection)
        ph = self.placeholder
        parts, params = self._where(coll, q)
        keys = self._order(coll, q)
        count = None
        if q.count:
            if not parts:
                count = self.count(collection)
            else:
                sql = f"SELECT COUNT(*) FROM {self._source(coll)} WHERE " + " AND ".join(parts)
                count = int(self._fetch(sql, params)[0][0])
        kparts = list(parts)
        kparams = list(params)
        if q.after is not None:
            vals = self._check_after(keys, tuple(q.after))

            def cond(i: int) -> tuple[str, list[Any]]:
                expr, desc, _ = keys[i]
                op = "<" if desc else ">"
                if i == len(keys) - 1:
                    return f"{expr} {op} {ph}", [vals[i]]
                inner, p = cond(i + 1)
                return (f"({expr} {op} {ph} OR ({expr} = {ph} AND {inner}))",
                        [vals[i], vals[i], *p])

            s, p = cond(0)
            kparts.append(s)
            kparams += p
        props = q.properties if q.properties is not None else coll.all_names
        for name in props:
            if name not in coll.all_names:
                raise SchemaError(
                    f"properties: '{name}' is not a property of {coll.name}. "
                    f"Fix: use one of {', '.join(coll.all_names)}."
                )
        sel_cols = [coll.id_column] + [p for p in props if p != coll.id_column]
        select = ['"fid"'] + [_q(c) for c in sel_cols]
        select += [k[0] for k in keys[:-1]]
        extra = collection == "parcels"
        if extra:
            select += ['"version"', '"extra"']
        if not q.skip_geometry:
            select.append(self._geom_select())
        limit = max(0, int(q.limit))
        sql = f"SELECT {', '.join(select)} FROM {self._source(coll)}"
        if kparts:
            sql += " WHERE " + " AND ".join(kparts)
        sql += " ORDER BY " + ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d, _ in keys)
        sql += f" LIMIT {limit + 1}"
        rows = self._fetch(sql, kparams)
        more = len(rows) > limit
        rows = rows[:limit]
        feats = self._rows_to_features(coll, rows, sel_cols, len(keys) - 1, extra,
                                       not q.skip_geometry, q.properties is None)
        next_key = None
        if more and rows:
            last = rows[-1]
            nsel = 1 + len(sel_cols)
            next_key = (*last[nsel : nsel + len(keys) - 1], int(last[0]))
        return Page(feats, next_key, count)

    def _rows_to_features(
        self,
        coll: Collection,
        rows: list[tuple[Any, ...]],
        sel_cols: list[str],
        nkeys: int,
        extra: bool,
        with_geom: bool,
        with_extra: bool,
    ) -> list[Feature]:
        cols = [coll.column(c) for c in sel_cols]
        geoms = self._decode_geoms([r[-1] for r in rows]) if with_geom else [None] * len(rows)
        out = []
        base = 1 + len(sel_cols) + nkeys
        for r, g in zip(rows, geoms, strict=True):
            props = {c.name: self._from_db(c, v) for c, v in zip(cols, r[1 : 1 + len(cols)],
                                                                 strict=True)}
            version = None
            if extra:
                version = int(r[base])
                if with_extra and r[base + 1]:
                    ex = r[base + 1]
                    ex = json.loads(ex) if isinstance(ex, str) else ex
                    for k, v in ex.items():
                        props.setdefault(k, v)
            out.append(Feature(str(r[1]), int(r[0]), props, g, version))
        return out

    def _collection(self, name: str) -> Collection:
        try:
            return COLLECTIONS[name]
        except KeyError:
            raise NotFoundError(
                f"collection '{name}' does not exist. Fix: use parcels or ledger."
            ) from None

    def get(self, collection: str, item_id: str) -> Feature:
        coll = self._collection(collection)
        page = self.query(collection, Query(equals={coll.id_column: item_id}, limit=1))
        if not page.features:
            what = "parcel" if collection == "parcels" else "event"
            raise NotFoundError(f"{what} '{item_id}' is not in the store.")
        return page.features[0]

    # keys -----------------------------------------------------------------------------------
    def _new_key(self, role: str) -> tuple[str, str, bytes, bytes]:
        if role not in ROLES:
            raise SchemaError(f"role: '{role}' is not a role. Fix: use editor or viewer.")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(24).replace("_", "-")
        salt = secrets.token_bytes(16)
        return key_id, f"lu_{key_id}_{secret}", salt, hash_secret(secret, salt)

    def _check_secret(self, key_id: str, secret: str, salt: bytes, digest: bytes) -> bool:
        fp = hashlib.sha256(secret.encode()).digest()
        with self._lock:
            if self._key_cache.get((key_id, fp)):
                return True
        ok = hmac.compare_digest(hash_secret(secret, bytes(salt)), bytes(digest))
        if ok:
            with self._lock:
                self._key_cache[(key_id, fp)] = True
        return ok

    # writes (shared SQL; '?' placeholders, translated by the PostGIS backend) -------------
    @abc.abstractmethod
    def _tx(self) -> Any:
        """Context manager: a cursor inside one write transaction (commit or roll back)."""

    @abc.abstractmethod
    def _is_unique_violation(self, e: BaseException) -> bool: ...

    @abc.abstractmethod
    def _geom_param_sql(self) -> str: ...

    @abc.abstractmethod
    def _geom_param(self, geom: BaseGeometry | None) -> Any: ...

    def _audit(self, cur: Any, actor: str, action: str, target: str, detail: Any) -> None:
        cur.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            (now_iso(), actor, action, target, json.dumps(detail, ensure_ascii=False,
                                                          default=str)),
        )

    def _fetch_in(
        self, cur: Any, sql: str, values: Sequence[Any], chunk: int = 500
    ) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (ending in ``IN ({})``) for ``values``, in chunks, on ``cur``."""
        out: list[tuple[Any, ...]] = []
        vals = list(dict.fromkeys(values))
        for i in range(0, len(vals), chunk):
            part = vals[i : i + chunk]
            cur.execute(sql.format(", ".join("?" for _ in part)), part)
            out += cur.fetchall()
        return out

    def _validate_events(
        self,
        cur: Any,
        events: Sequence[tuple[dict[str, Any], BaseGeometry | None]],
        source: str,
        unknown_fields: str,
    ) -> list[dict[str, Any]]:
        """Check events with :func:`landuse.ledger.validate_events` against the stored
        parcels and event ids (read on ``cur``, inside the write transaction)."""
        from landuse.ledger import validate_events

        props = [p for p, _ in events]
        for n, (_, geom) in enumerate(events):
            if geom is not None and not isinstance(geom, BaseGeometry):
                raise GeometryError(f"event {n + 1}: geometry is not a geometry.")
        named = [str(p.get(k)) for p in props if isinstance(p, dict)
                 for k in ("parcel_id",) if p.get(k) is not None]
        rows = self._fetch_in(
            cur, f"SELECT parcel_id, supply_date, {self._geom_select()} FROM parcels "
            "WHERE parcel_id IN ({})", named)
        parcels = gpd.GeoDataFrame(
            {"parcel_id": [r[0] for r in rows],
             "supply_date": pd.to_datetime(pd.Series([r[1] for r in rows], dtype=object),
                                           errors="coerce")},
            geometry=self._decode_geoms([r[2] for r in rows]), crs=STORAGE_SRID,
        )
        ids = [str(p.get(k)) for p in props if isinstance(p, dict)
               for k in ("event_id", "corrects") if p.get(k) is not None]
        stored = [r[0] for r in self._fetch_in(
            cur, "SELECT event_id FROM ledger WHERE event_id IN ({})", ids)]
        led = validate_events(props, parcels, stored, source=source,
                              unknown_fields=unknown_fields)
        return [_stored_event({str(k): v for k, v in r.items()})
                for r in led.to_dict("records")]

    def _insert_events(
        self,
        cur: Any,
        events: Sequence[tuple[dict[str, Any], BaseGeometry | None]],
        actor: str,
        source: str = "new events",
        unknown_fields: str = "refuse",
    ) -> list[str]:
        if not events:
            return []
        valid = self._validate_events(cur, events, source, unknown_fields)
        std = get_standard().names("ledger")
        cols = [*std, "recorded_at", "recorded_by"]
        sql = (
            f"INSERT INTO ledger ({', '.join(_q(c) for c in cols)}, geom) VALUES "
            f"({', '.join('?' for _ in cols)}, {self._geom_param_sql()}) RETURNING fid"
        )
        ids: list[str] = []
        for ev, (_, geom) in zip(valid, events, strict=True):
            values = [ev.get(c) for c in std] + [now_iso(), actor]
            try:
                cur.execute(sql, (*values, self._geom_param(geom)))
            except Exception as e:
                if self._is_unique_violation(e):  # a concurrent writer stored it first
                    raise ConflictError(
                        f"{source}: event {ev['event_id']}, field event_id: "
                        f"{STORED_ID_PROBLEM}. Fix: give a new event_id (a correction is a "
                        "new event with 'corrects')."
                    ) from None
                raise
            fid = int(cur.fetchone()[0])
            ids.append(ev["event_id"])
            detail = {k: v for k, v in ev.items() if v is not None}
            detail["fid"] = fid
            self._audit(cur, actor, "ledger.append", ev["event_id"], detail)
        return ids

    def append_events(
        self, events: Sequence[tuple[dict[str, Any], BaseGeometry | None]], actor: str
    ) -> list[Feature]:
        if not events:
            return []
        with self._tx() as cur:
            ids = self._insert_events(cur, events, actor)
        page = self.query(
            "ledger", Query(filter=cql.In("event_id", tuple(ids)), limit=len(ids))
        )
        return page.features

    # loading (the bulk insert of parcels is the backend's) -----------------------------------
    load_fix = "load into a new, empty store."

    @abc.abstractmethod
    def _label(self) -> str:
        """The store as messages name it (a path, or a URL without its password)."""

    def _lock_for_load(self, cur: Any) -> None:
        """Keep other writers out of ``parcels`` until the load commits (if needed)."""

    @abc.abstractmethod
    def _insert_parcels(self, cur: Any, prepared: gpd.GeoDataFrame, stamp: str) -> None:
        """Insert the prepared register (fids 1..n) and its extent, inside ``cur``'s tx."""

    def _after_load(self) -> None:
        """Work after the load committed (statistics)."""

    def load(
        self, parcels: gpd.GeoDataFrame, ledger: pd.DataFrame | None = None, actor: str = "load"
    ) -> dict[str, int]:
        prepared = prepare_parcels(parcels)
        events = ledger_pairs(ledger) if ledger is not None else []
        with self._tx() as cur:
            self._lock_for_load(cur)
            cur.execute("SELECT COUNT(*) FROM parcels")
            n = int(cur.fetchone()[0])
            if n:
                raise ConflictError(
                    f"{self._label()}: the store already holds {n} parcels. Fix: "
                    f"{self.load_fix}"
                )
            self._insert_parcels(cur, prepared, now_iso())
            cur.execute("UPDATE landuse_meta SET value = ? WHERE key = 'parcels_count'",
                        (str(len(prepared)),))
            self._audit(cur, actor, "load", "parcels", {"parcels": len(prepared),
                                                          "events": len(events)})
            self._insert_events(cur, events, actor, source=f"{self._label()}: ledger to load",
                                unknown_fields="ignore")
        self._after_load()
        return {"parcels": len(prepared), "events": len(events)}

    def count(self, collection: str) -> int:
        coll = self._collection(collection)
        if coll.name == "parcels":
            return int(self._fetch(
                "SELECT value FROM landuse_meta WHERE key = 'parcels_count'", [])[0][0])
        return int(self._fetch("SELECT COUNT(*) FROM ledger", [])[0][0])

    @abc.abstractmethod
    def _search_ids(self, text: str, limit: int) -> list[tuple[Any, ...]]:
        """(parcel_id, holder, zone) of parcels whose id starts with ``text``."""

    def search(self, text: str, limit: int = 10) -> list[dict[str, Any]]:
        text = text.strip()
        if not text:
            return []
        rows = self._search_ids(text, limit)
        if len(rows) < limit:
            esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            ph = self.placeholder
            more = self._fetch(
                f"SELECT parcel_id, holder, zone FROM parcels WHERE holder LIKE {ph} "
                f"ESCAPE '\\' ORDER BY holder, parcel_id LIMIT {ph}",
                [f"%{esc}%", int(limit)],
            )
            seen = {r[0] for r in rows}
            rows += [r for r in more if r[0] not in seen][: limit - len(rows)]
        return [{"parcel_id": r[0], "holder": r[1], "zone": r[2]} for r in rows]

    def update_parcel(
        self,
        parcel_id: str,
        properties: dict[str, Any],
        geometry: BaseGeometry | None,
        expected_version: int,
        actor: str,
    ) -> Feature:
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
        sets = [f"{_q(k)} = ?" for k in changes]
        params: list[Any] = list(changes.values())
        if geometry is not None:
            sets.append(f"geom = {self._geom_param_sql()}")
            params.append(self._geom_param(geometry))
        sets += ["version = version + 1", "updated_at = ?"]
        params.append(now_iso())
        with self._tx() as cur:
            cur.execute(
                f"SELECT version, {', '.join(_q(k) for k in changes) or 'version'} "
                "FROM parcels WHERE parcel_id = ?",
                (parcel_id,),
            )
            row = cur.fetchone()
            if row is None or int(row[0]) != int(expected_version):
                check_stale(row is not None, parcel_id, expected_version,
                            None if row is None else int(row[0]))
            before = dict(zip(changes, row[1:], strict=False))
            cur.execute(
                f"UPDATE parcels SET {', '.join(sets)} WHERE parcel_id = ? AND version = ?",
                (*params, parcel_id, int(expected_version)),
            )
            if cur.rowcount != 1:
                check_stale(True, parcel_id, expected_version, None)
            self._audit(cur, actor, "parcel.update", parcel_id, {
                "from_version": int(expected_version), "before": before, "after": changes,
                "geometry_changed": geometry is not None,
            })
        return self.get_parcel(parcel_id)

    # the materialised assessment --------------------------------------------------------------
    def assessment_state(self) -> dict[str, Any] | None:
        rows = self._fetch(
            "SELECT key, value FROM landuse_meta WHERE key IN "
            "('assessment_as_of', 'assessment_ruleset', 'assessment_seq')", [])
        meta = {str(k).removeprefix("assessment_"): v for k, v in rows}
        if len(meta) < 3:
            return None
        return {"as_of": meta["as_of"], "ruleset": meta["ruleset"], "seq": int(meta["seq"])}

    def _insert_assessment(self, cur: Any, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert the assessment rows (inside ``cur``'s transaction)."""
        cur.executemany(
            f"INSERT INTO parcel_assessment ({', '.join(_q(c) for c in cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})", rows)

    def refresh_assessment(self, as_of: str, ruleset: Any = None,
                           wait: bool = True) -> dict[str, Any]:
        from landuse.rules import Ruleset, assess, default_ruleset, load_ruleset

        as_of = dt.date.fromisoformat(str(as_of)[:10]).isoformat()
        if isinstance(ruleset, Ruleset):
            rs = ruleset
        else:
            rs = default_ruleset() if ruleset is None else load_ruleset(ruleset)

        def fresh(state: dict[str, Any] | None, seq: int) -> bool:
            return (state is not None and state["seq"] == seq and state["as_of"] == as_of
                    and state["ruleset"] == rs.label)

        state = self.assessment_state()
        if fresh(state, self.change_seq()):
            return {**state, "current": True}  # type: ignore[dict-item]
        if not self._assess_lock.acquire(blocking=wait or state is None):
            return {**state, "current": False}  # type: ignore[dict-item]
        try:  # one refresh at a time in this process
            seq = self.change_seq()  # read before the parcels: a later write re-triggers
            state = self.assessment_state()
            if fresh(state, seq):
                return {**state, "current": True}  # type: ignore[dict-item]
            parcels = self.parcels_frame()
            assessed = assess(parcels, as_of, ruleset=rs, lang="zh")
            label = rs.label
            cols = ["parcel_id", *(c.name for c in ASSESSMENT), "as_of", "ruleset"]
            data = [assessed["parcel_id"].astype(str).to_numpy(dtype=object)]
            for c in ASSESSMENT:
                vals = assessed[c.name].to_numpy(dtype=object)
                conv: Any = {"bool": bool, "int": int, "real": float}.get(c.kind, str)
                data.append(np.array([None if _nan_to_none(v) is None else conv(v)
                                      for v in vals], dtype=object))
            n = len(assessed)
            rows = list(zip(*data, [as_of] * n, [label] * n, strict=True))
            with self._tx() as cur:
                cur.execute("DELETE FROM parcel_assessment")
                self._insert_assessment(cur, cols, rows)
                for k, v in (("as_of", as_of), ("ruleset", label), ("seq", str(seq))):
                    cur.execute(
                        "INSERT INTO landuse_meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                        "DO UPDATE SET value = excluded.value", (f"assessment_{k}", v))
            return {"as_of": as_of, "ruleset": label, "seq": seq, "current": True}
        finally:
            self._assess_lock.release()

    def audit_log(self, limit: int = 100, after: int = 0) -> list[dict[str, Any]]:
        rows = self._fetch(
            "SELECT seq, at, actor, action, target, detail FROM audit WHERE seq > "
            f"{self.placeholder} ORDER BY seq LIMIT {int(limit)}",
            [int(after)],
        )
        out = []
        for r in rows:
            d = r[5]
            out.append({"seq": int(r[0]), "at": str(r[1]), "actor": r[2], "action": r[3],
                        "target": r[4], "detail": json.loads(d) if isinstance(d, str) else d})
        return out

    def add_key(self, role: str, label: str = "", actor: str = "cli") -> str:
        key_id, key, salt, digest = self._new_key(role)
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO api_keys (key_id, role, label, salt, hash, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, role, label, salt, digest, now_iso()),
            )
            self._audit(cur, actor, "key.add", key_id, {"role": role, "label": label})
        return key

    def revoke_key(self, key_id: str, actor: str = "cli") -> None:
        with self._tx() as cur:
            cur.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (now_iso(), key_id),
            )
            if cur.rowcount != 1:
                raise NotFoundError(
                    f"key '{key_id}' is not an active key. Fix: see 'landuse keys list'."
                )
            self._audit(cur, actor, "key.revoke", key_id, {})

    def list_keys(self) -> list[KeyInfo]:
        rows = self._fetch(
            "SELECT key_id, role, label, created_at, revoked_at FROM api_keys ORDER BY created_at",
            [],
        )
        return [KeyInfo(r[0], r[1], r[2] or "", str(r[3]), r[4] and str(r[4])) for r in rows]

    def verify_key(self, key: str) -> KeyInfo | None:
        parts = split_key(key)
        if parts is None:
            return None
        key_id, secret = parts
        rows = self._fetch(
            "SELECT key_id, role, label, created_at, revoked_at, salt, hash FROM api_keys "
            f"WHERE key_id = {self.placeholder}",
            [key_id],
        )
        if not rows or rows[0][4] is not None:
            return None
        r = rows[0]
        if not self._check_secret(key_id, secret, r[5], r[6]):
            return None
        return KeyInfo(r[0], r[1], r[2] or "", str(r[3]), None)




def check_stale(found: bool, parcel_id: str, expected: int, current: int | None) -> None:
    """Raise NotFoundError or StaleVersionError for a failed conditional update."""
    if not found:
        raise NotFoundError(f"parcel '{parcel_id}' is not in the store.")
    raise StaleVersionError(
        f"parcel '{parcel_id}' is at version {current}, not {expected}: someone edited it "
        "since you read it. Fix: read it again (GET, new ETag) and repeat your edit."
    )
