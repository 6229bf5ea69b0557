# ruff: noqa: F811
"""Writes over the API patch the assessment (issue 15): the writer does not wait for the
whole zone; the 亩均 ranks are marked stale until the background whole refresh commits."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from landuse.store import Store
from landuse_api.main import create_app
from landuse_api.settings import Settings
from tests.store.test_incremental_store import AS_OF
from tests.store.test_incremental_store import store as inc_store  # noqa: F401
from tests.support.store import store_target  # noqa: F401

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402


@pytest.fixture
def app_client(inc_store: Store) -> Iterator[tuple[TestClient, Any]]:
    app = create_app(Settings(as_of=AS_OF, warm=False), store=inc_store)  # type: ignore[call-arg]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, app


def test_a_ledger_write_is_patched_not_remade(inc_store: Store, app_client: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    c, _ = app_client
    auth = {"Authorization": f"Bearer {inc_store.add_key('editor')}"}
    c.get("/collections/parcels/items?limit=1")  # the table for AS_OF
    def refuse(*a: Any, **k: Any) -> None:
        raise AssertionError("the whole assessment was made again")
    monkeypatch.setattr(inc_store, "_full_assessment", refuse)
    r = c.post("/collections/ledger/items", headers=auth, json={
        "type": "Feature", "geometry": None, "properties": {
            "event_id": "API-INC-1", "parcel_id": "P1", "event_date": "2023-10-30",
            "stage": "investigating"}})
    assert r.status_code == 201, r.text[:300]
    body = c.get("/collections/parcels/items?limit=1").json()
    assert body["assessment"]["ranks_stale"] is False
    assert inc_store.assessment_state()["seq"] == inc_store.change_seq()  # type: ignore[index]


def test_a_rated_edit_says_ranks_stale_until_the_whole_refresh(
        inc_store: Store, app_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    c, app = app_client
    auth = {"Authorization": f"Bearer {inc_store.add_key('editor')}"}
    c.get("/collections/parcels/items?limit=1")
    etag = c.get("/collections/parcels/items/P0").headers["ETag"]
    ranks = app.state.derived.ranks
    asked: list[dict[str, Any]] = []
    with monkeypatch.context() as m:  # the background refresh held back
        m.setattr(ranks, "after", asked.append)
        r = c.patch("/collections/parcels/items/P0", headers={**auth, "If-Match": etag},
                    json={"properties": {"tax_wan": 5000.0}})
        assert r.status_code == 200, r.text[:300]
        r = c.get("/collections/parcels/items?limit=1")
        assert "ranks_stale=true" in r.headers["Landuse-Assessment"]
        assert r.json()["assessment"]["ranks_stale"] is True
        assert c.get(f"/assessment?as_of={AS_OF}").json()["ranks_stale"] is True
    assert asked and asked[0]["ranks_stale"]
    ranks.after(asked[0])
    ranks.wait(60)
    assert ranks.runs == 1
    r = c.get("/collections/parcels/items?limit=1")
    assert "ranks_stale" not in r.headers["Landuse-Assessment"]
    assert r.json()["assessment"]["ranks_stale"] is False
    assert "ranks_stale" not in c.get(f"/assessment?as_of={AS_OF}").json()


def test_a_post_during_the_lazy_whole_refresh_is_answered_before_it_ends(
        inc_store: Store, app_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's lazy whole refresh (started by a rated edit) is held once it has read the
    register; an event posted meanwhile is answered (201, the assessment current) while it
    is still held; let go, it installs the whole assessment with the event patched on."""
    import importlib
    import threading

    c, app = app_client
    auth = {"Authorization": f"Bearer {inc_store.add_key('editor')}"}
    c.get("/collections/parcels/items?limit=1")
    assess_mod = importlib.import_module("landuse.rules.assess")
    real = assess_mod.assess_languages
    started, go = threading.Event(), threading.Event()

    def held(*a: Any, **k: Any) -> Any:
        if threading.current_thread().name == "ranks":
            started.set()
            assert go.wait(120)
        return real(*a, **k)

    monkeypatch.setattr(assess_mod, "assess_languages", held)
    etag = c.get("/collections/parcels/items/P0").headers["ETag"]
    r = c.patch("/collections/parcels/items/P0", headers={**auth, "If-Match": etag},
                json={"properties": {"tax_wan": 5000.0}})
    assert r.status_code == 200 and started.wait(120)
    r = c.post("/collections/ledger/items", headers=auth, json={
        "type": "Feature", "geometry": None, "properties": {
            "event_id": "API-WH-1", "parcel_id": "P1", "event_date": "2023-10-30",
            "stage": "investigating"}})
    assert r.status_code == 201, r.text[:300]
    assert not go.is_set() and app.state.derived.ranks.thread.is_alive()
    state = inc_store.assessment_state()
    assert state is not None and state["seq"] == inc_store.change_seq()
    go.set()
    app.state.derived.ranks.wait(120)
    body = c.get("/collections/parcels/items?limit=1").json()
    assert body["assessment"]["ranks_stale"] is False
    parcels = inc_store.parcels_frame()
    from landuse.rules import assess

    whole = assess(parcels, AS_OF).set_index("parcel_id")
    table = inc_store.assessment_frame("zh").set_index("parcel_id")
    cols = [c for c in table.columns if c != "as_of"]
    pd.testing.assert_frame_equal(table[cols], whole.loc[table.index, cols],
                                  check_dtype=False, check_names=False)


def test_the_served_frames_and_assessment_are_patched(inc_store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's cached parcels, ledger and assessment (maps, tiles, reports) follow a
    ledger event and an edit without reading or assessing the whole register again."""
    import landuse.rules
    from landuse.rules import assess
    from landuse_api.derived import Derived

    d = Derived(inc_store)
    try:
        d.assessed(AS_OF)
        old = inc_store.get_parcel("P2")
        inc_store.update_parcel("P2", {"start_date": "2022-12-01", "start_evidence": "pit_done"},
                                None, old.version or 1, actor="test")
        inc_store.append_events([({"event_id": "INC-9", "parcel_id": "P4",
                                   "event_date": "2023-10-02", "stage": "investigating"}, None)],
                                actor="test")
        with monkeypatch.context() as m:
            def refuse(*a: Any, **k: Any) -> None:
                raise AssertionError("read or assessed whole")
            m.setattr(landuse.rules, "assess", refuse)
            m.setattr(inc_store, "parcels_frame", refuse)
            m.setattr(inc_store, "ledger_frame", refuse)
            parcels, ledger = d.frames()
            patched = d.assessed(AS_OF)
        assert "INC-9" in set(ledger["event_id"])
        assert len(ledger) == len(inc_store.ledger_frame())
        whole_parcels = inc_store.parcels_frame()
        pd.testing.assert_frame_equal(parcels.reset_index(drop=True), whole_parcels,
                                      check_dtype=False)
        whole = assess(whole_parcels, AS_OF)
        assert patched.loc[patched["parcel_id"] == "P2", "idle_type"].item() == "none"
        pd.testing.assert_frame_equal(pd.DataFrame(patched).drop(columns="geometry"),
                                      pd.DataFrame(whole).drop(columns="geometry"),
                                      check_dtype=False)
    finally:
        d.close()


def test_frames_read_during_a_write_are_not_doubled(inc_store: Store) -> None:
    """Frames cached under a version may already hold an event written while they were
    read; the next patch must not add it twice."""
    from landuse_api.derived import Derived

    d = Derived(inc_store)
    try:
        v0 = inc_store.change_seq()
        inc_store.append_events([({"event_id": "INC-R", "parcel_id": "P4",
                                   "event_date": "2023-10-02", "stage": "investigating"}, None)],
                                actor="test")
        # as if read at v0 but after the write: the frames already hold INC-R
        d.cache[("frames", v0)] = (inc_store.parcels_frame(), inc_store.ledger_frame())
        _, ledger = d.frames()
        assert list(ledger["event_id"]).count("INC-R") == 1
        assert len(ledger) == len(inc_store.ledger_frame())
    finally:
        d.close()


def test_a_write_remakes_only_the_tiles_of_the_parcels_it_changed(inc_store: Store) -> None:
    """Tiles are made on demand and kept; after a ledger event only the tiles holding
    the parcel it changed are made again (with its new classes), the others carried over."""
    import mapbox_vector_tile
    import numpy as np

    from landuse.webmap.tiles import mvt_tiles, tiles_of_features
    from landuse_api.derived import Derived

    d = Derived(inc_store)
    try:
        st = d.tileset("zh")
        ts, z = st["ts"], st["ts"].maxzoom
        made = {(x, y) for x, y, _ in mvt_tiles(ts, z)}
        assert made
        first = {k: d.tile("zh", z, *k) for k in made}
        fid = st["ids"].index("P4")
        before = ts.codes[fid].tolist()
        inc_store.append_events([({"event_id": "INC-T", "parcel_id": "P4",
                                   "event_date": "2023-10-02", "stage": "investigating"},
                                  None)], actor="test")
        st2 = d.tileset("zh")
        assert st2["changed"] >= 1
        hit = tiles_of_features(ts, np.array([fid]), z)
        for k in made - hit:  # carried over: the very bytes made before, not made again
            assert st2["cache"][(z, *k)] is first[k]
        for k in hit & made:
            assert (z, *k) not in st2["cache"]
            props = {f["properties"]["id"]: f["properties"] for f in
                     mapbox_vector_tile.decode(d.tile("zh", z, *k))["p"]["features"]}
            after = [props["P4"][f"c{j}"] for j in range(len(before))]
            assert after != before
    finally:
        d.close()


def test_patched_map_classes_equal_a_whole_classification(inc_store: Store) -> None:
    """After each of several writes (ledger events, a correction, edits, one of a rated
    enterprise) the map's classes, legends and drawing priorities are patched from the
    previous version's, only the parcels whose assessment changed classified again, and
    equal a whole classification of the same assessment and ledger."""
    import datetime as dt

    from landuse.webmap.build import stage_priority
    from landuse.webmap.classes import classify_layers, ledger_as_of
    from landuse_api.derived import Derived

    def event(eid: str, pid: str, day: str, stage: str, **more: Any) -> None:
        inc_store.append_events([({"event_id": eid, "parcel_id": pid, "event_date": day,
                                   "stage": stage, **more}, None)], actor="test")

    def edit(pid: str, props: dict[str, Any]) -> None:
        inc_store.update_parcel(pid, props, None, inc_store.get_parcel(pid).version or 1,
                                actor="test")

    writes = [
        lambda: event("MAP-1", "P1", "2023-10-02", "investigating"),
        lambda: event("MAP-2", "P1", "2023-11-20", "disposed", method="free_recovery",
                      area_m2=1000.0),
        lambda: event("MAP-3", "P4", "2021-05-06", "disposed", method="merger",
                      area_m2=800.0),
        lambda: event("MAP-4", "P1", "2023-11-21", "disposed", method="merger",
                      area_m2=1000.0, corrects="MAP-2"),
        lambda: edit("P2", {"start_date": "2022-12-01", "start_evidence": "pit_done"}),
        lambda: edit("P0", {"tax_wan": 5000.0}),
    ]
    d = Derived(inc_store)
    try:
        today = dt.date.today().isoformat()
        n = len(d.tileset("zh")["ids"])
        for lang in ("zh", "en"):
            d.tileset(lang)
        for write in writes:
            write()
            for lang in ("zh", "en"):
                st = d.tileset(lang)
                assert st["reclassified"] < n  # patched, not classified whole
                assessed = d.assessed(today, lang)
                codes, specs, _ = classify_layers(
                    assessed, ledger_as_of(d.frames()[1], today), lang)
                assert (st["ts"].codes == codes).all()
                assert st["layers"] == [sp.to_json() for sp in specs]
                assert (st["ts"].priority == stage_priority(codes, specs)).all()
        # the disposal and its correction are on the map: P1 by merger, P4 too
        st = d.tileset("zh")
        rec = st["layers"][3]
        for pid in ("P1", "P4"):
            assert rec["classes"][st["ts"].codes[st["ids"].index(pid), 3]]["code"] == "merger"
    finally:
        d.close()


def test_filtered_tiles_draw_only_the_parcels_the_filter_selects(inc_store: Store) -> None:
    """A tile asked with a filter holds the parcels it selects and no other; the same tile
    without it holds the others too."""
    import mapbox_vector_tile
    import numpy as np

    from landuse.webmap.tiles import tiles_of_features
    from landuse_api.derived import Derived

    d = Derived(inc_store)
    try:
        st = d.tileset("zh")
        ts, z = st["ts"], st["ts"].minzoom
        fid = st["ids"].index("P4")
        (x, y), *_ = sorted(tiles_of_features(ts, np.array([fid]), z))

        def ids(body: bytes | None) -> set[str]:
            feats = mapbox_vector_tile.decode(body or b"").get("p", {}).get("features", [])
            return {f["properties"]["id"] for f in feats}

        assert ids(d.tile("zh", z, x, y, "parcel_id IN ('P4', 'P2')")) <= {"P4", "P2"}
        assert "P4" in ids(d.tile("zh", z, x, y, "parcel_id = 'P4'"))
        assert len(ids(d.tile("zh", z, x, y))) > 1
        assert d.tile("zh", z, x, y, "parcel_id = 'nothing'") is None
    finally:
        d.close()


def test_served_from_its_own_store_the_whole_refresh_runs_in_a_worker_process(
        inc_store: Store, store_target: str) -> None:
    """An app that opened its store itself (``landuse serve``) makes the lazy whole
    refresh in a heavy worker process (not a thread of the request process); the request
    process then reads the new state from the store: ranks no longer stale, P0's 亩均 score
    moved with its new tax figure."""
    key = inc_store.add_key("editor")
    old = inc_store.get_parcel("P0")
    where = {"database_url": store_target} if "://" in store_target else \
        {"store": store_target}
    app = create_app(Settings(as_of=AS_OF, warm=False, **where))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as c:
        ranks = app.state.derived.ranks
        assert app.state.heavy.in_processes and ranks.runner is not None
        auth = {"Authorization": f"Bearer {key}"}
        c.get("/collections/parcels/items?limit=1")
        etag = c.get("/collections/parcels/items/P0").headers["ETag"]
        r = c.patch("/collections/parcels/items/P0", headers={**auth, "If-Match": etag},
                    json={"properties": {"tax_wan": 5000.0}})
        assert r.status_code == 200, r.text[:300]
        assert ranks.future is not None and ranks.thread is None
        ranks.wait(120)
        assert ranks.runs == 1
        r = c.get("/collections/parcels/items?limit=1")
        assert r.json()["assessment"]["ranks_stale"] is False
        assert "ranks_stale" not in r.headers["Landuse-Assessment"]
        new = c.get("/collections/parcels/items/P0").json()["properties"]
        assert new["mujun_score"] != pytest.approx(old.properties["mujun_score"])


def test_the_map_follows_the_ranks_the_whole_refresh_installs(inc_store: Store) -> None:
    """An edit of a rated enterprise leaves the map's 亩均 classes held (patched, the
    store's version then unchanged by the whole refresh); once the store has its exact
    ranks installed, the map's assessment is made whole again and its classes equal a
    whole classification."""
    import datetime as dt

    from landuse.rules import assess
    from landuse.webmap.classes import classify_layers, ledger_as_of
    from landuse_api.derived import Derived

    today = dt.date.today().isoformat()
    cols = ["mujun_rank", "mujun_class"]
    d = Derived(inc_store)
    try:
        d.tileset("zh")
        inc_store.update_parcel("P0", {"tax_wan": 5000.0}, None,
                                inc_store.get_parcel("P0").version or 1, actor="test")
        inc_store.refresh_assessment(AS_OF)  # patched: ranks stale in the store too
        held = d.tileset("zh")
        whole = assess(inc_store.parcels_frame(), today, lang="zh")
        assert ("assessed", inc_store.change_seq(), today, "zh") in d.held
        assert not held["frame"][cols].equals(whole[cols])  # the ranks moved, held here
        d.wait_ranks(60)
        assert d.assessed(today, "zh") is held["frame"]  # not installed yet: still held
        v = inc_store.change_seq()
        inc_store.refresh_assessment(AS_OF, exact_ranks=True)  # the lazy whole refresh
        assert inc_store.change_seq() == v
        d.assessed(today, "zh")
        d.wait_ranks(120)
        st = d.tileset("zh")
        assert st["frame"] is not held["frame"]
        pd.testing.assert_frame_equal(pd.DataFrame(st["frame"][cols]),
                                      pd.DataFrame(whole[cols]))
        codes, specs, _ = classify_layers(st["frame"], ledger_as_of(d.frames()[1], today),
                                          "zh")
        assert (st["ts"].codes == codes).all()
        assert st["layers"] == [sp.to_json() for sp in specs]
        assert ("assessed", v, today, "zh") not in d.held
    finally:
        d.close()


def _priority(derived: Any) -> int:
    """This process's scheduling niceness (run in a heavy worker process)."""
    import os

    return os.getpriority(os.PRIO_PROCESS, 0)


def test_a_server_runs_its_whole_refresh_at_a_lower_priority_and_switches_threads_often(
        inc_store: Store, store_target: str) -> None:
    """What keeps a write quick beside the server's background work: an app that opened
    its store itself runs its heavy work (the lazy whole refresh among it) in worker
    processes at a lower CPU priority, and its request threads take the interpreter lock
    back from its own background threads (warm-up, map remake) at the shorter switch
    interval, set back when it stops; an app given a store object changes neither."""
    import os
    import sys

    from landuse_api.heavy import WORKER_NICE
    from landuse_api.main import SWITCH_INTERVAL_S

    before = sys.getswitchinterval()
    assert before != SWITCH_INTERVAL_S
    where = {"database_url": store_target} if "://" in store_target else \
        {"store": store_target}
    app = create_app(Settings(as_of=AS_OF, warm=False, **where))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False):
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S
        worker = app.state.heavy.detached(_priority).result(120)
        assert worker == min(os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICE, 19)
    assert sys.getswitchinterval() == before
    with TestClient(create_app(Settings(as_of=AS_OF, warm=False), store=inc_store)):
        assert sys.getswitchinterval() == before


def test_the_warm_up_groups_the_enterprises_before_any_write(inc_store: Store) -> None:
    """The server's warm-up reads the frames and groups their parcels by enterprise (what
    a write's patch of the map looks its context up in), so no write pays for it; a
    write's patched frames carry the groups on."""
    from landuse_api.derived import Derived
    from landuse_api.main import warm
    from landuse_api.patch import grouped

    d = Derived(inc_store)
    try:
        warm(d, Settings(as_of=AS_OF, warm=False))  # type: ignore[arg-type]
        parcels, _ = d.frames()
        assert grouped(parcels)
        inc_store.append_events([({"event_id": "WG-1", "parcel_id": "P1",
                                   "event_date": "2023-10-02", "stage": "investigating"},
                                  None)], actor="test")
        after, _ = d.frames()
        assert grouped(after)
        cold = Derived(inc_store)
        assert not grouped(cold.frames()[0])  # not made without the warm-up
        cold.close()
    finally:
        d.close()
