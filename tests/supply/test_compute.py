"""The supply figures at their boundaries, expected values worked by hand from the
formulas of domain.md §11.2 and the 口径 of supply_2024.toml (as of 2024-10-31).

Records (亩):
  B1 approved 2019-10-31, 60 (exactly five years before the as-of date)
  B2 approved 2019-10-30, 30 (one day older: outside the five-year window)
  B3 approved 2023-03-01, 15
  S1 B1 2020-05-01 30 挂牌 工矿仓储; S2 B2 2021-07-01 30 划拨 公共;
  S3 B3 2024-02-01 6 拍卖 商服;      S4 B1 2024-11-05 3 (after the date)
  R1 B1 2024-03-01 核减 9
批而未供: B1 60-30-9 = 21, B2 30-30 = 0, B3 15-6 = 9; total 30.
批次供地率: window from 2019-10-31: B1 + B3 approved 75, supplied 30 + 6 = 36 -> 48.0 %.
"""

from __future__ import annotations

import pandas as pd
import pytest

from landuse.supply import compute as C
from landuse.supply.idle import disposals, idle_land
from landuse.supply.ruleset import default_supply_ruleset
from landuse.supply.summary import half_up, summarise
from landuse.units import M2_PER_MU
from tests.builders import supply_records

AS_OF = "2024-10-31"
RS = default_supply_ruleset()


def mu(m2: float) -> float:
    return round(m2 / M2_PER_MU, 6)


def records(**more):  # type: ignore[no-untyped-def]
    base = {
        "batches": [
            {"batch_id": "B1", "approval_date": "2019-10-31", "mu": 60, "zone": "东区"},
            {"batch_id": "B2", "approval_date": "2019-10-30", "mu": 30, "zone": "西区"},
            {"batch_id": "B3", "approval_date": "2023-03-01", "mu": 15, "zone": "东区"},
        ],
        "supply": [
            {"supervision_no": "S1", "parcel_id": "P1", "batch_id": "B1",
             "supply_way": "listing", "use": "industrial_storage", "mu": 30,
             "contract_date": "2020-05-01"},
            {"supervision_no": "S2", "parcel_id": "P2", "batch_id": "B2",
             "supply_way": "allocation", "use": "public", "mu": 30,
             "contract_date": "2021-07-01"},
            {"supervision_no": "S3", "parcel_id": "P3", "batch_id": "B3",
             "supply_way": "auction", "use": "commercial", "mu": 6,
             "contract_date": "2024-02-01"},
            {"supervision_no": "S4", "parcel_id": "P4", "batch_id": "B1",
             "supply_way": "listing", "use": "industrial_storage", "mu": 3,
             "contract_date": "2024-11-05"},
        ],
        "reductions": [{"reduction_id": "R1", "batch_id": "B1", "reduction_date": "2024-03-01",
                     "reduction_kind": "reduction", "mu": 9}],
    }
    base.update(more)
    return supply_records(**base)


def test_unsupplied_per_batch_and_total() -> None:
    b = C.unsupplied_by_batch(records(), AS_OF).set_index("batch_id")
    assert b["unsupplied_m2"].map(mu).to_dict() == {"B1": 21.0, "B2": 0.0, "B3": 9.0}
    assert b.loc["B1", "unsupplied_share"] == pytest.approx(21 / 60)
    # S4 (2024-11-05) is after the date; the day after it counts
    later = C.unsupplied_by_batch(records(), "2024-11-05").set_index("batch_id")
    assert mu(later.loc["B1", "unsupplied_m2"]) == 18.0


def test_a_batch_exactly_five_years_old_is_in_the_window_one_day_older_is_not() -> None:
    r = C.batch_supply_rate(records(), AS_OF, RS)
    assert r["batches"] == 2
    assert mu(r["approved_m2"]) == 75.0 and mu(r["supplied_m2"]) == 36.0
    assert r["rate"] == pytest.approx(0.48)
    # a day later B1 is older than five years: only B3 (15 亩, 6 supplied) -> 40 %
    assert C.batch_supply_rate(records(), "2024-11-01", RS)["rate"] == pytest.approx(0.4)


def test_a_task_met_exactly() -> None:
    # 2024: stock = batches approved before 2024-01-01 (B1, B2, B3); digested by the date:
    # S3 6 + R1 9 = 15 亩 = the task -> 100 %, met
    d = records(disposal_tasks=[{"year": 2024, "task_kind": "unsupplied", "mu": 15}])
    t = C.task_completion(d, AS_OF, RS).iloc[0]
    assert mu(t["done_m2"]) == 15.0 and t["rate"] == pytest.approx(1.0) and bool(t["met"])
    d = records(disposal_tasks=[{"year": 2024, "task_kind": "unsupplied", "mu": 15.01}])
    assert not C.task_completion(d, AS_OF, RS).iloc[0]["met"]


def test_a_task_of_one_zone_counts_its_batches_only() -> None:
    # 西区 has B2 only, nothing digested in 2024
    d = records(disposal_tasks=[{"year": 2024, "zone": "西区", "task_kind": "unsupplied",
                                 "mu": 5}])
    assert C.task_completion(d, AS_OF, RS).iloc[0]["done_m2"] == 0.0


LEDGER = pd.DataFrame({
    "parcel_id": ["P9", "P8", "P9", "P7"],
    "stage": ["idle_determined", "idle_determined", "disposed", "disposed"],
    "event_date": pd.to_datetime(["2023-05-01", "2024-01-01", "2024-06-01", "2023-12-31"]),
    "area_m2": [3 * M2_PER_MU, M2_PER_MU, 3 * M2_PER_MU, 5 * M2_PER_MU],
})
"""P9 (3 亩) determined 2023 and disposed 2024-06-01; P8 (1 亩) determined 2024, not
disposed; P7 disposed on 2023-12-31 (a day before the 2024 task year)."""


def test_idle_tasks_and_the_disposal_rate() -> None:
    d = records(disposal_tasks=[{"year": 2024, "task_kind": "idle", "mu": 2}])
    t = C.task_completion(d, AS_OF, RS, disposals(LEDGER)).iloc[0]
    assert mu(t["done_m2"]) == 3.0 and t["rate"] == pytest.approx(1.5)
    # without the ledger the progress of an idle task is not computable
    assert C.task_completion(d, AS_OF, RS).iloc[0]["met"] is None
    idle = idle_land(LEDGER)
    r = C.idle_disposal_rate(idle, AS_OF)  # 3 of 4 亩 disposed
    assert r["rate"] == pytest.approx(0.75)
    assert C.idle_disposal_rate(idle, "2024-05-31")["rate"] == 0.0


RESERVE = [
    {"reserve_id": "Ra", "mu": 20, "clean_land_date": "2024-01-01",
     "planned_use": "industrial_storage"},
    {"reserve_id": "Rb", "mu": 7, "clean_land_date": "2025-01-01", "expropriation_total": 10,
     "expropriation_done": 4},
    {"reserve_id": "Rc", "mu": 6, "clean_land_date": "2023-06-01", "supervision_no": "S3"},
    {"reserve_id": "Rd", "mu": 5, "clean_land_date": "2022-01-01", "planned_use": "public"},
    {"reserve_id": "Re", "mu": 1, "clean_land_date": "2022-01-01", "planned_use": "public",
     "supply_category": "E22"},
]


def test_suppliable_land_and_years_left() -> None:
    d = records(reserve=RESERVE)
    assert C.reserve_stage(d, AS_OF).tolist() == [
        "ready", "expropriating", "supplied", "ready", "ready"]
    s = C.suppliable_land(d, AS_OF, RS).set_index("reserve_id")
    assert s["category"].to_dict() == {"Ra": "E21", "Rd": "E1", "Re": "E22"}
    assert mu(s["area_m2"].sum()) == 26.0
    # 2021-2023: S2 30 亩 -> 10 亩 a year; 26 / 10 = 2.6 years
    y = C.years_of_supply(d, AS_OF, RS, s["area_m2"].sum())
    assert (y["first_year"], y["last_year"]) == (2021, 2023)
    assert y["years"] == pytest.approx(2.6)


def test_zero_supply_in_three_years_cannot_be_computed() -> None:
    d = records(reserve=RESERVE)
    y = C.years_of_supply(d, "2020-06-01", RS, 10.0)  # 2017-2019: nothing supplied
    assert y["years"] is None and y["why"] == "no_supply"
    f = summarise(d, "2020-06-01").figures("zh").set_index("figure")
    assert pd.isna(f.loc["years_left", "value"])
    assert f.loc["years_left", "reason"] == (
        "2017—2019年未供应土地，年均供地面积为零，尚可供地年数无法计算。")
    en = summarise(d, "2020-06-01").figures("en").set_index("figure")
    assert "cannot be computed" in en.loc["years_left", "reason"]


QUOTA = [
    {"event_id": "Q1", "event_date": "2024-01-10", "quota_kind": "new_construction",
     "event_kind": "granted", "mu": 10},
    {"event_id": "Q2", "event_date": "2024-03-01", "quota_kind": "new_construction",
     "event_kind": "rewarded", "mu": 2},
    {"event_id": "Q3", "event_date": "2024-04-01", "quota_kind": "new_construction",
     "event_kind": "used", "mu": 12},
    {"event_id": "Q4", "event_date": "2024-01-10", "quota_kind": "balance",
     "event_kind": "granted", "mu": 5},
    {"event_id": "Q5", "event_date": "2024-05-01", "quota_kind": "balance",
     "event_kind": "used", "mu": 8},
    {"event_id": "Q6", "event_date": "2024-12-01", "quota_kind": "balance",
     "event_kind": "granted", "mu": 8},
]


def test_quota_exactly_used_up_and_short() -> None:
    q = C.quota_balance(records(quota_events=QUOTA), AS_OF).set_index("quota_kind")
    assert mu(q.loc["new_construction", "balance"]) == 0.0
    assert q.loc["new_construction", "shortfall"] == 0.0
    assert mu(q.loc["balance", "balance"]) == -3.0 and mu(q.loc["balance", "shortfall"]) == 3.0
    # Q6 (after the date) closes the gap
    q = C.quota_balance(records(quota_events=QUOTA), "2024-12-01").set_index("quota_kind")
    assert mu(q.loc["balance", "balance"]) == 5.0


def test_plan_execution_and_supply_by_method_and_use() -> None:
    d = records(supply_plan=[{"year": 2024, "use": "industrial_storage", "mu": 10},
                             {"year": 2024, "use": "commercial", "mu": 6},
                             {"year": 2023, "use": "commercial", "mu": 99}])
    p = C.plan_execution(d, AS_OF).set_index("use")
    assert p["rate"].to_dict() == {"industrial_storage": 0.0, "commercial": 1.0}
    w = C.supply_in_period(d, None, AS_OF, "supply_way").set_index("supply_way")
    assert w["count"].to_dict() == {"allocation": 1, "auction": 1, "listing": 1}
    assert w["area_m2"].map(mu).to_dict() == {"allocation": 30.0, "auction": 6.0,
                                              "listing": 30.0}
    u = C.supply_in_period(d, "2024-01-01", AS_OF, "use")
    assert u["use"].tolist() == ["commercial"] and u["count"].tolist() == [1]


def test_mortgages_count_users_and_amount() -> None:
    d = records(mortgages=[
        {"mortgage_id": "M1", "parcel_id": "P1", "holder": "甲公司",
         "registration_date": "2022-03-01", "amount_wan": 500},
        {"mortgage_id": "M2", "parcel_id": "P2", "holder": "甲公司",
         "registration_date": "2023-03-01", "amount_wan": 300},
        {"mortgage_id": "M3", "parcel_id": "P3", "registration_date": "2024-01-01",
         "amount_wan": 1200},
        {"mortgage_id": "M4", "parcel_id": "P4", "holder": "乙公司",
         "registration_date": "2024-12-01", "amount_wan": 100},
    ])
    m = C.mortgage_totals(d, AS_OF)
    assert m == {"registrations": 3, "users": 2, "amount_wan": 2000.0}
    h = summarise(d, AS_OF).headline()
    assert h == {"supplied_count": 3, "supplied_mu": 66.0, "mortgage_users": 2,
                 "financed_yi": 0.2}


def test_every_figure_has_its_sentence_and_koujing_in_both_languages() -> None:
    d = records(reserve=RESERVE, quota_events=QUOTA,
                supply_plan=[{"year": 2024, "use": "commercial", "mu": 6}],
                disposal_tasks=[{"year": 2024, "task_kind": "unsupplied", "mu": 15}])
    for lang in ("zh", "en"):
        f = summarise(d, AS_OF, ledger=LEDGER).figures(lang)
        assert f["reason"].str.len().min() > 10 and f["koujing"].str.len().min() > 10
        assert "{" not in "".join(f["reason"])
    zh = summarise(d, AS_OF, ledger=LEDGER).figures("zh").set_index("figure")
    assert zh.loc["unsupplied_total", "value"] == 30.0
    assert zh.loc["supply_rate", "value"] == 48.0
    assert zh.loc["years_left", "value"] == 2.6
    assert zh.loc["supplied_total", "reason"] == "至2024年10月31日已供应土地3宗，66亩。"


def test_half_up_rounding() -> None:
    assert half_up(0.005, 2) == 0.01 and half_up(1.25, 1) == 1.3 and half_up(-1.25, 1) == -1.3
