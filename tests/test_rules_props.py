"""Property tests of the assessment's invariants, and agreement with a row-by-row oracle."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules_helpers import make

from landuse.rules import assess, default_ruleset
from landuse.rules.assess import IDLE_TYPES, LIFECYCLES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from naive_assess import assess_naive

AS_OF = "2023-10-31"
DAY0 = dt.date(2015, 1, 1)


def opt(s: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), s)


dates = st.integers(0, 365 * 10).map(lambda d: (DAY0 + dt.timedelta(days=d)).isoformat())
# a few dates pinned to the boundaries of the as-of date
edge = st.sampled_from(
    ["2022-10-31", "2022-11-01", "2021-10-31", "2021-11-01", "2020-02-29", "2023-10-31"]
)
any_date = opt(st.one_of(dates, edge))
area = st.floats(0, 30000, allow_nan=False)
money = st.floats(0, 20000, allow_nan=False)

parcel = st.fixed_dictionaries(
    {
        "approval_date": any_date,
        "supply_date": any_date,
        "delivery_date": any_date,
        "agreed_start_date": any_date,
        "extension_until": opt(edge),
        "start_date": any_date,
        "start_evidence": opt(
            st.sampled_from(["pit_done", "piles_done", "foundation_third", "none"])
        ),
        "suspended_since": any_date,
        "completion_date": any_date,
        "production_date": any_date,
        "developed_area_m2": opt(area),
        "invested_wan": opt(money),
        "total_investment_wan": opt(money),
        "land_price_wan": opt(money),
        "delay_cause": opt(st.sampled_from(["holder", "government", "force_majeure", "unknown"])),
        "enterprise_status": opt(st.sampled_from(["operating", "stopped", "zombie", "bankrupt"])),
        "industry_code": opt(st.sampled_from(["13", "25", "34", "C3411", "40", "99"])),
        "floor_area_m2": opt(area),
        "footprint_m2": opt(area),
        "yard_area_m2": opt(st.floats(0, 3000, allow_nan=False)),
        "admin_area_m2": opt(st.floats(0, 2000, allow_nan=False)),
        "green_area_m2": opt(st.floats(0, 4000, allow_nan=False)),
        "target_invest_intensity_wan_per_mu": opt(st.floats(50, 500, allow_nan=False)),
        "target_tax_per_mu_wan": opt(st.floats(1, 50, allow_nan=False)),
        "tax_wan": opt(money),
        "value_added_wan": opt(money),
        "energy_tce": opt(st.floats(1, 5000, allow_nan=False)),
        "employees": opt(st.floats(1, 500, allow_nan=False)),
        "land_use": opt(st.sampled_from(["industrial", "storage", "commercial"])),
        "observed_use": opt(st.sampled_from(["industrial", "storage", "commercial"])),
        "mortgaged": opt(st.booleans()),
        "registered_area_m2": opt(st.floats(1000, 30000, allow_nan=False)),
    }
)
layers = st.lists(parcel, min_size=1, max_size=15)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(rows: list[dict]) -> pd.DataFrame:
    return make(rows, registered=None)


@SETTINGS
@given(layers)
def test_every_parcel_gets_exactly_one_stage(rows: list[dict]) -> None:
    r = assess(build(rows), AS_OF)
    assert len(r) == len(rows)
    assert r["lifecycle"].isin(LIFECYCLES).all()
    assert r["idle_type"].isin(IDLE_TYPES).all()
    assert r["mujun_class"].isin(list("ABCDT")).all()
    assert (r["reasons"].str.len() > 0).all()
    # idle land is never in a later stage than used_incomplete
    idle = r["idle_type"] != "none"
    assert r.loc[idle, "lifecycle"].isin(["supplied_unused", "used_incomplete"]).all()


@SETTINGS
@given(layers)
def test_fee_is_zero_or_share_of_price(rows: list[dict]) -> None:
    r = assess(build(rows), AS_OF)
    fee = r["idle_fee_wan"].to_numpy()
    price = pd.to_numeric(r["land_price_wan"]).to_numpy(dtype=float)
    ok = (fee == 0) | np.isclose(fee, 0.2 * price) | (np.isnan(fee) & np.isnan(price))
    assert ok.all()
    assert (r.loc[fee > 0, "idle_type"] != "none").all()
    assert not (r["recovery_candidate"] & (r["idle_type"] == "none")).any()


TIGHTER = [
    {"control": {"min_coverage": 0.45}},
    {"control": {"max_admin_share": 0.03}},
    {"control": {"max_green_ratio": 0.05}},
    {"control": {"min_tax_per_mu_wan": 40.0, "min_invest_intensity_wan_per_mu": 400.0}},
    {
        "control": {
            "industries": {
                c: {"min_far": v["min_far"] * 1.5}
                for c, v in default_ruleset().control["industries"].items()
            }
        }
    },
]


@SETTINGS
@given(layers, st.sampled_from(TIGHTER))
def test_tightening_a_threshold_never_makes_fewer_low_efficiency(rows, change) -> None:
    g = build(rows)
    base = assess(g, AS_OF)["low_efficiency"].to_numpy()
    tight = assess(g, AS_OF, ruleset=default_ruleset().override(change))["low_efficiency"]
    assert (tight.to_numpy() | ~base).all()  # every low-efficiency parcel stays so
    assert tight.sum() >= base.sum()


@SETTINGS
@given(layers, st.sampled_from(["or", "and"]))
def test_agrees_with_the_row_by_row_oracle(rows: list[dict], comb: str) -> None:
    rs = default_ruleset().override({"idle": {"stalled_combinator": comb}})
    g = build(rows)
    fast = assess(g, AS_OF, ruleset=rs)
    slow = assess_naive(fast, AS_OF, ruleset=rs)
    for col in ("lifecycle", "idle_type", "low_efficiency", "recovery_candidate"):
        assert fast[col].tolist() == slow[col].tolist(), col
    assert fast["failed_indicators"].tolist() == slow["failed_indicators"].tolist()
    assert fast["flags"].tolist() == slow["flags"].tolist()
    od_f = [None if pd.isna(v) else int(v) for v in fast["overdue_days"]]
    assert (
        od_f
        == slow["overdue_days"].astype(object).where(slow["overdue_days"].notna(), None).tolist()
    )
    np.testing.assert_allclose(fast["idle_fee_wan"], slow["idle_fee_wan"], equal_nan=True)
    np.testing.assert_allclose(fast["mujun_score"], slow["mujun_score"], equal_nan=True)
