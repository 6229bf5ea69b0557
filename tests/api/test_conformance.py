# ruff: noqa: F811
"""What the API declares is what it serves: the OpenAPI documents, HTTP Link headers, and
ledger features on the map (both backends).

Abstract tests followed: OGC 17-069r4 (OGC API – Features Part 1) Annex A —
/ats/core/root-success (landing page links), /ats/core/conformance-success,
/ats/oas30/oas-definition-1..2 (the service-desc is an OpenAPI 3.0 document),
/ats/core/fc-links and /ats/core/f-links (self, alternate and next links with ``type``);
RFC 8288 for the ``Link`` header.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from landuse.store import Store
from landuse_api.main import create_app
from landuse_api.settings import Settings
from tests.support.store import loaded, store_target  # noqa: F401

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"


def client(store: Store, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(**settings), store=store),
                      raise_server_exceptions=False)


_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[\w*-]+=(?:"[^"]*"|[^;,\s]*))*)')
_PARAM = re.compile(r';\s*([\w*-]+)=(?:"([^"]*)"|([^;,\s]*))')


def parse_link_header(value: str) -> list[dict[str, str]]:
    """RFC 8288 link-values as dicts of href and parameters (``title*`` kept encoded)."""
    out = []
    pos = 0
    for m in _LINK.finditer(value):
        between = value[pos:m.start()].strip()
        assert between in ("", ","), f"junk between links: {between!r}"
        pos = m.end()
        link = {"href": m.group(1)}
        for p in _PARAM.finditer(m.group(2)):
            link[p.group(1)] = p.group(2) if p.group(2) is not None else p.group(3)
        out.append(link)
    assert value[pos:].strip() == "", f"junk after links: {value[pos:]!r}"
    return out


def _triples(links: list[dict[str, str]]) -> set[tuple[str, str, str]]:
    return {(x["rel"], x["href"], x["type"]) for x in links}


# -- OpenAPI: the oas30 class names OpenAPI 3.0 ------------------------------------------


def test_service_desc_is_a_valid_openapi_30_document(loaded: Store) -> None:
    c = client(loaded)
    assert OAS30 in c.get("/conformance").json()["conformsTo"]
    descs = [x for x in c.get("/").json()["links"] if x["rel"] == "service-desc"]
    by_version = {x["type"].rsplit("version=", 1)[1]: x["href"] for x in descs}
    assert set(by_version) == {"3.0", "3.1"}
    r30 = c.get(by_version["3.0"])
    assert r30.status_code == 200
    assert r30.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc30 = r30.json()
    assert doc30["openapi"].startswith("3.0.")
    OpenAPIV30SpecValidator(doc30).validate()
    doc31 = c.get(by_version["3.1"]).json()
    assert doc31["openapi"].startswith("3.1.")
    OpenAPIV31SpecValidator(doc31).validate()
    # the same operations in both
    assert set(doc30["paths"]) == set(doc31["paths"])
    assert "/collections/{collectionId}/items" in doc30["paths"]


def test_the_31_document_would_not_pass_as_30(loaded: Store) -> None:
    """Why a separate 3.0 document: FastAPI's own is not valid OpenAPI 3.0."""
    doc31 = client(loaded).get("/openapi.json").json()
    errors = list(OpenAPIV30SpecValidator({**doc31, "openapi": "3.0.3"}).iter_errors())
    assert errors


# -- Link headers mirror the body's links -------------------------------------------------

DOCS = ["/", "/conformance", "/collections", "/collections/parcels", "/collections/ledger",
        "/collections/parcels/items/P0001", "/collections/ledger/items/E0001"]


@pytest.mark.parametrize("url", DOCS)
def test_link_header_mirrors_the_body(loaded: Store, url: str) -> None:
    c = client(loaded)
    r = c.get(url)
    assert r.status_code == 200
    header = parse_link_header(r.headers["link"])
    body = r.json()["links"]
    assert _triples(header) == _triples(body)
    rels = {x["rel"] for x in header}
    assert {"self", "alternate"} <= rels
    self_link = next(x for x in header if x["rel"] == "self")
    assert self_link["type"].split(";")[0] in r.headers["content-type"]
    # the alternate really is the other media type
    alt = next(x for x in header if x["rel"] == "alternate")
    ra = c.get(alt["href"])
    assert ra.status_code == 200
    assert ra.headers["content-type"].startswith(alt["type"].split(";")[0])
    assert parse_link_header(ra.headers["link"])


@pytest.mark.parametrize("collection", ["parcels", "ledger"])
def test_every_page_carries_its_links_in_the_header(loaded: Store, collection: str) -> None:
    c = client(loaded)
    url: str | None = f"/collections/{collection}/items?limit=7"
    pages = 0
    while url:
        r = c.get(url)
        assert r.status_code == 200
        body = r.json()
        header = parse_link_header(r.headers["link"])
        assert _triples(header) == _triples(body["links"])
        nxt = [x for x in header if x["rel"] == "next"]
        assert len(nxt) == (1 if body["numberReturned"] == 7 and url else len(nxt))
        for x in header:
            assert x["type"], x
        url = nxt[0]["href"] if nxt else None
        pages += 1
    if collection == "parcels":
        assert pages == 9  # 60 parcels, 7 a page: 8 full pages and one of 4


@pytest.mark.parametrize("fmt", ["html", "csv"])
def test_html_and_csv_pages_carry_the_links_too(loaded: Store, fmt: str) -> None:
    c = client(loaded)
    r = c.get(f"/collections/parcels/items?limit=5&f={fmt}")
    header = parse_link_header(r.headers["link"])
    rels = [x["rel"] for x in header]
    assert "self" in rels and "next" in rels and "alternate" in rels
    self_link = next(x for x in header if x["rel"] == "self")
    assert r.headers["content-type"].startswith(self_link["type"].split(";")[0])
    json_alt = next(x for x in header if x["rel"] == "alternate"
                    and x["type"] == "application/geo+json")
    assert "f=json" in json_alt["href"]


def test_non_ascii_titles_are_encoded_per_rfc_8187(loaded: Store) -> None:
    r = client(loaded).get("/collections/parcels/items?limit=1")
    r.headers["link"].encode("latin-1")  # a header value is Latin-1
    nxt = next(x for x in parse_link_header(r.headers["link"]) if x["rel"] == "next")
    assert nxt["title*"] == "UTF-8''next%20page%20%E4%B8%8B%E4%B8%80%E9%A1%B5"


# -- ledger features on the map --------------------------------------------------------------


def test_ledger_features_are_points_and_polygons_by_option(loaded: Store) -> None:
    c = client(loaded)
    feats = c.get("/collections/ledger/items").json()["features"]
    assert [f["geometry"]["type"] for f in feats] == ["Point", "Point"]
    lon, lat = feats[0]["geometry"]["coordinates"]
    # E0001 is on P0001: the square 120.501..120.5019 E, 30.2..30.2009 N
    assert 120.501 < lon < 120.5019 and 30.2 < lat < 30.2009
    one = c.get("/collections/ledger/items/E0001?geometry=polygon").json()
    assert one["geometry"]["type"] == "Polygon"
    ring = one["geometry"]["coordinates"][0]
    assert {round(x, 6) for x, _ in ring} == {120.501, 120.5019}
    page = c.get("/collections/ledger/items?geometry=polygon").json()
    assert [f["geometry"]["type"] for f in page["features"]] == ["Polygon", "Polygon"]


def test_geometry_option_is_checked(loaded: Store) -> None:
    c = client(loaded)
    r = c.get("/collections/parcels/items?geometry=point")
    assert r.status_code == 400
    assert "geometry" in r.text
    assert c.get("/collections/ledger/items?geometry=centroid").status_code in (400, 422)


# -- Part 1 core, geojson, html, oas30 and Part 2 crs (17-069r4 Annex A, 18-058r1 Annex A) --

OGC_PATHS = ["/", "/conformance", "/collections", "/collections/{collectionId}",
             "/collections/{collectionId}/items",
             "/collections/{collectionId}/items/{featureId}"]


def test_oas30_definition_is_complete(loaded: Store) -> None:
    """/ats/oas30/completeness and /ats/core/fc-*-definition: every OGC resource and the
    items parameters are in the 3.0 document."""
    doc = client(loaded).get("/openapi-3.0.json").json()
    for p in OGC_PATHS:
        assert "get" in doc["paths"][p], p
    params = {x["name"]: x for x in doc["paths"]["/collections/{collectionId}/items"]["get"][
        "parameters"]}
    for name in ("limit", "bbox", "datetime", "filter", "filter-lang", "filter-crs", "crs",
                 "bbox-crs"):
        assert params[name]["in"] == "query", name
    assert params["limit"]["schema"]["minimum"] == 1
    assert params["datetime"]["schema"]["nullable"] is True  # a 3.0 spelling, not 3.1's


def test_collections_metadata(loaded: Store) -> None:
    """/ats/core/fc-md-success, fc-md-links, fc-md-items and /ats/crs/fc-md-crs-list."""
    cols = client(loaded).get("/collections").json()["collections"]
    for col in cols:
        items = [x for x in col["links"] if x["rel"] == "items"]
        assert items and items[0]["type"] == "application/geo+json"
        assert col["storageCrs"] in col["crs"]
        assert col["extent"]["spatial"]["bbox"][0][:2] == pytest.approx([120.5, 30.2])


def test_collections_with_dates_give_their_temporal_extent(loaded: Store) -> None:
    """Part 1, 7.14.1 extent.temporal: one interval, first to last date of the collection's
    temporal property. By hand from tests.builders: supply dates 20{10+i%12}-0{1+i%9}-15 for
    i = 0..59 run from i=0 (2010-01-15) to the year 2021 (i%12 = 11: i = 11, 23, 35, 47,
    59), whose latest month is 1 + 35%9 = 9 (2021-09-15); the ledger's two events are dated
    2023-03-01 and 2023-04-01."""
    c = client(loaded)
    want = {"parcels": [["2010-01-15T00:00:00Z", "2021-09-15T00:00:00Z"]],
            "ledger": [["2023-03-01T00:00:00Z", "2023-04-01T00:00:00Z"]]}
    gregorian = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
    listed = {col["id"]: col for col in c.get("/collections").json()["collections"]}
    for cid, interval in want.items():
        for doc in (listed[cid], c.get(f"/collections/{cid}").json()):
            assert doc["extent"]["temporal"] == {"interval": interval, "trs": gregorian}
    # a later event (a write) moves the ledger's end at once
    loaded.append_events([({"event_id": "E9001", "parcel_id": "P0003",
                            "event_date": "2024-01-02", "stage": "investigating"}, None)],
                         actor="test")
    assert c.get("/collections/ledger").json()["extent"]["temporal"]["interval"] == [
        ["2023-03-01T00:00:00Z", "2024-01-02T00:00:00Z"]]


@pytest.mark.parametrize("collection", ["parcels", "ledger"])
def test_items_response_is_geojson(loaded: Store, collection: str) -> None:
    """/ats/core/fc-response, /ats/geojson/content: a FeatureCollection of Features, each
    with an id, a geometry and properties; numberReturned counts them."""
    r = client(loaded).get(f"/collections/{collection}/items?limit=5")
    assert r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"]) > 0
    assert "timeStamp" in body
    for f in body["features"]:
        assert f["type"] == "Feature" and isinstance(f["id"], str)
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon", "Point")
        assert isinstance(f["properties"], dict)


@pytest.mark.parametrize("url", [*DOCS, "/collections/parcels/items?limit=2",
                                 "/collections/ledger/items"])
def test_every_resource_has_an_html_page(loaded: Store, url: str) -> None:
    """/ats/html/definition and /ats/html/content."""
    sep = "&" if "?" in url else "?"
    r = client(loaded).get(f"{url}{sep}f=html")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.text.startswith("<!doctype html>")


@pytest.mark.parametrize("collection", ["parcels", "ledger"])
def test_crs_of_items(loaded: Store, collection: str) -> None:
    """/ats/crs/fc-crs-valid-value, /ats/crs/ogc-crs-header-content-crs and an unserved
    crs is 400."""
    c = client(loaded)
    for crs in ("http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                "http://www.opengis.net/def/crs/EPSG/0/4490",
                "http://www.opengis.net/def/crs/EPSG/0/4528"):
        r = c.get(f"/collections/{collection}/items", params={"crs": crs, "limit": "1"})
        assert r.status_code == 200
        assert r.headers["content-crs"] == f"<{crs}>"
    problem = c.get(f"/collections/{collection}/items",
                    params={"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"})
    assert problem.status_code == 400
