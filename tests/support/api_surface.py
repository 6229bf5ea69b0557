"""The HTTP surface, checked through any client with the httpx interface: the in-process
TestClient and a real httpx.Client against uvicorn in a subprocess run the same checks."""

from __future__ import annotations

import io
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pyogrio
import pytest

from landuse.store.schema import SUPPLY_COLLECTIONS


def problem(r: Any, status: int, param: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status and body["detail"]
    if param:
        assert body.get("parameter") == param, body
    return body


def next_link(body: dict[str, Any]) -> str | None:
    return next((x["href"] for x in body["links"] if x["rel"] == "next"), None)


def check_read_surface(c: Any) -> None:
    """Every read endpoint on the small register of tests/builders.py (make_register)."""
    r = c.get("/")
    assert r.status_code == 200
    rels = {x["rel"] for x in r.json()["links"]}
    assert {"service-desc", "conformance", "data"} <= rels
    conf = c.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    cols = c.get("/collections").json()["collections"]
    # the register, the ledger, then the supply records (domain.md §11), empty here
    assert [x["id"] for x in cols] == ["parcels", "ledger", *SUPPLY_COLLECTIONS]
    assert c.get("/collections/supply/items").json()["features"] == []
    pc = c.get("/collections/parcels").json()
    assert "http://www.opengis.net/def/crs/EPSG/0/4528" in pc["crs"]
    assert pc["extent"]["spatial"]["bbox"][0][0] == pytest.approx(120.5)
    assert c.get("/collections/parcels/queryables").json()["properties"]["stat_year"][
        "type"] == "integer"
    assert "<table>" in c.get("/collections/parcels/items?f=html&limit=3").text
    assert c.get("/", headers={"Accept": "text/html"}).headers["content-type"].startswith(
        "text/html")

    # items: default page, numberMatched, paging through next links covers all exactly once
    r = c.get("/collections/parcels/items?limit=25&skipGeometry=true")
    body = r.json()
    assert r.headers["content-type"].startswith("application/geo+json")
    assert body["numberMatched"] == 60 and body["numberReturned"] == 25
    assert all(f["geometry"] is None for f in body["features"])
    seen = [f["id"] for f in body["features"]]
    nxt = next_link(body)
    while nxt:
        body = c.get(nxt).json()
        seen += [f["id"] for f in body["features"]]
        nxt = next_link(body)
    assert sorted(seen) == [f"P{i:04d}" for i in range(60)] and len(set(seen)) == 60

    # attribute equality, properties=, sortby, CQL2 filter
    body = c.get("/collections/parcels/items", params={
        "zone": "东区", "properties": "zone,holder", "sortby": "-parcel_id", "limit": 3}).json()
    assert [f["id"] for f in body["features"]] == ["P0057", "P0054", "P0051"]
    assert set(body["features"][0]["properties"]) == {"parcel_id", "zone", "holder"}
    assert "numberMatched" not in body  # filtered: only when asked for
    body = c.get("/collections/parcels/items", params={
        "filter": "land_use = 'industrial' AND S_INTERSECTS(geom, POLYGON((120.5 30.2, "
                  "120.503 30.2, 120.503 30.2009, 120.5 30.2009, 120.5 30.2)))",
        "numberMatched": "true"}).json()
    assert [f["id"] for f in body["features"]] == ["P0001", "P0003"]
    assert body["numberMatched"] == 2
    body = c.get("/collections/parcels/items", params={
        "filter": "parcel_id IN ('P0001','P0002') OR holder LIKE '丁%' AND stat_year "
                  "BETWEEN 2020 AND 2023", "limit": 100}).json()
    assert len(body["features"]) == 2 + 15

    # CRS: CRS84 lon/lat, EPSG:4490 lat/lon, Gauss-Krüger zone 40 northing/easting
    g84 = c.get("/collections/parcels/items/P0000").json()["geometry"]["coordinates"][0]
    assert min(x for x, _ in g84) == pytest.approx(120.5)
    r = c.get("/collections/parcels/items/P0000?crs=http://www.opengis.net/def/crs/EPSG/0/4490")
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    g4490 = r.json()["geometry"]["coordinates"][0]
    assert min(y for _, y in g4490) == pytest.approx(120.5)  # second axis is longitude
    assert min(x for x, _ in g4490) == pytest.approx(30.2)
    gk = c.get("/collections/parcels/items/P0000?crs=EPSG:4528").json()["geometry"][
        "coordinates"][0]
    north, east = min(p[0] for p in gk), min(p[1] for p in gk)
    assert 3_300_000 < north < 3_400_000 and 40_500_000 < east < 40_600_000
    # bbox in EPSG:4490 axis order (lat first) and in GK zone 40 gives the same parcels
    a = c.get("/collections/parcels/items?bbox=120.5,30.2,120.5015,30.2005").json()
    b = c.get("/collections/parcels/items?bbox=30.2,120.5,30.2005,120.5015"
              "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490").json()
    ids_a = [f["id"] for f in a["features"]]
    assert ids_a == [f["id"] for f in b["features"]] == ["P0000", "P0001"]
    gk_bbox = f"{north + 5},{east + 5},{north + 50},{east + 50}"
    body = c.get(f"/collections/parcels/items?bbox={gk_bbox}&bbox-crs=EPSG:4528").json()
    assert [f["id"] for f in body["features"]] == ["P0000"]

    # one item, ETag; HTML; 404
    r = c.get("/collections/parcels/items/P0003")
    assert r.headers["etag"] == '"v1"' and r.json()["properties"]["local_note"] == "note 3"
    problem(c.get("/collections/parcels/items/NOPE"), 404)
    assert c.get("/collections/ledger/items/E0002").json()["properties"]["stage"] == "disposed"

    # land endpoints
    at = c.get("/parcels/at?lon=120.50045&lat=30.20045").json()
    assert [f["id"] for f in at["features"]] == ["P0000"]
    near = c.get("/parcels/at?lon=120.50045&lat=30.20045&radius_m=80").json()
    assert {"P0000", "P0001", "P0010"} <= {f["id"] for f in near["features"]}
    hits = c.get("/parcels/search", params={"q": "P005"}).json()["results"]
    assert len(hits) == 10 and hits[0]["parcel_id"] == "P0050"
    hits = c.get("/parcels/search", params={"q": "丁科技有限公司3"}).json()["results"]
    assert [h["parcel_id"] for h in hits] == ["P0003", "P0031", "P0035", "P0039"]
    poly = {"type": "Polygon", "coordinates": [[[120.4999, 30.1999], [120.5021, 30.1999],
                                                [120.5021, 30.2021], [120.4999, 30.2021],
                                                [120.4999, 30.1999]]]}
    body = c.post("/parcels/inside?predicate=within", json=poly).json()
    assert sorted(f["id"] for f in body["features"]) == ["P0000", "P0001", "P0010", "P0011"]
    body = c.post("/parcels/inside", json={"type": "Feature", "geometry": poly,
                                            "properties": {}}).json()
    assert len(body["features"]) == 9  # 3 columns x 3 rows cross the polygon

    # downloads with filenames
    for fmt in ("geojson", "csv", "xlsx", "gpkg"):
        r = c.get(f"/collections/parcels/items?f={fmt}&zone=西区&filename=西区宗地")
        assert r.status_code == 200, r.text[:200]
        cd = r.headers["content-disposition"]
        assert cd.startswith("attachment;") and f".{fmt}" in cd and "UTF-8''" in cd
        if fmt == "csv":
            text = r.content.decode("utf-8-sig")
            assert text.count("\n") == 21 and "西区" in text and "POLYGON" in text
        elif fmt == "xlsx":
            ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
            assert ws.max_row == 21
        elif fmt == "gpkg":
            with tempfile.TemporaryDirectory() as d:
                p = Path(d) / "x.gpkg"
                p.write_bytes(r.content)
                df = pyogrio.read_dataframe(p)
                assert len(df) == 20 and df.total_bounds[0] == pytest.approx(120.5)
                sqlite3.connect(p).close()
        else:
            assert len(r.json()["features"]) == 20

    # errors: problem+json naming the parameter
    problem(c.get("/collections/parcels/items?bbox=1,2,3"), 400)
    problem(c.get("/collections/parcels/items?bbox=a,b,c,d"), 400, "bbox")
    problem(c.get("/collections/parcels/items?crs=EPSG:3857"), 400, "crs")
    problem(c.get("/collections/parcels/items?bbox-crs=EPSG:4490"), 400, "bbox-crs")
    problem(c.get("/collections/parcels/items?colour=red"), 400, "colour")
    problem(c.get("/collections/parcels/items?filter=zone%20%3D"), 400, "filter")
    problem(c.get("/collections/parcels/items?sortby=nope"), 400, "sortby")
    problem(c.get("/collections/parcels/items?cursor=%%%"), 400, "cursor")
    problem(c.get("/collections/parcels/items?limit=0"), 400, "limit")
    problem(c.get("/collections/parcels/items?f=pdf"), 400, "f")
    problem(c.get("/collections/parcels/items?stat_year=abc"), 400, "stat_year")
    problem(c.get("/collections/nope/items"), 404, "collectionId")
    problem(c.get("/parcels/at?lon=500&lat=1"), 400, "lon")


def check_write_surface(c: Any, editor_key: str, viewer_key: str) -> None:
    """Authenticated writes: ledger POST, parcel PATCH with If-Match, audit."""
    ev = {"type": "Feature", "geometry": None,
          "properties": {"event_id": "H1", "parcel_id": "P0004", "event_date": "2023-10-01",
                         "stage": "recovery_in_progress", "method": "无偿收回"}}
    problem(c.post("/collections/ledger/items", json=ev), 401, "Authorization")
    problem(c.post("/collections/ledger/items", json=ev,
                   headers={"Authorization": "Bearer lu_bad_key"}), 401)
    problem(c.post("/collections/ledger/items", json=ev,
                   headers={"Authorization": f"Bearer {viewer_key}"}), 403)
    auth = {"Authorization": f"Bearer {editor_key}"}
    r = c.post("/collections/ledger/items", json=ev, headers=auth)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/collections/ledger/items/H1")
    stored = r.json()
    assert stored["properties"]["method"] == "free_recovery"
    assert stored["properties"]["recorded_by"].startswith("key:")
    problem(c.post("/collections/ledger/items", json=ev, headers=auth), 409)
    bad = {**ev, "properties": {**ev["properties"], "event_id": "H2", "parcel_id": "NOPE"}}
    problem(c.post("/collections/ledger/items", json=bad, headers=auth), 400)
    bad = {**ev, "properties": {**ev["properties"], "event_id": "H3", "stage": "maybe"}}
    problem(c.post("/collections/ledger/items", json=bad, headers=auth), 400)
    problem(c.post("/collections/ledger/items", json={"type": "Feature", "properties": {},
                                                       "geometry": {"type": "Point"}},
                   headers=auth), 400)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.5045, 30.2005]},
         "properties": {"event_id": "H4", "parcel_id": "P0004", "event_date": "2023-10-02",
                        "stage": "disposed", "area_m2": 800, "corrects": "H1",
                        "note": "更正 correction"}}]}
    r = c.post("/collections/ledger/items", json=fc, headers=auth)
    assert r.status_code == 201 and r.json()["features"][0]["geometry"]["type"] == "Point"
    problem(c.post("/collections/parcels/items", json=ev, headers=auth), 405)
    problem(c.patch("/collections/ledger/items/H1", json={"properties": {}},
                    headers={**auth, "If-Match": '"v1"'}), 405)
    problem(c.post("/collections/ledger/items", content=b"x" * 2_000_000, headers={
        **auth, "Content-Type": "application/json"}), 413)

    # parcel edit: If-Match required, stale versions refused
    etag = c.get("/collections/parcels/items/P0009").headers["etag"]
    edit = {"properties": {"enterprise_status": "停产"}}
    problem(c.patch("/collections/parcels/items/P0009", json=edit, headers=auth), 428,
            "If-Match")
    r = c.patch("/collections/parcels/items/P0009", json=edit,
                headers={**auth, "If-Match": etag})
    assert r.status_code == 200 and r.headers["etag"] == '"v2"'
    assert r.json()["properties"]["enterprise_status"] == "stopped"
    problem(c.patch("/collections/parcels/items/P0009", json=edit,
                    headers={**auth, "If-Match": etag}), 412)
    problem(c.patch("/collections/parcels/items/P0009", json=edit,
                    headers={"Authorization": f"Bearer {viewer_key}", "If-Match": '"v2"'}), 403)

    # audit: who, when, what
    problem(c.get("/audit"), 401)
    recs = c.get("/audit?limit=1000", headers=auth).json()["records"]
    acts = [(x["action"], x["target"]) for x in recs]
    assert ("ledger.append", "H1") in acts and ("parcel.update", "P0009") in acts
    assert all(x["at"] and x["actor"] for x in recs)
