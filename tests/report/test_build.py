"""Report figures: headline, period arithmetic, once-per-parcel counting, indicators."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from landuse.errors import SchemaError
from landuse.report import build_report, zone_indicators
from landuse.report.text import period_label
from landuse.units import M2_PER_MU
from tests.builders import mini_ledger, mini_parcels

ZH_HEADLINE_PARTS = [
    "2023年1—10月",
    "清理僵尸企业6家",
    "盘活闲置用地175.8亩",
    "其中通过先租后让方式盘活了67亩、协议转让52亩、兼并重组56.8亩",
    "新入驻企业7家",
    "完成网上竞卖闲置资产2宗（146亩、26亩）",
    "启动网上竞卖1宗（170亩）",
    "2宗（30亩）正在办理开工手续",
    "1宗（22亩）已进入清收程序",
    "2宗（24亩）正在调查清收",
]
EN_HEADLINE_PARTS = [
    "January–October 2023",
    "cleared 6 zombie enterprises",
    "175.8 mu of idle land back into use",
    "67 mu by lease-then-transfer, 52 mu by agreement transfer and 56.8 mu by merger",
    "7 new enterprises moved in",
    "2 online auctions of idle assets were completed (146 mu, 26 mu)",
    "1 was started (170 mu)",
    "2 parcels (30 mu) are obtaining construction permits",
    "1 parcel (22 mu) is in the recovery procedure",
    "2 parcels (24 mu) are under investigation",
]


@pytest.fixture(scope="module")
def parcels():  # type: ignore[no-untyped-def]
    return mini_parcels()


def test_jan_oct_figures(parcels) -> None:  # type: ignore[no-untyped-def]
    r = build_report(parcels, mini_ledger(), "2023-01-01", "2023-10-31")
    f = r.figures
    assert f["zombie_enterprises_cleared"] == 6
    assert f["reclaimed_mu"] == 175.8
    assert f["reclaimed_by_method_mu"] == {"lease_then_transfer": 67.0,
                                           "agreement_transfer": 52.0, "merger": 56.8}
    assert f["new_enterprises"] == 7
    assert f["auctions_completed_mu"] == [146.0, 26.0]
    assert f["auctions_started_mu"] == [170.0]
    stages = f["idle_by_stage"]
    assert [stages[s]["parcels"] for s in ("remedy_start_pending", "recovery_in_progress",
                                           "investigating")] == [2, 1, 2]
    for part in ZH_HEADLINE_PARTS:
        assert part in r.headline, (part, r.headline)
    # tables agree with the headline
    bm = r.table("by_method")
    assert bm.rows[-1][2] == 175.8 and bm.rows[-1][1] == 6
    bmo = r.table("by_month")
    assert bmo.rows[-1][3] == 175.8 and len(bmo.rows) == 11
    assert sum(row[8] for row in r.table("by_zone").rows[:-1]) == pytest.approx(175.8)


def test_english_headline(parcels) -> None:  # type: ignore[no-untyped-def]
    r = build_report(parcels, mini_ledger(), "2023-01-01", "2023-10-31", lang="en")
    for part in EN_HEADLINE_PARTS:
        assert part in r.headline, (part, r.headline)
    assert r.table("by_method").headers[2] == "Area (mu)"


@pytest.mark.parametrize(
    ("start", "end", "label", "reclaimed", "zombies", "started"),
    [
        ("2023-01-01", "2023-09-30", "2023年1—9月", 155.8, 5, [170.0]),
        ("2023-01-01", "2023-10-31", "2023年1—10月", 175.8, 6, [170.0]),
        ("2023-01-01", "2023-12-31", "2023年", 195.8, 7, [170.0]),
        ("2022-12-01", "2023-03-31", "2022年12月1日至2023年3月31日", 54.0, 2, [26.0, 146.0]),
    ],
)
def test_period_arithmetic(parcels, start, end, label, reclaimed, zombies,  # type: ignore[no-untyped-def]
                           started) -> None:
    r = build_report(parcels, mini_ledger(), start, end)
    assert r.period_label == label
    assert r.figures["reclaimed_mu"] == reclaimed
    assert r.figures["zombie_enterprises_cleared"] == zombies
    assert r.figures["auctions_started_mu"] == started
    n_in = r.figures["events_in_period"]
    assert n_in + r.figures["events_excluded"] == len(mini_ledger()) - 1  # one correction
    # every counted event lies in the period
    for row in r.table("events").rows:
        assert start <= row[1] <= end


def test_excluded_events_are_named(parcels) -> None:  # type: ignore[no-untyped-def]
    r = build_report(parcels, mini_ledger(), "2023-01-01", "2023-10-31")
    note = next(n for n in r.notes if "统计期外" in n)
    assert "E17（2023年11月20日）" in note and "E2022-01" in note


def test_parcel_reclaimed_twice_counted_once(parcels) -> None:  # type: ignore[no-untyped-def]
    extra = pd.DataFrame([{
        "event_id": "E99", "parcel_id": "P01", "event_date": pd.Timestamp("2023-08-30"),
        "stage": "disposed", "method": "agreement_transfer", "area_m2": 40 * M2_PER_MU,
        "new_holder": "新甲科技", "zombie_cleared": True,
    }])
    led = pd.concat([mini_ledger(), extra], ignore_index=True)
    for lang, words in (("zh", "面积只计 1 次"), ("en", "counted once")):
        r = build_report(parcels, led, "2023-01-01", "2023-10-31", lang=lang)
        assert r.figures["reclaimed_mu"] == 175.8  # not 215.8
        assert r.figures["reclaimed_more_than_once"] == ["P01"]
        # attributed to the latest method
        assert r.figures["reclaimed_by_method_mu"]["lease_then_transfer"] == 27.0
        assert r.figures["reclaimed_by_method_mu"]["agreement_transfer"] == 92.0
        assert any("P01" in n and words in n for n in r.notes)
        assert ("不止一次" if lang == "zh" else "more than once") in r.headline
        assert r.figures["zombie_enterprises_cleared"] == 6


def test_zone_filter(parcels) -> None:  # type: ignore[no-untyped-def]
    r = build_report(parcels, mini_ledger(), "2023-01-01", "2023-10-31", zone="东区")
    assert r.figures["reclaimed_mu"] == 97.0  # P01 40 + P02 27 + P03 30
    assert r.headline.startswith("2023年1—10月，东区")
    with pytest.raises(SchemaError, match=r"zone '北区' has no parcels.*东区, 西区"):
        build_report(parcels, mini_ledger(), "2023-01-01", "2023-10-31", zone="北区")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"date_from": "2023-11-01", "date_to": "2023-01-31"}, "swap --from and --to"),
        ({"date_from": "yesterday"}, "--from 'yesterday' is not a date"),
        ({"lang": "fr"}, "lang 'fr'"),
    ],
)
def test_bad_arguments(parcels, kw, match) -> None:  # type: ignore[no-untyped-def]
    args = {"date_from": "2023-01-01", "date_to": "2023-10-31", **kw}
    with pytest.raises(SchemaError, match=match):
        build_report(parcels, mini_ledger(), **args)


def test_bad_ledger_stops_the_report(parcels) -> None:  # type: ignore[no-untyped-def]
    led = mini_ledger()
    led.loc[3, "stage"] = "完成了"
    led.loc[5, "area_m2"] = -1.0
    with pytest.raises(SchemaError) as e:
        build_report(parcels, led, "2023-01-01", "2023-10-31")
    msg = str(e.value)
    assert "row 4 (event E02), field stage = '完成了': unknown stage code" in msg
    assert "row 6 (event E04), field area_m2" in msg and "negative area" in msg


def test_assessment_columns_required(parcels) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SchemaError, match=r"idle_type.*landuse assess"):
        build_report(parcels.drop(columns=["idle_type"]), mini_ledger(), "2023-01-01",
                     "2023-10-31")


def test_zone_indicators(parcels) -> None:  # type: ignore[no-untyped-def]
    ind = zone_indicators(parcels).set_index("key")
    assert len(ind) == 12 and ind["computed"].all()
    assert ind.loc["industrial_far", "value"] == pytest.approx(0.9, abs=0.01)
    assert ind.loc["building_density", "value"] == pytest.approx(40.0, abs=0.1)
    # A = built parcels; D = supplied; 建成率 = A / D
    a = parcels[parcels["lifecycle"].isin(["built_not_producing", "producing_below_target",
                                           "in_use"])]["area_m2"].sum()
    d = parcels[parcels["supply_date"].notna()]["area_m2"].sum()
    assert ind.loc["land_built_rate", "value"] == pytest.approx(100 * a / d, abs=0.05)
    assert "lifecycle" in ind.loc["land_built_rate", "basis_en"]
    # without the fields the indicator says why it is not computed
    bare = zone_indicators(parcels.drop(columns=["floor_area_m2", "tax_wan"])).set_index("key")
    assert not bare.loc["overall_far", "computed"]
    assert "floor_area_m2" in bare.loc["overall_far", "basis_en"]
    assert "计容建筑面积" in bare.loc["overall_far", "basis_zh"]
    assert "floor_area_m2" not in bare.loc["overall_far", "basis_zh"]
    assert not bare.loc["industrial_tax_per_ha", "computed"]
    r = build_report(parcels.drop(columns=["floor_area_m2"]), mini_ledger(), "2023-01-01",
                     "2023-10-31")
    assert any("无法计算" in n and "综合容积率" in n for n in r.notes)


def test_period_labels() -> None:
    ts = pd.Timestamp
    assert period_label(ts("2023-03-01"), ts("2023-03-31")) == "2023年3月"
    assert period_label(ts("2023-03-05"), ts("2023-06-30"), "en") == \
        "5 March 2023 to 30 June 2023"


def test_the_report_names_the_ledger_file_not_its_path(parcels) -> None:  # type: ignore[no-untyped-def]
    led = mini_ledger()
    led.attrs["landuse"] = {"source": "/srv/landuse/uploads/2023/处置台账.xlsx"}
    r = build_report(parcels, led, "2023-01-01", "2023-10-31")
    assert r.meta["ledger_source"] == "处置台账.xlsx"
    assert "/srv/" not in json.dumps(r.to_dict(), ensure_ascii=False, default=str)
