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
