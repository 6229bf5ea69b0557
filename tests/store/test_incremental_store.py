# ruff: noqa: F811
"""The store's incremental refresh (issue 15), on both backends: after ledger events and
parcel edits only the touched parcels are re-assessed, and the table then equals a whole
assessment (the 亩均 ranks after the lazy whole refresh)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from landuse.rules import assess
from landuse.store import Store, open_store
from landuse.store.schema import LANGS
from tests.builders import make, producing, supplied
from tests.support.store import store_target  # noqa: F401

AS_OF = "2023-10-31"


def _register() -> Any:
    rows = []
    for i in range(24):
        if i % 3 == 0:  # 制造0 … 制造3, two parcels each, rated
            rows.append(producing(holder=f"制造{(i // 3) % 4}", tax_wan=100.0 + 40 * i))
        else:  # 企业0 … 企业4, not producing
            rows.append(supplied(agreed_start_date=f"2022-0{1 + i % 9}-15",
                                 holder=f"企业{i % 5}"))
    return make(rows)


@pytest.fixture
def store(store_target: str) -> Iterator[Store]:
    s = open_store(store_target)
    s.load(_register(), None, actor="test")
    s.refresh_assessment(AS_OF)
    yield s
    s.close()


def _no_whole(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*a: Any, **k: Any) -> None:
        raise AssertionError("the whole assessment was made again")
    monkeypatch.setattr(store, "_full_assessment", refuse)


def _table_matches_whole(store: Store, held: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    parcels = store.parcels_frame()
    for lang in LANGS:
        table = store.assessment_frame(lang).set_index("parcel_id")
        whole = assess(parcels, AS_OF, lang=lang).set_index("parcel_id")
        keep = [i for i in whole.index if i not in held]
        cols = [c for c in table.columns if c not in ("as_of",)]
        pd.testing.assert_frame_equal(table.loc[keep, cols], whole.loc[keep, cols],
                                      check_dtype=False, check_names=False)


def test_a_ledger_event_patches_its_parcel(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    before = store.assessment_frame("zh")
    store.append_events([({"event_id": "INC-1", "parcel_id": "P1", "event_date": "2023-10-02",
                           "stage": "investigating"}, None)], actor="test")
    _no_whole(store, monkeypatch)
    state = store.refresh_assessment(AS_OF)
    assert state["seq"] == store.change_seq() and state["current"]
    assert not state["ranks_stale"]  # 企业1 is not rated: no rank can move
    pd.testing.assert_frame_equal(store.assessment_frame("zh"), before)


def test_an_edit_is_patched_and_equals_a_whole_assessment(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """P2: agreed start 2022-03-15, 企业2, not started: idle (Art. 2) with a fee. Recording
    that it started on 2022-12-01 (within the year) ends that: idle type none, no fee."""
    old = store.get_parcel("P2")
    assert old.properties["idle_type"] == "not_started"
    store.update_parcel("P2", {"start_date": "2022-12-01", "start_evidence": "pit_done"}, None,
                        old.version or 1, actor="test")
    _no_whole(store, monkeypatch)
    state = store.refresh_assessment(AS_OF)
    assert state["current"]
    new = store.get_parcel("P2").properties
    assert new["idle_type"] == "none" and new["idle_fee_wan"] == 0
    _table_matches_whole(store)


def test_a_rated_enterprise_waits_for_the_lazy_whole_refresh(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """P0 is a producing parcel of 制造0 (rated): a new tax figure moves its score, and with
    it the ranks of the others; the patch keeps its row and marks the ranks stale."""
    old = store.get_parcel("P0")
    store.update_parcel("P0", {"tax_wan": 5000.0}, None, old.version or 1, actor="test")
    with monkeypatch.context() as m:
        _no_whole(store, m)
        state = store.refresh_assessment(AS_OF)
    assert state["ranks_stale"] and store.assessment_state()["ranks_stale"]  # type: ignore[index]
    assert store.assessment_frame("zh").set_index("parcel_id").loc["P0", "mujun_score"] == \
        pytest.approx(old.properties["mujun_score"])  # held until the whole refresh
    _table_matches_whole(store, held={f"P{i}" for i in range(0, 24, 3)})  # the rated ones
    state = store.refresh_assessment(AS_OF, exact_ranks=True)
    assert not state["ranks_stale"]
    _table_matches_whole(store)
    assert store.get_parcel("P0").properties["mujun_score"] != old.properties["mujun_score"]


def _held_whole_refresh(store: Store, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Any]:
    """A whole refresh (exact ranks) started on a thread and held, once it has read the
    register, until the test lets it go: ``(thread, started, go)``."""
    import importlib
    import threading

    assess_mod = importlib.import_module("landuse.rules.assess")  # the module, not the function
    real = assess_mod.assess_languages
    started, go = threading.Event(), threading.Event()
    results: list[dict[str, Any]] = []

    def held(*a: Any, **k: Any) -> Any:
        if threading.current_thread().name == "whole":
            started.set()
            assert go.wait(120), "the test never let the whole refresh go on"
        return real(*a, **k)

    monkeypatch.setattr(assess_mod, "assess_languages", held)
    t = threading.Thread(target=lambda: results.append(
        store.refresh_assessment(AS_OF, exact_ranks=True)), name="whole", daemon=True)
    t.start()
    assert started.wait(120)
    t.results = results  # type: ignore[attr-defined]
    return t, started, go


def _write_during(store: Store, write: Any) -> dict[str, Any]:
    """Run ``write`` and the writer's refresh on a thread of their own; they must finish
    while the whole refresh is held (were they waiting for its lock, they never could)."""
    import threading

    out: list[dict[str, Any]] = []
    w = threading.Thread(target=lambda: (write(), out.append(store.refresh_assessment(AS_OF))),
                         name="writer", daemon=True)
    w.start()
    w.join(120)
    assert not w.is_alive() and out, "the write waited for the whole refresh"
    return out[0]


def test_a_write_during_the_whole_refresh_does_not_wait_for_it(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole refresh assesses without the store lock: a ledger event and a parcel edit
    written while it is held are patched and answered at once; when it goes on, it puts
    the whole assessment in place with those writes patched onto it, so the table equals
    a whole assessment of the register after all writes."""
    old = store.get_parcel("P0")
    store.update_parcel("P0", {"tax_wan": 5000.0}, None, old.version or 1, actor="test")
    assert store.refresh_assessment(AS_OF)["ranks_stale"]
    t, _, go = _held_whole_refresh(store, monkeypatch)
    # P2 (企业2, not rated): recorded as started within the year, no longer idle
    p2 = store.get_parcel("P2")
    state = _write_during(store, lambda: store.update_parcel(
        "P2", {"start_date": "2022-12-01", "start_evidence": "pit_done"}, None,
        p2.version or 1, actor="test"))
    assert state["current"] and state["seq"] == store.change_seq() and t.is_alive()
    assert store.get_parcel("P2").properties["idle_type"] == "none"
    state = _write_during(store, lambda: store.append_events([(
        {"event_id": "WH-1", "parcel_id": "P1", "event_date": "2023-10-02",
         "stage": "investigating"}, None)], actor="test"))
    assert state["current"] and t.is_alive()
    go.set()
    t.join(120)
    assert not t.is_alive()
    done = t.results[0]  # type: ignore[attr-defined]
    assert done["current"] and done["seq"] == store.change_seq()
    assert not done["ranks_stale"]  # the writes since touched no rated enterprise
    assert store.assessment_state() == {k: done[k] for k in ("as_of", "ruleset", "seq",
                                                              "ranks_stale")}
    _table_matches_whole(store)
    assert store.get_parcel("P2").properties["idle_type"] == "none"
    # the old table became the next stage: a second whole refresh goes the same way
    state = store.refresh_assessment(AS_OF, exact_ranks=True)
    assert state["current"] and not state["ranks_stale"]
    _table_matches_whole(store)


def test_a_rated_write_during_the_whole_refresh_leaves_the_ranks_marked(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that moves a rated enterprise while the whole refresh runs: the installed
    table holds it patched and says ranks_stale (never stale ranks without the mark); the
    next whole refresh makes it equal a whole assessment."""
    old = store.get_parcel("P0")
    store.update_parcel("P0", {"tax_wan": 5000.0}, None, old.version or 1, actor="test")
    store.refresh_assessment(AS_OF)
    t, _, go = _held_whole_refresh(store, monkeypatch)
    p3 = store.get_parcel("P3")  # 制造1, rated
    state = _write_during(store, lambda: store.update_parcel(
        "P3", {"tax_wan": 9000.0}, None, p3.version or 1, actor="test"))
    assert state["ranks_stale"] and t.is_alive()
    go.set()
    t.join(120)
    assert t.results[0]["ranks_stale"]  # type: ignore[attr-defined]
    assert store.assessment_state()["ranks_stale"]  # type: ignore[index]
    _table_matches_whole(store, held={f"P{i}" for i in range(0, 24, 3)})
    state = store.refresh_assessment(AS_OF, exact_ranks=True)
    assert not state["ranks_stale"]
    _table_matches_whole(store)


def _catching_up(store: Store, monkeypatch: pytest.MonkeyPatch,
                 between: Any) -> list[str]:
    """Record the whole refresh's unlocked catch-up (``"catch-up done"``) and call
    ``between()`` after each of its batches (the first call's answer is recorded)."""
    order: list[str] = []
    in_catch_up = []
    real_catch_up, real_after = store._catch_up, store._after_batch  # type: ignore[attr-defined]

    def catch_up(*a: Any, **k: Any) -> Any:
        unlocked = len(a) < 4 and k.get("cur") is None
        in_catch_up.append(unlocked)
        try:
            return real_catch_up(*a, **k)
        finally:
            in_catch_up.pop()
            if unlocked:
                order.append("catch-up done")

    def after_batch() -> None:
        if in_catch_up and in_catch_up[-1]:
            order.append("batch")
            if order.count("batch") == 1:
                order.append(between())
        real_after()

    monkeypatch.setattr(store, "_catch_up", catch_up)
    monkeypatch.setattr(store, "_after_batch", after_batch)
    return order


def test_the_catch_up_writes_in_batches_and_a_write_gets_in_between(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writes made while the whole refresh assessed are patched onto its staged table
    in batches of STAGE_BATCH rows, each in a transaction of its own: a write issued
    during the catch-up commits before the catch-up has finished (it would wait for the
    whole catch-up were it one transaction). The installed table then equals a whole
    assessment of the register after every write."""
    import threading

    old = store.get_parcel("P0")
    store.update_parcel("P0", {"tax_wan": 5000.0}, None, old.version or 1, actor="test")
    store.refresh_assessment(AS_OF)
    t, _, go = _held_whole_refresh(store, monkeypatch)
    for n, pid in enumerate(("P1", "P2", "P4")):  # 企业1, 企业2, 企业4: nine parcels
        store.append_events([({"event_id": f"WC-{n}", "parcel_id": pid,
                               "event_date": "2023-10-02", "stage": "investigating"}, None)],
                            actor="test")
    monkeypatch.setattr(store, "STAGE_BATCH", 2)

    def write() -> str:
        w = threading.Thread(target=lambda: store.append_events([(
            {"event_id": "WC-during", "parcel_id": "P5", "event_date": "2023-10-03",
             "stage": "investigating"}, None)], actor="test"), name="writer")
        w.start()
        w.join(120)
        return "write committed" if not w.is_alive() else "write waiting"

    order = _catching_up(store, monkeypatch, write)
    go.set()
    t.join(120)
    assert not t.is_alive()
    assert order.count("batch") >= 2  # nine rows, two per batch
    assert order.index("write committed") < order.index("catch-up done")
    done = t.results[0]  # type: ignore[attr-defined]
    assert done["current"] and done["seq"] == store.change_seq()
    _table_matches_whole(store)


def test_more_writes_than_one_patch_takes_are_caught_up_in_turn(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """More writes during the whole refresh than one patch takes (patch_max_writes) are
    caught up that many at a time, not by making the whole assessment again under the
    store lock."""
    old = store.get_parcel("P0")
    store.update_parcel("P0", {"tax_wan": 5000.0}, None, old.version or 1, actor="test")
    store.refresh_assessment(AS_OF)
    t, _, go = _held_whole_refresh(store, monkeypatch)
    for n, pid in enumerate(("P1", "P2", "P4", "P5", "P7")):
        store.append_events([({"event_id": f"WM-{n}", "parcel_id": pid,
                               "event_date": "2023-10-02", "stage": "investigating"}, None)],
                            actor="test")
    monkeypatch.setattr(store, "patch_max_writes", 2)
    _no_whole(store, monkeypatch)
    go.set()
    t.join(120)
    assert not t.is_alive()
    done = t.results[0]  # type: ignore[attr-defined]
    assert done["current"] and done["seq"] == store.change_seq()
    _table_matches_whole(store)


def test_postgis_index_names_stay_with_their_tables_across_swaps(postgis_url: str) -> None:
    """PostGIS: index names belong to the schema, so a swap of the tables' names leaves
    each index with the other table's name unless renamed too; after every whole refresh
    the assessment's indexes are called as migration 002 calls them, the staged table's
    after it."""
    from landuse.store.schema import ASSESSMENT_INDEXED
    from tests.support.store import pg_schema_url

    s = open_store(pg_schema_url(postgis_url))
    try:
        s.load(_register(), None, actor="test")
        s.refresh_assessment(AS_OF)

        def names(table: str) -> list[str]:
            return sorted(r[0] for r in s._fetch(  # type: ignore[attr-defined]
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %s", [table]))

        def wanted(table: str) -> list[str]:
            return sorted([f"{table}_pkey", *(f"{table}_{c}" for c in ASSESSMENT_INDEXED)])

        assert names("parcel_assessment") == wanted("parcel_assessment")
        for k in range(3):  # the stage made, swapped in, then the old table as the stage
            p0 = s.get_parcel("P0")
            s.update_parcel("P0", {"tax_wan": 5000.0 + k}, None, p0.version or 1,
                            actor="test")
            assert s.refresh_assessment(AS_OF)["ranks_stale"]
            assert not s.refresh_assessment(AS_OF, exact_ranks=True)["ranks_stale"]
            assert names("parcel_assessment") == wanted("parcel_assessment")
            assert names(s.STAGE) == wanted(s.STAGE)  # type: ignore[attr-defined]
        _table_matches_whole(s)
    finally:
        s.close()
