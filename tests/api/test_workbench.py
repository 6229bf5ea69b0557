# ruff: noqa: F811
"""The workbench's routes (/app, issue 15): the page and its files come from the server,
its words from the package data, and its counts agree with the parcels items."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from landuse.labels import label, label_keys
from landuse.store import Store
from landuse_api.main import create_app
from landuse_api.settings import Settings
from landuse_api.workbench import ASSETS, VENDOR_FILES
from tests.store.test_incremental_store import AS_OF
from tests.store.test_incremental_store import store as inc_store  # noqa: F401
from tests.support.browser import fetched_urls
from tests.support.store import store_target  # noqa: F401

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402


@pytest.fixture
def c(inc_store: Store) -> Iterator[TestClient]:
    app = create_app(Settings(as_of=AS_OF, warm=False), store=inc_store)  # type: ignore[call-arg]
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_the_page_and_every_file_it_loads_come_from_the_server(c: TestClient) -> None:
    for lang in ("zh", "en"):
        r = c.get(f"/app?lang={lang}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        html = r.text
        assert fetched_urls(html) == []  # no CDN, nothing outside the server
        assert f"<title data-w=\"title\">{label('app', 'title', lang)}</title>" in html
        assert not re.search(r'data-w="[\w.]+"></', html)  # every marked element has words
        for src in re.findall(r'(?:src|href)="(/app/[^"]+)"', html):
            assert c.get(src).status_code == 200, src
    assert "lang=\"zh-CN\"" in c.get("/app").text  # Chinese by default
    for name in ASSETS:
        assert c.get(f"/app/assets/{name}").status_code == 200
    for name in VENDOR_FILES:
        assert c.get(f"/app/vendor/{name}").status_code == 200
    assert c.get("/app/assets/..%2Fapp.py").status_code == 404
    assert c.get("/app/vendor/leaflet%2Fpackage.json").status_code == 404
    landing = c.get("/?f=json").json()
    assert any(link["href"].endswith("/app") for link in landing["links"])


def test_the_page_keeps_no_words_of_its_own(c: TestClient) -> None:
    """Words come from words.toml [app] and the standard through /app/words."""
    js = c.get("/app/assets/app.js").text
    assert not re.findall(r"[\u4e00-\u9fff]", js)
    for lang in ("zh", "en"):
        w = c.get(f"/app/words?lang={lang}").json()
        assert {k for k in w["app"] if "." not in k} == set(label_keys("app"))
        assert w["codes"]["lifecycle"]["supplied_unused"] == label("lifecycle", "supplied_unused",
                                                                     lang)
        assert w["fields"]["idle_fee_wan"] == label("field", "idle_fee_wan", lang)
    assert c.get("/app/words?lang=fr").status_code == 400 or \
        c.get("/app/words?lang=fr").status_code == 422


def test_summary_counts_what_the_items_list(c: TestClient) -> None:
    flt = "lifecycle = 'supplied_unused' AND overdue_days >= 365"
    s = c.get("/app/summary", params={"filter": flt}).json()
    items = c.get("/collections/parcels/items", params={
        "filter": flt, "limit": 1000, "skipGeometry": "true", "properties": "area_mu"}).json()
    assert s["parcels"] == len(items["features"]) > 0
    assert s["area_mu"] == pytest.approx(sum(f["properties"]["area_mu"]
                                             for f in items["features"]), abs=0.01)
    assert s["assessment"]["as_of"] == AS_OF and s["assessment"]["ranks_stale"] is False
    whole = c.get("/app/summary").json()
    assert whole["parcels"] == 24
    bad = c.get("/app/summary", params={"filter": "lifecycle = "})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith(
        "application/problem+json")


def test_zones_map_and_who_signed_in(c: TestClient, inc_store: Store) -> None:
    assert c.get("/app/zones").json() == {"zones": []}  # this register names none
    m = c.get("/app/map").json()
    assert 0 <= m["minzoom"] <= m["maxzoom"]
    assert m["bbox"] == list(inc_store.bounds())  # where the page opens the map
    editor, viewer = inc_store.add_key("editor"), inc_store.add_key("viewer")
    who: Any = c.get("/app/whoami", headers={"Authorization": f"Bearer {editor}"}).json()
    assert who["role"] == "editor"
    who = c.get("/app/whoami", headers={"Authorization": f"Bearer {viewer}"}).json()
    assert who["role"] == "viewer"
    assert c.get("/app/whoami").status_code == 401
    assert c.get("/app/whoami", headers={"Authorization": "Bearer lu_x_y"}).status_code == 401


def test_a_refused_write_says_what_is_wrong_in_chinese_by_default(
        c: TestClient, inc_store: Store) -> None:
    """A refused event's detail line is in Chinese unless English is asked for (?lang=en
    or Accept-Language), each problem with its row, event, field, value and fix; the
    rest of the problem details (status, parameter, invalid-params) do not change."""
    auth = {"Authorization": f"Bearer {inc_store.add_key('editor')}"}
    bad = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {
            "event_id": "ZH-1", "parcel_id": "P1", "event_date": "2023-13-02",
            "stage": "investigating"}},
        {"type": "Feature", "geometry": None, "properties": {
            "event_id": "ZH-2", "parcel_id": "P1", "event_date": "2023-10-02",
            "stage": "disposed", "method": "merger"}}]}
    zh = c.post("/collections/ledger/items", headers=auth, json=bad)
    en = c.post("/collections/ledger/items?lang=en", headers=auth, json=bad)
    by_header = c.post("/collections/ledger/items", json=bad, headers={
        **auth, "Accept-Language": "en-GB,en;q=0.9,zh-CN;q=0.5"})
    zh_header = c.post("/collections/ledger/items", json=bad, headers={
        **auth, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert {r.status_code for r in (zh, en, by_header, zh_header)} == {400}
    lines = zh.json()["detail"].splitlines()
    # words.toml [refused] around the ledger problems' own words ([ledger_problem/_fix])
    assert lines[0] == "提交的内容有 2 个问题，均未保存。"
    assert lines[1] == ("第 1 行（事件 ZH-1），字段 event_date（值为“2023-13-02”）：不是有效日期。"
                        "改正：日期请写成 YYYY-MM-DD（如 2023-05-08）。")
    assert lines[2].startswith("第 2 行（事件 ZH-2），字段 area_m2：处置阶段“")
    assert lines[2].endswith("改正：请填写大于 0 的面积 area_m2（或 面积(亩)）。")
    assert zh_header.json()["detail"] == zh.json()["detail"]
    english = en.json()["detail"]
    assert "2 problem(s); nothing was stored" in english and "Fix:" in english
    assert by_header.json()["detail"] == english
    for r in (en, by_header, zh_header):  # the same problem details otherwise
        same = {k: v for k, v in r.json().items() if k != "detail"}
        assert same == {k: v for k, v in zh.json().items() if k != "detail"}
    for eid in ("ZH-1", "ZH-2"):  # nothing stored
        assert c.get(f"/collections/ledger/items/{eid}").status_code == 404


def test_changed_tiles_name_the_tiles_of_the_parcels_a_write_changed(
        c: TestClient, inc_store: Store) -> None:
    """/app/tiles: nothing since the version drawn; after an event that changes P4's class
    on the map, the tiles of every level holding P4 (its box, landuse.webmap.tiles), and
    every tile (``all``) for a version older than the map remembers."""
    import shapely

    from landuse.webmap.tiles import _world

    v0 = c.get("/app/map").json()["version"]
    assert c.get("/app/tiles", params={"since": v0}).json() == {
        "version": v0, "all": False, "tiles": []}
    auth = {"Authorization": f"Bearer {inc_store.add_key('editor')}"}
    r = c.post("/collections/ledger/items", headers=auth, json={
        "type": "Feature", "geometry": None, "properties": {
            "event_id": "TILES-1", "parcel_id": "P4", "event_date": "2023-10-02",
            "stage": "disposed", "method": "free_recovery", "area_m2": 100.0}})
    assert r.status_code == 201, r.text[:300]
    m = c.get("/app/map").json()
    body = c.get("/app/tiles", params={"since": v0}).json()
    assert body["version"] == m["version"] > v0 and body["all"] is False
    x0, y0, x1, y1 = shapely.bounds(inc_store.get_parcel("P4").geometry)
    (wx0, wx1), (wy1, wy0) = (_world(np.array([x0, x1]), np.array([y0, y1])))
    expect = set()
    for z in range(m["minzoom"], m["maxzoom"] + 1):
        n = 2**z
        for tx in range(int(wx0 * n), int(wx1 * n) + 1):
            for ty in range(int(wy0 * n), int(wy1 * n) + 1):
                expect.add((z, tx, ty))
    assert expect <= {tuple(t) for t in body["tiles"]}
    assert c.get("/app/tiles", params={"since": 0}).json()["all"] is True
