"""Property tests of the assessment's invariants, and agreement with a row-by-row oracle."""

from __future__ import annotations

import datetime as dt
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from landuse.core.area import add_areas
from landuse.core.buildings import footprint_by_parcel, outside_supply
from landuse.rules import ASSESSMENT_COLUMNS, assess, default_ruleset
from landuse.rules.columns import Columns
from landuse.rules.findings import evaluate
from landuse.rules.idle import IDLE_TYPES
from landuse.rules.lifecycle import LIFECYCLES
from landuse.rules.reasons import sentences
from tests.builders import ROOT, make

sys.path.insert(0, str(ROOT / "bench"))
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
        "target_far": opt(st.floats(0.5, 2.0, allow_nan=False)),
        "agreed_completion_date": any_date,
        "review_date": opt(edge),
        "observed_use": opt(st.sampled_from(["industrial", "storage", "commercial"])),
        "mortgaged": opt(st.booleans()),
        "registered_area_m2": opt(st.floats(1000, 30000, allow_nan=False)),
        "contract_delivery_date": opt(edge),
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
    assert r["mujun_class"].isin(list("ABCDTN")).all()
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


# ------------------------------------------------------------------ findings <-> sentences

building = st.tuples(st.integers(0, 14), st.floats(-40, 190), st.floats(2, 80))
buildings_st = st.lists(building, max_size=8)


def keyed(g: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, lang: str):
    """Run the families as assess does, keeping the key of every sentence."""
    rs = default_ruleset()
    base = g.drop(columns=[c for c in ASSESSMENT_COLUMNS if c in g.columns])
    areas = add_areas(gpd.GeoDataFrame(base[["geometry"]], geometry="geometry", crs=base.crs))
    found = evaluate(Columns(base), areas["area_m2"].to_numpy(), np.datetime64(AS_OF, "D"),
                     rs, areas, buildings)
    s = sentences(found, rs, lang, track_keys=True)
    return s.keys(), s.join().to_pylist()


@SETTINGS
@given(layers, buildings_st, st.sampled_from(["zh", "en"]))
def test_every_finding_has_its_sentence_and_no_sentence_is_without_one(
    rows: list[dict], blds: list[tuple[int, float, float]], lang: str
) -> None:
    g = build(rows)
    b = gpd.GeoDataFrame(
        geometry=[box(39500000 + i * 200 + x, 3100010, 39500000 + i * 200 + x + w, 3100030)
                  for i, x, w in blds],
        crs=g.crs,
    )
    r = assess(g, AS_OF, lang=lang, buildings=b)
    keys, text = keyed(g, b, lang)
    assert text == r["reasons"].tolist()  # the keyed sentences are the ones assess writes
    for i, row in enumerate(r.itertuples()):
        ks = keys[i]
        stages = [k.split(":")[1] for k in ks if k.startswith("lifecycle:")]
        assert set(stages) == {row.lifecycle}
        idle = {k.split(":")[1] for k in ks if k.startswith("idle:")}
        assert idle == ({row.idle_type} - {"none"})
        flags = {k.split(":")[1] for k in ks if k.startswith("flag:")}
        assert flags == set(filter(None, row.flags.split(";")))
        failed = {k.split(":")[1] for k in ks if k.startswith("indicator:")}
        assert failed == set(filter(None, row.failed_indicators.split(";")))
        if row.idle_fee_wan > 0:
            assert idle
        if row.mujun_class not in ("T", "N"):
            assert {"mujun:rated", "mujun:vetoed"} & set(ks)


def test_outside_supply_flag_and_evidence_agree_on_a_straddling_building() -> None:
    x0 = 39500000
    g = gpd.GeoDataFrame(
        {"parcel_id": ["S", "U"], "supply_date": pd.to_datetime(["2020-01-01", None])},
        geometry=[box(x0, 3100000, x0 + 100, 3100100), box(x0 + 100, 3100000, x0 + 200, 3100100)],
        crs="EPSG:4527",
    )
    b = gpd.GeoDataFrame(
        geometry=[
            # 1 of its 51 m on the supplied parcel (2 % <= 5 %): outside supply
            box(x0 + 99, 3100010, x0 + 150, 3100030),
            # 30 of 70 m on the supplied parcel (43 %), its centre on the unsupplied one:
            # not outside supply (a representative point would have said it is)
            box(x0 + 70, 3100040, x0 + 140, 3100060),
        ],
        crs="EPSG:4527",
    )
    r = assess(g, AS_OF, buildings=b)
    assert r["flags"].tolist() == ["", "outside_supply"]
    assert "1栋建筑" in r["reasons"].iloc[1]
    assert r.attrs["assessment"]["buildings_outside_supply"] == 1
    _, outside = footprint_by_parcel(g, b)
    assert list(outside.index) == [0]
    # the footprint named on U is the part standing on U: 50 m x 20 m
    o = outside_supply(g, b, np.array([True, False]))
    assert o.parcel_area_m2[1] == pytest.approx(1000, rel=0.01)
    assert o.outside.tolist() == [True, False]
