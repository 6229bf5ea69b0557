# ruff: noqa: F811
"""The workbench's count and 亩 of a filter (``/app/summary``) and its map tiles' filter
masks, kept per filter and patched after writes (landuse_api.selection), on both backends:
after ledger events, edits and a whole refresh of the 亩均 ranks they equal what the store
counts over the whole register (:meth:`Store.count_and_mu`, the earlier answer), and only
the writes' parcels were asked again while the table was only patched."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from landuse.store import Query, Store, cql
from landuse_api.main import create_app
from landuse_api.routers.ogc import decode_cursor, encode_cursor
from landuse_api.settings import Settings
from tests.store.test_incremental_store import AS_OF
from tests.store.test_incremental_store import store as inc_store  # noqa: F401
from tests.support.store import store_target  # noqa: F401

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

FILTERS = ["", "idle_type = 'not_started'", "overdue_days >= 365",
           "lifecycle = 'in_use' AND mujun_class IS NOT NULL", "mujun_class = 'A'",
           "flags LIKE '%overdue%' OR low_efficiency = true"]


@pytest.fixture
def app_client(inc_store: Store) -> Iterator[tuple[TestClient, Any]]:
    app = create_app(Settings(as_of=AS_OF, warm=False), store=inc_store)  # type: ignore[call-arg]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, app


def _check(c: TestClient, store: Store) -> dict[str, tuple[int, float]]:
    out = {}
    for f in FILTERS:
        r = c.get("/app/summary", params={"filter": f} if f else {})
        assert r.status_code == 200, (f, r.text[:300])
        n, mu = store.count_and_mu(Query(filter=cql.parse(f) if f else None))
        assert (r.json()["parcels"], r.json()["area_mu"]) == (n, round(mu, 2)), f
        out[f] = (n, round(mu, 2))
    return out


def _tile_masks(app: Any, store: Store) -> None:
    """The tiles' filter masks select the parcels the store's filter does."""
    d = app.state.derived
    st = d.tileset("zh")
    for f in FILTERS[1:]:
        mask = d.filter_mask(st, f)
        found, _ = store.matching(Query(filter=cql.parse(f)))
        assert sorted(np.asarray(st["ids"], dtype=object)[mask].tolist()) == sorted(found), f


def test_counts_and_masks_follow_writes(inc_store: Store, app_client: Any) -> None:
    c, app = app_client
    auth = {"Authorization": f"Bearer {inc_store.add_key('editor')}"}
    sel = app.state.derived.selections
    first = _check(c, inc_store)
    _tile_masks(app, inc_store)
    whole = sel.whole
    assert whole == len(FILTERS)  # each asked of the whole store once

    etag = c.get("/collections/parcels/items/P2").headers["ETag"]
    r = c.patch("/collections/parcels/items/P2", headers={**auth, "If-Match": etag},
                json={"properties": {"start_date": "2022-12-01", "start_evidence": "pit_done"}})
    assert r.status_code == 200, r.text[:300]
    for i, stage in enumerate(["investigating", "disposed"]):
        r = c.post("/collections/ledger/items", headers=auth, json={
            "type": "Feature", "geometry": None, "properties": {
                "event_id": f"SEL-{i}", "parcel_id": "P4", "event_date": "2023-10-02",
                "stage": stage, **({"method": "free_recovery", "area_m2": 100.0}
                                   if stage == "disposed" else {})}})
        assert r.status_code == 201, r.text[:300]
    assert _check(c, inc_store) != first  # the writes moved some filter's answer
    _tile_masks(app, inc_store)
    assert sel.whole == whole and sel.patched >= len(FILTERS)  # patched, not asked whole

    # a rated edit: the ranks' whole refresh makes the table whole again (asked whole)
    app.state.derived.ranks.wait(60)
    etag = c.get("/collections/parcels/items/P0").headers["ETag"]
    r = c.patch("/collections/parcels/items/P0", headers={**auth, "If-Match": etag},
                json={"properties": {"tax_wan": 5000.0}})
    assert r.status_code == 200, r.text[:300]
    c.get("/collections/parcels/items?limit=1")
    app.state.derived.ranks.wait(60)
    assert inc_store.assessment_state()["ranks_stale"] is False  # type: ignore[index]
    made = inc_store.assessment_made()
    # the kept filters and orders were asked again as the refresh committed, not by a page
    asking = app.state.derived.asking
    assert asking is not None
    asking.join(60)
    again = sel.whole
    assert again >= whole + len(FILTERS)
    _check(c, inc_store)
    _tile_masks(app, inc_store)
    assert sel.whole == again and inc_store.assessment_made() == made


def test_a_wrong_filter_is_refused_and_not_kept(app_client: Any) -> None:
    c, app = app_client
    r = c.get("/app/summary", params={"filter": "no_such_field = 1"})
    assert r.status_code == 400
    r = c.get("/app/summary", params={"filter": "idle_type = "})
    assert r.status_code == 400
    assert app.state.derived.selections.busy == {}
    # asked of the selections themselves (the route parses the filter before it asks):
    # the store refuses it, and neither the answer nor its wait lock is kept
    from landuse.errors import LanduseError

    sel = app.state.derived.selections
    with pytest.raises(LanduseError):
        sel.get("no_such_field = 1", app.state.derived.frames()[0])
    assert sel.busy == {} and "no_such_field = 1" not in sel.kept


SORTS = ["-area_mu", "area_mu", "-overdue_days", "-idle_fee_wan"]


def _pages(c: TestClient, sort: str, f: str) -> list[list[str]]:
    """Every page (of 3) of the parcels list sorted by ``sort`` with filter ``f``."""
    params: dict[str, Any] = {"limit": 3, "sortby": sort, "skipGeometry": "true",
                              "properties": "parcel_id,area_mu"}
    if f:
        params["filter"] = f
    out, url = [], "/collections/parcels/items"
    while url:
        r = c.get(url, params=params or None)
        assert r.status_code == 200, r.text[:300]
        out.append([ft["id"] for ft in r.json()["features"]])
        nxt = [ln["href"] for ln in r.json()["links"] if ln["rel"] == "next"]
        url, params = (nxt[0], {}) if nxt else ("", {})
    return out


def _store_pages(store: Store, sort: str, f: str) -> list[list[str]]:
    out, after = [], None
    while True:
        page = store.query("parcels", Query(
            filter=cql.parse(f) if f else None, sortby=[(sort.lstrip("-"),
                                                         sort.startswith("-"))],
            limit=3, after=after, properties=["parcel_id"], skip_geometry=True))
        out.append([ft.id for ft in page.features])
        if page.next_key is None:
            return out
        after = decode_cursor(encode_cursor(page.next_key))  # as the next link carries it


def test_sorted_pages_are_the_stores_and_follow_writes(inc_store: Store,
                                                       app_client: Any) -> None:
    """Lists sorted by a number, paged by the next link, filtered or not: the same pages
    as the store sorting the whole register, before and after writes (the kept orders
    patched, not read again)."""
    c, app = app_client
    auth = {"Authorization": f"Bearer {inc_store.add_key('editor')}"}
    for f in ("", "idle_type = 'not_started'", "overdue_days >= 365"):
        for sort in SORTS:
            assert _pages(c, sort, f) == _store_pages(inc_store, sort, f), (sort, f)
    kept = app.state.derived.orders.kept
    assert set(kept) == {(s.lstrip("-"), s.startswith("-")) for s in SORTS}
    before = {k: v.value for k, v in kept.items()}
    etag = c.get("/collections/parcels/items/P2").headers["ETag"]
    r = c.patch("/collections/parcels/items/P2", headers={**auth, "If-Match": etag},
                json={"properties": {"start_date": "2022-12-01", "start_evidence": "pit_done"}})
    assert r.status_code == 200, r.text[:300]
    r = c.post("/collections/ledger/items", headers=auth, json={
        "type": "Feature", "geometry": None, "properties": {
            "event_id": "SORT-1", "parcel_id": "P4", "event_date": "2023-10-02",
            "stage": "disposed", "method": "free_recovery", "area_m2": 100.0}})
    assert r.status_code == 201, r.text[:300]
    for f in ("", "idle_type = 'not_started'", "overdue_days >= 365"):
        for sort in SORTS:
            assert _pages(c, sort, f) == _store_pages(inc_store, sort, f), (sort, f)
    moved = [k for k, v in kept.items() if not np.array_equal(v.value, before[k])]
    assert moved  # the writes moved some parcel's sort value: the kept order followed
