# ruff: noqa: F811
"""Supply records in the store and in the API, on both backends."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from landuse.errors import SchemaError
from landuse.io import read_parcels
from landuse.io.supply import read_supply
from landuse.store import Query, Store, open_store
from landuse.store.schema import COLLECTIONS, SUPPLY_COLLECTIONS
from landuse.supply.summary import summarise
from tests.builders import ROOT
from tests.support.store import store_target  # noqa: F401

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

GEO = ROOT / "data" / "geo"


@pytest.fixture
def supplied(store_target: str) -> Iterator[Store]:
    """The sample park and its supply records in a store."""
    parcels = read_parcels(GEO / "sample_park.gpkg")
    s = open_store(store_target)
    s.load(parcels)
    n = s.import_supply(read_supply(GEO / "sample_park_supply.gpkg"), parcels["parcel_id"],
                        actor="test")
    assert n == 425  # 20 + 3 + 288 + 7 + 30 + 3 + 3 + 71
    yield s
    s.close()


def test_stored_records_give_the_same_summary(supplied: Store) -> None:
    back = supplied.supply_data()
    assert back.counts() == read_supply(GEO / "sample_park_supply.gpkg").counts()
    assert back.batches.crs.to_epsg() == 4490 and back.batches.geometry.notna().all()
    s = summarise(back, "2023-10-31")
    assert s.mu(s.suppliable["area_m2"].sum()) == 313.0
    assert s.headline()["supplied_count"] == 288


def test_a_second_import_stores_nothing(supplied: Store) -> None:
    d = read_supply(GEO / "sample_park_supply.gpkg")
    with pytest.raises(SchemaError, match="duplicate value"):
        supplied.import_supply(d)
    assert supplied.count("supply") == 288


def test_supply_beyond_a_stored_batch_is_refused(supplied: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # DZ2018 is fully supplied in the store: one more 亩 from it crosses its area
    (tmp_path / "supply.csv").write_text(
        "电子监管号,宗地编号,批次编号,供应方式,土地用途,供应面积(亩),合同签订日期\n"
        "NEW-1,DZ-024,DZ2018,挂牌,工业用地,1,2023-09-01\n", encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        supplied.import_supply(read_supply(tmp_path))
    assert "supply.csv, row 1 (NEW-1), field area_m2" in str(e.value)
    assert "beyond the batch's remaining area" in str(e.value)
    assert supplied.count("supply") == 288


def test_the_collections_page_filter_and_link(supplied: Store) -> None:
    from landuse_api.main import create_app
    from landuse_api.settings import Settings

    c = TestClient(create_app(Settings(), store=supplied), raise_server_exceptions=False)
    ids = {x["id"] for x in c.get("/collections").json()["collections"]}
    assert set(SUPPLY_COLLECTIONS) <= ids
    r = c.get("/collections/supply/items", params={"limit": 5, "use": "commercial"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["features"]) == 5
    assert {f["properties"]["use"] for f in body["features"]} == {"commercial"}
    assert 'rel="next"' in r.headers["link"]
    nxt = next(x["href"] for x in body["links"] if x["rel"] == "next")
    r2 = c.get(nxt)
    assert r2.status_code == 200
    assert not {f["id"] for f in r2.json()["features"]} & {f["id"] for f in body["features"]}
    r = c.get("/collections/supply/items",
              params={"filter": "contract_date >= '2023-01-01' AND supply_way = 'listing'"})
    assert r.status_code == 200, r.text
    got = r.json()["features"]
    assert got and all(f["properties"]["contract_date"] >= "2023-01-01" for f in got)
    r = c.get("/collections/batches/items/DZ2019")
    assert r.status_code == 200 and r.json()["geometry"]["type"] == "Polygon"
    r = c.get("/collections/quota_events/items", params={"datetime": "2023-01-01/2023-12-31"})
    assert {f["properties"]["event_date"][:4] for f in r.json()["features"]} == {"2023"}
    q = c.get("/collections/mortgages/queryables").json()["properties"]
    assert q["amount_wan"]["type"] == "number"
    assert c.get("/collections/supply_plan/items/2023-commercial").status_code == 200
    r = c.post("/collections/supply/items", json={"type": "Feature", "properties": {}})
    assert r.status_code in (401, 403, 405)


def test_collections_match_the_tables(supplied: Store) -> None:
    for kind in SUPPLY_COLLECTIONS:
        page = supplied.query(kind, Query(limit=1))
        if supplied.count(kind):
            assert set(page.features[0].properties) == set(COLLECTIONS[kind].names)
