"""The embedded store: one GeoPackage file (SQLite + the GeoPackage R-tree index).

GDAL, QGIS and pyogrio open the file as an ordinary GeoPackage (layers ``parcels`` and
``ledger``, table ``audit``). Python's sqlite3 cannot load SpatiaLite here, so the R-tree
answers the bounding-box part of a spatial predicate and shapely, registered as the SQL
function ``lu_intersects``, decides the exact test on the candidates. Writes run in
``BEGIN IMMEDIATE`` transactions in WAL mode with ``synchronous=FULL``: an acknowledged
write survives a killed server.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from landuse.errors import DataSourceError
from landuse.store.history import SINCE_ALWAYS
from landuse.store.keyset import quote_ident
from landuse.store.schema import (
    ASSESSMENT,
    ASSESSMENT_INDEXED,
    COLLECTIONS,
    STORAGE_SRID,
    SUPPLY_COLLECTIONS,
    TRANSLATED,
    Collection,
)
from landuse.store.sql import HISTORY_COPY, SQLStore
from landuse.store.supply import gpkg_supply_sql
from landuse.store.types import now_iso

__all__ = ["GeoPackageStore", "gpkg_blob"]

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 60
"""How long a write waits for other writers before it is refused (DataSourceError)."""
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_SQL_TYPE = {"text": "TEXT", "date": "DATE", "real": "DOUBLE", "int": "INTEGER",
             "bool": "BOOLEAN"}


def gpkg_blob(geom: BaseGeometry | None, srs_id: int = STORAGE_SRID) -> bytes | None:
    """Encode a geometry as a GeoPackage binary (header with xy envelope + WKB)."""
    if geom is None:
        return None
    if geom.is_empty:
        return b"GP\x00" + bytes([0x01 | 0x10]) + struct.pack("<i", srs_id) + shapely.to_wkb(geom)
    minx, miny, maxx, maxy = geom.bounds
    head = b"GP\x00" + bytes([0x03]) + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy)
    return head + shapely.to_wkb(geom, byte_order=1)


def _wkb_offset(blob: bytes) -> int:
    return 8 + _ENVELOPE_BYTES.get((blob[3] >> 1) & 0x07, 0)


def _blob_geom(blob: bytes | None) -> BaseGeometry | None:
    if blob is None:
        return None
    return shapely.from_wkb(bytes(blob[_wkb_offset(blob):]))


def _envelope(blob: bytes) -> tuple[float, float, float, float] | None:
    if (blob[3] >> 1) & 0x07 == 0:
        g = _blob_geom(blob)
        return None if g is None or g.is_empty else g.bounds
    minx, maxx, miny, maxy = struct.unpack_from("<4d", blob, 8)
    return minx, miny, maxx, maxy


class _Prepared:
    """Query geometries decoded and prepared once (small LRU keyed by WKB)."""

    def __init__(self, size: int = 64) -> None:
        self.cache: OrderedDict[bytes, tuple[BaseGeometry, tuple]] = OrderedDict()
        self.size = size
        self.lock = threading.Lock()

    def get(self, wkb: bytes) -> tuple[BaseGeometry, tuple]:
        with self.lock:
            hit = self.cache.get(wkb)
            if hit is not None:
                self.cache.move_to_end(wkb)
                return hit
        g = shapely.from_wkb(wkb)
        shapely.prepare(g)
        hit = (g, g.bounds)
        with self.lock:
            self.cache[wkb] = hit
            while len(self.cache) > self.size:
                self.cache.popitem(last=False)
        return hit


_PREPARED = _Prepared()


def _lu_intersects(blob: bytes | None, wkb: bytes | None) -> int:
    if blob is None or wkb is None:
        return 0
    q, (qx0, qy0, qx1, qy1) = _PREPARED.get(bytes(wkb))
    env = _envelope(blob)
    if env is None or env[0] > qx1 or env[2] < qx0 or env[1] > qy1 or env[3] < qy0:
        return 0
    g = _blob_geom(blob)
    return int(g is not None and q.intersects(g))


def _st(fn: Any) -> Any:
    def wrapped(blob: bytes | None) -> Any:
        if blob is None:
            return None
        env = _envelope(bytes(blob))
        return None if env is None else fn(env)

    return wrapped


def _st_is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(bool(blob[3] & 0x10) or _envelope(bytes(blob)) is None)


def _translated_columns() -> list[str]:
    """The columns of the assessment's sentences in languages other than Chinese."""
    return [col for by_lang in TRANSLATED.values() for lang, col in by_lang.items()
            if lang != "zh"]


def _assessment_sql() -> list[str]:
    """Table ``parcel_assessment`` (made when missing: stores of older versions get it)."""
    cols = ",\n  ".join(f'"{c.name}" {_SQL_TYPE[c.kind]}' for c in ASSESSMENT)
    extra = "".join(f', "{c}" TEXT' for c in _translated_columns())
    out = [f"""CREATE TABLE IF NOT EXISTS parcel_assessment (parcel_id TEXT PRIMARY KEY,
  {cols},
  as_of TEXT NOT NULL, ruleset TEXT NOT NULL{extra}) WITHOUT ROWID"""]
    out += [f'CREATE INDEX IF NOT EXISTS parcel_assessment_{c} ON parcel_assessment ("{c}")'
            for c in ASSESSMENT_INDEXED]
    return out


def _ledger_upgrade_sql(have: list[str]) -> list[str]:
    """Add the ledger fields a store made by an older version lacks (as PostGIS migration
    004 does); its events have none of them (NULL)."""
    return [f'ALTER TABLE ledger ADD COLUMN "{c.name}" {_SQL_TYPE[c.kind]}'
            for c in COLLECTIONS["ledger"].columns if have and c.name not in have]


def _assessment_upgrade_sql(have: list[str]) -> list[str]:
    """Add the assessment columns (fields of §3 and their sentences in other languages) a
    store made by an older version lacks, as PostGIS migrations 003 and 006 do; its
    assessment (without them) is dropped and made again on the next read."""
    missing = [f'"{c.name}" {_SQL_TYPE[c.kind]}' for c in ASSESSMENT if c.name not in have]
    missing += [f'"{c}" TEXT' for c in _translated_columns() if c not in have]
    if not missing:
        return []
    return [*(f"ALTER TABLE parcel_assessment ADD COLUMN {c}" for c in missing),
            "DELETE FROM parcel_assessment",
            "DELETE FROM landuse_meta WHERE key IN ('assessment_as_of', "
            "'assessment_ruleset', 'assessment_seq')"]


def _parcels_upgrade_sql(have: list[str]) -> list[str]:
    """Add the parcel fields a store made by an older version lacks (the standard gained
    ``industry_code_edition`` and ``review_date``); its assessment is made again."""
    missing = [c for c in COLLECTIONS["parcels"].columns if c.name not in have]
    if not missing:
        return []
    return [*(f'ALTER TABLE parcels ADD COLUMN "{c.name}" {_SQL_TYPE[c.kind]}'
              for c in missing),
            "DELETE FROM parcel_assessment",
            "DELETE FROM landuse_meta WHERE key IN ('assessment_as_of', "
            "'assessment_ruleset', 'assessment_seq')"]


def _history_sql(backfill: bool) -> list[str]:
    """Table ``parcel_history`` (append-only), as PostGIS migration 008 makes it; with
    ``backfill`` the register of a store made before it becomes its first version."""
    pcols = ",\n  ".join(f'"{c.name}" {_SQL_TYPE[c.kind]}'
                         for c in COLLECTIONS["parcels"].columns)
    out = [
        f"""CREATE TABLE parcel_history (hid INTEGER PRIMARY KEY AUTOINCREMENT, fid INTEGER,
  {pcols},
  extra TEXT, version INTEGER, updated_at TEXT, geom GEOMETRY, retired_on TEXT,
  change TEXT NOT NULL CHECK (change IN ('added', 'changed', 'retired')),
  changed_fields TEXT, valid_from TEXT NOT NULL, recorded_at TEXT NOT NULL,
  recorded_by TEXT)""",
        "CREATE INDEX parcel_history_parcel ON parcel_history (parcel_id, hid)",
        "CREATE INDEX parcel_history_times ON parcel_history (valid_from, recorded_at)",
        "CREATE TRIGGER parcel_history_no_delete BEFORE DELETE ON parcel_history BEGIN "
        "SELECT RAISE(ABORT, 'parcel_history rows are never deleted'); END",
        "CREATE TRIGGER parcel_history_no_update BEFORE UPDATE ON parcel_history BEGIN "
        "SELECT RAISE(ABORT, 'parcel_history rows are never edited'); END",
    ]
    if backfill:
        cols = ", ".join(quote_ident(c) for c in HISTORY_COPY)
        out.append(
            f"INSERT INTO parcel_history ({cols}, change, valid_from, recorded_at, "
            f"recorded_by) SELECT {cols}, 'added', '{SINCE_ALWAYS}', "
            f"COALESCE(updated_at, '{now_iso()}'), 'upgrade' FROM parcels ORDER BY fid")
        out.append("INSERT OR IGNORE INTO landuse_meta VALUES ('created_at', COALESCE("
                   f"(SELECT MIN(at) FROM audit), '{now_iso()}'))")
    return out


def _schema_sql() -> list[str]:
    wkt = CRS.from_epsg(STORAGE_SRID).to_wkt("WKT1_GDAL")
    wgs = CRS.from_epsg(4326).to_wkt("WKT1_GDAL")
    pcols = ",\n  ".join(
        f'"{c.name}" {_SQL_TYPE[c.kind]}' + (" NOT NULL UNIQUE" if c.name == "parcel_id" else "")
        for c in COLLECTIONS["parcels"].columns
    )
    lcols = ",\n  ".join(
        f'"{c.name}" {_SQL_TYPE[c.kind]}' + (" NOT NULL UNIQUE" if c.name == "event_id" else "")
        for c in COLLECTIONS["ledger"].columns
    )
    no_change = "SELECT RAISE(ABORT, '{t} rows are never {v}: add a correcting event instead')"
    out = [
        "PRAGMA application_id = 1196444487",
        "PRAGMA user_version = 10400",
        """CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL, description TEXT)""",
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, "
        "'undefined', 'undefined cartesian coordinate reference system')",
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, "
        "'undefined', 'undefined geographic coordinate reference system')",
        f"INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, "
        f"'{wgs}', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        f"INSERT INTO gpkg_spatial_ref_sys VALUES ('China Geodetic Coordinate System 2000', "
        f"{STORAGE_SRID}, 'EPSG', {STORAGE_SRID}, '{wkt}', 'CGCS2000')",
        """CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
        """CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL,
  column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
        """CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT,
  extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
        f"""CREATE TABLE parcels (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  {pcols},
  extra TEXT, version INTEGER NOT NULL DEFAULT 1, updated_at TEXT, geom GEOMETRY,
  retired_on TEXT)""",
        f"""CREATE TABLE ledger (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  {lcols},
  geom GEOMETRY)""",
        """CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
  actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail TEXT)""",
        """CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, role TEXT NOT NULL, label TEXT,
  salt BLOB NOT NULL, hash BLOB NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)""",
        "CREATE TABLE landuse_meta (key TEXT PRIMARY KEY, value TEXT)",
        f"INSERT INTO landuse_meta VALUES ('schema_version', '{SCHEMA_VERSION}')",
        f"INSERT INTO landuse_meta VALUES ('created_at', '{now_iso()}')",
        "INSERT INTO landuse_meta VALUES ('parcels_count', '0')",
        "CREATE INDEX ledger_parcel ON ledger (parcel_id)",
        "CREATE INDEX parcels_holder ON parcels (holder)",
        "CREATE INDEX parcels_zone ON parcels (zone)",
        "CREATE INDEX parcels_credit_code ON parcels (credit_code)",
        f"INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        f"VALUES ('parcels', 'features', 'parcels', '宗地 parcels', {STORAGE_SRID})",
        f"INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        f"VALUES ('ledger', 'features', 'ledger', '处置台账 disposal ledger', {STORAGE_SRID})",
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES ('audit', 'attributes', 'audit', '审计日志 audit log')",
        f"INSERT INTO gpkg_geometry_columns VALUES ('parcels', 'geom', 'GEOMETRY', "
        f"{STORAGE_SRID}, 0, 0)",
        f"INSERT INTO gpkg_geometry_columns VALUES ('ledger', 'geom', 'GEOMETRY', "
        f"{STORAGE_SRID}, 0, 0)",
        "INSERT INTO gpkg_extensions VALUES ('parcels', 'geom', 'gpkg_rtree_index', "
        "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        "CREATE VIRTUAL TABLE rtree_parcels_geom USING rtree(id, minx, maxx, miny, maxy)",
    ]
    for t in ("ledger", "audit"):
        out.append(f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} BEGIN "
                   f"{no_change.format(t=t, v='deleted')}; END")
        out.append(f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} BEGIN "
                   f"{no_change.format(t=t, v='edited')}; END")
    out.append("CREATE TRIGGER parcels_no_delete BEFORE DELETE ON parcels BEGIN "
               "SELECT RAISE(ABORT, 'parcels are never deleted'); END")
    out += _history_sql(backfill=False)
    out.append("CREATE INDEX parcels_current ON parcels (fid) WHERE retired_on IS NULL")
    return out


_RTREE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS rtree_parcels_geom_insert AFTER INSERT ON parcels
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_parcels_geom VALUES (NEW.fid, ST_MinX(NEW.geom),
  ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END""",
    """CREATE TRIGGER IF NOT EXISTS rtree_parcels_geom_update1 AFTER UPDATE OF geom ON parcels
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_parcels_geom VALUES (NEW.fid, ST_MinX(NEW.geom),
  ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END""",
    """CREATE TRIGGER IF NOT EXISTS rtree_parcels_geom_update2 AFTER UPDATE OF geom ON parcels
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_parcels_geom WHERE id = OLD.fid; END""",
]


class GeoPackageStore(SQLStore):
    """A store in one GeoPackage file; see the module docstring."""

    placeholder = "?"

    def __init__(self, path: str | Path, create: bool = False) -> None:
        super().__init__()
        self.path = Path(path)
        self.url = str(self.path)
        if not self.path.exists():
            if not create:
                raise DataSourceError(
                    f"{self.path}: store not found. Fix: make it with "
                    f"'landuse load REGISTER --store {self.path}'."
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._tx() as cur:
                for stmt in _schema_sql():
                    cur.execute(stmt)
        else:
            try:
                rows = self._fetch("SELECT value FROM landuse_meta WHERE key='schema_version'", [])
            except sqlite3.DatabaseError as e:
                raise DataSourceError(
                    f"{self.path}: not a landuse store ({e}). Fix: load a register into a new "
                    "file with 'landuse load'."
                ) from None
            if not rows or int(rows[0][0]) > SCHEMA_VERSION:
                raise DataSourceError(f"{self.path}: unknown store version. Fix: upgrade landuse.")
        have = self._fetch("SELECT name FROM sqlite_master WHERE name = 'parcel_assessment'", [])
        if not have:
            with self._tx() as cur:
                for stmt in _assessment_sql():
                    cur.execute(stmt)
        cols = [r[1] for r in self._fetch("PRAGMA table_info(parcel_assessment)", [])]
        upgrade = _assessment_upgrade_sql(cols)
        upgrade += _parcels_upgrade_sql(
            [r[1] for r in self._fetch("PRAGMA table_info(parcels)", [])])
        have_led = [r[1] for r in self._fetch("PRAGMA table_info(ledger)", [])]
        upgrade += _ledger_upgrade_sql(have_led)
        tables = {r[0] for r in self._fetch("SELECT name FROM sqlite_master WHERE type = "
                                            "'table'", [])}
        if not set(SUPPLY_COLLECTIONS) <= tables:  # a store made before the supply tables
            upgrade += gpkg_supply_sql()
        upgrade += self._history_upgrade_sql()
        if not self._fetch("SELECT name FROM sqlite_master WHERE name = 'parcels_credit_code'",
                           []):  # stores of older versions (as PostGIS migration 015)
            upgrade.append("CREATE INDEX IF NOT EXISTS parcels_credit_code ON parcels "
                           "(credit_code)")
        if upgrade:
            with self._tx() as cur:
                for stmt in upgrade:
                    cur.execute(stmt)

    def _history_upgrade_sql(self) -> list[str]:
        """What a store made before register versions lacks: ``retired_on`` and table
        ``parcel_history`` (its register becomes the first version, since always)."""
        out: list[str] = []
        have = [r[1] for r in self._fetch("PRAGMA table_info(parcels)", [])]
        if "retired_on" not in have:
            out += ["ALTER TABLE parcels ADD COLUMN retired_on TEXT",
                    "CREATE INDEX parcels_current ON parcels (fid) WHERE retired_on IS NULL"]
        if not self._fetch("SELECT name FROM sqlite_master WHERE name = 'parcel_history'", []):
            out += _history_sql(backfill=True)
        else:
            hist = [r[1] for r in self._fetch("PRAGMA table_info(parcel_history)", [])]
            out += [f'ALTER TABLE parcel_history ADD COLUMN "{c.name}" {_SQL_TYPE[c.kind]}'
                    for c in COLLECTIONS["parcels"].columns if c.name not in hist]
        return out

    # connections ----------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        c: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if c is None:
            try:
                c = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                                    check_same_thread=False)
                c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
                c.execute("PRAGMA journal_mode = WAL")
                c.execute("PRAGMA synchronous = FULL")
                c.execute("PRAGMA case_sensitive_like = ON")
            except sqlite3.DatabaseError as e:
                raise DataSourceError(f"{self.path}: cannot be opened ({e}).") from None
            c.create_function("lu_intersects", 2, _lu_intersects, deterministic=True)
            c.create_function("ST_IsEmpty", 1, _st_is_empty, deterministic=True)
            c.create_function("ST_MinX", 1, _st(lambda e: e[0]), deterministic=True)
            c.create_function("ST_MinY", 1, _st(lambda e: e[1]), deterministic=True)
            c.create_function("ST_MaxX", 1, _st(lambda e: e[2]), deterministic=True)
            c.create_function("ST_MaxY", 1, _st(lambda e: e[3]), deterministic=True)
            self._keep_conn(c)
        return c

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._conn().execute(sql, tuple(params)).fetchall()

    def _lock_file(self, kind: str) -> Any:
        """The lock file ``kind`` of this GeoPackage (named after its full path, in the
        temporary folder), opened."""
        import hashlib
        import tempfile

        name = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:20]
        lock = Path(tempfile.gettempdir()) / f"landuse-{kind}-{name}.lock"
        try:
            return open(lock, "a+b")
        except OSError as e:
            raise DataSourceError(f"{lock}: a lock of {self.path} cannot be opened ({e}). "
                                  f"Fix: let the server write in {lock.parent} (or set "
                                  "TMPDIR).") from None

    @contextlib.contextmanager
    def _write_turn(self, stage: bool) -> Iterator[None]:
        """A writer's turn beside the whole refresh's batches (:meth:`_stage_assessment`):
        a batch holds the lock file ``write`` alone, any other transaction shares it. A
        write arriving during a batch waits on the lock and is woken when the batch
        commits; the next batch then waits until that write has committed. SQLite's busy
        handler alone polls, sleeping up to 100 ms between tries, and batches committed
        back to back kept a write waiting for seconds."""
        import fcntl

        attr = "stage_lock" if stage else "write_lock"
        fh = getattr(self._local, attr, None)
        if fh is None:
            fh = self._lock_file("write")
            setattr(self._local, attr, fh)
        fcntl.flock(fh, fcntl.LOCK_EX if stage else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _assess_across(self, block: bool, what: str = "assessment") -> Iterator[bool]:
        """A file lock (``flock``) named after the GeoPackage's full path, in the temporary
        folder (not beside the file, to leave output folders as they were): every process
        serving this file refreshes the assessment in turn."""
        import fcntl

        with self._lock_file("assess" if what == "assessment" else what) as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _stage_tx(self) -> Any:
        """One batch written into table :attr:`STAGE`, in its turn (:meth:`_write_turn`):
        a write waits for one batch at most (SQLite has one writer at a time)."""
        return self._tx(stage=True)

    def _stage_assessment(self, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Table :attr:`STAGE` (made like ``parcel_assessment`` when missing, or when that
        gained columns since) made to hold ``rows``: the rows of parcels no longer listed
        deleted, the others written over, :attr:`STAGE_BATCH` rows per transaction. The
        stage is the previous generation of the table (:meth:`_swap_stage`), so it is
        written over rather than emptied (emptying a big SQLite table holds the writer
        lock for seconds)."""
        stage = self.STAGE
        live = {r[1] for r in self._fetch("PRAGMA table_info(parcel_assessment)", [])}
        have = {r[1] for r in self._fetch(f"PRAGMA table_info({stage})", [])}
        if have and have != live:
            with self._tx() as cur:  # an upgrade added columns: rare, so dropped at once
                cur.execute(f"DROP TABLE {stage}")
            have = set()
        if not have:
            sql = self._fetch("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                              "name = 'parcel_assessment'", [])[0][0]
            ddl = re.sub(r'^CREATE TABLE\s+"?parcel_assessment"?', f"CREATE TABLE {stage}",
                         str(sql))
            taken = {r[0] for r in self._fetch("SELECT name FROM sqlite_master WHERE "
                                               "type = 'index'", [])}
            with self._tx() as cur:
                cur.execute(ddl)
                for c in ASSESSMENT_INDEXED:
                    name = next(n for n in (f"parcel_assessment_{c}", f"{stage}_{c}",
                                            f"{stage}_{c}_2") if n not in taken)
                    cur.execute(f'CREATE INDEX {name} ON {stage} ("{c}")')
        listed = {r[0] for r in rows}
        gone = [r[0] for r in self._fetch(f"SELECT parcel_id FROM {stage}", [])
                if r[0] not in listed]
        for i in range(0, len(gone), 500):
            with self._stage_tx() as cur:
                part = gone[i : i + 500]
                cur.execute(f"DELETE FROM {stage} WHERE parcel_id IN "
                            f"({', '.join('?' for _ in part)})", part)
            self._after_batch()
        sql_insert = (f"INSERT OR REPLACE INTO {stage} ({', '.join(quote_ident(c) for c in cols)}) "
                      f"VALUES ({', '.join('?' for _ in cols)})")
        for i in range(0, len(rows), self.STAGE_BATCH):
            with self._stage_tx() as cur:
                cur.executemany(sql_insert, rows[i : i + self.STAGE_BATCH])
            self._after_batch()

    @contextlib.contextmanager
    def _tx(self, stage: bool = False) -> Iterator[sqlite3.Cursor]:
        """A write transaction (``BEGIN IMMEDIATE``), in its turn (:meth:`_write_turn`;
        ``stage``: one batch of the whole refresh)."""
        with self._write_turn(stage):
            c = self._conn()
            cur = c.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:  # the busy timeout ran out: nothing written
                raise DataSourceError(
                    f"{self.path}: the store is busy: other writers held it for "
                    f"{BUSY_TIMEOUT_S} s ({e}); nothing was written. Fix: repeat the write."
                ) from None
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    # geometry hooks -------------------------------------------------------------------------
    def _geom_select(self) -> str:
        return '"geom"'

    def _decode_geoms(self, values: list[Any]) -> list[BaseGeometry | None]:
        wkbs = [None if v is None else bytes(v[_wkb_offset(v):]) for v in values]
        return list(shapely.from_wkb(np.array(wkbs, dtype=object)))

    def _intersects_sql(self, coll: Collection, geom: BaseGeometry) -> tuple[str, list[Any]]:
        minx, miny, maxx, maxy = geom.bounds
        wkb = shapely.to_wkb(geom)
        if coll.name == "parcels":
            return (
                '("fid" IN (SELECT id FROM rtree_parcels_geom WHERE minx <= ? AND maxx >= ? '
                'AND miny <= ? AND maxy >= ?) AND lu_intersects("geom", ?))',
                [maxx, minx, maxy, miny, wkb],
            )
        return 'lu_intersects("geom", ?)', [wkb]

    def _geom_param_sql(self) -> str:
        return "?"

    def _geom_param(self, geom: BaseGeometry | None) -> Any:
        return gpkg_blob(geom)

    def _is_unique_violation(self, e: BaseException) -> bool:
        return isinstance(e, sqlite3.IntegrityError) and "UNIQUE" in str(e)

    # the rest of the interface --------------------------------------------------------------
    def bounds(self) -> tuple[float, float, float, float] | None:
        r = self._fetch("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents "
                        "WHERE table_name = 'parcels'", [])
        if not r or r[0][0] is None:
            return None
        return tuple(float(v) for v in r[0])  # type: ignore[return-value]

    def _search_ids(self, text: str, limit: int) -> list[tuple[Any, ...]]:
        return self._fetch(
            "SELECT parcel_id, holder, zone FROM parcels WHERE parcel_id >= ? AND parcel_id < ? "
            "AND retired_on IS NULL "
            "ORDER BY parcel_id LIMIT ?",
            [text, text + "\U0010ffff", int(limit)],
        )

    load_fix = "load into a new file (or give --overwrite to replace it)."

    def _target(self) -> str:
        return str(self.path)

    def _label(self) -> str:
        return str(self.path)

    def _insert_parcels(self, cur: Any, prepared: gpd.GeoDataFrame, stamp: str) -> None:
        cols = [*COLLECTIONS["parcels"].names, "extra"]
        geoms = prepared.geometry.to_numpy()
        bounds = shapely.bounds(geoms)
        sql = (f"INSERT INTO parcels (fid, {', '.join(quote_ident(c) for c in cols)}, "
               f"version, updated_at, geom) VALUES (?, {', '.join('?' for _ in cols)}, 1, ?, ?)")
        values = prepared[cols].astype(object).to_numpy()
        cur.executemany(sql, (
            (i + 1, *row, stamp, gpkg_blob(g))
            for i, (row, g) in enumerate(zip(values, geoms, strict=True))
        ))
        cur.executemany(
            "INSERT INTO rtree_parcels_geom VALUES (?, ?, ?, ?, ?)",
            ((i + 1, float(b[0]), float(b[2]), float(b[1]), float(b[3]))
             for i, b in enumerate(bounds)),
        )
        cur.execute(
            "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, "
            "last_change = ? WHERE table_name = 'parcels'",
            (*map(float, prepared.total_bounds), stamp),
        )
        for stmt in _RTREE_TRIGGERS:
            cur.execute(stmt)

    def _extend_bounds(self, cur: Any, bounds: Any, stamp: str) -> None:
        minx, miny, maxx, maxy = map(float, bounds)
        cur.execute(
            "UPDATE gpkg_contents SET min_x = MIN(COALESCE(min_x, ?), ?), "
            "min_y = MIN(COALESCE(min_y, ?), ?), max_x = MAX(COALESCE(max_x, ?), ?), "
            "max_y = MAX(COALESCE(max_y, ?), ?), last_change = ? WHERE table_name = 'parcels'",
            (minx, minx, miny, miny, maxx, maxx, maxy, maxy, stamp))

    def integrity_check(self) -> list[str]:
        problems = [r[0] for r in self._fetch("PRAGMA integrity_check", []) if r[0] != "ok"]
        n_rtree = self._fetch("SELECT COUNT(*) FROM rtree_parcels_geom", [])[0][0]
        n_parcels = self._fetch("SELECT COUNT(*) FROM parcels", [])[0][0]
        if n_rtree != n_parcels:
            problems.append(f"R-tree holds {n_rtree} entries for {n_parcels} parcels")
        orphans = self._fetch(
            "SELECT COUNT(*) FROM ledger WHERE parcel_id NOT IN (SELECT parcel_id FROM parcels)",
            [])[0][0]
        if orphans:
            problems.append(f"{orphans} ledger events name parcels not in the register")
        return problems
