# ruff: noqa: F811
"""The service in-process (TestClient) on both backends, plus a schemathesis run."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from landuse.store import Query as StoreQuery
from landuse.store import Store, open_store
from landuse_api.main import create_app
from landuse_api.settings import Settings
from tests.builders import make_ledger, make_register
from tests.support.api_surface import check_read_surface, check_write_surface, problem
from tests.support.store import loaded, store_target  # noqa: F401

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402


def client(store: Store, **settings: object) -> TestClient:
    app = create_app(Settings(**settings), store=store)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


def test_read_surface_in_process(loaded: Store) -> None:
    check_read_surface(client(loaded))


def test_write_surface_in_process(loaded: Store) -> None:
    check_write_surface(client(loaded), loaded.add_key("editor"), loaded.add_key("viewer"))


def test_reads_can_require_a_key_and_cors_is_configurable(loaded: Store) -> None:
    c = client(loaded, read_requires_key=True, cors_origins=["https://gis.example.cn"])
    problem(c.get("/collections/parcels/items"), 401, "Authorization")
    key = loaded.add_key("viewer")
    r = c.get("/collections/parcels/items?limit=1", headers={
        "Authorization": f"Bearer {key}", "Origin": "https://gis.example.cn"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://gis.example.cn"
    pre = c.options("/collections/ledger/items", headers={
        "Origin": "https://gis.example.cn", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization"})
    assert pre.status_code == 200
    r = client(loaded).get("/collections", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_limit_is_capped_by_setting(loaded: Store) -> None:
    body = client(loaded, max_limit=7).get("/collections/parcels/items?limit=50").json()
    assert body["numberReturned"] == 7


def test_openapi_and_docs(loaded: Store) -> None:
    c = client(loaded)
    spec = c.get("/openapi.json").json()
    for path in ("/collections/{collectionId}/items", "/parcels/at", "/parcels/search",
                 "/parcels/inside", "/collections/{collectionId}/items/{featureId}"):
        assert path in spec["paths"], path
    assert c.get("/docs").status_code == 200


@pytest.fixture
def gpkg_store(tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    s = open_store(tmp_path / "s.gpkg", create=True)
    s.load(make_register(), make_ledger())
    yield s
    s.close()


@pytest.mark.slow
def test_no_input_yields_a_500(gpkg_store: Store) -> None:
    """schemathesis: generated requests against our OpenAPI never get a server error."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    key = gpkg_store.add_key("editor")
    app = create_app(Settings(), store=gpkg_store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: list[int] = []
    for op in schema.get_all_operations():
        operation = op.ok()

        @settings(max_examples=int(os.environ.get("LANDUSE_FUZZ_EXAMPLES", "25")),
                  deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            headers = {"Authorization": f"Bearer {key}"}
            response = case.call(headers=headers)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} "
                                f"{case.body!r}: {response.status_code} {response.text}"[:600])
            elif response.status_code >= 400:
                ctype = response.headers.get("content-type")
                ctype = ctype[0] if isinstance(ctype, list) else ctype
                if not str(ctype).startswith("application/problem+json"):
                    failures.append(f"{case.method} {case.formatted_path}: {ctype}")

        given(case=operation.as_strategy())(run)()
    assert not failures, "\n".join(failures[:5])
    assert len(calls) > 100 and any(c < 300 for c in calls) and any(c >= 400 for c in calls)


@pytest.fixture
def sample_store(store_target: str, sample_park) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    """The bundled sample park loaded into the store (both backends)."""
    from landuse.io import read_ledger, read_parcels

    s = open_store(store_target)
    s.load(read_parcels(sample_park), read_ledger(sample_park, layer="ledger"))
    yield s
    s.close()


def test_land_answers_on_the_sample_park(sample_store: Store, root) -> None:  # type: ignore[no-untyped-def]
    """/assessment, /indicators, /reports/reclamation, /map and /tiles call the library."""
    import json

    import mapbox_vector_tile

    expected = json.loads((root / "data/geo/sample_park_expected.json").read_text("utf-8"))
    c = client(sample_store)
    body = c.get("/assessment?as_of=2023-10-31").json()
    assert body["parcels"] == expected["parcel_count"] == 302
    life = {k: v["parcels"] for k, v in body["summary"]["lifecycle"].items()}
    assert life == expected["assessment"]["lifecycle"]
    idle = {k: v["parcels"] for k, v in body["summary"]["idle_type"].items()}
    assert idle == expected["assessment"]["idle_type"]
    one = c.get("/assessment", params={"as_of": "2023-10-31", "parcel_id": "FB-001"}).json()
    assert one["parcels"] == 1 and one["results"][0]["reasons"]
    zone = body["results"][0]["zone"]
    assert c.get("/assessment", params={"zone": zone, "as_of": "2023-10-31"}).json()["parcels"]
    problem(c.get("/assessment?parcel_id=NOPE"), 404, "parcel_id")
    problem(c.get("/assessment?as_of=31.10.2023"), 400, "as_of")

    ind = c.get("/indicators?as_of=2023-10-31").json()["indicators"]
    assert any(i["key"] == "land_development_rate" and i["value"] is not None for i in ind)

    r = c.get("/reports/reclamation?from=2023-01-01&to=2023-10-31&f=json")
    assert r.status_code == 200 and "175.8" in r.text  # disposed 亩 in the period
    for f, magic in (("xlsx", b"PK"), ("docx", b"PK")):
        r = c.get(f"/reports/reclamation?from=2023-01-01&to=2023-10-31&f={f}&lang=en")
        assert r.status_code == 200 and r.content[:2] == magic
        assert f".{f}" in r.headers["content-disposition"]
    html = c.get("/reports/reclamation?from=2023-01-01&to=2023-10-31&f=html").text
    assert "<html" in html and "盘活" in html
    problem(c.get("/reports/reclamation?from=2023-11-01&to=2023-10-31"), 400, "from")

    page = c.get("/map")
    assert page.status_code == 200 and "/tiles/parcels/{z}/{x}/{y}.mvt" in page.text
    import re

    external = re.findall(r"""(?:src=|<link[^>]*href=)["']https?://(?!testserver)[^"']+""",
                          page.text)
    assert external == []  # offline: scripts and styles are inlined, nothing from a CDN
    info = c.app.state.derived.tiled_map("zh")  # type: ignore[attr-defined]
    # the page's tiles are made on demand: none was written for it, none made yet
    assert not (info["folder"] / "tiles").exists() and info["info"]["tiles"] == 0
    assert not c.app.state.derived.tileset("zh")["cache"]  # type: ignore[attr-defined]
    # ... and those served are the map's own tiles (the ones a tile folder held), byte for
    # byte, each parcel carrying its id
    from landuse.webmap.tiles import mvt_tile, mvt_tiles

    ts = info["webmap"].tiled
    ids = c.app.state.derived.tileset("zh")["ids"]  # type: ignore[attr-defined]
    level = list(mvt_tiles(ts, ts.maxzoom))
    assert level
    for x, y, folder_tile in level:
        r = c.get(f"/tiles/parcels/{ts.maxzoom}/{x}/{y}.mvt")
        assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        assert r.content == mvt_tile(ts, ts.maxzoom, x, y, ids)
        served = mapbox_vector_tile.decode(r.content)["p"]["features"]
        held = mapbox_vector_tile.decode(folder_tile)["p"]["features"]
        assert [({k: v for k, v in f["properties"].items() if k != "id"}, f["geometry"])
                for f in served] == [(f["properties"], f["geometry"]) for f in held]
    assert c.get("/tiles/parcels/3/0/0.mvt").status_code == 204
    problem(c.get("/tiles/parcels/3/9/0.mvt"), 400)
    assert c.get("/map/zh/files/attr/0.js").text.startswith("LU.attrs(")
    # a write changes the store version: the next assessment sees it
    key = sample_store.add_key("editor")
    r = c.post("/collections/ledger/items", headers={"Authorization": f"Bearer {key}"}, json={
        "type": "Feature", "geometry": None, "properties": {
            "event_id": "API-1", "parcel_id": "FB-001", "event_date": "2023-10-30",
            "stage": "investigating"}})
    assert r.status_code == 201
    assert sample_store.change_seq() > 0


def _ids(c: TestClient, **params: object) -> list[str]:
    """Every feature id of a parcels query, following the next links."""
    url: str | None = "/collections/parcels/items"
    out: list[str] = []
    args: dict[str, object] | None = {"skipGeometry": "true", "limit": 50, **params}
    while url:
        r = c.get(url, params=args)  # type: ignore[arg-type]
        assert r.status_code == 200, r.text[:300]
        body = r.json()
        out += [f["id"] for f in body["features"]]
        url = next((x["href"] for x in body["links"] if x["rel"] == "next"), None)
        args = None
    return out


def test_assessment_fields_are_queryable_on_the_sample_park(  # type: ignore[no-untyped-def]
        sample_store: Store, root) -> None:
    """The materialised assessment joins the parcels: filters, CQL2, sortby, properties,
    queryables, downloads; it names its as-of date and ruleset and follows the store's
    writes and the as-of setting."""
    import io
    import json

    import openpyxl

    from landuse.io import read_parcels

    expected = json.loads((root / "data/geo/sample_park_expected.json").read_text("utf-8"))
    per = expected["parcels"]
    c = client(sample_store, as_of="2023-10-31")

    unused = sorted(k for k, v in per.items() if v["lifecycle"] == "supplied_unused")
    assert len(unused) == expected["assessment"]["lifecycle"]["supplied_unused"] == 27
    assert sorted(_ids(c, lifecycle="supplied_unused")) == unused
    assert sorted(_ids(c, lifecycle="供而未用")) == unused  # the Chinese label is the code too

    register = read_parcels(root / "data/geo/sample_park.gpkg")
    zone_of = dict(zip(register["parcel_id"], register["zone"], strict=True))
    chem = sorted(k for k, v in per.items()
                  if v["idle_type"] == "not_started" and zone_of[k] == "化工产业园")
    assert chem and sorted(_ids(c, zone="化工产业园", idle_type="not_started")) == chem

    fee = sorted(k for k, v in per.items() if v["idle_fee_wan"] > 0)
    assert len(fee) == expected["assessment"]["fee_parcels"] == 13
    r = c.get("/collections/parcels/items", params={
        "filter": "idle_fee_wan > 0", "numberMatched": "true", "limit": 100,
        "sortby": "-idle_fee_wan", "properties": "zone,idle_fee_wan,lifecycle"})
    body = r.json()
    assert body["numberMatched"] == 13 and sorted(f["id"] for f in body["features"]) == fee
    fees = [f["properties"]["idle_fee_wan"] for f in body["features"]]
    assert fees == sorted(fees, reverse=True)
    assert sum(fees) == pytest.approx(expected["assessment"]["idle_fee_wan_total"], abs=0.01)
    assert set(body["features"][0]["properties"]) == {"parcel_id", "zone", "idle_fee_wan",
                                                      "lifecycle"}
    assert body["assessment"]["as_of"] == "2023-10-31" and body["assessment"]["ruleset"]
    assert r.headers["landuse-assessment"].startswith("as_of=2023-10-31; ruleset=")

    # every §3 field in the items and the single item, of the right type
    one = c.get("/collections/parcels/items/YS-027").json()
    props = one["properties"]
    for name in ("area_m2", "area_mu", "lifecycle", "idle_type", "overdue_days",
                 "idle_fee_wan", "recovery_candidate", "low_efficiency", "failed_indicators",
                 "mujun_score", "mujun_class", "flags", "reasons"):
        assert name in props, name
    assert props["recovery_candidate"] is True and props["reasons"]
    assert one["assessment"]["as_of"] == "2023-10-31"
    low = [k for k, v in per.items() if v["failed_indicators"]]
    assert sorted(_ids(c, low_efficiency="true")) == sorted(low)
    q = c.get("/collections/parcels/queryables").json()["properties"]
    assert q["lifecycle"]["type"] == "string" and q["low_efficiency"]["type"] == "boolean"
    problem(c.get("/collections/parcels/items?lifecycle=nonsense"), 400, "lifecycle")

    # downloads carry the fields
    r = c.get("/collections/parcels/items", params={"lifecycle": "supplied_unused",
                                                   "f": "csv", "limit": 100})
    assert r.text.splitlines()[0].count("lifecycle") == 1 and len(r.text.splitlines()) == 28
    r = c.get("/collections/parcels/items", params={"idle_type": "stalled", "f": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    head = [x.value for x in next(ws.iter_rows(max_row=1))]
    assert "idle_type" in head and ws.max_row == 1 + expected["assessment"]["idle_type"][
        "stalled"]
    r = c.get("/collections/parcels/items", params={"filter": "idle_fee_wan > 0",
                                                   "f": "gpkg"})
    import pyogrio

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "x.gpkg").write_bytes(r.content)
        got = pyogrio.read_dataframe(Path(d) / "x.gpkg")
    assert len(got) == 13 and (got["idle_fee_wan"] > 0).all()

    # a parcel edit through the API refreshes the table: the parcel is no longer idle (a
    # start after its supply date: one before it would be the former holder's, not counted)
    target = fee[0]
    key = sample_store.add_key("editor")
    auth = {"Authorization": f"Bearer {key}"}
    tag = c.get(f"/collections/parcels/items/{target}").headers["etag"]
    r = c.patch(f"/collections/parcels/items/{target}", headers={**auth, "If-Match": tag},
                json={"properties": {"start_evidence": "pit_done", "start_date": "2023-10-01"}})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["properties"]["idle_type"] == "none"
    body = c.get("/collections/parcels/items", params={
        "filter": "idle_fee_wan > 0", "numberMatched": "true"}).json()
    assert body["numberMatched"] == 12 and target not in {f["id"] for f in body["features"]}
    assert target not in _ids(c, lifecycle="supplied_unused")

    # a ledger event moves the store's change sequence; the table follows it
    before = sample_store.assessment_state()
    r = c.post("/collections/ledger/items", headers=auth, json={
        "type": "Feature", "geometry": None, "properties": {
            "event_id": "API-AS-1", "parcel_id": "FB-001", "event_date": "2023-10-30",
            "stage": "investigating"}})
    assert r.status_code == 201
    after = sample_store.assessment_state()
    assert before and after and after["seq"] == sample_store.change_seq() > before["seq"]

    # another as-of date (a reproducible deployment setting) re-assesses
    early = client(sample_store, as_of="2010-01-01")
    r = early.get("/collections/parcels/items?idle_type=not_started&numberMatched=true")
    assert r.json()["assessment"]["as_of"] == "2010-01-01"
    assert r.json()["numberMatched"] < 12
    assert sample_store.assessment_state()["as_of"] == "2010-01-01"  # type: ignore[index]


def test_a_refresh_in_another_process_is_waited_for_or_read_past(loaded: Store,
                                                                  store_target: str) -> None:
    first = loaded.refresh_assessment("2023-10-31")
    loaded.add_key("viewer")  # a write: the table is now behind the store
    other = open_store(store_target)  # another connection: as another server process
    try:
        with other._assess_across(True) as got:  # type: ignore[attr-defined]
            assert got
            # its refresh is running: a reader gets the previous table at once, marked
            seen = loaded.refresh_assessment("2023-10-31", wait=False)
            assert seen == {**first, "current": False}
            # and a refresh of this process does not start beside it
            with loaded._assess_across(False) as mine:  # type: ignore[attr-defined]
                assert not mine
        # the other process makes it ...
        other.refresh_assessment("2023-10-31")
    finally:
        other.close()
    # ... so this one finds it made: one run per store version in all
    assert loaded.refresh_assessment("2023-10-31")["seq"] == loaded.change_seq()
    assert loaded.assessment_runs() == 2


def test_refresh_is_a_no_op_while_the_store_is_unchanged(loaded: Store) -> None:
    first = loaded.refresh_assessment("2023-10-31")
    assert first.pop("current") is True
    assert first == loaded.assessment_state() and first["seq"] == loaded.change_seq()
    assert loaded.refresh_assessment("2023-10-31") == {**first, "current": True}
    # a reader does not queue behind a running refresh: it gets the previous table, marked
    loaded.add_key("viewer")  # a write: the table is now behind the store
    with loaded._assess_lock:  # type: ignore[attr-defined]  # a refresh in another thread
        seen = loaded.refresh_assessment("2023-10-31", wait=False)
    assert seen == {**first, "current": False}
    assert loaded.refresh_assessment("2023-10-31")["seq"] == loaded.change_seq() > first["seq"]
    assert loaded.assessment_runs() == 2  # made for each store version, not for each call
    page = loaded.query_parcels(StoreQuery(equals={"idle_type": "none"}, limit=1000,
                                           skip_geometry=True))
    assert page.features and all(f.properties["idle_type"] == "none" for f in page.features)
    n = len(loaded.query_parcels(StoreQuery(limit=1000)).features)
    assert n == 60  # the LEFT JOIN keeps every parcel, one row each


def test_assessment_table_matches_the_schema(loaded: Store) -> None:
    """Both backends' ``parcel_assessment`` columns are the §3 fields (+ key, as_of, ruleset)."""
    from landuse.store.schema import ASSESSMENT

    if loaded.url.startswith("postgresql"):
        rows = loaded._fetch(  # type: ignore[attr-defined]
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'parcel_assessment' AND table_schema = current_schema() ORDER BY ordinal_position",
            [])
        cols = [r[0] for r in rows]
    else:
        cols = [r[1] for r in loaded._fetch(  # type: ignore[attr-defined]
            "PRAGMA table_info(parcel_assessment)", [])]
    # in the order of creation: a migrated PostGIS table has the later columns at its end
    assert sorted(cols) == sorted(["parcel_id", *(c.name for c in ASSESSMENT), "as_of",
                                   "ruleset", "reasons_en"])


def test_items_and_assessment_read_one_stored_assessment_in_either_language(
        sample_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Items and /assessment answer from the store's one table: the same values for every
    parcel, reasons in the language asked for, and no second assessment for the other
    language or for /assessment."""
    import landuse.rules

    c = client(sample_store, as_of="2023-10-31")
    items = {lang: {f["id"]: f["properties"] for f in c.get(
        "/collections/parcels/items", params={"limit": 1000, "skipGeometry": "true",
                                               "lang": lang}).json()["features"]}
             for lang in ("zh", "en")}
    calls: list[str] = []
    real = landuse.rules.assess
    monkeypatch.setattr(landuse.rules, "assess",
                        lambda *a, **k: calls.append(k.get("lang", "zh")) or real(*a, **k))
    fields = ("lifecycle", "idle_type", "overdue_days", "idle_fee_wan", "low_efficiency",
              "mujun_class", "mujun_score", "flags", "failed_indicators", "reasons")
    for lang in ("zh", "en"):
        body = c.get("/assessment", params={"as_of": "2023-10-31", "lang": lang}).json()
        assert body["parcels"] == len(items[lang]) == 302
        for row in body["results"]:
            item = items[lang][row["parcel_id"]]
            assert {k: row[k] for k in fields} == {k: item[k] for k in fields}
    assert calls == []  # both languages were stored by the items' refresh
    # FB-001 is in production since 2023-06-18 (sample register): the sentence says so
    # in the language asked for; codes are the same in both
    zh, en = items["zh"]["FB-001"], items["en"]["FB-001"]
    assert "投产日期2023年6月18日" in zh["reasons"] and "In production since 2023-06-18" in \
        en["reasons"]
    assert {k: zh[k] for k in fields if k != "reasons"} == \
        {k: en[k] for k in fields if k != "reasons"}
    one = c.get("/collections/parcels/items/FB-001", params={"lang": "en"}).json()
    assert one["properties"]["reasons"] == en["reasons"]
    # English reasons can be filtered on, as the Chinese ones
    r = c.get("/collections/parcels/items", params={
        "lang": "en", "filter": "reasons LIKE 'In production since 2023-06-18%'",
        "skipGeometry": "true"})
    assert "FB-001" in {f["id"] for f in r.json()["features"]}
    problem(c.get("/collections/parcels/items?lang=fr"), 400, "lang")


def test_assessment_of_another_date_is_made_in_the_store(sample_store: Store) -> None:
    """/assessment for a date the table does not hold remakes the stored table for it
    (the items then name that date too): one assessment, wherever it is read."""
    c = client(sample_store, as_of="2023-10-31")
    body = c.get("/assessment", params={"as_of": "2010-01-01"}).json()
    assert body["as_of"] == "2010-01-01"
    assert sample_store.assessment_state()["as_of"] == "2010-01-01"  # type: ignore[index]
    assert set(sample_store.assessment_frame("en")["as_of"]) == {"2010-01-01"}
    # the server's date is the default, as for the items
    assert c.get("/assessment").json()["as_of"] == "2023-10-31"
    assert sample_store.assessment_state()["as_of"] == "2023-10-31"  # type: ignore[index]


def test_a_geopackage_store_of_the_previous_version_gets_english_reasons(
        tmp_path: Path) -> None:
    """A store made before the English sentences were stored gets the column when opened,
    and its old assessment (Chinese only) is made again."""
    import sqlite3

    target = tmp_path / "old.gpkg"
    with open_store(target, create=True) as s:
        s.load(make_register(), make_ledger())
        s.refresh_assessment("2023-10-31")
    with sqlite3.connect(target) as con:
        con.execute("ALTER TABLE parcel_assessment DROP COLUMN reasons_en")
    with open_store(target) as s:
        assert s.assessment_state() is None
        s.refresh_assessment("2023-10-31")
        en = s.assessment_frame("en")
        zh = s.assessment_frame("zh")
    assert len(en) == len(zh) == 60 and en["reasons"].notna().all()
    assert (en["reasons"] != zh["reasons"]).any()
