# ruff: noqa: F811
"""The API's history: items as of a date / as known at a time, ``/changes``; both
backends. The second version (tests.builders.second_version, effective 2023-07-01) splits
P0010, merges P0020 and P0021, changes P0030's holder and retires P0040."""

from __future__ import annotations

import time

from landuse.store import Store
from landuse.store.types import now_iso
from landuse_api.main import create_app
from landuse_api.settings import Settings
from tests.builders import second_version
from tests.support.store import loaded, store_target  # noqa: F401


def client(store: Store):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    return TestClient(create_app(Settings(warm=False), store=store),
                      raise_server_exceptions=False)


def item_ids(c, **params: object) -> list[str]:  # type: ignore[no-untyped-def]
    r = c.get("/collections/parcels/items", params={"limit": 1000, "f": "json", **params})
    assert r.status_code == 200, r.text
    return [f["id"] for f in r.json()["features"]]


def test_items_as_of_and_known_at(loaded: Store) -> None:
    first = now_iso()
    time.sleep(0.01)
    loaded.load(second_version(), None, actor="t", effective="2023-07-01")
    c = client(loaded)
    now = item_ids(c)
    assert len(now) == 59 and "P0010-1" in now and "P0010" not in now
    assert len(item_ids(c, as_of="2023-06-30")) == 60
    assert sorted(item_ids(c, as_of="2023-07-01")) == sorted(now)
    assert len(item_ids(c, as_of="2023-07-01", known_at=first)) == 60
    # filters and bbox work on a past register; its assessment fields are null
    r = c.get("/collections/parcels/items", params={
        "as_of": "2023-06-30", "holder": "丙科技有限公司30", "f": "json"}).json()
    assert [f["id"] for f in r["features"]] == ["P0030"]
    assert r["features"][0]["properties"]["lifecycle"] is None
    assert item_ids(c, as_of="2023-06-30", bbox="120.5006,30.2014,120.5007,30.2015") \
        == ["P0010"]
    assert item_ids(c, as_of="2023-07-01", bbox="120.5006,30.2014,120.5007,30.2015") \
        == ["P0010-2"]


def test_ledger_items_known_at(loaded: Store) -> None:
    first = now_iso()
    time.sleep(0.01)
    loaded.append_events([({"event_id": "E0003", "parcel_id": "P0003",
                            "event_date": "2023-05-01", "stage": "investigating"}, None)],
                         actor="t")
    c = client(loaded)
    r = c.get("/collections/ledger/items", params={"known_at": first, "f": "json"})
    assert r.status_code == 200 and [f["id"] for f in r.json()["features"]] == \
        ["E0001", "E0002"]
    r = c.get("/collections/ledger/items", params={"as_of": "2023-01-01"})
    assert r.status_code == 400 and "as_of" in r.text


def test_changes_endpoint(loaded: Store) -> None:
    loaded.load(second_version(), None, actor="t", effective="2023-07-01")
    c = client(loaded)
    r = c.get("/changes", params={"from": "2023-06-30", "to": "2023-07-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    rows = {x["parcel_id"]: x["transitions"] for x in body["changes"]}
    # by hand from the second version
    want = {"P0010": "retired", "P0020": "retired", "P0021": "retired", "P0040": "retired",
            "P0010-1": "split", "P0010-2": "split", "P0020M": "merged"}
    assert {k: rows[k] for k in want} == want
    assert "holder_changed" in rows["P0030"]
    summary = {x["transition"]: x["parcels"] for x in body["summary"]}
    assert summary["retired"] == 4 and summary["split"] == 2 and summary["merged"] == 1
    r = c.get("/changes", params={"from": "2023-07-01", "to": "2023-06-30"})
    assert r.status_code == 400 and r.headers["content-type"].startswith(
        "application/problem+json")
    r = c.get("/changes", params={"from": "2023-01-01", "known_at": "2001-01-01"})
    assert r.status_code == 400 and "known-at" in r.text
