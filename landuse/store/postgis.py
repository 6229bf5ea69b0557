"""The server store: PostgreSQL + PostGIS, for several users editing at once.

The schema is made by numbered SQL migrations (``landuse/store/migrations/NNN_*.sql``),
applied in one transaction under an advisory lock and recorded in ``landuse_migrations``.
Spatial predicates use the GiST index (``ST_Intersects``); every write is a transaction.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from landuse.errors import DataSourceError
from landuse.store.keyset import quote_ident
from landuse.store.schema import COLLECTIONS, STORAGE_SRID, Collection
from landuse.store.sql import SQLStore

__all__ = ["PostGISStore", "migrations", "safe_url"]

_LOCK_ID = 7_311_530_061  # advisory lock of the migrations


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as e:  # pragma: no cover - depends on the install
        raise DataSourceError(
            "PostGIS store needs psycopg. Fix: pip install 'landuse[postgis]'."
        ) from e
    return psycopg


def migrations() -> list[tuple[int, str, str]]:
    """The migrations shipped with landuse: (number, name, sql), in order."""
    out = []
    for f in resources.files("landuse.store.migrations").iterdir():
        m = re.match(r"(\d+)_(.+)\.sql$", f.name)
        if m:
            out.append((int(m.group(1)), m.group(2), f.read_text("utf-8")))
    return sorted(out)


class _Cursor:
    """A psycopg cursor that takes the '?' placeholders of the shared SQL."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        self.cur.execute(sql.replace("?", "%s"), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> _Cursor:
        self.cur.executemany(sql.replace("?", "%s"), rows)
        return self

    def fetchone(self) -> Any:
        return self.cur.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self.cur.fetchall())

    @property
    def rowcount(self) -> int:
        return int(self.cur.rowcount)


class PostGISStore(SQLStore):
    """A store in a PostGIS database; see the module docstring."""

    placeholder = "%s"

    def __init__(self, url: str, create: bool = True) -> None:
        super().__init__()
        self.url = url
        self.migrate()

    def _conn(self) -> Any:
        c = getattr(self._local, "conn", None)
        if c is None or c.closed:
            psycopg = _psycopg()
            try:
                c = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.Error as e:
                raise DataSourceError(
                    f"PostGIS at {safe_url(self.url)} cannot be reached ({e}). Fix: check "
                    "--database / LANDUSE_DATABASE_URL and that the server runs."
                ) from None
            self._keep_conn(c)
        return c

    def migrate(self) -> list[int]:
        """Apply the migrations not yet applied; returns their numbers."""
        applied: list[int] = []
        c = self._conn()
        with c.transaction(), c.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS landuse_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version FROM landuse_migrations")
            done = {r[0] for r in cur.fetchall()}
            for num, name, sql in migrations():
                if num in done:
                    continue
                cur.execute(sql)
                cur.execute("INSERT INTO landuse_migrations (version, name) VALUES (%s, %s)",
                            (num, name))
                applied.append(num)
        return applied

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._conn().cursor() as cur:
            cur.execute(sql, tuple(params))
            return cur.fetchall()

    @contextlib.contextmanager
    def _assess_across(self, block: bool, what: str = "assessment") -> Iterator[bool]:
        """A session advisory lock keyed by the schema the store lives in: every process
        serving this database refreshes the assessment in turn."""
        c = self._conn()
        suffix = ".landuse_assessment" if what == "assessment" else f".landuse_{what}"
        key = f"SELECT hashtext(current_schema() || '{suffix}')"
        if block:
            c.execute(f"SELECT pg_advisory_lock(({key}))")
        elif not c.execute(f"SELECT pg_try_advisory_lock(({key}))").fetchone()[0]:
            yield False
            return
        try:
            yield True
        finally:
            c.execute(f"SELECT pg_advisory_unlock(({key}))")

    @contextlib.contextmanager
    def _tx(self) -> Iterator[_Cursor]:
        c = self._conn()
        with c.transaction(), c.cursor() as cur:
            yield _Cursor(cur)

    # geometry hooks -------------------------------------------------------------------------
    def _geom_select(self) -> str:
        return 'ST_AsBinary("geom")'

    def _decode_geoms(self, values: list[Any]) -> list[BaseGeometry | None]:
        return list(shapely.from_wkb([None if v is None else bytes(v) for v in values]))

    def _intersects_sql(self, coll: Collection, geom: BaseGeometry) -> tuple[str, list[Any]]:
        return (f'ST_Intersects("geom", ST_GeomFromWKB(%s, {STORAGE_SRID}))',
                [shapely.to_wkb(geom)])

    def _geom_param_sql(self) -> str:
        return f"ST_GeomFromWKB(?, {STORAGE_SRID})"

    def _geom_param(self, geom: BaseGeometry | None) -> Any:
        return None if geom is None else shapely.to_wkb(geom)

    def _is_unique_violation(self, e: BaseException) -> bool:
        psycopg = _psycopg()
        return isinstance(e, psycopg.errors.UniqueViolation)

    # the rest of the interface --------------------------------------------------------------
    def bounds(self) -> tuple[float, float, float, float] | None:
        r = self._fetch("SELECT value FROM landuse_meta WHERE key = 'bounds'", [])
        if not r:
            return None
        return tuple(float(v) for v in r[0][0].split(","))  # type: ignore[return-value]

    def _search_ids(self, text: str, limit: int) -> list[tuple[Any, ...]]:
        esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self._fetch(
            "SELECT parcel_id, holder, zone FROM parcels WHERE parcel_id LIKE %s "
            "AND retired_on IS NULL "
            "ORDER BY parcel_id LIMIT %s",
            [esc + "%", int(limit)],
        )

    load_fix = "load into an empty database."

    def _target(self) -> str:
        return self.url

    def _label(self) -> str:
        return f"PostGIS store {safe_url(self.url)}"

    def _lock_for_load(self, cur: Any) -> None:
        cur.execute("LOCK TABLE parcels IN EXCLUSIVE MODE")

    def _insert_parcels(self, cur: Any, prepared: gpd.GeoDataFrame, stamp: str) -> None:
        cols = [*COLLECTIONS["parcels"].names, "extra"]
        geoms = shapely.set_srid(prepared.geometry.to_numpy(), STORAGE_SRID)
        hexes = shapely.to_wkb(geoms, hex=True, include_srid=True)
        values = prepared[cols].astype(object).to_numpy()
        copy_sql = (f"COPY parcels (fid, {', '.join(quote_ident(x) for x in cols)}, version, "
                    "updated_at, geom) FROM STDIN")
        with cur.cur.copy(copy_sql) as cp:
            for i, (row, h) in enumerate(zip(values, hexes, strict=True)):
                cp.write_row((i + 1, *row, 1, stamp, h))
        cur.execute("SELECT setval(pg_get_serial_sequence('parcels', 'fid'), ?)",
                    (max(len(prepared), 1),))
        tb = ",".join(repr(float(v)) for v in prepared.total_bounds)
        cur.execute("INSERT INTO landuse_meta VALUES ('bounds', ?) ON CONFLICT (key) "
                    "DO UPDATE SET value = EXCLUDED.value", (tb,))

    def _extend_bounds(self, cur: Any, bounds: Any, stamp: str) -> None:
        old = self.bounds()
        b = [float(v) for v in bounds]
        if old is not None:
            b = [min(old[0], b[0]), min(old[1], b[1]), max(old[2], b[2]), max(old[3], b[3])]
        cur.execute("INSERT INTO landuse_meta VALUES ('bounds', ?) ON CONFLICT (key) "
                    "DO UPDATE SET value = EXCLUDED.value", (",".join(map(repr, b)),))

    def _insert_assessment(self, cur: Any, cols: list[str], rows: list[tuple[Any, ...]],
                           table: str = "parcel_assessment") -> None:
        with cur.cur.copy(f"COPY {table} ({', '.join(quote_ident(c) for c in cols)}) "
                          "FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)

    def _stage_assessment(self, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Table :attr:`STAGE` (made like ``parcel_assessment``, its indexes too, when
        missing or when that gained columns since) emptied and filled by COPY in one
        transaction: a table no reader uses, so no writer waits for it."""
        stage = self.STAGE

        def columns(table: str) -> list[str]:
            return [r[0] for r in self._fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = %s ORDER BY ordinal_position", [table])]

        have = columns(stage)
        with self._tx() as cur:
            if have and sorted(have) != sorted(columns("parcel_assessment")):
                cur.execute(f"DROP TABLE {stage}")
                have = []
            if not have:
                cur.execute(f"CREATE TABLE {stage} (LIKE parcel_assessment INCLUDING ALL)")
            cur.execute(f"TRUNCATE {stage}")
            self._insert_assessment(cur, cols, rows, stage)
        self._conn().execute(f"ANALYZE {stage}")

    def _swap_stage(self, cur: Any) -> None:
        """Swap the two tables' names (:meth:`SQLStore._swap_stage`), then their indexes'
        names too: each index of ``parcel_assessment`` is called as migration 002 calls
        it (``parcel_assessment_pkey``, ``parcel_assessment_<column>``) and its twin on
        :attr:`STAGE` after that table (index names belong to the schema, not the table,
        so without this they would alternate with each swap)."""
        super()._swap_stage(cur)
        targets: dict[str, str] = {}
        for table in ("parcel_assessment", self.STAGE):
            rows = cur.execute(
                "SELECT ci.relname, ix.indisprimary, ARRAY(SELECT a.attname FROM "
                "unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON "
                "a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.ord) "
                "FROM pg_index ix JOIN pg_class ct ON ct.oid = ix.indrelid "
                "JOIN pg_class ci ON ci.oid = ix.indexrelid "
                "WHERE ct.relnamespace = current_schema()::regnamespace AND ct.relname = ?",
                [table]).fetchall()
            for name, primary, cols in rows:
                want = f"{table}_pkey" if primary else f"{table}_{'_'.join(cols)}"
                if name != want:
                    targets[name] = want
        for k, name in enumerate(targets):  # through names no index has, then to their own
            cur.execute(f"ALTER INDEX {quote_ident(name)} RENAME TO lu_swap_{k}")
        for k, want in enumerate(targets.values()):
            cur.execute(f"ALTER INDEX lu_swap_{k} RENAME TO {quote_ident(want)}")

    def _after_load(self) -> None:
        self._conn().execute("ANALYZE parcels")

    def integrity_check(self) -> list[str]:
        problems = []
        bad_idx = self._fetch(
            "SELECT indexrelid::regclass::text FROM pg_index i JOIN pg_class c "
            "ON c.oid = i.indrelid WHERE c.relname IN ('parcels', 'ledger', 'audit') "
            "AND NOT i.indisvalid", [])
        problems += [f"index {r[0]} is not valid" for r in bad_idx]
        orphans = self._fetch(
            "SELECT COUNT(*) FROM ledger l WHERE NOT EXISTS "
            "(SELECT 1 FROM parcels p WHERE p.parcel_id = l.parcel_id)", [])[0][0]
        if orphans:
            problems.append(f"{orphans} ledger events name parcels not in the register")
        return problems


def safe_url(url: str) -> str:
    """The URL without its password (for messages)."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
