"""Each section of the report alone, on small hand-built inputs (expected values by hand).

Areas are whole 亩 (1 亩 = 10000/15 m²) so that the expected figures follow from the
counting rules in ``landuse.report.build`` without computing anything.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from landuse.errors import SchemaError
from landuse.ledger import procedure_state
from landuse.report.headline import headline
from landuse.report.ledger_tables import month_table, zone_table
from landuse.report.parcel_tables import (
    flag_tables,
    idle_table,
    lifecycle_table,
    map_frame,
    mujun_table,
)
from landuse.report.period import Period
from landuse.report.reclamation import (
    auctions,
    count_disposals,
    ledger_notes,
    new_enterprises,
    open_cases,
    reclaimed_by_method,
    reclamation_figures,
    zombie_holders,
)
from landuse.report.text import label
from landuse.units import M2_PER_MU

MU = M2_PER_MU
_EV_COLS = ["event_id", "parcel_id", "event_date", "stage", "method", "fee_wan"]


def events(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """Effective events: (id, parcel, date, stage, method, 亩, new holder, zombie)."""
    cols = ["event_id", "parcel_id", "event_date", "stage", "method", "area_mu",
            "new_holder", "zombie_cleared"]
    df = pd.DataFrame(list(rows), columns=cols)
    df["event_date"] = pd.to_datetime(df["event_date"])
    df["area_m2"] = df.pop("area_mu").astype(float) * MU
    df["corrections"] = 0
    df["effective_event_id"] = df["event_id"]
    df["note"] = None
    return df


def parcels(*rows: tuple[Any, ...]) -> gpd.GeoDataFrame:
    """Assessed parcels: (id, zone, holder, 亩, lifecycle, idle_type, low, flags, class)."""
    cols = ["parcel_id", "zone", "holder", "area_mu", "lifecycle", "idle_type",
            "low_efficiency", "flags", "mujun_class"]
    df = pd.DataFrame(list(rows), columns=cols)
    df["area_m2"] = df["area_mu"] * MU
    geoms = [box(39_500_000 + 300 * i, 3_400_000, 39_500_000 + 300 * i + 100, 3_400_100)
             for i in range(len(df))]
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4527")


# ---------------------------------------------------------------- period


def test_period_includes_both_days_and_keeps_same_day_order() -> None:
    ev = events(("E1", "P1", "2023-02-01", "investigating", None, None, None, None),
                ("E2", "P2", "2023-01-31", "investigating", None, None, None, None),
                ("E3", "P3", "2023-03-31", "investigating", None, None, None, None),
                ("E4", "P4", "2023-04-01", "investigating", None, None, None, None),
                ("E5", "P5", "2023-02-01", "investigating", None, None, None, None))
    inside, outside = Period.parse("2023-02-01", "2023-03-31").split(ev)
    assert list(inside["event_id"]) == ["E1", "E5", "E3"]
    assert list(outside["event_id"]) == ["E2", "E4"]


def test_period_months_and_refusals() -> None:
    p = Period.parse("2022-11-20", "2023-01-05")
    assert [str(m) for m in p.months()] == ["2022-11", "2022-12", "2023-01"]
    with pytest.raises(SchemaError, match="swap --from and --to"):
        Period.parse("2023-02-01", "2023-01-31")
    with pytest.raises(SchemaError, match="--to 'soon' is not a date"):
        Period.parse("2023-02-01", "soon")


# ---------------------------------------------------------------- ledger counts


def test_a_parcel_disposed_twice_counts_once_with_largest_area_and_latest_method() -> None:
    ev = events(("E1", "P1", "2023-01-10", "disposed", "merger", 10, "新甲", True),
                ("E2", "P2", "2023-02-10", "disposed", None, 4, None, None),
                ("E3", "P1", "2023-03-10", "disposed", "lease_then_transfer", 6, "新乙", None))
    d = count_disposals(ev)
    assert list(d.counted["parcel_id"]) == ["P1", "P2"]
    p1 = d.counted.iloc[0]
    assert (p1["method"], p1["area_m2"] / MU, p1["event_id"]) == \
        ("lease_then_transfer", pytest.approx(10.0), "E3")
    assert [pid for pid, _ in d.repeats] == ["P1"]
    area, n = reclaimed_by_method(d.counted)
    # the standard lists lease_then_transfer before merger; no method comes last
    assert area == {"lease_then_transfer": 10.0, "not_recorded": 4.0}
    assert n == {"lease_then_transfer": 1, "not_recorded": 1}


def test_zombies_are_distinct_former_holders_and_new_enterprises_distinct_names() -> None:
    p = parcels(("P1", "东", "甲厂", 5, "in_use", "none", False, "", "A"),
                ("P2", "东", None, 5, "in_use", "none", False, "", "A"),
                ("P3", "西", "甲厂", 5, "in_use", "none", False, "", "A"))
    ev = events(("E1", "P1", "2023-01-10", "disposed", "merger", 5, "新A", True),
                ("E2", "P2", "2023-01-11", "disposed", "merger", 5, None, True),
                ("E3", "P3", "2023-01-12", "disposed", "merger", 5, "新A", True),
                ("E4", "P3", "2023-01-13", "investigating", None, None, "新B", False))
    pids, names = zombie_holders(ev, p)
    assert pids == ["P1", "P2", "P3"]
    assert names == ["甲厂", "[P2]"]
    assert new_enterprises(ev) == ["新A", "新B"]


def test_auctions_started_count_only_those_not_completed_by_the_end() -> None:
    period = Period.parse("2023-02-01", "2023-04-30")
    ev = events(("A1", "P1", "2023-02-01", "auction_started", "judicial_auction", 8, None, None),
                ("A2", "P1", "2023-03-01", "auction_completed", "judicial_auction", 8, None,
                 None),
                ("A3", "P2", "2023-02-10", "auction_started", "judicial_auction", 5, None, None),
                ("A4", "P3", "2023-02-15", "auction_started", "judicial_auction", 3, None, None),
                ("A5", "P3", "2023-05-01", "auction_completed", "judicial_auction", 3, None,
                 None))
    inside, _ = period.split(ev)
    completed, started = auctions(inside, ev, period.end)
    assert list(completed["parcel_id"]) == ["P1"]
    assert list(started["parcel_id"]) == ["P2", "P3"]
    assert list(started["area_m2"] / MU) == pytest.approx([5.0, 3.0])


def test_open_case_area_is_the_latest_event_area_else_the_parcel_area() -> None:
    ev = events(("E1", "P1", "2023-01-05", "investigating", None, None, None, None),
                ("E2", "P2", "2023-01-06", "auction_started", "judicial_auction", 2, None, None),
                ("E3", "P2", "2023-02-06", "recovery_in_progress", None, 7, None, None),
                ("E4", "P3", "2023-02-07", "investigating", None, 0, None, None))
    state = pd.DataFrame({"stage": ["investigating", "recovery_in_progress", "investigating"]},
                         index=pd.Index(["P1", "P2", "P3"], name="parcel_id"))
    area_mu = pd.Series({"P1": 12.0, "P2": 30.0, "P3": 4.0})
    state_area, by_stage = open_cases(ev, state, area_mu)
    assert state_area == pytest.approx({"P1": 12.0, "P2": 7.0, "P3": 4.0})
    assert by_stage["investigating"] == {"parcels": 2, "area_mu": 16.0,
                                         "parcel_ids": ["P1", "P3"], "not_idle": []}
    # only parcels the assessment holds idle count; the others are named
    _, held = open_cases(ev, state, area_mu, {"P1", "P2"})
    assert held["investigating"] == {"parcels": 1, "area_mu": 12.0, "parcel_ids": ["P1"],
                                     "not_idle": ["P3"]}
    assert by_stage["recovery_in_progress"]["area_mu"] == 7.0
    assert by_stage["remedy_start_pending"] == {"parcels": 0, "area_mu": 0.0, "parcel_ids": [],
                                                "not_idle": []}


def test_ledger_notes_name_repeats_and_events_outside_the_period() -> None:
    period = Period.parse("2023-02-01", "2023-02-28")
    ev = events(("E0", "P9", "2023-01-20", "investigating", None, None, None, None),
                ("E1", "P1", "2023-02-02", "disposed", "merger", 3, None, None),
                ("E2", "P1", "2023-02-20", "disposed", "merger", 5, None, None),
                ("E3", "P8", "2023-03-02", "investigating", None, None, None, None),
                ("E4", "P7", "2023-03-09", "investigating", None, None, None, None))
    inside, outside = period.split(ev)
    warn = pd.DataFrame(columns=["row", "event_id", "problem"])
    notes = ledger_notes(count_disposals(inside), outside, ev, warn, period, "zh")
    assert notes[0].startswith("宗地 P1 在统计期内盘活 2 次")
    assert "面积只计 1 次（5亩）" in notes[0] and "（兼并重组）" in notes[0]
    assert notes[1] == ("统计期外的 3 条事件未计入（期前 1 条，期后 2 条）："
                        "E0（2023年1月20日）、E3（2023年3月2日）、E4（2023年3月9日）。")
    assert notes[-1].startswith("盘活面积按宗地去重")
    assert len(notes) == 3


# ---------------------------------------------------------------- headline


def _figures(**kw: Any) -> dict[str, Any]:
    d = count_disposals(events(("E1", "P1", "2023-01-10", "disposed", "merger", 2, None, True)))
    stages = {s: {"parcels": 0, "area_mu": 0.0, "parcel_ids": []}
              for s in ("remedy_start_pending", "recovery_in_progress", "investigating")}
    stages["investigating"] = {"parcels": 1, "area_mu": 3.5, "parcel_ids": ["P2"]}
    empty = pd.DataFrame(columns=["parcel_id", "area_m2"])
    f = reclamation_figures(d, ["甲厂"], [], empty, empty, stages, 1, 0)
    f.update(kw)
    return f


def test_headline_in_both_languages() -> None:
    assert headline("zh", "2023年1—3月", "东区", _figures()) == (
        "2023年1—3月，东区清理僵尸企业1家、盘活闲置用地2亩，其中通过兼并重组方式盘活了2亩；"
        "新入驻企业0家；闲置土地中1宗（3.5亩）正在调查清收。")
    assert headline("en", "January–March 2023", "East", _figures()) == (
        "In January–March 2023 the East cleared 1 zombie enterprise and brought 2 mu of idle "
        "land back into use: 2 mu by merger and restructuring. 0 new enterprises moved in. "
        "Of the idle land, 1 parcel (3.5 mu) is under investigation.")


# ---------------------------------------------------------------- tables


def test_month_table_lists_every_month_and_a_total() -> None:
    period = Period.parse("2023-01-01", "2023-03-31")
    ev = events(("E1", "P1", "2023-01-10", "disposed", "merger", 2, None, None),
                ("E2", "P2", "2023-03-05", "disposed", "merger", 1.5, None, None),
                ("E3", "P3", "2023-03-06", "investigating", None, None, None, None))
    t = month_table(count_disposals(ev).counted, ev, period, "zh")
    assert t.rows == [["2023年1月", 1, 1, 2.0], ["2023年2月", 0, 0, 0.0],
                      ["2023年3月", 2, 1, 1.5], ["合计", 3, 2, 3.5]]


def test_zone_table_groups_parcels_without_zone_and_totals() -> None:
    p = parcels(("P1", "东区", "a", 10, "supplied_unused", "not_started", False, "", "A"),
                ("P2", "东区", "b", 4, "in_use", "none", True, "", "C"),
                ("P3", None, "c", 6, "used_incomplete", "stalled", False, "", "B"))
    ev = events(("E1", "P2", "2023-01-10", "disposed", "merger", 4, "新A", True))
    t = zone_table(p, count_disposals(ev).counted, ev, {"P2": "b"}, "zh")
    # zone, parcels, 亩, idle n, idle 亩, low n, low 亩, 盘活 n, 盘活 亩, zombies, new
    assert t.rows == [["东区", 2, 14.0, 1, 10.0, 1, 4.0, 1, 4.0, 1, 1],
                      ["未分区", 1, 6.0, 1, 6.0, 0, 0.0, 0, 0.0, 0, 0],
                      ["合计", 3, 20.0, 2, 16.0, 1, 4.0, 1, 4.0, 1, 1]]


def test_idle_list_longest_overdue_first_with_case_stage() -> None:
    p = parcels(("P1", "东区", "a", 10, "supplied_unused", "not_started", False, "", "A"),
                ("P2", "东区", "b", 4, "used_incomplete", "stalled", False, "", "C"),
                ("P3", "东区", "c", 6, "supplied_unused", "not_started", False, "", "B"),
                ("P4", "东区", "d", 6, "in_use", "none", False, "", "B"))
    p["overdue_days"] = [400, 800, 400, 0]
    p["idle_fee_wan"] = [12.5, None, 0.0, 0.0]
    p["recovery_candidate"] = [False, True, None, False]
    state = pd.DataFrame({"stage": ["investigating"]}, index=pd.Index(["P3"], name="parcel_id"))
    t = idle_table(p, state, procedure_state(pd.DataFrame(columns=_EV_COLS)), "zh")
    assert [r[0] for r in t.rows] == ["P2", "P1", "P3"]
    # overdue, fee (assessed), 应缴, 已缴, fee state, recovery, stage
    assert t.rows[0][5:] == [800, 0.0, None, None, "不征缴", "是", "—"]
    assert t.rows[2][5:] == [400, 0.0, None, None, "不征缴", "否", "正在调查清收"]
    assert t.rows[1][6:10] == [12.5, None, None, "未下达征缴决定"]


def test_lifecycle_mujun_and_flag_tables() -> None:
    p = parcels(("P1", "东区", "a", 15, "in_use", "none", False, "use_changed", "A"),
                ("P2", "东区", "b", 30, None, "none", False, "", None),
                ("P3", "东区", "c", 15, "in_use", "none", False, "use_changed;new_flag", "A"))
    p["tax_wan"] = [30.0, None, 15.0]
    life = lifecycle_table(p, "zh")
    by_label = {r[0]: r[1:] for r in life.rows}
    assert by_label[label("lifecycle", "in_use")] == [2, 30.0, 2.0]  # 30 亩 = 2 ha
    assert by_label[label("lifecycle", "unknown")] == [1, 30.0, 2.0]  # missing: unknown
    assert by_label[label("lifecycle", "supplied_unused")] == [0, 0.0, 0.0]
    assert life.rows[-1] == ["合计", 3, 60.0, 4.0]
    mujun = mujun_table(p, "zh")
    assert mujun.rows[0] == ["A类（优先发展）", 2, 30.0, 45.0, 1.5]  # 45 万元 / 30 亩
    assert mujun.rows[1][1:] == [0, 0.0, None, None]  # class B: no parcel, no tax
    assert mujun.rows[-1] == ["未注明", 1, 30.0, None, None]
    counts, listed = flag_tables(p, "zh")
    assert [r[1:] for r in counts.rows] == [[2, 30.0], [0, 0.0], [0, 0.0], [1, 15.0]]
    assert counts.rows[3][0] == "new_flag"  # a code the standard does not know, as it is
    assert [r[0] for r in listed.rows] == ["P1", "P3"]


def test_map_classes_by_precedence() -> None:
    p = parcels(("P1", None, None, 1, "in_use", "not_started", True, "", "A"),
                ("P2", None, None, 1, "in_use", "none", True, "", "A"),
                ("P3", None, None, 1, "in_use", "none", False, "", "A"),
                ("P4", None, None, 1, "in_use", "stalled", False, "", "A"),
                ("P5", None, None, 1, "in_use", "none", False, "", "A"))
    m = map_frame(p, case_parcels={"P2", "P3", "P4"}, disposed_parcels={"P4"})
    assert list(m["cat"]) == ["idle", "low", "case", "disposed", "other"]
    assert m.crs == p.crs
