# ruff: noqa: F811
"""The store: the SAME tests on both backends (GeoPackage file and PostGIS)."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from landuse.errors import (
    ConflictError,
    CRSError,
    GeometryError,
    NotFoundError,
    SchemaError,
    StaleVersionError,
)
from landuse.store import COLLECTIONS, Query, Store, cql, open_store
from landuse.store.schema import ASSESSMENT
from tests.builders import make_ledger, make_register
from tests.support.store import loaded, store_target  # noqa: F401


def ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.id for f in page.features]


def test_load_and_counts(loaded: Store) -> None:
    assert loaded.count("parcels") == 60
    assert loaded.count("ledger") == 2
    b = loaded.bounds()
    assert b is not None and b[0] == pytest.approx(120.5) and b[1] == pytest.approx(30.2)
    f = loaded.get_parcel("P0003")
    assert f.properties["land_use"] == "industrial"  # 工业 -> code
    assert f.properties["supply_date"] == "2013-04-15"
    assert f.properties["above_scale"] is True
    assert f.properties["local_note"] == "note 3"  # unknown column kept
    assert f.version == 1
    assert f.geometry is not None and f.geometry.area == pytest.approx(0.0009**2)
    ev = loaded.get("ledger", "E0002")
    assert ev.properties["stage"] == "disposed" and ev.properties["method"] == "agreement_transfer"


def test_load_refuses_a_second_load(loaded: Store) -> None:
    with pytest.raises(ConflictError, match="already holds 60 parcels"):
        loaded.load(make_register(), None)


def test_bbox_equals_cql_and_keyset_paging(loaded: Store) -> None:
    # bbox covering the first row of 10 parcels (touching neighbours above are excluded)
    page = loaded.query_parcels(Query(bbox=(120.5, 30.2, 120.5095, 30.2005), limit=100))
    assert ids(page) == [f"P{i:04d}" for i in range(10)]
    page = loaded.query_parcels(Query(equals={"zone": "东区"}, limit=100, count=True))
    assert page.number_matched == 20 and all(f.properties["zone"] == "东区" for f in page.features)
    tree = cql.parse("(zone = '西区' OR zone IS NULL) AND NOT land_use = 'storage' "
                     "AND land_price_wan BETWEEN 100 AND 140 AND holder LIKE '乙%'")
    got = {f.id for f in loaded.query_parcels(Query(filter=tree, limit=100)).features}
    reg = make_register()
    want = set(reg[(reg.zone != "东区") & (reg.land_use == "工业")
                   & reg.land_price_wan.between(100, 140)
                   & reg.holder.str.startswith("乙")].parcel_id)
    assert got == want and got
    # keyset paging, sorted descending on a column with NULLs: every row exactly once
    seen: list[str] = []
    after = None
    while True:
        page = loaded.query_parcels(Query(sortby=[("land_price_wan", True)], limit=7,
                                          after=after, skip_geometry=True))
        seen += ids(page)
        if page.next_key is None:
            break
        after = page.next_key
    assert sorted(seen) == sorted(reg.parcel_id) and len(seen) == len(set(seen))
    prices = [reg.set_index("parcel_id").land_price_wan[i] for i in seen]
    known = [p for p in prices if pd.notna(p)]
    assert known == sorted(known, reverse=True) and all(pd.isna(p) for p in prices[len(known):])


def test_spatial_lookups_and_search(loaded: Store) -> None:
    assert [f.id for f in loaded.parcel_at(120.50045, 30.20045)] == ["P0000"]
    assert loaded.parcel_at(121.0, 31.0) == []
    tri = shapely.Polygon([(120.5, 30.2), (120.5025, 30.2), (120.5, 30.2025)])
    inside = {f.id for f in loaded.parcels_in(tri)}
    assert inside == {"P0000", "P0001", "P0002", "P0010", "P0011", "P0020"}
    tree = cql.parse("S_INTERSECTS(geom, POINT(120.50145 30.20045)) OR parcel_id = 'P0059'")
    assert ids(loaded.query_parcels(Query(filter=tree))) == ["P0001", "P0059"]
    assert [r["parcel_id"] for r in loaded.search("P005")] == [f"P005{i}" for i in range(10)]
    hits = loaded.search("丙科技有限公司1", limit=5)
    assert [r["parcel_id"] for r in hits] == ["P0010", "P0014", "P0018"]


def test_query_errors_name_the_parameter(loaded: Store) -> None:
    with pytest.raises(SchemaError, match="sortby: 'nope'"):
        loaded.query_parcels(Query(sortby=[("nope", False)]))
    with pytest.raises(SchemaError, match="properties: 'x'"):
        loaded.query_parcels(Query(properties=["x"]))
    with pytest.raises(SchemaError, match="cursor"):
        loaded.query_parcels(Query(after=("x", "y")))
    with pytest.raises(SchemaError, match="stat_year"):
        loaded.query_parcels(Query(filter=cql.parse("stat_year = 'abc'")))
    with pytest.raises(NotFoundError):
        loaded.get_parcel("nope")


def test_injection_is_just_a_value(loaded: Store) -> None:
    tree = cql.parse("zone = 'x''; DROP TABLE parcels; --'")
    assert ids(loaded.query_parcels(Query(filter=tree))) == []
    page = loaded.query_parcels(Query(equals={"holder": "' OR 1=1 --"}))
    assert ids(page) == []
    assert loaded.count("parcels") == 60


def test_ledger_append_validation_and_audit(loaded: Store) -> None:
    out = loaded.append_events(
        [({"event_id": "E9", "parcel_id": "P0005", "event_date": "2023-09-01",
           "stage": "auction_started", "area_m2": 500}, shapely.Point(120.5055, 30.2005)),
         ({"event_id": "E10", "parcel_id": "P0005", "event_date": "2023-09-02",
           "stage": "auction_started", "area_m2": 500, "corrects": "E9", "note": "日期更正"},
          None)],
        actor="key:abc",
    )
    assert [f.id for f in out] == ["E9", "E10"]
    assert out[0].properties["recorded_by"] == "key:abc" and out[0].properties["recorded_at"]
    assert out[0].geometry is not None and out[0].geometry.x == pytest.approx(120.5055)
    log = loaded.audit_log(limit=1000)
    mine = [r for r in log if r["action"] == "ledger.append" and r["target"] in ("E9", "E10")]
    assert [r["actor"] for r in mine] == ["key:abc", "key:abc"]
    assert mine[0]["detail"]["stage"] == "auction_started" and mine[0]["at"]
    bad = [
        ({"event_id": "E9", "parcel_id": "P0005", "event_date": "2023-09-01",
          "stage": "investigating"}, ConflictError, "already in the ledger"),
        ({"event_id": "E11", "parcel_id": "NOPE", "event_date": "2023-09-01",
          "stage": "investigating"}, SchemaError, "field parcel_id = 'NOPE': unknown parcel"),
        ({"event_id": "E12", "parcel_id": "P0001", "event_date": "yesterday",
          "stage": "investigating"}, SchemaError, "event_date"),
        ({"event_id": "E13", "parcel_id": "P0001", "event_date": "2023-01-01",
          "stage": "won"}, SchemaError, "stage"),
        ({"event_id": "E14", "parcel_id": "P0001", "event_date": "2023-01-01",
          "stage": "investigating", "corrects": "E404"}, SchemaError, "corrects"),
        ({"event_id": "E15", "parcel_id": "P0001", "event_date": "2023-01-01",
          "stage": "investigating", "colour": "red"}, SchemaError, "unknown field"),
        ({"parcel_id": "P0001", "event_date": "2023-01-01", "stage": "investigating"},
         SchemaError, "event_id"),
    ]
    for props, exc, msg in bad:
        with pytest.raises(exc, match=msg):
            loaded.append_events([(props, None)], actor="t")
    # a failed batch writes nothing
    with pytest.raises(SchemaError):
        loaded.append_events([({"event_id": "E20", "parcel_id": "P0001", "event_date":
                                "2023-01-01", "stage": "investigating"}, None),
                              ({"event_id": "E21", "parcel_id": "NOPE", "event_date":
                                "2023-01-01", "stage": "investigating"}, None)], actor="t")
    assert loaded.count("ledger") == 4


def test_nothing_is_ever_deleted(loaded: Store) -> None:
    raw = loaded._tx  # type: ignore[attr-defined]
    for sql in ("DELETE FROM ledger", "UPDATE ledger SET note = 'x'", "DELETE FROM audit",
                "DELETE FROM parcels"):
        with pytest.raises(Exception, match="never"), raw() as cur:
            cur.execute(sql)
    assert loaded.count("ledger") == 2 and loaded.count("parcels") == 60


def test_parcel_edit_with_versions(loaded: Store) -> None:
    f = loaded.update_parcel("P0007", {"zone": "北区", "tax_wan": "12.5"}, None, 1, "key:a")
    assert f.version == 2 and f.properties["zone"] == "北区" and f.properties["tax_wan"] == 12.5
    with pytest.raises(StaleVersionError, match="version 2, not 1"):
        loaded.update_parcel("P0007", {"zone": "南区"}, None, 1, "key:b")
    new = shapely.box(120.5070, 30.2, 120.5075, 30.2005)
    g = loaded.update_parcel("P0007", {}, new, 2, "key:a")
    assert g.version == 3 and g.geometry is not None and g.geometry.equals(new)
    assert [x.id for x in loaded.parcel_at(120.5072, 30.2002)] == ["P0007"]
    assert loaded.parcel_at(120.5078, 30.2008) == []  # the R-tree / GiST follows the edit
    with pytest.raises(NotFoundError):
        loaded.update_parcel("NOPE", {"zone": "x"}, None, 1, "key:a")
    with pytest.raises(SchemaError, match="not a parcel field"):
        loaded.update_parcel("P0007", {"colour": "x"}, None, 3, "key:a")
    rec = next(r for r in loaded.audit_log(1000) if r["action"] == "parcel.update")
    assert rec["detail"]["before"] == {"zone": "西区", "tax_wan": None}
    assert rec["actor"] == "key:a"


def test_keys_are_hashed_and_revocable(loaded: Store) -> None:
    key = loaded.add_key("editor", "GIS office")
    info = loaded.verify_key(key)
    assert info is not None and info.role == "editor" and info.label == "GIS office"
    assert loaded.verify_key(key + "x") is None
    assert loaded.verify_key("garbage") is None
    secret = key.split("_", 2)[2]
    rows = loaded._fetch("SELECT salt, hash FROM api_keys", [])  # type: ignore[attr-defined]
    assert all(secret.encode() not in bytes(r[1]) for r in rows)
    loaded.revoke_key(info.key_id)
    assert loaded.verify_key(key) is None
    with pytest.raises(NotFoundError):
        loaded.revoke_key(info.key_id)
    with pytest.raises(SchemaError, match="role"):
        loaded.add_key("admin")
    actions = [r["action"] for r in loaded.audit_log(1000)]
    assert "key.add" in actions and "key.revoke" in actions


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(loaded: Store, store_target: str) -> None:
    """Writers append at once until each has 200 events acknowledged. A write refused
    because the store stayed busy (a loaded machine) is a clear DataSourceError and is
    repeated; counted, not timed: every acknowledged event is stored exactly once."""
    from landuse.errors import DataSourceError

    writers, per = 8, 200
    errors: list[BaseException] = []
    acked: list[str] = []
    refused: list[str] = []

    def write(w: int) -> None:
        s = open_store(store_target)
        try:
            for i in range(per):
                eid = f"W{w}-{i}"
                for _ in range(50):
                    try:
                        s.append_events([({"event_id": eid,
                                           "parcel_id": f"P{(w * 7 + i) % 60:04d}",
                                           "event_date": "2023-10-01",
                                           "stage": "investigating"}, None)],
                                        actor=f"writer{w}")
                    except DataSourceError as e:
                        assert "busy" in str(e) and "nothing was written" in str(e)
                        refused.append(eid)
                        continue
                    acked.append(eid)
                    break
                else:
                    raise AssertionError(f"{eid}: refused 50 times")
        except BaseException as e:  # collected and re-raised in the main thread
            errors.append(e)
        finally:
            s.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert sorted(acked) == sorted(f"W{w}-{i}" for w in range(writers) for i in range(per))
    assert loaded.count("ledger") == 2 + writers * per  # nothing lost, nothing twice
    got = loaded.ledger_frame().event_id
    assert set(acked) <= set(got) and not got.duplicated().any()
    audit = [r for r in loaded.audit_log(limit=5000) if r["action"] == "ledger.append"]
    assert len(audit) == 2 + writers * per
    assert loaded.integrity_check() == []


def test_a_busy_geopackage_store_refuses_a_write_clearly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program holds the write lock longer than the busy timeout: the write is
    refused with a DataSourceError naming the file and the fix, and nothing is written."""
    import sqlite3

    import landuse.store.gpkg as gpkg
    from landuse.errors import DataSourceError

    target = tmp_path / "busy.gpkg"
    with open_store(target, create=True) as s:
        s.load(make_register(), make_ledger())
    monkeypatch.setattr(gpkg, "BUSY_TIMEOUT_S", 0)
    holder = sqlite3.connect(target, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with open_store(target) as s:
            with pytest.raises(DataSourceError, match=r"busy\.gpkg: the store is busy.*Fix"):
                s.append_events([({"event_id": "B1", "parcel_id": "P0001",
                                   "event_date": "2023-10-01", "stage": "investigating"},
                                  None)], actor="t")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with open_store(target) as s:
        assert "B1" not in set(s.ledger_frame().event_id)


def test_frames_for_the_library(loaded: Store) -> None:
    gdf = loaded.parcels_frame()
    assert len(gdf) == 60 and gdf.crs.to_epsg() == 4490
    assert str(gdf.supply_date.dtype).startswith("datetime64")
    led = loaded.ledger_frame()
    assert list(led.event_id) == ["E0001", "E0002"]


@pytest.mark.parametrize("mutate,exc,msg", [
    (lambda g: g.set_crs(None, allow_override=True), CRSError, "no CRS"),
    (lambda g: g.assign(parcel_id=["P1"] * len(g)), SchemaError, "more than once"),
    (lambda g: g.assign(stat_year=["x"] * len(g)), SchemaError, "stat_year"),
    (lambda g: g.assign(land_use=["farm"] * len(g)), SchemaError, "land_use"),
    (lambda g: g.set_geometry([shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])] * len(g),
                              crs=4490), GeometryError, "invalid outline"),
])
def test_load_rejects_bad_registers(store_target: str, mutate, exc, msg) -> None:  # type: ignore[no-untyped-def]
    with open_store(store_target) as s:
        with pytest.raises(exc, match=msg):
            s.load(mutate(make_register(5)))
        assert s.count("parcels") == 0


def test_projected_register_is_stored_in_cgcs2000(store_target: str) -> None:
    reg = make_register(5).to_crs(4528)  # Gauss-Krüger zone 40 (120°E)
    with open_store(store_target) as s:
        s.load(reg)
        g = s.get_parcel("P0000").geometry
        assert g is not None and g.bounds[0] == pytest.approx(120.5, abs=1e-7)


def test_geopackage_store_is_a_real_geopackage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "s.gpkg"
    with open_store(p, create=True) as s:
        s.load(make_register(), make_ledger())
    layers = dict(pyogrio.list_layers(p))
    assert {"parcels", "ledger"} <= set(layers)
    df = pyogrio.read_dataframe(p, layer="parcels", bbox=(120.5, 30.2, 120.5015, 30.2005))
    assert sorted(df.parcel_id) == ["P0000", "P0001"] and df.crs.to_epsg() == 4490


def test_postgis_migrations_match_the_schema(postgis_url: str) -> None:
    from tests.support.store import pg_schema_url

    url = pg_schema_url(postgis_url)
    with open_store(url) as s:
        assert s.migrate() == []  # type: ignore[attr-defined]  # already applied on open
        for name, coll in COLLECTIONS.items():
            rows = s._fetch(  # type: ignore[attr-defined]
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = current_schema()", [name])
            cols = {r[0] for r in rows}
            assert set(coll.names) <= cols, set(coll.names) - cols
        rows = s._fetch(  # type: ignore[attr-defined]
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'parcel_assessment' AND table_schema = current_schema()", [])
        have = {r[0] for r in rows}
        assert {c.name for c in ASSESSMENT} <= have, {c.name for c in ASSESSMENT} - have
        idx = s._fetch("SELECT indexdef FROM pg_indexes WHERE tablename = 'parcels' "  # type: ignore[attr-defined]
                       "AND schemaname = current_schema()", [])
        assert any("USING gist" in r[0] for r in idx)


def test_a_geopackage_store_of_an_older_version_gains_the_new_parcel_fields(
    tmp_path: Path,
) -> None:
    import sqlite3

    target = tmp_path / "old.gpkg"
    with open_store(target, create=True):
        pass
    con = sqlite3.connect(target, isolation_level=None)
    con.execute("ALTER TABLE parcels DROP COLUMN review_date")
    con.execute("ALTER TABLE parcels DROP COLUMN industry_code_edition")
    con.close()
    with open_store(target):
        pass
    con = sqlite3.connect(target)
    cols = {r[1] for r in con.execute("PRAGMA table_info(parcels)")}
    con.close()
    assert {"review_date", "industry_code_edition"} <= cols


def test_a_geopackage_store_of_an_older_version_gains_the_fields_of_migration_006(
    tmp_path: Path,
) -> None:
    import sqlite3

    target = tmp_path / "old.gpkg"
    with open_store(target, create=True) as s:
        s.load(make_register(), make_ledger())
    con = sqlite3.connect(target, isolation_level=None)
    con.execute("ALTER TABLE parcels DROP COLUMN contract_delivery_date")
    for c in ("enterprise", "mujun_scheme", "mujun_rank"):
        con.execute(f"ALTER TABLE parcel_assessment DROP COLUMN {c}")
    con.close()
    with open_store(target):
        pass
    con = sqlite3.connect(target)
    parcels = {r[1] for r in con.execute("PRAGMA table_info(parcels)")}
    assessed = {r[1] for r in con.execute("PRAGMA table_info(parcel_assessment)")}
    con.close()
    assert "contract_delivery_date" in parcels
    assert {"enterprise", "mujun_scheme", "mujun_rank"} <= assessed


def test_connections_of_ended_threads_are_closed(loaded: Store) -> None:
    """A server's worker threads end when idle: each opened its own connection, and those of
    ended threads are closed when another thread opens one (no session kept per thread that
    ever ran)."""
    from landuse.store.sql import SQLStore

    assert isinstance(loaded, SQLStore)

    def read() -> None:
        loaded.query("parcels", Query(limit=1))

    for _ in range(6):  # one after the other: each thread has ended before the next starts
        t = threading.Thread(target=read)
        t.start()
        t.join()
    assert loaded.open_connections() <= 2  # the last thread's, and the fixture's own
    read()
    ours = loaded._local.conn
    assert loaded.open_connections() <= 2
    assert loaded.query("parcels", Query(limit=1)).features  # this thread's still works
    assert loaded._local.conn is ours
