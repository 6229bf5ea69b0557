"""The SQL engine both backends share (:class:`SQLStore`): query building, keyset paging,
validated writes, the audit log, keys and the materialised assessment.

Backends give the connection, the transaction, the geometry encoding and the spatial
predicate; the SQL here uses ``?`` placeholders (the PostGIS backend translates them).
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import datetime as dt
import json
import threading
import time
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from landuse.core.values import parse_parent_ids
from landuse.errors import (
    ConflictError,
    GeometryError,
    NotFoundError,
    SchemaError,
    StaleVersionError,
)
from landuse.ledger import STORED_ID_PROBLEM
from landuse.standard import get_standard
from landuse.store import cql
from landuse.store.base import Store
from landuse.store.history import (
    SINCE_ALWAYS,
    check_effective,
    check_known_at,
    check_lineage,
    diff_register,
    known_at_iso,
)
from landuse.store.keys import SecretCheck, new_key, split_key
from landuse.store.keyset import check_cursor, keyset_condition, order_keys, quote_ident
from landuse.store.prepare import (
    assessment_rows,
    assessment_table,
    columns_frame,
    features_frame,
    ledger_pairs,
    parcel_changes,
    prepare_parcels,
    registers_from_versions,
    stored_event,
)
from landuse.store.schema import (
    ASSESSMENT,
    COLLECTIONS,
    LANGS,
    STORAGE_SRID,
    Collection,
    Column,
    coerce_value,
    stored_column,
)
from landuse.store.supply import SupplyStoreMixin
from landuse.store.types import LEDGER_GEOMETRIES, Feature, KeyInfo, Page, Query, now_iso

__all__ = ["HISTORY_COPY", "SQLStore", "check_stale"]

HISTORY_COPY: list[str] = ["fid", *COLLECTIONS["parcels"].names, "extra", "version",
                           "updated_at", "retired_on", "geom"]
"""The columns of ``parcels`` that ``parcel_history`` copies with every version."""

HISTORY_PAGE = 50_000
"""Versions fetched per query when several registers are read from the history."""


_FROM_DB: dict[str, Any] = {"bool": bool, "int": int, "real": float}
"""A stored value (not NULL) of a column of this kind -> its Python value; other kinds are
read as they are stored."""


def _page_column(values: Sequence[Any], kind: str, one_of: dict[Any, Any]) -> np.ndarray:
    """A page of a stored column as :func:`~landuse.store.prepare.columns_frame` takes
    it: numbers already as float (what its ``to_numeric`` makes of the Python value), other
    values as Python objects, an equal text or date shared by every cell of the page
    holding it (``one_of``: the page's values so far) rather than held once per cell."""
    conv = _FROM_DB.get(kind)
    if kind in ("real", "int"):
        assert conv is not None
        return np.array([np.nan if v is None else float(conv(v)) for v in values],
                        dtype=np.float64)
    if conv is not None:
        return np.array([None if v is None else conv(v) for v in values], dtype=object)
    return np.array([None if v is None else one_of.setdefault(v, v) for v in values],
                    dtype=object)


_ELSEWHERE: dict[str, Any] = {}
"""The stores a worker process of :meth:`SQLStore._typed_pages` opened, by target."""


def _page_elsewhere(target: str, page: np.ndarray) -> tuple[list[np.ndarray], list[Any]]:
    """:meth:`SQLStore._typed_page` in a worker process, on its own connection."""
    from landuse.store import open_store

    store = _ELSEWHERE.get(target)
    if store is None:
        store = _ELSEWHERE[target] = open_store(target)
    assert isinstance(store, SQLStore)
    return store._typed_page(page)


class SQLStore(SupplyStoreMixin, Store):
    """What both SQL backends share: query building, keyset paging, validation, keys."""

    placeholder = "?"

    def __init__(self) -> None:
        self._keys = SecretCheck()
        self._lock = threading.Lock()
        self._local = threading.local()  # one connection per thread
        # every open connection with the thread it serves, for close() and for closing the
        # connections of threads that have ended (_keep_conn)
        self._conns: list[tuple[threading.Thread, Any]] = []
        self._assess_lock = threading.Lock()
        self._ranks_lock = threading.Lock()  # one whole refresh beside the table at a time

    def close(self) -> None:
        with self._lock:
            for _, c in self._conns:
                with contextlib.suppress(Exception):
                    c.close()
            self._conns.clear()
        self._local = threading.local()

    def _keep_conn(self, conn: Any) -> None:
        """Record ``conn`` as the current thread's connection, and close those of threads that
        have ended: a server's worker threads come and go (an idle one ends), and the
        connection each opened would otherwise stay open, a database session apiece, until
        the store is closed."""
        self._local.conn = conn
        with self._lock:
            ended = [c for t, c in self._conns if not t.is_alive()]
            self._conns = [(t, c) for t, c in self._conns if t.is_alive()]
            self._conns.append((threading.current_thread(), conn))
        for c in ended:
            with contextlib.suppress(Exception):
                c.close()

    def open_connections(self) -> int:
        """How many connections the store holds open (one per thread that has read or
        written and is still running)."""
        with self._lock:
            return len(self._conns)

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
        conv = _FROM_DB.get(col.kind)
        return v if v is None or conv is None else conv(v)

    def _past(self, q: Query) -> tuple[str, str] | None:
        """(valid date, record time) of a query on a past register, else None."""
        if q.valid_at is None and q.known_at is None:
            return None
        valid = dt.date.fromisoformat(str(q.valid_at)[:10]).isoformat() if q.valid_at \
            else "9999-12-31"
        known = known_at_iso(q.known_at) or now_iso()
        check_known_at(known, self.created_at(), self._label())
        return valid, known

    def _history_source(self, coll: Collection, valid: str, known: str) -> str:
        """The FROM of the parcels as they stood on ``valid`` as recorded by ``known`` (both
        checked ISO values), their assessment fields null."""
        cols = ", ".join(quote_ident(c) for c in HISTORY_COPY)
        sql_type = {"text": "TEXT", "date": "TEXT", "real": "DOUBLE PRECISION",
                    "int": "BIGINT", "bool": "BOOLEAN"}
        nulls = ", ".join(f"CAST(NULL AS {sql_type[c.kind]}) AS {quote_ident(c.name)}"
                          for c in coll.derived)
        return (f"(SELECT {cols}, {nulls} FROM parcel_history WHERE hid IN (SELECT MAX(hid) "
                f"FROM parcel_history WHERE valid_from <= '{valid}' AND recorded_at <= "
                f"'{known}' GROUP BY parcel_id) AND change <> 'retired') AS parcels")

    def _source(self, coll: Collection, lang: str = "zh") -> str:
        """The FROM of a collection: the parcels joined to their assessment, its sentences
        in ``lang``."""
        if not coll.derived:
            return quote_ident(coll.table)
        cols = ", ".join(f"a.{quote_ident(stored_column(c.name, lang))} AS {quote_ident(c.name)}"
                         for c in coll.derived)
        return (f"(SELECT p.*, {cols} FROM parcels p LEFT JOIN parcel_assessment a "
                "ON a.parcel_id = p.parcel_id WHERE p.retired_on IS NULL) AS parcels")

    # queries --------------------------------------------------------------------------------
    def _spatial_sql(self, coll: Collection, geom: BaseGeometry,
                     how: str = "point") -> tuple[str, list[Any]]:
        """Rows of ``coll`` whose shown geometry intersects ``geom``. A ledger event is shown
        at its parcel, so it matches where its parcel does; an event whose parcel is no
        longer in the register, or any event when ``how="event"``, matches by its own
        stored geometry (if any)."""
        if coll.name != "ledger" or how == "event":
            return self._intersects_sql(coll, geom)
        in_parcel, p1 = self._intersects_sql(COLLECTIONS["parcels"], geom)
        own, p2 = self._intersects_sql(coll, geom)
        return (f'("parcel_id" IN (SELECT "parcel_id" FROM parcels WHERE {in_parcel}) OR '
                f'("geom" IS NOT NULL AND "parcel_id" NOT IN (SELECT "parcel_id" FROM parcels) '
                f"AND {own}))", [*p1, *p2])

    def _dialect(self, coll: Collection, how: str = "point") -> cql.Dialect:
        return cql.Dialect(self.placeholder, lambda c, g: self._spatial_sql(coll, g, how))

    def _parcel_geometries(self, events: list[Feature], how: str) -> list[Feature]:
        """Ledger events with their parcel's representative point (``how="point"``) or
        polygon (``"polygon"``) as geometry; an event whose parcel is no longer in the
        register, or any event with ``how="event"``, keeps its own stored geometry
        (usually none)."""
        if how not in LEDGER_GEOMETRIES:
            raise SchemaError(f"geometry: '{how}' is not a way to draw ledger events. "
                              f"Fix: use {', '.join(LEDGER_GEOMETRIES)}.")
        if not events or how == "event":
            return events
        ph = self.placeholder
        fids = [f.fid for f in events]
        marks = ", ".join([ph] * len(fids))
        owner = dict(self._fetch(f'SELECT "fid", "parcel_id" FROM ledger WHERE "fid" IN ({marks})',
                                 fids))
        pids = sorted({str(v) for v in owner.values() if v is not None})
        shapes: dict[str, BaseGeometry | None] = {}
        if pids:
            rows = self._fetch(f'SELECT "parcel_id", {self._geom_select()} FROM parcels '
                               f'WHERE "parcel_id" IN ({", ".join([ph] * len(pids))})', pids)
            geoms = self._decode_geoms([r[1] for r in rows])
            if how == "point":
                geoms = [None if g is None else shapely.point_on_surface(g) for g in geoms]
            shapes = {str(r[0]): g for r, g in zip(rows, geoms, strict=True)}
        out = []
        for f in events:
            pid = owner.get(f.fid)
            g = shapes[str(pid)] if pid is not None and str(pid) in shapes else f.geometry
            out.append(Feature(f.id, f.fid, f.properties, g, f.version))
        return out

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
                parts.append(f"{quote_ident(name)} IS NULL")
            else:
                parts.append(f"{quote_ident(name)} = {ph}")
                params.append(coerce_value(col, value, name))
        if q.bbox is not None:
            s, p = self._spatial_sql(coll, shapely.box(*q.bbox), q.ledger_geometry)
            parts.append(s)
            params += p
        if q.intersects is not None:
            s, p = self._spatial_sql(coll, q.intersects, q.ledger_geometry)
            parts.append(s)
            params += p
        if q.filter is not None:
            s, p = cql.to_sql(q.filter, coll, self._dialect(coll, q.ledger_geometry))
            parts.append(s)
            params += p
        return parts, params

    def query(self, collection: str, q: Query) -> Page:
        coll = self._collection(collection)
        past = self._past(q) if collection == "parcels" else None
        if collection == "ledger" and q.known_at is not None:
            known = known_at_iso(q.known_at)
            check_known_at(known, self.created_at(), self._label())
            until = cql.Cmp("recorded_at", "<=", known)
            q = dataclasses.replace(q, known_at=None, filter=until if q.filter is None
                                    else cql.And((q.filter, until)))
        if past is not None:  # a past register: from the history, without the R-tree
            coll = dataclasses.replace(coll, name="parcels_past")
            return self._query(collection, coll, q,
                               self._history_source(coll, *past))
        return self._query(collection, coll, q, None)

    def _query(self, collection: str, coll: Collection, q: Query,
               source: str | None) -> Page:
        ph = self.placeholder
        parts, params = self._where(coll, q)
        keys = order_keys(coll, q.sortby)
        count = None
        if q.count:
            if not parts and source is None:
                count = self.count(collection)
            elif not parts:
                count = int(self._fetch(f"SELECT COUNT(*) FROM {source}", [])[0][0])
            else:
                sql = (f"SELECT COUNT(*) FROM {source or self._source(coll, q.lang)} "
                       "WHERE " + " AND ".join(parts))
                count = int(self._fetch(sql, params)[0][0])
        kparts = list(parts)
        kparams = list(params)
        if q.after is not None:
            s, p = keyset_condition(keys, check_cursor(keys, tuple(q.after)), ph)
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
        select = ['"fid"'] + [quote_ident(c) for c in sel_cols]
        select += [k[0] for k in keys[:-1]]
        extra = collection == "parcels"
        if extra:
            select += ['"version"', '"extra"']
        if not q.skip_geometry:
            select.append(self._geom_select())
        limit = max(0, int(q.limit))
        sql = f"SELECT {', '.join(select)} FROM {source or self._source(coll, q.lang)}"
        if kparts:
            sql += " WHERE " + " AND ".join(kparts)
        sql += " ORDER BY " + ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d, _ in keys)
        sql += f" LIMIT {limit + 1}"
        rows = self._fetch(sql, kparams)
        more = len(rows) > limit
        rows = rows[:limit]
        feats = self._rows_to_features(coll, rows, sel_cols, len(keys) - 1, extra,
                                       not q.skip_geometry, q.properties is None)
        if collection == "ledger" and not q.skip_geometry:
            feats = self._parcel_geometries(feats, q.ledger_geometry)
        next_key = None
        if more and rows:
            last = rows[-1]
            nsel = 1 + len(sel_cols)
            next_key = (*last[nsel : nsel + len(keys) - 1], int(last[0]))
        return Page(feats, next_key, count)

    def zones(self) -> list[str]:
        rows = self._fetch('SELECT DISTINCT "zone" FROM parcels WHERE "zone" IS NOT NULL '
                           'ORDER BY "zone"', [])
        return [str(r[0]) for r in rows if str(r[0]).strip()]

    def count_and_mu(self, q: Query) -> tuple[int, float]:
        coll = COLLECTIONS["parcels"]
        parts, params = self._where(coll, q)
        sql = f'SELECT COUNT(*), SUM("area_mu") FROM {self._source(coll, q.lang)}'
        if parts:
            sql += " WHERE " + " AND ".join(parts)
        r = self._fetch(sql, params)[0]
        return int(r[0]), float(r[1] or 0.0)

    def sort_values(self, name: str, ids: Sequence[str] | None = None
                    ) -> tuple[list[str], np.ndarray, np.ndarray] | None:
        coll = COLLECTIONS["parcels"]
        expr, _, col = order_keys(coll, [(name, False)])[0]
        if col is None or col.kind not in ("real", "int"):
            return None
        sql = f'SELECT "parcel_id", "fid", {expr} FROM {self._source(coll)}'
        rows: list[tuple[Any, ...]] = []
        if ids is None:
            rows = self._fetch(sql, [])
        for i in range(0, len(ids or ()), 500):
            part = list(ids[i : i + 500])  # type: ignore[index]
            rows += self._fetch(sql + f' WHERE "parcel_id" IN '
                                f"({', '.join([self.placeholder] * len(part))})", part)
        fid = np.array([int(r[1]) for r in rows], dtype=np.int64)
        value = np.array([float(r[2]) for r in rows], dtype=np.float64)
        return [str(r[0]) for r in rows], fid, value

    def matching(self, q: Query) -> tuple[list[str], np.ndarray]:
        coll = COLLECTIONS["parcels"]
        parts, params = self._where(coll, q)
        sql = f'SELECT "parcel_id", "area_mu" FROM {self._source(coll, q.lang)}'
        if parts:
            sql += " WHERE " + " AND ".join(parts)
        rows = self._fetch(sql, params)
        mu = np.array([0.0 if r[1] is None else float(r[1]) for r in rows], dtype=np.float64)
        return [str(r[0]) for r in rows], mu

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
        names = [c.name for c in cols]
        # the columns whose stored values need a conversion (the rest are taken as they are)
        convert = [(c.name, _FROM_DB[c.kind]) for c in cols if c.kind in _FROM_DB]
        geoms = self._decode_geoms([r[-1] for r in rows]) if with_geom else [None] * len(rows)
        out = []
        end = 1 + len(cols)
        base = end + nkeys
        for r, g in zip(rows, geoms, strict=True):
            props = dict(zip(names, r[1:end], strict=True))
            for name, to in convert:
                v = props[name]
                if v is not None:
                    props[name] = to(v)
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
                f"collection '{name}' does not exist. Fix: use one of {', '.join(COLLECTIONS)}."
            ) from None

    def get(self, collection: str, item_id: str, lang: str = "zh",
            ledger_geometry: str = "point") -> Feature:
        coll = self._collection(collection)
        page = self.query(collection, Query(equals={coll.id_column: item_id}, limit=1,
                                            lang=lang, ledger_geometry=ledger_geometry))
        if not page.features:
            what = {"parcels": "parcel", "ledger": "event"}.get(collection, collection)
            raise NotFoundError(f"{what} '{item_id}' is not in the store.")
        return page.features[0]

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
        return [stored_event({str(k): v for k, v in r.items()})
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
            f"INSERT INTO ledger ({', '.join(quote_ident(c) for c in cols)}, geom) VALUES "
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
        self, parcels: gpd.GeoDataFrame, ledger: pd.DataFrame | None = None,
        actor: str = "load", effective: str | None = None,
    ) -> dict[str, int]:
        prepared = prepare_parcels(parcels)
        events = ledger_pairs(ledger) if ledger is not None else []
        if effective is not None:
            effective = dt.date.fromisoformat(str(effective)[:10]).isoformat()
        with self._tx() as cur:
            self._lock_for_load(cur)
            cur.execute("SELECT COUNT(*) FROM parcels")
            n = int(cur.fetchone()[0])
            if n and effective is None:
                raise ConflictError(
                    f"{self._label()}: the store already holds {n} parcels. Fix: give "
                    "--effective DATE to record the register as a new version taking effect "
                    f"that day, or {self.load_fix}"
                )
            if n:
                counts = self._load_version(cur, prepared, effective or SINCE_ALWAYS, actor)
            else:
                stamp = now_iso()
                self._insert_parcels(cur, prepared, stamp)
                self._check_lineage(cur, prepared, prepared["parcel_id"].astype(str).tolist())
                self._copy_history(cur, None, "added", effective or SINCE_ALWAYS, stamp,
                                   actor)
                counts = {"added": len(prepared), "changed": 0, "retired": 0}
                self._audit(cur, actor, "load", "parcels", {
                    "parcels": len(prepared), "events": len(events),
                    "effective": effective or SINCE_ALWAYS})
            cur.execute("SELECT COUNT(*) FROM parcels WHERE retired_on IS NULL")
            current = int(cur.fetchone()[0])
            cur.execute("UPDATE landuse_meta SET value = ? WHERE key = 'parcels_count'",
                        (str(current),))
            self._insert_events(cur, events, actor, source=f"{self._label()}: ledger to load",
                                unknown_fields="ignore")
        self._after_load()
        return {"parcels": len(prepared), "events": len(events), **counts}

    def _copy_history(self, cur: Any, ids: list[str] | None, change: str, valid_from: str,
                      stamp: str, actor: str, fields: dict[str, list[str]] | None = None,
                      ) -> None:
        """Copy parcels (all, or ``ids``) as they now are into ``parcel_history``."""
        cols = ", ".join(quote_ident(c) for c in HISTORY_COPY)
        head = (f"INSERT INTO parcel_history ({cols}, change, changed_fields, valid_from, "
                f"recorded_at, recorded_by) SELECT {cols}, ?, ?, ?, ?, ? FROM parcels")
        if ids is None:
            cur.execute(head + " ORDER BY fid", (change, None, valid_from, stamp, actor))
            return
        cur.executemany(head + " WHERE parcel_id = ?", [
            (change, ";".join(fields[i]) if fields and i in fields else None, valid_from,
             stamp, actor, i) for i in ids])

    def _stored_register(self, cur: Any) -> gpd.GeoDataFrame:
        """Every parcel of the table (retired ones too) with its stored values."""
        names = COLLECTIONS["parcels"].names
        cur.execute(f"SELECT {', '.join(quote_ident(c) for c in names)}, extra, retired_on, "
                    f"{self._geom_select()} FROM parcels ORDER BY fid")
        rows = cur.fetchall()
        cols = [COLLECTIONS["parcels"].column(c) for c in names]
        data: dict[str, Any] = {
            c.name: pd.Series([self._from_db(c, r[k]) for r in rows], dtype=object)
            for k, c in enumerate(cols)}
        data["extra"] = [r[len(names)] for r in rows]
        data["retired_on"] = [r[len(names) + 1] for r in rows]
        return gpd.GeoDataFrame(data, geometry=self._decode_geoms([r[-1] for r in rows]),
                                crs=STORAGE_SRID)

    def _check_lineage(self, cur: Any, prepared: gpd.GeoDataFrame, added: list[str]) -> None:
        """:func:`landuse.store.history.check_lineage` against the store's history."""
        from landuse.core.area import ellipsoidal_area_m2

        parents = {p for v in prepared["parent_ids"] for p in parse_parent_ids(v)}
        if not parents:
            return
        cur.execute("SELECT DISTINCT parcel_id FROM parcel_history")
        known = {str(r[0]) for r in cur.fetchall()}
        areas: dict[str, float] = {}
        rows = self._fetch_in(
            cur, f"SELECT parcel_id, {self._geom_select()} FROM parcel_history WHERE hid IN "
            "(SELECT MAX(hid) FROM parcel_history WHERE parcel_id IN ({}) GROUP BY parcel_id)",
            sorted(parents))
        if rows:
            g = gpd.GeoSeries(self._decode_geoms([r[1] for r in rows]), crs=STORAGE_SRID)
            areas = dict(zip([str(r[0]) for r in rows], map(float, ellipsoidal_area_m2(g)),
                             strict=True))
        in_new = prepared[prepared["parcel_id"].astype(str).isin(parents - set(areas))]
        if len(in_new):
            areas |= dict(zip(in_new["parcel_id"].astype(str),
                              map(float, ellipsoidal_area_m2(in_new.geometry)), strict=True))
        kids = prepared[prepared["parcel_id"].astype(str).isin(set(added))]
        child = dict(zip(kids["parcel_id"].astype(str),
                         map(float, ellipsoidal_area_m2(kids.geometry)), strict=True))
        check_lineage(prepared, known, added, areas, child, self._label())

    def _load_version(self, cur: Any, prepared: gpd.GeoDataFrame, effective: str,
                      actor: str) -> dict[str, int]:
        """Record ``prepared`` as a version of the register taking effect on ``effective``:
        only what changed, nothing overwritten in the history, nothing deleted."""
        diff = diff_register(self._stored_register(cur), prepared)
        if not diff.touched:
            return diff.counts()
        last = dict(self._fetch_in(
            cur, "SELECT parcel_id, MAX(valid_from) FROM parcel_history WHERE parcel_id IN ({}) "
            "GROUP BY parcel_id", diff.touched))
        check_effective(effective, {str(k): str(v) for k, v in last.items()}, diff.touched,
                        self._label())
        self._check_lineage(cur, prepared, [*diff.added, *diff.readded])
        stamp = now_iso()
        names = [*COLLECTIONS["parcels"].names, "extra"]
        by_id = prepared.set_index(prepared["parcel_id"].astype(str), drop=False)
        if diff.added:
            cols = ", ".join(quote_ident(c) for c in names)
            rows = by_id.loc[diff.added]
            values = rows[names].astype(object).to_numpy()
            cur.executemany(
                f"INSERT INTO parcels ({cols}, version, updated_at, geom) VALUES "
                f"({', '.join('?' for _ in names)}, 1, ?, {self._geom_param_sql()})",
                [(*row, stamp, self._geom_param(g))
                 for row, g in zip(values, rows.geometry.to_numpy(), strict=True)])
        upd = [*diff.readded, *diff.changed]
        if upd:
            sets = ", ".join(f"{quote_ident(c)} = ?" for c in names if c != "parcel_id")
            rows = by_id.loc[upd]
            values = rows[[c for c in names if c != "parcel_id"]].astype(object).to_numpy()
            cur.executemany(
                f"UPDATE parcels SET {sets}, retired_on = NULL, version = version + 1, "
                f"updated_at = ?, geom = {self._geom_param_sql()} WHERE parcel_id = ?",
                [(*row, stamp, self._geom_param(g), pid)
                 for row, g, pid in zip(values, rows.geometry.to_numpy(), upd, strict=True)])
        if diff.retired:
            cur.executemany(
                "UPDATE parcels SET retired_on = ?, version = version + 1, updated_at = ? "
                "WHERE parcel_id = ?", [(effective, stamp, i) for i in diff.retired])
        self._copy_history(cur, [*diff.added, *diff.readded], "added", effective, stamp, actor)
        self._copy_history(cur, list(diff.changed), "changed", effective, stamp, actor,
                           diff.changed)
        self._copy_history(cur, diff.retired, "retired", effective, stamp, actor)
        if diff.added or diff.readded or any("geometry" in f for f in diff.changed.values()):
            self._extend_bounds(cur, prepared.total_bounds, stamp)
        self._audit(cur, actor, "load.version", "parcels", {
            "effective": effective, **diff.counts(),
            "retired_ids": diff.retired[:100], "added_ids": (diff.added + diff.readded)[:100]})
        return diff.counts()

    @abc.abstractmethod
    def _extend_bounds(self, cur: Any, bounds: Any, stamp: str) -> None:
        """Widen the stored extent of the parcels to cover ``bounds`` (minx, miny, maxx,
        maxy) inside ``cur``'s transaction."""

    def count(self, collection: str) -> int:
        coll = self._collection(collection)
        if coll.name == "parcels":
            return int(self._fetch(
                "SELECT value FROM landuse_meta WHERE key = 'parcels_count'", [])[0][0])
        return int(self._fetch(f"SELECT COUNT(*) FROM {quote_ident(coll.table)}", [])[0][0])

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
                f"ESCAPE '\\' AND retired_on IS NULL ORDER BY holder, parcel_id LIMIT {ph}",
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
        changes = parcel_changes(parcel_id, properties, geometry)
        sets = [f"{quote_ident(k)} = ?" for k in changes]
        params: list[Any] = list(changes.values())
        if geometry is not None:
            sets.append(f"geom = {self._geom_param_sql()}")
            params.append(self._geom_param(geometry))
        sets += ["version = version + 1", "updated_at = ?"]
        params.append(now_iso())
        with self._tx() as cur:
            cur.execute(
                f"SELECT version, {', '.join(quote_ident(k) for k in changes) or 'version'} "
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
            stamp = now_iso()
            cur.execute("SELECT MAX(valid_from) FROM parcel_history WHERE parcel_id = ?",
                        (parcel_id,))
            last = cur.fetchone()[0]
            self._copy_history(cur, [parcel_id], "changed", max(stamp[:10], str(last or "")),
                               stamp, actor,
                               {parcel_id: [*changes, *(["geometry"] if geometry else [])]})
            self._audit(cur, actor, "parcel.update", parcel_id, {
                "from_version": int(expected_version), "before": before, "after": changes,
                "geometry_changed": geometry is not None,
            })
        return self.get_parcel(parcel_id)

    # the materialised assessment --------------------------------------------------------------
    def change_seq(self) -> int:
        rows = self._fetch("SELECT MAX(seq) FROM audit", [])
        return int(rows[0][0] or 0)

    _STATE_SQL = ("SELECT key, value FROM landuse_meta WHERE key IN "
                  "('assessment_as_of', 'assessment_ruleset', 'assessment_seq', "
                  "'assessment_ranks_stale')")

    def assessment_state(self) -> dict[str, Any] | None:
        return self._state_of(self._fetch(self._STATE_SQL, []))

    def _state_and_seq(self) -> tuple[dict[str, Any] | None, int]:
        """:meth:`assessment_state` and :meth:`change_seq` in one round trip to the database
        (what every parcels request asks first)."""
        rows = self._fetch(f"{self._STATE_SQL} UNION ALL SELECT 'change_seq', "
                           "CAST(MAX(seq) AS TEXT) FROM audit", [])
        seq = next((v for k, v in rows if k == "change_seq"), None)
        return self._state_of([r for r in rows if r[0] != "change_seq"]), int(seq or 0)

    @staticmethod
    def _state_of(rows: list[tuple[Any, ...]]) -> dict[str, Any] | None:
        meta = {str(k).removeprefix("assessment_"): v for k, v in rows}
        if not {"as_of", "ruleset", "seq"} <= set(meta):
            return None
        return {"as_of": meta["as_of"], "ruleset": meta["ruleset"], "seq": int(meta["seq"]),
                "ranks_stale": meta.get("ranks_stale") == "1"}

    def assessment_frame(self, lang: str = "zh") -> pd.DataFrame:
        names = [c.name for c in ASSESSMENT]
        cols = ", ".join(f"a.{quote_ident(stored_column(n, lang))}" for n in names)
        rows = self._fetch(
            f"SELECT a.parcel_id, {cols}, a.as_of, a.ruleset FROM parcel_assessment a "
            "JOIN parcels p ON p.parcel_id = a.parcel_id ORDER BY p.fid", [])
        return assessment_table(rows)

    def _insert_assessment(self, cur: Any, cols: list[str], rows: list[tuple[Any, ...]],
                           table: str = "parcel_assessment") -> None:
        """Insert the assessment rows into ``table`` (inside ``cur``'s transaction)."""
        cur.executemany(
            f"INSERT INTO {table} ({', '.join(quote_ident(c) for c in cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})", rows)

    def refresh_assessment(self, as_of: str, ruleset: Any = None, wait: bool = True,
                           exact_ranks: bool = False) -> dict[str, Any]:
        from landuse.rules import Ruleset, default_ruleset, load_ruleset

        as_of = dt.date.fromisoformat(str(as_of)[:10]).isoformat()
        if isinstance(ruleset, Ruleset):
            rs = ruleset
        else:
            rs = default_ruleset() if ruleset is None else load_ruleset(ruleset)

        def fresh(state: dict[str, Any] | None, seq: int) -> bool:
            return (state is not None and state["seq"] == seq and state["as_of"] == as_of
                    and state["ruleset"] == rs.label
                    and not (exact_ranks and state["ranks_stale"]))

        state, now = self._state_and_seq()
        if fresh(state, now):
            return {**state, "current": True}  # type: ignore[dict-item]
        if exact_ranks and state is not None:
            return self._whole_beside(as_of, rs, wait, fresh)
        block = wait or state is None
        if not self._assess_lock.acquire(blocking=block):
            return {**state, "current": False}  # type: ignore[dict-item]
        try:  # one refresh at a time in this process, and across processes (the store lock)
            with self._assess_across(block) as got:
                if not got:
                    return {**state, "current": False}  # type: ignore[dict-item]
                seq = self.change_seq()  # read before the parcels: a later write re-triggers
                state = self.assessment_state()
                if fresh(state, seq):  # made by another process while this one waited
                    return {**state, "current": True}  # type: ignore[dict-item]
                if (state is not None and not exact_ranks and state["as_of"] == as_of
                        and state["ruleset"] == rs.label):
                    patched = self._patch_assessment(state, seq, rs)
                    if patched is not None:
                        return {**patched, "current": True}
                return {**self._full_assessment(as_of, rs, seq), "current": True}
        finally:
            self._assess_lock.release()

    def _set_assessment_meta(self, cur: Any, values: dict[str, str]) -> None:
        """Record the assessment table's state, and count one more refresh of it (whole or
        patched: :meth:`assessment_runs`); a whole one (``values`` name the date) also
        counts in :meth:`assessment_made`."""
        for k, v in values.items():
            cur.execute(
                "INSERT INTO landuse_meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = excluded.value", (f"assessment_{k}", v))
        for counter in ("runs", "made") if "as_of" in values else ("runs",):
            cur.execute(
                f"INSERT INTO landuse_meta (key, value) VALUES ('assessment_{counter}', '1') "
                "ON CONFLICT (key) DO UPDATE SET value = "
                "CAST(CAST(landuse_meta.value AS INTEGER) + 1 AS TEXT)", ())

    def _full_assessment(self, as_of: str, rs: Any, seq: int) -> dict[str, Any]:
        """Assess every parcel and replace the whole table (the zone's ranks exact)."""
        from landuse.rules.assess import assess_languages

        parcels = self.parcels_frame()
        label = rs.label
        assessed = assess_languages(parcels, as_of, ruleset=rs, langs=LANGS)
        cols, rows = assessment_rows(assessed, as_of, label)
        with self._tx() as cur:
            cur.execute("DELETE FROM parcel_assessment")
            self._insert_assessment(cur, cols, rows)
            self._set_assessment_meta(cur, {"as_of": as_of, "ruleset": label,
                                            "seq": str(seq), "ranks_stale": "0"})
        return {"as_of": as_of, "ruleset": label, "seq": seq, "ranks_stale": False}

    # the whole refresh beside the table (issue 15) ------------------------------------------
    STAGE = "parcel_assessment_next"
    """The table a whole refresh fills beside ``parcel_assessment`` and then swaps in."""

    def _whole_beside(self, as_of: str, rs: Any, wait: bool, fresh: Any) -> dict[str, Any]:
        """The whole assessment (exact 亩均 ranks) made while writes go on: assessed from the
        register as it stands, written into table :attr:`STAGE`, all without the store lock
        (writers patch the table meanwhile); then, under the lock, the writes made since
        are patched onto it (:meth:`_patch_rows`) and it takes the place of
        ``parcel_assessment`` in one transaction of renames, so the lock is held for the
        patch and the renames, not for the assessment. ``ranks_stale`` stays set when a
        write since moved a rated enterprise (the next whole refresh follows)."""
        from landuse.rules.assess import assess_languages

        if not self._ranks_lock.acquire(blocking=wait):
            return {**self.assessment_state(), "current": False}  # type: ignore[dict-item]
        try:
            with self._assess_across(wait, "ranks") as got:
                state, now = self._state_and_seq()
                if not got or fresh(state, now):
                    return {**state, "current": bool(got)}  # type: ignore[dict-item]
                seq = self.change_seq()  # read before the parcels: a later write is patched
                assessed = assess_languages(self.parcels_frame(), as_of, ruleset=rs,
                                            langs=LANGS)
                self._stage_assessment(*assessment_rows(assessed, as_of, rs.label))
                del assessed
                stale = False
                for _ in range(3):  # catch up with the writes made meanwhile, still unlocked
                    caught = self._catch_up(as_of, rs, seq)
                    if caught is None or caught[0] == seq:
                        break
                    seq, stale = caught[0], stale or caught[1]
                with self._assess_lock, self._assess_across(True):
                    return {**self._install_stage(as_of, rs, seq, stale), "current": True}
        finally:
            self._ranks_lock.release()

    def _catch_up(self, as_of: str, rs: Any, seq: int,
                  cur: Any = None) -> tuple[int, bool] | None:
        """Patch onto table :attr:`STAGE` (as of change ``seq``) the writes made since:
        ``(the change it is now as of, whether they may have moved the ranks)``; None when
        they cannot be patched (more than ledger events and edits). The writes are taken
        :attr:`patch_max_writes` at a time. In ``cur``'s transaction (under the store
        lock), or else in batches of :attr:`STAGE_BATCH` rows, each in a transaction of
        its own (:meth:`_write_stage_rows`): a write made meanwhile waits for one batch at
        most."""
        now, stale = self.change_seq(), False
        while seq < now:
            upto = min(now, seq + self.patch_max_writes)
            touched = self._touched_since(seq, upto)
            patch = None if touched is None else self._patch_rows(touched, as_of, rs,
                                                                  self.STAGE)
            if patch is None:
                return None
            if patch[2] and cur is not None:
                self._replace_assessment_rows(cur, *patch[:3], table=self.STAGE)
            elif patch[2]:
                self._write_stage_rows(*patch[:3])
            seq, stale = upto, stale or patch[3]
        return seq, stale

    STAGE_BATCH = 500
    """Rows per transaction when rows are written into table :attr:`STAGE` beside
    the writers (the whole refresh's catch-up; the GeoPackage's staging too)."""

    STAGE_PAUSE_S = 0.002
    """Pause after each such batch: a write woken by the batch's commit takes its turn
    before the next batch asks for one."""

    def _stage_tx(self) -> Any:
        """The transaction of one batch written into table :attr:`STAGE`."""
        return self._tx()

    def _after_batch(self) -> None:
        """Between two batches written into table :attr:`STAGE` (:attr:`STAGE_PAUSE_S`)."""
        time.sleep(self.STAGE_PAUSE_S)

    def _write_stage_rows(self, cols: list[str], rows: list[tuple[Any, ...]],
                          ids: list[str]) -> None:
        """Replace the rows of parcels ``ids`` of table :attr:`STAGE` by ``rows`` (aligned
        with ``ids``), :attr:`STAGE_BATCH` at a time, each batch in a transaction of its
        own (:meth:`_stage_tx`)."""
        n = self.STAGE_BATCH
        for i in range(0, len(ids), n):
            with self._stage_tx() as cur:
                self._replace_assessment_rows(cur, cols, rows[i : i + n], ids[i : i + n],
                                              table=self.STAGE)
            self._after_batch()

    def _install_stage(self, as_of: str, rs: Any, seq: int, stale: bool) -> dict[str, Any]:
        """Put table :attr:`STAGE` (the whole assessment as of change ``seq``, with
        ``stale`` ranks when writes patched onto it may have moved them) in the place of
        ``parcel_assessment``, the writes after ``seq`` patched onto it first (under the
        store lock: usually none or one)."""
        with self._tx() as cur:
            caught = self._catch_up(as_of, rs, seq, cur)
            if caught is not None:
                now, stale = caught[0], stale or caught[1]
                self._swap_stage(cur)
                self._set_assessment_meta(cur, {"as_of": as_of, "ruleset": rs.label,
                                                "seq": str(now), "ranks_stale": "1" if stale
                                                else "0"})
        if caught is None:  # more than ledger events and edits since: make it whole here
            return self._full_assessment(as_of, rs, self.change_seq())
        return {"as_of": as_of, "ruleset": rs.label, "seq": now, "ranks_stale": stale}

    @abc.abstractmethod
    def _stage_assessment(self, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Make table :attr:`STAGE` hold ``rows`` (columns ``cols``) and nothing else, in
        transactions short enough that writers do not wait for it."""

    def _swap_stage(self, cur: Any) -> None:
        """Swap the names of ``parcel_assessment`` and :attr:`STAGE` (inside ``cur``'s
        transaction): the staged table is read from now on, the old one is the next
        stage."""
        cur.execute(f"ALTER TABLE parcel_assessment RENAME TO {self.STAGE}_old")
        cur.execute(f"ALTER TABLE {self.STAGE} RENAME TO parcel_assessment")
        cur.execute(f"ALTER TABLE {self.STAGE}_old RENAME TO {self.STAGE}")

    # incremental refresh (issue 15) ---------------------------------------------------------
    patch_max_writes = 1000
    """Above this many writes since the table was made, it is made again whole."""

    def writes_since(self, after: int, upto: int) -> dict[str, set[str]] | None:
        """What the writes after audit record ``after`` (up to ``upto``) touched:
        ``{"parcels": ids, "events": event ids}`` (a ledger event touches its parcel, an
        edit its parcel, a key change nothing). None when a write may have changed more
        (a load, an action this engine does not know) or there are more than
        :attr:`patch_max_writes`."""
        if upto - after > self.patch_max_writes:
            return None
        ph = self.placeholder
        rows = self._fetch(f"SELECT action, target, detail FROM audit WHERE seq > {ph} AND "
                           f"seq <= {ph}", [int(after), int(upto)])
        out: dict[str, set[str]] = {"parcels": set(), "events": set()}
        for action, target, detail in rows:
            if str(action).startswith("key."):
                continue
            if action == "parcel.update":
                out["parcels"].add(str(target))
                continue
            d = json.loads(detail) if isinstance(detail, str) else detail
            if action != "ledger.append" or not isinstance(d, dict) or not d.get("parcel_id"):
                return None
            out["parcels"].add(str(d["parcel_id"]))
            out["events"].add(str(target))
        return out

    def _touched_since(self, after: int, upto: int) -> set[str] | None:
        w = self.writes_since(after, upto)
        return None if w is None else w["parcels"]

    def _context_parcels(self, ids: set[str]) -> gpd.GeoDataFrame:
        """The parcels ``ids`` and every parcel sharing their credit code or holder (a
        superset of their enterprises' parcels, :func:`landuse.rules.incremental.context_ids`)."""
        names = COLLECTIONS["parcels"].names

        def frame(node: cql.Node) -> gpd.GeoDataFrame:
            feats, after = [], None
            while True:
                page = self.query("parcels", Query(filter=node, limit=10_000, after=after,
                                                   properties=names))
                feats += page.features
                if page.next_key is None:
                    return features_frame(feats, COLLECTIONS["parcels"], geo=True)
                after = page.next_key

        keys: list[tuple[Any, ...]] = []
        todo, ph = sorted(ids), self.placeholder
        for i in range(0, len(todo), 500):
            part = todo[i : i + 500]
            keys += self._fetch('SELECT "credit_code", "holder" FROM parcels WHERE "parcel_id" '
                                f"IN ({', '.join([ph] * len(part))})", part)
        parts: list[cql.Node] = [cql.In("parcel_id", tuple(sorted(ids)))]
        for k, name in enumerate(("credit_code", "holder")):
            vals = sorted({str(r[k]) for r in keys if r[k] is not None and str(r[k]).strip()})
            if vals:
                parts.append(cql.In(name, tuple(vals)))
        return frame(parts[0] if len(parts) == 1 else cql.Or(tuple(parts)))

    def _assessment_of(self, ids: list[str], lang: str,
                       table: str = "parcel_assessment") -> pd.DataFrame:
        names = [c.name for c in ASSESSMENT]
        cols = ", ".join(quote_ident(stored_column(n, lang)) for n in names)
        rows: list[tuple[Any, ...]] = []
        ph = self.placeholder
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows += self._fetch(f"SELECT parcel_id, {cols}, as_of, ruleset FROM "
                                f"{table} WHERE parcel_id IN "
                                f"({', '.join([ph] * len(part))})", part)
        return assessment_table(rows)

    def _patch_assessment(self, state: dict[str, Any], seq: int,
                          rs: Any) -> dict[str, Any] | None:
        """Bring the table from ``state`` to ``seq`` by re-assessing only the parcels the
        writes in between touched (:func:`landuse.rules.reassess`); None when it cannot
        (then the caller makes it whole)."""
        touched = self._touched_since(int(state["seq"]), seq)
        if touched is None:
            return None
        as_of, label = state["as_of"], rs.label
        patch = self._patch_rows(touched, as_of, rs)
        if patch is None:
            return None
        stale = bool(state["ranks_stale"]) or patch[3]
        with self._tx() as cur:
            if patch[2]:
                self._replace_assessment_rows(cur, *patch[:3])
            self._set_assessment_meta(cur, {"seq": str(seq),
                                            "ranks_stale": "1" if stale else "0"})
        return {"as_of": as_of, "ruleset": label, "seq": seq, "ranks_stale": stale}

    def _patch_rows(self, touched: set[str], as_of: str, rs: Any,
                    table: str = "parcel_assessment",
                    ) -> tuple[list[str], list[tuple[Any, ...]], list[str], bool] | None:
        """The rows that replace those of ``table`` after writes that touched ``touched``:
        ``(columns, rows, their parcel ids, ranks_stale)`` (no rows when no touched parcel
        is registered); None when a context parcel has no row in ``table``."""
        from landuse.rules.incremental import reassess_languages

        if touched:
            ctx = self._context_parcels(touched)
            touched = touched & set(ctx["parcel_id"])  # an event of a parcel no longer registered
        if not touched:
            return [], [], [], False
        ids = ctx["parcel_id"].astype(str).tolist()
        prev = {lang: self._assessment_of(ids, lang, table) for lang in LANGS}
        if any(len(p) != len(ids) for p in prev.values()):
            return None  # a parcel without a row: make the table whole
        out = reassess_languages(prev, ctx, touched, as_of, rs)
        cols, rows = assessment_rows({k: v.rows for k, v in out.items()}, as_of, rs.label)
        return cols, rows, [r[0] for r in rows], any(r.ranks_stale for r in out.values())

    def _replace_assessment_rows(self, cur: Any, cols: list[str], rows: list[tuple[Any, ...]],
                                 ids: list[str], table: str = "parcel_assessment") -> None:
        """Replace the rows of parcels ``ids`` of ``table`` by ``rows``."""
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            cur.execute(f"DELETE FROM {table} WHERE parcel_id IN "
                        f"({', '.join('?' for _ in part)})", part)
        self._insert_assessment(cur, cols, rows, table)

    # history: the register as of a date, as known at a time ---------------------------------
    def created_at(self) -> str | None:
        rows = self._fetch("SELECT value FROM landuse_meta WHERE key = 'created_at'", [])
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def parcels_frame(self, as_of: str | None = None,
                      known_at: str | None = None) -> gpd.GeoDataFrame:
        if as_of is None and known_at is None:
            return super().parcels_frame()
        valid = dt.date.fromisoformat(str(as_of)[:10]).isoformat() if as_of else "9999-12-31"
        known = known_at_iso(known_at) or now_iso()
        check_known_at(known, self.created_at(), self._label())
        coll = COLLECTIONS["parcels"]
        names = coll.names
        ph = self.placeholder
        rows = self._fetch(
            f"SELECT fid, {', '.join(quote_ident(c) for c in names)}, {self._geom_select()} "
            "FROM parcel_history WHERE hid IN (SELECT MAX(hid) FROM parcel_history "
            f"WHERE valid_from <= {ph} AND recorded_at <= {ph} GROUP BY parcel_id) "
            "AND change <> 'retired' ORDER BY fid", [valid, known])
        geoms = self._decode_geoms([r[-1] for r in rows])
        # column by column (the same conversions as a feature's, without a dict per row)
        values = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 2)
        data: dict[str, list[Any]] = {}
        for k, name in enumerate(names, start=1):
            conv = _FROM_DB.get(coll.column(name).kind)
            data[name] = list(values[k]) if conv is None else \
                [None if v is None else conv(v) for v in values[k]]
        return columns_frame(data, coll, geoms)

    def registers_frames(self, dates: Sequence[str | None], known_at: str | None = None,
                         workers: int = 1) -> list[gpd.GeoDataFrame]:
        """The register valid on each of ``dates`` (None: the latest version) as recorded
        by ``known_at``, each equal to ``parcels_frame(as_of=date, known_at=known_at)``,
        from one read of the history: a version valid on several dates is fetched, decoded
        and typed once (:func:`landuse.store.prepare.registers_from_versions`). With
        ``workers`` > 1, every other page of versions is fetched and typed by one of
        ``workers - 1`` processes with their own connections."""
        valids = [dt.date.fromisoformat(str(d)[:10]).isoformat() if d else "9999-12-31"
                  for d in dates]
        known = known_at_iso(known_at) or now_iso()
        check_known_at(known, self.created_at(), self._label())
        ph = self.placeholder
        picks: list[np.ndarray] = []
        for valid in valids:  # (hid, fid) of each parcel's version valid then
            rows = self._fetch(
                "SELECT hid, fid FROM parcel_history WHERE hid IN (SELECT MAX(hid) FROM "
                f"parcel_history WHERE valid_from <= {ph} AND recorded_at <= {ph} GROUP BY "
                "parcel_id) AND change <> 'retired'", [valid, known])
            picks.append(np.array(rows, dtype=np.int64).reshape(-1, 2))
        hids = np.unique(np.concatenate([p[:, 0] for p in picks]))
        coll = COLLECTIONS["parcels"]
        pages = [hids[lo:lo + HISTORY_PAGE] for lo in range(0, len(hids), HISTORY_PAGE)]
        typed = self._typed_pages(pages, workers)
        data = {n: np.concatenate([t[0][k] for t in typed]) if typed
                else np.array([], dtype=object) for k, n in enumerate(coll.names)}
        geoms = [g for t in typed for g in self._decode_geoms(t[1])]
        del typed
        versions = columns_frame(data, coll, geoms)  # type: ignore[arg-type]
        del geoms
        return registers_from_versions(versions, hids, picks, coll)

    def _history_select(self) -> str:
        """The versions of one page (a range of history ids)."""
        names = COLLECTIONS["parcels"].names
        ph = self.placeholder
        return (f"SELECT hid, {', '.join(quote_ident(c) for c in names)}, "
                f"{self._geom_select()} FROM parcel_history WHERE hid >= {ph} AND hid <= "
                f"{ph} ORDER BY hid")

    def _typed_pages(self, pages: list[np.ndarray],
                     workers: int) -> list[tuple[list[np.ndarray], list[Any]]]:
        """Each page's columns typed (:func:`_page_column`) and its stored geometries, in
        page order; with ``workers`` > 1 the odd pages are read by other processes."""
        if workers <= 1 or len(pages) < 2:
            return [self._typed_page(p) for p in pages]
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        out: list[Any] = [None] * len(pages)
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
        with ProcessPoolExecutor(max_workers=workers - 1, mp_context=ctx) as pool:
            theirs = {k: pool.submit(_page_elsewhere, self._target(), pages[k])
                      for k in range(1, len(pages), 2)}
            for k in range(0, len(pages), 2):
                out[k] = self._typed_page(pages[k])
            for k, job in theirs.items():
                out[k] = job.result()
        return out

    def _typed_page(self, page: np.ndarray) -> tuple[list[np.ndarray], list[Any]]:
        """The versions ``page`` (ascending history ids): their columns as
        :func:`_page_column` types them, and their geometries as stored."""
        coll = COLLECTIONS["parcels"]
        wanted = set(page.tolist())
        rows = [r for r in self._fetch(self._history_select(), [int(page[0]), int(page[-1])])
                if r[0] in wanted]
        columns = list(zip(*rows, strict=True)) if rows else [()] * (len(coll.names) + 2)
        del rows
        typed = [_page_column(columns[k], coll.column(name).kind, {})
                 for k, name in enumerate(coll.names, start=1)]
        return typed, list(columns[-1])

    @abc.abstractmethod
    def _target(self) -> str:
        """What :func:`landuse.store.open_store` opens this store from."""

    def ledger_frame(self, known_at: str | None = None) -> pd.DataFrame:
        if known_at is None:
            return super().ledger_frame()
        feats = []
        after = None
        while True:
            page = self.query("ledger", Query(limit=10_000, after=after, known_at=known_at,
                                              properties=COLLECTIONS["ledger"].names,
                                              skip_geometry=True))
            feats += page.features
            if page.next_key is None:
                break
            after = page.next_key
        return features_frame(feats, COLLECTIONS["ledger"], geo=False)

    def parcel_history(self, parcel_id: str) -> list[dict[str, Any]]:
        rows = self._fetch(
            "SELECT hid, change, changed_fields, valid_from, recorded_at, recorded_by, "
            "version, parent_ids FROM parcel_history WHERE parcel_id = "
            f"{self.placeholder} ORDER BY hid",
            [parcel_id])
        keys = ("seq", "change", "changed_fields", "valid_from", "recorded_at", "recorded_by",
                "version", "parent_ids")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    @abc.abstractmethod
    def _assess_across(self, block: bool,
                       what: str = "assessment") -> contextlib.AbstractContextManager[bool]:
        """Context manager holding the store-wide lock of the assessment refresh, shared by
        every process on the store; yields False when ``block`` is False and another
        process holds it. ``what="ranks"``: the lock of the whole refresh beside the table
        (:meth:`_whole_beside`), apart from the first so writers do not wait for it."""

    def temporal_extent(self, collection: str) -> tuple[str, str] | None:
        coll = self._collection(collection)
        if coll.temporal is None:
            return None
        col = quote_ident(coll.temporal)
        rows = self._fetch(f"SELECT MIN({col}), MAX({col}) FROM {quote_ident(coll.table)} "
                           f"WHERE {col} IS NOT NULL", [])
        if not rows or rows[0][0] is None:
            return None
        return str(rows[0][0])[:10], str(rows[0][1])[:10]

    def assessment_made(self) -> int:
        rows = self._fetch("SELECT value FROM landuse_meta WHERE key = 'assessment_made'", [])
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def assessment_runs(self) -> int:
        """How many times the assessment table was refreshed, made whole or patched after
        writes (0 before the first): once per store version, however many processes serve
        the store."""
        rows = self._fetch("SELECT value FROM landuse_meta WHERE key = 'assessment_runs'", [])
        return int(rows[0][0]) if rows else 0

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
        key_id, key, salt, digest = new_key(role)
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
        if not self._keys.check(key_id, secret, r[5], r[6]):
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
