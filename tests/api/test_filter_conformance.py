# ruff: noqa: F811
"""Part 3 (filter, features-filter, queryables) and CQL2 (text, JSON, basic, advanced
comparison, basic spatial) on both backends, after the abstract tests of OGC 19-079r2 and
OGC 21-065: each operator on each kind of queryable, in both encodings, with the expected
parcels worked out by hand from tests.builders.make_register:

parcel i (P0000..P0059): zone 东区 when i % 3 == 0, 西区 when 1, none when 2; holder starts
with 甲乙丙丁[i % 4]; land_price_wan none when i % 7 == 0, else 100 + i; supply_date
20{10 + i % 12}-0{1 + i % 9}-15; geometry the square at x 120.5 + (i % 10) * 0.001,
y 30.2 + (i // 10) * 0.001, 0.0009 on a side. Ledger: E0001 on P0001 (2023-03-01),
E0002 on P0002 (2023-04-01).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from pyproj import Transformer

from landuse.store import Store
from landuse_api.main import create_app
from landuse_api.settings import Settings
from tests.support.api_surface import problem
from tests.support.store import loaded, store_target  # noqa: F401

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402


@pytest.fixture
def c(loaded: Store) -> TestClient:
    return TestClient(create_app(Settings(), store=loaded), raise_server_exceptions=False)


def ids(c: TestClient, collection: str = "parcels", **params: str) -> list[str]:
    r = c.get(f"/collections/{collection}/items", params={"limit": "100", **params})
    assert r.status_code == 200, r.text[:300]
    return sorted(f["id"] for f in r.json()["features"])


def P(*nums: int) -> list[str]:
    return [f"P{i:04d}" for i in nums]


def prop(name: str) -> dict[str, str]:
    return {"property": name}


# (CQL2 text, the same in CQL2-JSON, expected parcels) — /ats/basic-cql2/*,
# /ats/advanced-comparison-operators/*
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("land_price_wan < 105", {"op": "<", "args": [prop("land_price_wan"), 105]},
     P(1, 2, 3, 4)),
    ("land_price_wan >= 158", {"op": ">=", "args": [prop("land_price_wan"), 158]},
     P(58, 59)),
    ("land_price_wan = 110", {"op": "=", "args": [prop("land_price_wan"), 110]}, P(10)),
    ("land_price_wan <= 101", {"op": "<=", "args": [prop("land_price_wan"), 101]}, P(1)),
    ("land_price_wan > 158", {"op": ">", "args": [prop("land_price_wan"), 158]}, P(59)),
    ("zone = '东区' AND land_price_wan > 150",
     {"op": "and", "args": [{"op": "=", "args": [prop("zone"), "东区"]},
                            {"op": ">", "args": [prop("land_price_wan"), 150]}]},
     P(51, 54, 57)),
    ("land_price_wan > 157 OR land_price_wan < 102",
     {"op": "or", "args": [{"op": ">", "args": [prop("land_price_wan"), 157]},
                           {"op": "<", "args": [prop("land_price_wan"), 102]}]},
     P(1, 58, 59)),
    ("NOT land_price_wan >= 103",
     {"op": "not", "args": [{"op": ">=", "args": [prop("land_price_wan"), 103]}]}, P(1, 2)),
    ("land_price_wan IS NULL", {"op": "isNull", "args": [prop("land_price_wan")]},
     P(0, 7, 14, 21, 28, 35, 42, 49, 56)),
    ("supply_date = DATE('2010-01-15')",
     {"op": "=", "args": [prop("supply_date"), {"date": "2010-01-15"}]}, P(0, 36)),
    ("supply_date > DATE('2021-06-30')",
     {"op": ">", "args": [prop("supply_date"), {"date": "2021-06-30"}]}, P(35)),
    ("110 = land_price_wan", {"op": "=", "args": [110, prop("land_price_wan")]}, P(10)),
    # advanced comparison operators
    ("parcel_id LIKE 'P005%'", {"op": "like", "args": [prop("parcel_id"), "P005%"]},
     P(*range(50, 60))),
    ("land_price_wan BETWEEN 120 AND 122",
     {"op": "between", "args": [prop("land_price_wan"), 120, 122]}, P(20, 22)),
    ("land_price_wan NOT BETWEEN 102 AND 158",
     {"op": "not", "args": [{"op": "between", "args": [prop("land_price_wan"), 102, 158]}]},
     P(1, 59)),
    ("parcel_id IN ('P0003', 'P0010', 'P9999')",
     {"op": "in", "args": [prop("parcel_id"), ["P0003", "P0010", "P9999"]]}, P(3, 10)),
    # basic spatial functions
    ("S_INTERSECTS(geom, POINT(120.50145 30.20045))",
     {"op": "s_intersects", "args": [prop("geom"), {"type": "Point",
                                                    "coordinates": [120.50145, 30.20045]}]},
     P(1)),
    ("S_INTERSECTS(geom, BBOX(120.5005, 30.2005, 120.5015, 30.2015))",
     {"op": "s_intersects", "args": [prop("geom"), {"bbox": [120.5005, 30.2005, 120.5015,
                                                             30.2015]}]},
     P(0, 1, 10, 11)),
    ("S_INTERSECTS(geom, LINESTRING(120.50005 30.20545, 120.50295 30.20545))",
     {"op": "s_intersects", "args": [prop("geom"), {
         "type": "LineString", "coordinates": [[120.50005, 30.20545], [120.50295, 30.20545]]}]},
     P(50, 51, 52)),
    ("S_INTERSECTS(geom, POLYGON((120.5031 30.2031, 120.5038 30.2031, 120.5038 30.2038, "
     "120.5031 30.2031)))",
     {"op": "s_intersects", "args": [prop("geom"), {"type": "Polygon", "coordinates": [[
         [120.5031, 30.2031], [120.5038, 30.2031], [120.5038, 30.2038], [120.5031, 30.2031]]]}]},
     P(33)),
]


@pytest.mark.parametrize(("text", "as_json", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_cql2_text_and_json_select_the_same_parcels(c: TestClient, text: str,
                                                    as_json: dict[str, Any],
                                                    expected: list[str]) -> None:
    assert ids(c, filter=text) == expected
    assert ids(c, filter=text, **{"filter-lang": "cql2-text"}) == expected
    assert ids(c, filter=json.dumps(as_json, ensure_ascii=False),
               **{"filter-lang": "cql2-json"}) == expected


def test_counts_of_the_complements(c: TestClient) -> None:
    # 51 parcels have a price; one of them is 110
    assert len(ids(c, filter="land_price_wan <> 110")) == 50
    assert len(ids(c, filter="zone IS NULL")) == 20
    assert len(ids(c, filter="parcel_id NOT IN ('P0003', 'P0010')")) == 58
    assert len(ids(c, filter="parcel_id NOT LIKE 'P000_'")) == 50
    assert len(ids(c, filter="holder LIKE '甲%'")) == 15


def test_filter_combines_with_bbox_and_equality(c: TestClient) -> None:
    """/ats/features-filter/response: filter AND the other selection parameters."""
    got = ids(c, filter="land_price_wan < 112", bbox="120.5,30.2,120.5095,30.2009")
    assert got == P(1, 2, 3, 4, 5, 6, 8, 9)
    assert ids(c, filter="land_price_wan < 112", zone="东区") == P(3, 6, 9)


def test_filter_crs(c: TestClient) -> None:
    """/ats/filter/filter-crs: geometries of the filter in filter-crs (its axis order)."""
    # EPSG:4490 is latitude first
    assert ids(c, filter="S_INTERSECTS(geom, POINT(30.20045 120.50145))",
               **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4490"}) == P(1)
    # a Gauss-Krüger zone (EPSG:4527, northing first): P0001's middle, projected
    tr = Transformer.from_crs(4490, 4527, always_xy=True)
    e, n = tr.transform(120.50145, 30.20045)
    assert ids(c, filter=f"S_INTERSECTS(geom, POINT({n} {e}))",
               **{"filter-crs": "EPSG:4527"}) == P(1)
    assert ids(c, filter="S_INTERSECTS(geom, POINT(120.50145 30.20045))",
               **{"filter-crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}) == P(1)


def test_datetime_on_the_collections_date(c: TestClient) -> None:
    """/ats/core/fc-time-definition: datetime instants and (half-)open intervals."""
    assert ids(c, datetime="2010-01-15") == P(0, 36)
    assert ids(c, datetime="2021-07-01/..") == P(35)
    assert ids(c, datetime="../2010-04-15") == P(0, 12, 36, 48)
    assert ids(c, datetime="2010-01-15T00:00:00Z/2010-04-15T00:00:00Z") == P(0, 12, 36, 48)
    assert len(ids(c, datetime="../..")) == 60
    assert ids(c, "ledger", datetime="2023-03-15/2023-12-31") == ["E0002"]
    # a date-time is read as China's date: 20:00 UTC on 28 Feb is 1 March in Beijing
    assert ids(c, "ledger", datetime="2023-02-28T20:00:00Z") == ["E0001"]
    assert ids(c, "ledger", datetime="2023-03-01T20:00:00Z") == []
    assert ids(c, datetime="2010-01-01/2010-12-31", filter="zone = '东区'") == P(0, 12, 24,
                                                                                36, 48)


def test_ledger_filters_where_its_parcel_is(c: TestClient) -> None:
    assert ids(c, "ledger", filter="S_INTERSECTS(geom, POINT(120.50145 30.20045))") == ["E0001"]
    assert ids(c, "ledger", filter="stage = 'investigating'") == ["E0001"]


@pytest.mark.parametrize(("params", "param"), [
    ({"filter": "zone = 'A'", "filter-lang": "ecql"}, "filter-lang"),
    ({"filter-lang": "cql2-json"}, "filter-lang"),
    ({"filter-crs": "EPSG:4490"}, "filter-crs"),
    ({"filter": "S_INTERSECTS(geom, POINT(1 2))", "filter-crs": "EPSG:3857"}, "filter-crs"),
    ({"datetime": "yesterday"}, "datetime"),
    ({"datetime": "2020-02-01/2020-01-01"}, "datetime"),
])
def test_bad_parameters_are_400_naming_them(c: TestClient, params: dict[str, str],
                                            param: str) -> None:
    problem(c.get("/collections/parcels/items", params=params), 400, param)


@pytest.mark.parametrize(("flt", "lang"), [
    ("zone = ", "cql2-text"),
    ("nosuch = 1", "cql2-text"),
    ("CASEI(zone) = 'a'", "cql2-text"),
    ("{\"op\": \"=\", \"args\": [{\"property\": \"zone\"}]}", "cql2-json"),
    ("{\"op\": \"=\"", "cql2-json"),
    ("{\"op\": \"s_intersects\", \"args\": [{\"property\": \"geom\"}, {\"bbox\": [1, 2]}]}",
     "cql2-json"),
])
def test_bad_filters_are_400(c: TestClient, flt: str, lang: str) -> None:
    body = problem(c.get("/collections/parcels/items",
                         params={"filter": flt, "filter-lang": lang}), 400)
    assert "filter" in body["detail"]


def test_values_stay_out_of_the_sql(c: TestClient) -> None:
    """A quote in a value is a value, never SQL."""
    assert ids(c, filter="holder = 'x'' OR 1=1 --'") == []
    assert ids(c, filter=json.dumps({"op": "=", "args": [prop("holder"), "x' OR '1'='1"]}),
               **{"filter-lang": "cql2-json"}) == []


def test_queryables_and_conformance(c: TestClient) -> None:
    """/ats/queryables/get-queryables-uris and get-queryables; the classes declared."""
    conf = c.get("/conformance").json()["conformsTo"]
    for cls in ("ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/features-filter",
                "ogcapi-features-3/1.0/conf/queryables", "cql2/1.0/conf/cql2-text",
                "cql2/1.0/conf/cql2-json", "cql2/1.0/conf/basic-cql2",
                "cql2/1.0/conf/advanced-comparison-operators",
                "cql2/1.0/conf/basic-spatial-functions"):
        assert f"http://www.opengis.net/spec/{cls}" in conf, cls
    for coll in ("parcels", "ledger"):
        links = c.get(f"/collections/{coll}").json()["links"]
        q = next(x for x in links
                 if x["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/queryables")
        r = c.get(q["href"])
        assert r.headers["content-type"].startswith("application/schema+json")
        schema = r.json()
        assert schema["type"] == "object" and schema["$id"] == q["href"]
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        # every queryable can be used in a filter
        for name, p in schema["properties"].items():
            if p.get("format", "").startswith("geometry"):
                continue
            r = c.get(f"/collections/{coll}/items", params={"filter": f"{name} IS NULL",
                                                             "limit": "1"})
            assert r.status_code == 200, (coll, name, r.text[:200])
