"""Each rule family alone, on small hand-built columns; expectations derived from the rule text.

As-of date 2023-10-31 throughout. The rules given to each family are written out here (not
the packaged ruleset), so that every expected value can be worked out by hand from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from landuse.rules.columns import Columns
from landuse.rules.efficiency import INDICATORS, efficiency
from landuse.rules.flags import contradictions, flags
from landuse.rules.idle import IDLE_TYPES, consequences, idle, not_started, stalled
from landuse.rules.lifecycle import LIFECYCLES, lifecycle, progress
from landuse.rules.mujun import CLASSES, mujun

TODAY = np.datetime64("2023-10-31", "D")
IDLE_RULES: dict[str, Any] = {
    "started_evidence": ["pit_done"],
    "not_started_after_years": 1,
    "base_after_delivery_years": 1,
    "stalled_suspended_years": 1,
    "stalled_developed_share_below": 1 / 3,
    "stalled_invested_share_below": 0.25,
    "stalled_combinator": "or",
    "fee_share_of_price": 0.2,
    "fee_after_years": 1,
    "recovery_after_years": 2,
    "recovery_applies_to_stalled": True,
    "consequence_causes": ["holder"],
    "unrecorded_cause_is_holder": True,
    "extension_max_years": 1,
    "late_delivery_is_government": True,
}
DATES = ("approval_date", "supply_date", "delivery_date", "agreed_start_date",
         "extension_until", "start_date", "suspended_since", "completion_date",
         "production_date")


def cols(rows: list[dict[str, Any]]) -> Columns:
    df = pd.DataFrame(rows)
    df["parcel_id"] = [f"P{i}" for i in range(len(df))]
    for c in DATES:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c])
    return Columns(df)


def test_the_code_lists_come_from_the_standard() -> None:
    assert LIFECYCLES[0] == "approved_unsupplied" and LIFECYCLES[-1] == "unknown"
    assert IDLE_TYPES == ("none", "not_started", "stalled")
    assert CLASSES == ("A", "B", "C", "D", "T", "N")
    assert INDICATORS[0] == "far"


# ------------------------------------------------------------------ lifecycle


def test_progress_decides_started_from_evidence_then_dates() -> None:
    c = cols([
        {"supply_date": "2020-01-01", "start_evidence": "none", "start_date": "2021-01-01"},
        {"supply_date": "2020-01-01", "start_date": "2021-01-01"},
        {"approval_date": "2019-01-01", "supply_date": "2024-01-01"},
        {"supply_date": "2020-01-01", "start_evidence": "none", "completion_date": "2022-01-01"},
        {"supply_date": "2020-01-01", "start_date": "2024-01-01"},
        {"supply_date": "2020-01-01", "start_evidence": "pit_done"},
    ])
    p = progress(c, TODAY, IDLE_RULES)
    # 'none' overrides a past start date; a future start date is no start; a completion
    # date means started whatever the evidence; listed evidence means started
    assert p.started.tolist() == [False, True, False, True, False, True]
    assert p.supplied.tolist() == [True, True, False, True, True, True]
    assert p.supply_future.tolist() == [False, False, True, False, False, False]
    assert p.start_ignored.tolist() == [True, False, False, False, False, False]


def test_lifecycle_stage_by_name() -> None:
    c = cols([
        {"approval_date": "2019-01-01"},
        {"supply_date": "2020-01-01"},
        {"supply_date": "2020-01-01", "start_date": "2021-01-01"},
        {"supply_date": "2020-01-01", "completion_date": "2022-01-01"},
        {"supply_date": "2020-01-01", "production_date": "2022-06-01"},
        {"supply_date": "2020-01-01", "production_date": "2022-06-01",
         "enterprise_status": "zombie"},
        {"supply_date": "2020-01-01", "production_date": "2022-06-01"},
        {},
    ])
    p = progress(c, TODAY, IDLE_RULES)
    status = c.codes("enterprise_status", "enterprise_status")
    low = np.array([False] * 6 + [True, False])
    lc = lifecycle(p, status, low)
    assert lc.names.tolist() == [
        "approved_unsupplied",
        "supplied_unused",
        "used_incomplete",
        "built_not_producing",
        "in_use",
        "producing_below_target",  # zombie enterprise
        "producing_below_target",  # low efficiency
        "unknown",
    ]
    assert lc.is_("in_use").tolist() == [False] * 4 + [True] + [False] * 3


# ------------------------------------------------------------------ idle


def test_not_started_clock_and_base_priority() -> None:
    c = cols([
        {"supply_date": "2020-01-01", "agreed_start_date": "2022-10-31"},
        {"supply_date": "2020-01-01", "agreed_start_date": "2022-11-01"},
        {"supply_date": "2020-01-01", "agreed_start_date": "2022-03-01",
         "extension_until": "2023-01-01"},
        {"supply_date": "2020-01-01", "delivery_date": "2020-02-29"},
        {"supply_date": "2020-01-01"},
    ])
    ns = not_started(progress(c, TODAY, IDLE_RULES), IDLE_RULES)
    # one full year after 2022-10-31 is 2023-10-31: idle on the as-of date itself
    assert ns.idle.tolist() == [True, False, False, True, False]
    assert ns.not_yet.tolist() == [False, True, True, False, False]
    assert ns.unknown.tolist() == [False, False, False, False, True]
    # extension before agreed date before delivery + 1 year (29 Feb -> 28 Feb)
    assert ns.base_source.tolist() == [1, 1, 0, 2, -1]
    assert str(ns.base[3]) == "2021-02-28"
    # 2022-10-31 -> 2023-10-31: 365 days; 2021-02-28 -> 2023-10-31: 730 + 245 days
    assert ns.overdue_days[[0, 1, 3]].tolist() == [365.0, 364.0, 975.0]
    assert np.isnan(ns.overdue_days[4])
    assert ns.days_left[1] == 1.0


@pytest.mark.parametrize("comb, idle_, unknown", [
    ("or", [True, True, False], [False, False, False]),
    ("and", [False, False, False], [False, True, False]),
])
def test_stalled_combinator(comb: str, idle_: list[bool], unknown: list[bool]) -> None:
    rules = {**IDLE_RULES, "stalled_combinator": comb}
    started = {"supply_date": "2019-01-01", "start_date": "2020-01-01",
               "suspended_since": "2022-06-01"}
    c = cols([
        {**started},  # developed 2/9 (< 1/3), invested 30 % (not < 25 %)
        {**started},  # developed unknown, invested 10 % (< 25 %)
        {**started, "completion_date": "2022-01-01"},  # completed: not "suspended"
    ])
    p = progress(c, TODAY, rules)
    st = stalled(
        p,
        np.array([2000.0, np.nan, 100.0]),
        np.array([300.0, 100.0, 0.0]),
        np.array([1000.0, 1000.0, 1000.0]),
        np.array([9000.0, 9000.0, 9000.0]),
        rules,
    )
    assert st.idle.tolist() == idle_
    assert st.unknown.tolist() == unknown
    assert st.missing["developed_area_m2"].tolist() == unknown
    assert st.developed_low.tolist() == [True, False, True]
    assert st.invested_low.tolist() == [False, True, True]


def test_consequences_fee_recovery_and_exemption() -> None:
    row = {"supply_date": "2020-01-01", "agreed_start_date": "2021-06-01"}
    c = cols([
        {**row, "delay_cause": "holder"},
        {**row, "delay_cause": "government"},
        {**row},  # cause not recorded: treated as the holder's, to be checked
        {**row, "delay_cause": "holder"},  # no land price
        {"supply_date": "2020-01-01", "agreed_start_date": "2022-06-01"},
    ])
    p = progress(c, TODAY, IDLE_RULES)
    ns = not_started(p, IDLE_RULES)
    n = 5
    st = stalled(p, np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan),
                 np.full(n, 10000.0), IDLE_RULES)
    price = np.array([500.0, 500.0, 500.0, np.nan, 500.0])
    cause = c.codes("delay_cause", "delay_cause")
    k = consequences(p, ns, st, cause, price, IDLE_RULES)
    # base 2021-06-01: idle, fee due and recovery from 2022-06-01 / 2023-06-01 (1 and 2
    # years); base 2022-06-01 (P4): idle and fee due from 2023-06-01, recovery only in 2024
    assert ns.idle.tolist() == [True] * 5
    assert k.fee_due.tolist() == [True, False, True, True, True]
    assert k.fee_wan[[0, 1, 2, 4]].tolist() == [100.0, 0.0, 100.0, 100.0]
    assert np.isnan(k.fee_wan[3])
    assert k.fee_unpriced.tolist() == [False, False, False, True, False]
    assert k.recovery.tolist() == [True, False, True, True, False]
    assert k.exempt.tolist() == [False, True, False, False, False]
    assert k.check_cause.tolist() == [False, False, True, False, True]  # P2, P4: no cause


def test_idle_type_codes() -> None:
    c = cols([
        {"supply_date": "2020-01-01", "agreed_start_date": "2021-01-01"},
        {"supply_date": "2019-01-01", "start_date": "2020-01-01",
         "suspended_since": "2022-01-01", "developed_area_m2": 100.0},
        {"supply_date": "2020-01-01", "agreed_start_date": "2023-06-01"},
    ])
    p = progress(c, TODAY, IDLE_RULES)
    r = idle(c, p, np.full(3, 10000.0), IDLE_RULES)
    assert [IDLE_TYPES[i] for i in r.type_code] == ["not_started", "stalled", "none"]
    assert r.idle.tolist() == [True, True, False]


# ------------------------------------------------------------------ low efficiency

CONTROL: dict[str, Any] = {
    "min_coverage": 0.3,
    "max_admin_share": 0.07,
    "max_green_ratio": 0.2,
    "invest_includes_land_price": False,
    "min_invest_intensity_wan_per_mu": 250.0,
    "industry_edition": "GB/T 4754-2002",
    "industry_code_edition": "2002",
    "applies_to_land_use": ["industrial", "storage"],
    "review_after_production_years": 2,
    "industries": {"34": {"name": "通用设备制造业", "min_far": 1.0}},
}


def test_efficiency_indicators_against_control_and_contract() -> None:
    full = {"industry_code": "C3411", "floor_area_m2": 9000.0, "footprint_m2": 2000.0,
            "yard_area_m2": 500.0, "admin_area_m2": 800.0, "green_area_m2": 2000.0,
            "invested_wan": 3000.0, "tax_wan": 150.0, "target_tax_per_mu_wan": 10.0,
            "production_date": "2015-01-01"}
    c = cols([
        full,
        full,
        {"industry_code": "99", "footprint_m2": 3500.0, "floor_area_m2": 20000.0,
         "admin_area_m2": 0.0, "green_area_m2": 0.0, "invested_wan": 6000.0, "tax_wan": 1.0,
         "production_date": "2015-01-01"},
    ])
    area = np.full(3, 10000.0)
    e = efficiency(c, np.array([True, False, True]), area, area / (10000 / 15), CONTROL,
                   TODAY, c.date("production_date"))
    ind = e.indicators
    # 10 000 m2 = 15 mu. far 0.9 < 1.0; coverage (2000 + 500) / 10000 = 25 % < 30 %;
    # office 8 % > 7 %; green exactly 20 % is not above; 3000 / 15 = 200 < 250 (ruleset);
    # tax 150 / 15 = 10 is not below the contract's 10
    assert [ind[k].failed[0] for k in INDICATORS] == [True, True, True, False, True, False]
    assert ind["invest_intensity"].from_contract is not None
    assert not ind["invest_intensity"].from_contract[0]
    assert ind["tax_per_mu"].threshold[0] == 10.0
    assert e.low.tolist() == [True, False, False]
    assert e.industry[0] == "34" and e.industry_name[0] == "通用设备制造业"
    # not judged: nothing fails, nothing missing
    assert not any(ind[k].failed[1] for k in INDICATORS)
    assert not any(m[1] for k in INDICATORS for m in ind[k].missing.values())
    # industry 99 is not in the table; footprints alone pass coverage (35 %), so the missing
    # yard does not matter; no tax target in the contract nor the ruleset
    assert ind["far"].missing["industry_unknown"].tolist() == [False, False, True]
    assert not ind["coverage"].missing["yard_area_m2"][2]
    assert ind["tax_per_mu"].missing["target"].tolist() == [False, False, True]


# ------------------------------------------------------------------ 亩均

MUJUN: dict[str, Any] = {
    "applies_to_land_use": ["industrial", "storage"],
    "min_years_producing": 2,
    "min_area_mu": 3.0,
    "rank_scope": "all",
    "missing_value": "zero",
    "veto_columns": ["veto"],
    "veto_class": "C",
    "classes": {"A": 0.2, "B": 0.6, "C": 0.95},
    "indicators": {
        "tax": {"label_zh": "亩均税收", "label_en": "tax per mu", "numerator": "tax_wan",
                "denominator": "area_mu", "base": 10.0, "weight": 100.0, "cap": 1.5},
    },
    "scale_unknown": "above",
}
MUJUN["below_scale"] = {"scheme": "规下", "classes": MUJUN["classes"],
                        "indicators": MUJUN["indicators"]}


def test_mujun_score_rank_class_and_veto() -> None:
    taxes = [300.0, 150.0, 75.0, np.nan, 30.0, 300.0, 300.0]
    c = cols([
        {"production_date": "2015-01-01", "tax_wan": t, "veto": i == 1}
        for i, t in enumerate(taxes[:5])
    ] + [
        {"production_date": "2023-01-01", "tax_wan": 300.0, "veto": False},  # under 2 years
        {"production_date": "2015-01-01", "tax_wan": 300.0, "veto": False},  # 2 mu only
    ])
    p = progress(c, TODAY, IDLE_RULES)
    area_mu = np.array([15.0] * 6 + [2.0])
    m = mujun(c, p.producing, p.production, area_mu, TODAY, MUJUN)
    # tax per mu 20, 10, 5, -, 2 -> min(v / 10, 1.5) x 100 = 150 (capped), 100, 50, -, 20
    assert m.rated.tolist() == [True, True, True, False, True, False, False]
    np.testing.assert_allclose(m.score[[0, 1, 2, 4]], [150.0, 100.0, 50.0, 20.0])
    assert m.no_data.tolist() == [False, False, False, True, False, False, False]
    # ranks 1..4 of 4: shares 0.25 (B), 0.5 (B), 0.75 (C), 1.0 (D); the veto moves P1 to C
    assert m.rank[[0, 1, 2, 4]].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert [CLASSES[k] for k in m.class_before_veto] == ["B", "B", "C", "T", "D", "T", "T"]
    assert [CLASSES[k] for k in m.class_code] == ["B", "C", "C", "T", "D", "T", "T"]
    assert m.vetoed.tolist() == [False, True] + [False] * 5
    assert m.veto_checked
    assert m.long_enough.tolist() == [True] * 5 + [False, True]
    assert m.big_enough.tolist() == [True] * 6 + [False]


def test_mujun_veto_not_checked_without_the_columns() -> None:
    c = cols([{"production_date": "2015-01-01", "tax_wan": 100.0}])
    p = progress(c, TODAY, IDLE_RULES)
    m = mujun(c, p.producing, p.production, np.array([15.0]), TODAY, MUJUN)
    assert not m.veto_checked
    assert m.rated.tolist() == [True]


# ------------------------------------------------------------------ flags


def test_flags_and_contradictions() -> None:
    c = cols([
        {"land_use": "industrial", "observed_use": "commercial", "mortgaged": True},
        {"land_use": "industrial", "observed_use": "industrial", "mortgaged": True},
        {"land_use": "industrial", "mortgaged": False},
        {"supply_date": "2019-01-01", "start_date": "2020-01-01",
         "completion_date": "2019-06-01", "approval_date": "2021-06-01"},
        {"start_date": "2022-01-01"},
    ])
    fl = flags(c, np.array([True, True, True, False, False]))
    assert fl.masks["use_changed"].tolist() == [True, False, False, False, False]
    assert fl.masks["mortgaged_idle"].tolist() == [True, True, False, False, False]
    assert not fl.masks["outside_supply"].any()
    k = contradictions(progress(c, TODAY, IDLE_RULES))
    # a start before the supply is the former holder's (not used), never a contradiction
    assert not k.date_order[("start_date", "supply_date")].any()
    assert k.date_order[("completion_date", "start_date")][3]
    assert k.date_order[("supply_date", "approval_date")][3]
    assert not k.date_order[("production_date", "completion_date")].any()
    assert k.started_unsupplied.tolist() == [False] * 4 + [True]
