"""Unit tests of the assessment rules at every boundary (issue 3)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from landuse.errors import CRSError, SchemaError
from landuse.rules import ASSESSMENT_COLUMNS, assess, default_ruleset
from tests.builders import make, producing, supplied

AS_OF = "2023-10-31"


def one(row: dict, as_of: str = AS_OF, **kw) -> pd.Series:
    return assess(make([row]), as_of, **kw).iloc[0]


# ------------------------------------------------------------------ clock and idle, case A


def test_exactly_one_year_is_idle_and_one_day_short_is_not() -> None:
    g = make([supplied(agreed_start_date="2022-10-31"), supplied(agreed_start_date="2022-11-01")])
    r = assess(g, AS_OF)
    assert list(r["idle_type"]) == ["not_started", "none"]
    assert list(r["overdue_days"]) == [365, 364]
    assert list(r["idle_fee_wan"]) == [100.0, 0.0]
    assert list(r["lifecycle"]) == ["supplied_unused", "supplied_unused"]
    assert "还差1天" in r["reasons"].iloc[1]


def test_issue_example_sentence() -> None:
    r = one(supplied(agreed_start_date="2022-08-15"))
    assert r["overdue_days"] == 442
    assert (
        "约定动工日期2022年8月15日起满一年未动工(已逾期442天),依《闲置土地处置办法》第二条属闲置土地;"
        "依第十四条按土地价款500万元的20%征缴闲置费100万元"
        in r["reasons"]
    )
    assert not r["recovery_candidate"]


def test_extension_rebases_the_clock() -> None:
    g = make(
        [
            supplied(agreed_start_date="2022-01-01"),
            supplied(agreed_start_date="2022-01-01", extension_until="2023-01-01"),
        ]
    )
    r = assess(g, AS_OF)
    assert list(r["idle_type"]) == ["not_started", "none"]
    assert list(r["idle_fee_wan"]) == [100.0, 0.0]
    assert r["overdue_days"].iloc[1] == 303  # 2023-01-01 -> 2023-10-31


def test_delivery_plus_one_year_when_no_agreed_date() -> None:
    r = one(supplied(delivery_date="2021-10-31"))
    # base = 2022-10-31, idle on 2023-10-31 exactly
    assert r["idle_type"] == "not_started"
    assert r["overdue_days"] == 365
    assert "交地日期2021年10月31日后1年即2022年10月31日" in r["reasons"]


def test_no_base_cannot_be_judged_and_says_why() -> None:
    r = one(supplied())
    assert r["idle_type"] == "none"
    assert r["idle_fee_wan"] == 0
    assert "约定动工日期" in r["reasons"] and "交地日期" in r["reasons"]
    assert "无法判定是否闲置" in r["reasons"]
    en = one(supplied(), lang="en")
    assert "idleness cannot be judged" in en["reasons"]


@pytest.mark.parametrize(
    ("base", "as_of", "idle"),
    [
        ("2020-02-29", "2021-02-27", False),
        ("2020-02-29", "2021-02-28", True),  # +1 calendar year from 29 Feb = 28 Feb
        ("2019-03-01", "2020-02-29", False),
        ("2019-03-01", "2020-03-01", True),
        ("2019-02-28", "2020-02-28", True),
    ],
)
def test_leap_days(base: str, as_of: str, idle: bool) -> None:
    r = one(supplied(agreed_start_date=base), as_of=as_of)
    assert (r["idle_type"] == "not_started") is idle


def test_two_years_exactly_recovery_and_one_day_short() -> None:
    g = make([supplied(agreed_start_date="2021-10-31"), supplied(agreed_start_date="2021-11-01")])
    r = assess(g, AS_OF)
    assert list(r["recovery_candidate"]) == [True, False]
    assert "可报请无偿收回" in r["reasons"].iloc[0]


# ------------------------------------------------------------------ started


@pytest.mark.parametrize(
    ("evidence", "start", "started"),
    [
        ("pit_done", None, True),
        ("piles_done", None, True),
        ("foundation_third", None, True),
        ("none", "2022-01-01", False),  # none wins over start_date
        (None, "2022-01-01", True),
        (None, "2023-11-01", False),  # start after the as-of date
        (None, None, False),
    ],
)
def test_started(evidence: str | None, start: str | None, started: bool) -> None:
    r = one(supplied(agreed_start_date="2021-01-01", start_evidence=evidence, start_date=start))
    assert (r["lifecycle"] == "used_incomplete") is started
    assert (r["idle_type"] == "not_started") is (not started)


def test_start_evidence_none_with_start_date_is_explained() -> None:
    r = one(
        supplied(agreed_start_date="2021-01-01", start_evidence="none", start_date="2021-06-01")
    )
    assert "动工依据为未动工" in r["reasons"] and "2021年6月1日" in r["reasons"]


# ------------------------------------------------------------------ causes


@pytest.mark.parametrize("cause", ["government", "force_majeure"])
def test_government_or_force_majeure_no_fee_no_recovery(cause: str) -> None:
    r = one(supplied(agreed_start_date="2020-06-01", delay_cause=cause))
    assert r["idle_type"] == "not_started"
    assert r["idle_fee_wan"] == 0
    assert not r["recovery_candidate"]
    assert "不征缴闲置费" in r["reasons"] and "协议有偿收回" in r["reasons"]
    assert "置换土地" in r["reasons"] and "临时使用" in r["reasons"]
    en = one(supplied(agreed_start_date="2020-06-01", delay_cause=cause), lang="en")
    assert "negotiate a disposal" in en["reasons"]


@pytest.mark.parametrize("cause", [None, "unknown"])
def test_unrecorded_cause_gets_consequences_and_check_reason(cause: str | None) -> None:
    r = one(supplied(agreed_start_date="2020-06-01", delay_cause=cause))
    assert r["idle_fee_wan"] == 100.0
    assert r["recovery_candidate"]
    assert "须核实" in r["reasons"]


def test_unrecorded_cause_not_holder_when_ruleset_says_so() -> None:
    rs = default_ruleset().override({"idle": {"unrecorded_cause_is_holder": False}})
    r = one(supplied(agreed_start_date="2020-06-01", delay_cause=None), ruleset=rs)
    assert r["idle_type"] == "not_started" and r["idle_fee_wan"] == 0


def test_missing_price_fee_is_nan_and_said() -> None:
    r = one(supplied(agreed_start_date="2020-06-01", land_price_wan=None))
    assert np.isnan(r["idle_fee_wan"])
    assert "缺少土地价款" in r["reasons"]


# ------------------------------------------------------------------ stalled (case B)


def stalled_row(**kw) -> dict:
    row = supplied(
        agreed_start_date="2020-06-01",
        start_evidence="piles_done",
        suspended_since="2022-10-31",
        developed_area_m2=2000.0,  # 20 % of 10000
        invested_wan=500.0,
        total_investment_wan=1000.0,  # 50 %
    )
    row.update(kw)
    return row


def test_stalled_exactly_one_year_and_one_day_short() -> None:
    g = make([stalled_row(), stalled_row(suspended_since="2022-11-01")])
    r = assess(g, AS_OF)
    assert list(r["idle_type"]) == ["stalled", "none"]
    assert list(r["idle_fee_wan"]) == [100.0, 0.0]
    assert list(r["lifecycle"]) == ["used_incomplete", "used_incomplete"]
    assert pd.isna(r["overdue_days"].iloc[0])  # overdue_days is for not-started parcels


def test_stalled_recovery_clock_is_suspended_since() -> None:
    g = make([stalled_row(suspended_since="2021-10-31"), stalled_row(suspended_since="2021-11-01")])
    assert list(assess(g, AS_OF)["recovery_candidate"]) == [True, False]


@pytest.mark.parametrize(
    ("dev", "inv", "or_idle", "and_idle"),
    [
        (2000.0, 500.0, True, False),  # only the area is low
        (5000.0, 200.0, True, False),  # only the investment is low
        (2000.0, 200.0, True, True),  # both low
        (5000.0, 500.0, False, False),  # neither
        (10000.0 / 3, 250.0, False, False),  # exactly at both thresholds: not below
    ],
)
def test_combinator(dev: float, inv: float, or_idle: bool, and_idle: bool) -> None:
    row = stalled_row(developed_area_m2=dev, invested_wan=inv)
    r_or = one(row)
    rs_and = default_ruleset().override({"idle": {"stalled_combinator": "and"}})
    r_and = one(row, ruleset=rs_and)
    assert (r_or["idle_type"] == "stalled") is or_idle
    assert (r_and["idle_type"] == "stalled") is and_idle


def test_stalled_missing_ratio_reported_not_guessed() -> None:
    # developed area unknown, investment 50 %: under "or" it cannot be decided
    r = one(stalled_row(developed_area_m2=None))
    assert r["idle_type"] == "none"
    assert "缺少已开发面积" in r["reasons"] and "无法按“或”判定" in r["reasons"]
    # ... but one low ratio is enough under "or"
    r = one(stalled_row(developed_area_m2=None, invested_wan=100.0))
    assert r["idle_type"] == "stalled"
    # ... and one high ratio is enough to clear it under "and"
    rs_and = default_ruleset().override({"idle": {"stalled_combinator": "and"}})
    r = one(stalled_row(developed_area_m2=None), ruleset=rs_and)
    assert r["idle_type"] == "none" and "无法" not in r["reasons"]


# ------------------------------------------------------------------ 五未


@pytest.mark.parametrize(
    ("row", "stage"),
    [
        ({"approval_date": "2019-01-01"}, "approved_unsupplied"),
        ({"approval_date": "2019-01-01", "supply_date": "2024-01-01"}, "approved_unsupplied"),
        (supplied(), "supplied_unused"),
        (supplied(start_date="2021-01-01"), "used_incomplete"),
        (supplied(start_date="2021-01-01", completion_date="2022-01-01"), "built_not_producing"),
        (producing(), "in_use"),
        (producing(enterprise_status="stopped"), "producing_below_target"),
        (producing(enterprise_status="zombie"), "producing_below_target"),
        (producing(enterprise_status="bankrupt"), "producing_below_target"),
        (producing(floor_area_m2=5000.0), "producing_below_target"),
        ({"holder": "某公司"}, "unknown"),
    ],
)
def test_lifecycle(row: dict, stage: str) -> None:
    assert one(row)["lifecycle"] == stage


def test_unknown_stage_names_missing_fields() -> None:
    r = one({"holder": "x"})
    assert "缺少批准日期和供地日期" in r["reasons"]


# ------------------------------------------------------------------ low efficiency


@pytest.mark.parametrize(
    ("field", "at", "fail", "indicator"),
    [
        ("floor_area_m2", 7000.0, 6999.0, "far"),  # industry 34: min FAR 0.7
        ("footprint_m2", 3000.0, 2999.0, "coverage"),  # 30 %
        ("admin_area_m2", 700.0, 701.0, "admin_share"),  # 7 %
        ("green_area_m2", 2000.0, 2001.0, "green_ratio"),  # 20 %
        # 300 万元/亩 x 15 亩 = 4500 万元, of which the land price 500 万元 (2008 formula)
        ("invested_wan", 4000.0, 3999.0, "invest_intensity"),
        ("tax_wan", 450.0, 449.0, "tax_per_mu"),  # 30 万元/亩 x 15 亩
    ],
)
def test_indicator_at_threshold(field: str, at: float, fail: float, indicator: str) -> None:
    g = make([producing(**{field: at}), producing(**{field: fail})])
    r = assess(g, AS_OF)
    assert list(r["low_efficiency"]) == [False, True]
    assert r["failed_indicators"].iloc[1] == indicator
    assert r["lifecycle"].iloc[1] == "producing_below_target"


def test_far_reason_names_industry_value_threshold() -> None:
    r = one(producing(floor_area_m2=5000.0))
    assert "容积率0.5,低于控制指标0.7(金属制品业,行业代码34)" in r["reasons"]
    en = one(producing(floor_area_m2=5000.0), lang="en")
    assert "Floor-area ratio 0.5 is below the minimum 0.7 for industry 34" in en["reasons"]


def test_yard_counts_in_coverage_and_missing_yard_is_reported() -> None:
    g = make(
        [
            producing(footprint_m2=2000.0, yard_area_m2=1000.0),  # 30 %: passes
            producing(footprint_m2=2000.0, yard_area_m2=None),  # cannot tell
            producing(footprint_m2=4000.0, yard_area_m2=None),  # passes without the yard
        ]
    )
    r = assess(g, AS_OF)
    assert list(r["low_efficiency"]) == [False, False, False]
    assert "露天堆场面积" in r["reasons"].iloc[1]
    assert "露天堆场面积" not in r["reasons"].iloc[2]


def test_the_stricter_of_contract_and_ruleset_target_applies() -> None:
    # issue 11 point 4: the contract's target is judged alongside the ruleset's minimum and
    # the higher (stricter) applies; 600 万元 tax on 15 亩 = 40 万元/亩 paid
    rs = default_ruleset().override({"control": {"min_tax_per_mu_wan": 35.0}})
    g = make([
        producing(target_tax_per_mu_wan=30.0),  # ruleset 35 stricter: 40 passes
        producing(target_tax_per_mu_wan=45.0),  # contract 45 stricter: 40 fails
        producing(target_tax_per_mu_wan=None),  # ruleset 35 alone: passes
    ])
    r = assess(g, AS_OF, ruleset=rs)
    assert list(r["failed_indicators"]) == ["", "tax_per_mu", ""]
    assert "低于合同约定45" in r["reasons"].iloc[1]
    rs50 = default_ruleset().override({"control": {"min_tax_per_mu_wan": 50.0}})
    r = assess(make([producing(target_tax_per_mu_wan=30.0)]), AS_OF, ruleset=rs50)
    assert "低于控制指标50" in r["reasons"].iloc[0]


def test_registered_area_is_used_when_present() -> None:
    # computed area is 10000 m2; registered 20000 halves every ratio
    r = one(producing(registered_area_m2=20000.0))
    assert "far" in r["failed_indicators"]
    r = one(producing(registered_area_m2=None))
    assert r["failed_indicators"] == ""
    assert r["area_m2"] == pytest.approx(10000, rel=1e-3)


def test_four_digit_and_lettered_industry_codes() -> None:
    g = make(
        [producing(industry_code="C3411", floor_area_m2=6000.0), producing(industry_code="3411")]
    )
    r = assess(g, AS_OF)
    assert list(r["failed_indicators"]) == ["far", ""]


def test_unknown_industry_and_missing_fields_are_reported() -> None:
    r = one(producing(industry_code="99"))
    assert "控制表无此行业" in r["reasons"]
    r = one(producing(admin_area_m2=None, green_area_m2=None))
    assert "缺少行政办公及生活服务设施用地面积" in r["reasons"] and "缺少绿地面积" in r["reasons"]


def test_not_completed_parcels_are_not_judged_low_efficiency() -> None:
    r = one(supplied(start_date="2021-01-01", floor_area_m2=1.0, footprint_m2=1.0))
    assert not r["low_efficiency"] and r["failed_indicators"] == ""


# ------------------------------------------------------------------ 亩均


def test_mujun_classes_by_rank() -> None:
    rows = [producing(tax_wan=20.0 * (i + 1), target_tax_per_mu_wan=None) for i in range(10)]
    r = assess(make(rows), AS_OF)
    # highest tax first: 2 A (20 %), 4 B (to 60 %), 3 C (to 95 %... 90 %), 1 D
    order = r.sort_values("mujun_score", ascending=False)["mujun_class"].tolist()
    assert order == ["A", "A", "B", "B", "B", "B", "C", "C", "C", "D"]
    assert r["mujun_score"].notna().all()


def test_mujun_score_formula_and_cap() -> None:
    # only tax data: 24.097 万元/亩 = base -> 1 x 30
    row = producing(tax_wan=24.097 * 15, value_added_wan=None, rd_wan=None)
    r = one(row)
    assert r["mujun_score"] == pytest.approx(30.0)
    capped = one(producing(tax_wan=24.097 * 15 * 10, value_added_wan=None, rd_wan=None))
    assert capped["mujun_score"] == pytest.approx(45.0)  # 1.5 x weight 30
    # the missing indicator named in Chinese (its label in the ruleset), not by its field
    assert "亩均增加值" in r["reasons"] and "value_added_wan" not in r["reasons"]


@pytest.mark.parametrize(
    ("row", "why"),
    [
        (supplied(), "未投产"),
        (producing(production_date="2022-01-01"), "不满两年"),
        (producing(registered_area_m2=1900.0), "不足3亩"),
    ],
)
def test_class_t(row: dict, why: str) -> None:
    r = one(row)
    assert r["mujun_class"] == "T" and np.isnan(r["mujun_score"]) and why in r["reasons"]


def test_producing_exactly_two_years_is_rated() -> None:
    assert one(producing(production_date="2021-10-31"))["mujun_class"] != "T"
    assert one(producing(production_date="2021-11-01"))["mujun_class"] == "T"


def test_veto_moves_out_of_a_and_b() -> None:
    rows = [producing(tax_wan=20.0 * (i + 1), target_tax_per_mu_wan=None) for i in range(10)]
    g = make(rows)
    g["safety_veto"] = [False] * 9 + [True]  # the best firm
    r = assess(g, AS_OF)
    assert r["mujun_class"].iloc[9] == "C"
    assert "一票否决" in r["reasons"].iloc[9]


def test_rank_scope_zone() -> None:
    rows = [producing(tax_wan=20.0 * (i + 1), zone="东区" if i < 5 else "西区") for i in range(10)]
    rs = default_ruleset().override({"mujun": {"rank_scope": "zone"}})
    r = assess(make(rows), AS_OF, ruleset=rs)
    assert (r["mujun_class"] == "A").sum() == 2  # one per sub-park of five


# ------------------------------------------------------------------ flags


def test_flags() -> None:
    g = make(
        [
            producing(observed_use="commercial"),
            supplied(agreed_start_date="2021-01-01", mortgaged=True),
            supplied(agreed_start_date="2023-01-01", mortgaged=True),  # not idle
        ]
    )
    r = assess(g, AS_OF)
    assert list(r["flags"]) == ["use_changed", "mortgaged_idle", ""]
    assert "抵押权人" in r["reasons"].iloc[1]


def test_outside_supply_buildings() -> None:
    g = make([supplied(), {"approval_date": "2019-01-01"}, {"approval_date": "2019-01-01"}])
    b = gpd.GeoDataFrame(
        geometry=[
            box(39500010, 3100010, 39500030, 3100030),  # on the supplied parcel
            box(39500210, 3100010, 39500240, 3100030),  # on unsupplied P1
            box(39500250, 3100050, 39500260, 3100060),  # on unsupplied P1 too
            box(39509000, 3100010, 39509010, 3100020),  # on no parcel at all
        ],
        crs="EPSG:4527",
    )
    r = assess(g, AS_OF, buildings=b)
    assert list(r["flags"]) == ["", "outside_supply", ""]
    assert "2栋建筑" in r["reasons"].iloc[1]
    assert r.attrs["assessment"]["buildings_on_no_parcel"] == [3]
    assert r.attrs["assessment"]["buildings_outside_supply"] == 3


def test_buildings_crs_mismatch() -> None:
    b = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    with pytest.raises(CRSError, match=r"CRS mismatch.*EPSG:4527.*EPSG:4326"):
        assess(make([supplied()]), AS_OF, buildings=b)
    with pytest.raises(CRSError, match="no CRS"):
        assess(make([supplied()]), AS_OF, buildings=gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]))


# ------------------------------------------------------------------ bad input, contract


def test_contradicting_dates_are_reported_not_crashed() -> None:
    r = one(
        supplied(supply_date="2019-01-01", start_date="2020-06-01", completion_date="2020-01-01")
    )
    assert "竣工日期2020年1月1日早于实际动工日期2020年6月1日" in r["reasons"]
    en = one(
        supplied(supply_date="2019-01-01", start_date="2020-06-01", completion_date="2020-01-01"),
        lang="en",
    )
    assert "completion_date 2020-01-01 is before start_date 2020-06-01" in en["reasons"]


def test_input_columns_unchanged_and_fields_added() -> None:
    g = make([producing(), supplied(agreed_start_date="2021-01-01")])
    g["own_column"] = ["x", "y"]
    before = g.copy()
    r = assess(g, AS_OF)
    pd.testing.assert_frame_equal(pd.DataFrame(g), pd.DataFrame(before))
    pd.testing.assert_frame_equal(pd.DataFrame(r[list(g.columns)]), pd.DataFrame(before))
    for c in ASSESSMENT_COLUMNS:
        assert c in r.columns
    assert r["ruleset"].iloc[0] == "cn-national 1.0.0"
    meta = r.attrs["assessment"]
    assert meta["as_of"] == AS_OF and meta["ruleset"]["name"] == "cn-national"
    assert "control_2008.toml" in " ".join(meta["ruleset"]["files"])


def test_reassessing_an_assessment_replaces_its_fields() -> None:
    g = make([supplied(agreed_start_date="2021-01-01")])
    r1 = assess(g, AS_OF)
    r2 = assess(r1, "2021-06-01")
    assert r2["idle_type"].iloc[0] == "none" and list(r2.columns) == list(r1.columns)


def test_minimal_input_only_id_and_geometry() -> None:
    g = gpd.GeoDataFrame({"parcel_id": ["a"]}, geometry=[box(0, 0, 0.001, 0.001)], crs=4490)
    r = assess(g, AS_OF).iloc[0]
    assert r["lifecycle"] == "unknown" and r["area_mu"] > 0


def test_string_dates_are_converted_and_bad_values_named() -> None:
    g = make([supplied(agreed_start_date="2021-01-01")])
    g["agreed_start_date"] = ["2021-01-01"]
    assert assess(g, AS_OF)["idle_type"].iloc[0] == "not_started"
    g["agreed_start_date"] = ["not a date"]
    with pytest.raises(SchemaError, match=r"P0.*agreed_start_date.*not a date"):
        assess(g, AS_OF)
    g = make([supplied(delay_cause="外星人")])
    with pytest.raises(SchemaError, match=r"delay_cause.*holder"):
        assess(g, AS_OF)


def test_chinese_codes_are_understood() -> None:
    r = one(supplied(agreed_start_date="2020-06-01", delay_cause="政府原因", start_evidence="无"))
    assert r["idle_fee_wan"] == 0 and r["idle_type"] == "not_started"


def test_required_fields_and_crs() -> None:
    g = make([supplied()]).drop(columns="parcel_id")
    with pytest.raises(SchemaError, match="parcel_id"):
        assess(g, AS_OF)
    g = make([supplied(), supplied()])
    g["parcel_id"] = ["same", "same"]
    with pytest.raises(SchemaError, match=r"not unique.*same"):
        assess(g, AS_OF)
    g = make([supplied()]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError):
        assess(g, AS_OF)


def test_completed_parcel_with_a_suspension_date_is_not_stalled() -> None:
    r = one(stalled_row(completion_date="2023-01-01"))
    assert r["idle_type"] == "none" and r["lifecycle"] == "built_not_producing"
