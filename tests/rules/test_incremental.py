"""Incremental re-assessment (issue 15): the patch equals a full assessment where it claims to."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landuse.rules import assess
from landuse.rules.incremental import context_ids, reassess
from landuse.standard import ASSESSMENT_COLUMNS
from tests.builders import make, producing, supplied

AS_OF = "2023-10-31"


def _register() -> pd.DataFrame:
    return make([
        supplied(agreed_start_date="2022-08-15", holder="甲公司"),          # P0 idle
        supplied(agreed_start_date="2023-03-01", holder="乙公司"),          # P1 not yet idle
        supplied(agreed_start_date="2022-01-01", holder="乙公司"),          # P2 idle, P1's mate
        producing(holder="丙公司", credit_code="91330000AAAA"),            # P3 rated
        producing(holder="丁公司", tax_wan=100.0),                          # P4 rated
        producing(holder="戊公司", tax_wan=300.0),                          # P5 rated
    ])


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = ["parcel_id", *ASSESSMENT_COLUMNS]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True),
                                  b[cols].reset_index(drop=True), check_dtype=False)


def test_extension_recorded_by_hand() -> None:
    """P0: agreed start 2022-08-15, not started, 500 万元 price, holder's delay. As of
    2023-10-31 it is idle (Art. 2: a year past the agreed start, 442 days) with a fee of
    20 % of the price, 100 万元 (Art. 14). An extension to 2023-01-01 (within a year of
    the agreed start, Art. 12(1)) moves the clock's base: one year from 2023-01-01 is
    2024-01-01, after the as-of date, so it is no longer idle and owes no fee; the clock
    has run 303 days (2023-01-01 → 2023-10-31)."""
    before = _register()
    old = assess(before, AS_OF)
    assert (old.loc[0, "idle_type"], int(old.loc[0, "overdue_days"]),
            float(old.loc[0, "idle_fee_wan"])) == ("not_started", 442, 100.0)
    after = before.copy()
    after.loc[0, "extension_until"] = pd.Timestamp("2023-01-01")
    out = reassess(old, after, ["P0"], AS_OF)
    row = out.rows.set_index("parcel_id").loc["P0"]
    assert row["idle_type"] == "none"
    assert int(row["overdue_days"]) == 303
    assert float(row["idle_fee_wan"]) == 0.0
    assert out.held == [] and not out.ranks_stale
    assert list(out.rows["parcel_id"]) == ["P0"]  # 甲公司 has no other parcel
    _same(out.rows, assess(after, AS_OF).iloc[[0]])


def test_the_enterprise_comes_along() -> None:
    """P1 and P2 are one enterprise (乙公司): both are re-assessed, in register order."""
    reg = _register()
    assert context_ids(reg, ["P1"]) == ["P1", "P2"]
    assert context_ids(reg, ["P3"]) == ["P3"]  # keyed by its credit code


def test_a_rated_enterprise_is_held_and_the_ranks_marked_stale() -> None:
    """P3's enterprise is rated: its rank and class depend on the other enterprises, so
    its previous row is kept and the zone's ranks are stale until a full recompute."""
    before = _register()
    old = assess(before, AS_OF)
    assert np.isfinite(old.loc[3, "mujun_score"])
    after = before.copy()
    after.loc[3, "tax_wan"] = 50.0
    out = reassess(old, after, ["P3"], AS_OF)
    assert out.held == ["P3"] and out.ranks_stale
    _same(out.rows, old.iloc[[3]])
    full = assess(after, AS_OF)
    assert full.loc[3, "mujun_score"] != old.loc[3, "mujun_score"]  # what the lazy recompute gives


def test_leaving_the_rating_marks_the_ranks_stale() -> None:
    """P4 stops producing (production date removed): not rated now, so its own row is
    final (T), but it was rated before: the others' ranks may move."""
    before = _register()
    old = assess(before, AS_OF)
    after = before.copy()
    after.loc[4, "production_date"] = pd.NaT
    after.loc[4, "completion_date"] = pd.NaT
    out = reassess(old, after, ["P4"], AS_OF)
    assert out.held == [] and out.ranks_stale
    assert out.rows.iloc[0]["mujun_class"] == "T"
    _same(out.rows, assess(after, AS_OF).iloc[[4]])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_random_edits_match_a_full_assessment(lang: str) -> None:
    """Random edits of random parcels: every row not held equals the full assessment's."""
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(40):
        kind = rng.integers(3)
        holder = f"企业{rng.integers(12)}"
        if kind == 0:
            start = f"202{rng.integers(1, 4)}-0{rng.integers(1, 9)}-15"
            rows.append(supplied(agreed_start_date=start, holder=holder))
        elif kind == 1:
            rows.append(producing(holder=holder, tax_wan=float(rng.integers(50, 900))))
        else:
            rows.append(supplied(start_date="2021-05-01", holder=holder))
    before = make(rows)
    old = assess(before, AS_OF, lang=lang)
    for _ in range(6):
        after = before.copy()
        touched = [f"P{i}" for i in rng.choice(40, size=3, replace=False)]
        for pid in touched:
            i = int(pid[1:])
            after.loc[i, "agreed_start_date"] = pd.Timestamp("2022-06-30")
            after.loc[i, "land_price_wan"] = float(rng.integers(100, 900))
        out = reassess(old, after, touched, AS_OF, lang=lang)
        full = assess(after, AS_OF, lang=lang).set_index("parcel_id")
        free = out.rows[~out.rows["parcel_id"].isin(out.held)]
        assert set(touched) <= set(out.rows["parcel_id"])
        _same(free, full.loc[free["parcel_id"]].reset_index())
        assert not out.held or out.ranks_stale


def test_an_unknown_parcel_is_refused() -> None:
    reg = _register()
    with pytest.raises(KeyError, match="P99"):
        reassess(assess(reg, AS_OF), reg, ["P99"], AS_OF)
