"""The idle list and the open cases read the ledger: disposals, fees, procedure dates.

Mini park (tests/builders.py) with the procedure events of ``mini_procedure_ledger``;
every expected value is worked out by hand from the events and the rules in
``landuse.ledger.procedure_state`` / ``landuse.report.parcel_tables``:

* the assessed fee of an idle mini parcel is 20 % of its land price (30 万元/亩), i.e.
  6 万元 per 亩: P07 150 亩 → 900, P08 28 → 168, P09 175 → 1050, P12 22 → 132, P10 12
  → 72, P13 15 → 90, P14 9 → 54, P11 18 → 108;
* P07 and P08 have an ``auction_completed`` event by 31 October (E08, E12): their case
  ended in a disposal, so they are no recovery candidates and owe no fee;
* P12: fee decision 132 万元 (X04), 50 paid (X05) → partly paid; P13: 90 levied, 90 paid
  → paid in full; the others have no fee decision;
* open cases at 31 October: parcels with a case whose stage is not disposed or auction
  completed: P09 (auction started), P10 and P11 (permits), P12 and P13 (a fee decision
  puts the case in the recovery procedure), P14 (an investigation notice: investigating).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from landuse.errors import SchemaError
from landuse.ledger import check_ledger, procedure_state
from landuse.report import build_report, write_report
from landuse.report.model import ReportData
from tests.builders import mini_parcels, mini_procedure_ledger

# parcel, assessed fee, 应缴, 已缴, fee state (zh, en), recovery (zh, en), stage (zh, en)
IDLE = [
    ("P07", 900.0, None, None, ("已处置，不再征缴", "disposed: no fee"),
     ("否（已处置）", "no (disposed)"), ("完成网上竞卖", "online auction completed")),
    ("P08", 168.0, None, None, ("已处置，不再征缴", "disposed: no fee"),
     ("否（已处置）", "no (disposed)"), ("完成网上竞卖", "online auction completed")),
    ("P09", 1050.0, None, None, ("未下达征缴决定", "not levied"), ("是", "yes"),
     ("启动网上竞卖", "online auction started")),
    ("P12", 132.0, 132.0, 50.0, ("部分缴纳", "partly paid"), ("是", "yes"),
     ("已进入清收程序", "in the recovery procedure")),
    ("P10", 72.0, None, None, ("未下达征缴决定", "not levied"), ("是", "yes"),
     ("正在办理开工手续", "obtaining construction permits")),
    ("P13", 90.0, 90.0, 90.0, ("已缴清", "paid in full"), ("是", "yes"),
     ("已进入清收程序", "in the recovery procedure")),
    ("P14", 54.0, None, None, ("未下达征缴决定", "not levied"), ("否", "no"),
     ("正在调查清收", "under investigation")),
    ("P11", 108.0, None, None, ("未下达征缴决定", "not levied"), ("否", "no"),
     ("正在办理开工手续", "obtaining construction permits")),
]

# parcel, stage date, 调查通知书, 认定书, 处置决定书, 应缴, its date, 已缴, its date
OPEN = [
    ("P09", "2023-08-25", None, None, None, None, None, None, None),
    ("P10", "2023-04-02", None, None, None, None, None, None, None),
    ("P11", "2023-09-28", None, None, None, None, None, None, None),
    ("P12", "2023-10-25", "2023-07-05", "2023-08-20", "2023-10-20", 132.0, "2023-10-25",
     50.0, "2023-10-30"),
    ("P13", "2023-09-01", None, None, None, 90.0, "2023-09-01", 90.0, "2023-10-10"),
    ("P14", "2023-10-28", "2023-10-28", None, None, None, None, None, None),
]


@pytest.fixture(scope="module")
def reports() -> dict[str, ReportData]:
    p = mini_parcels()
    return {lang: build_report(p, mini_procedure_ledger(), "2023-01-01", "2023-10-31",
                               lang=lang) for lang in ("zh", "en")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_idle_list_shows_disposal_fee_and_payments(reports: dict[str, ReportData],
                                                   lang: str) -> None:
    i = 0 if lang == "zh" else 1
    t = reports[lang].table("idle_parcels")
    assert t.keys[6:] == ["idle_fee_wan", "fee_levied_wan", "fee_paid_wan", "fee_state",
                          "recovery_candidate", "case_stage"]
    got = [(r[0], *r[6:]) for r in t.rows]
    assert got == [(pid, fee, lev, paid, st[i], rec[i], stage[i])
                   for pid, fee, lev, paid, st, rec, stage in IDLE]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_open_cases_with_procedure_dates(reports: dict[str, ReportData], lang: str) -> None:
    t = reports[lang].table("procedure")
    got = [(r[0], r[4], *r[5:]) for r in t.rows]
    assert got == OPEN
    stages = {r[0]: r[3] for r in t.rows}
    assert stages["P14"] == ("正在调查清收" if lang == "zh" else "under investigation")


def test_through_json_and_xlsx(reports: dict[str, ReportData], tmp_path: Path) -> None:
    import openpyxl  # a dependency of landuse (the xlsx writer)
    for lang, rep in reports.items():
        data = json.loads(write_report(rep, tmp_path / f"r_{lang}.json").read_text("utf-8"))
        idle = data["tables"]["idle_parcels"]
        p12 = next(r for r in idle["rows"] if r[0] == "P12")
        assert p12[7:10] == [132.0, 50.0, "部分缴纳" if lang == "zh" else "partly paid"]
        proc = data["tables"]["procedure"]
        assert [r[0] for r in proc["rows"]] == [o[0] for o in OPEN]
        assert proc["headers"][5] == ("调查通知书下达日期" if lang == "zh"
                                      else "Investigation notice served")
        wb = openpyxl.load_workbook(write_report(rep, tmp_path / f"r_{lang}.xlsx"))
        cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows()
                 for c in row if c.value is not None]
        assert ("否（已处置）" if lang == "zh" else "no (disposed)") in cells
        assert "2023-08-20" in cells  # P12's 认定书


def test_procedure_state_rules() -> None:
    led = check_ledger(mini_procedure_ledger(), mini_parcels())
    st = procedure_state(led, as_of="2023-10-31")
    assert st.loc["P12", "fee_levied_wan"] == 132.0 and st.loc["P12", "fee_paid_wan"] == 50.0
    assert st.loc["P07", "closed_by"] == "auction_completed"
    assert st.loc["P07", "closed_method"] == "judicial_auction"
    # a merger re-supplies the land: closed; an extension leaves the holder's case open
    assert st.loc["P05", "closed_by"] == "disposed"
    assert st.loc["P10", "closed_by"] is None
    # X09 (15 November) is after the day asked: P09 has no fee decision yet
    assert st.loc["P09", "fee_levied_wan"] is None
    assert procedure_state(led).loc["P09", "fee_levied_wan"] == 1050.0


def test_fee_event_needs_its_fee() -> None:
    led = mini_procedure_ledger()
    led.loc[led["event_id"] == "X05", "fee_wan"] = None
    led.loc[led["event_id"] == "X06", "fee_wan"] = -3.0
    with pytest.raises(SchemaError) as e:
        check_ledger(led, mini_parcels())
    msg = str(e.value)
    assert "event X05), field fee_wan: stage 'fee_paid' needs the fee" in msg
    assert "event X06), field fee_wan = '-3.0': negative fee" in msg


def test_payment_leaves_the_stage() -> None:
    led = check_ledger(mini_procedure_ledger(), mini_parcels())
    from landuse.ledger import apply_corrections, case_state

    st = case_state(apply_corrections(led), as_of="2023-10-31")
    # P13: fee decision 1 September (recovery procedure), payment 10 October keeps it
    assert st.loc["P13", "stage"] == "recovery_in_progress"
    assert st.loc["P13", "stage_date"] == pd.Timestamp("2023-09-01")


# -- zombie enterprises named by the ledger (point 7) ------------------------------------

def _zombie_events(holders: list[str | None]) -> pd.DataFrame:
    """Zombie events on P1, P2 (东区) and P3 (西区) with the given event holders."""
    return pd.DataFrame({
        "event_id": ["Z1", "Z2", "Z3"], "parcel_id": ["P1", "P2", "P3"],
        "event_date": pd.to_datetime(["2023-03-01", "2023-04-01", "2023-05-01"]),
        "stage": ["disposed"] * 3, "method": ["merger"] * 3, "area_m2": [1000.0] * 3,
        "new_holder": ["新一", "新二", "新三"], "zombie_cleared": [True, True, True],
        "holder": holders, "corrections": 0, "effective_event_id": ["Z1", "Z2", "Z3"],
    })


def _zombie_parcels() -> pd.DataFrame:
    # the register already shows the new holders
    return pd.DataFrame({"parcel_id": ["P1", "P2", "P3"], "zone": ["东区", "东区", "西区"],
                         "holder": ["新一", "新二", "新三"], "area_mu": [1.5] * 3,
                         "idle_type": ["none"] * 3, "low_efficiency": [False] * 3})


def test_zombies_named_by_the_event_holder() -> None:
    from landuse.report.reclamation import zombie_note, zombies_cleared

    z = zombies_cleared(_zombie_events(["旧甲厂", "旧甲厂", None]), _zombie_parcels())
    # P1 and P2 clear one zombie (旧甲厂); P3's event names none: the register's holder
    assert z.holder_of == {"P1": "旧甲厂", "P2": "旧甲厂", "P3": "新三"}
    assert z.names == ["旧甲厂", "新三"]
    assert z.from_register == ["P3"]
    assert zombie_note(z, "zh") is not None and "P3" in str(zombie_note(z, "zh"))
    assert "P3" in str(zombie_note(z, "en"))
    full = zombies_cleared(_zombie_events(["旧甲厂", "旧乙厂", "旧丙厂"]), _zombie_parcels())
    assert zombie_note(full, "zh") is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_zone_table_counts_zombies_by_parcel(lang: str) -> None:
    """Two parcels of one zombie in 东区 count once there; 西区's zombie counts in 西区.

    The former pairing by position (parcels P1, P2, P3 with the names 旧甲厂, 新三) gave
    东区 2 and 西区 0.
    """
    from landuse.report.ledger_tables import zone_table
    from landuse.report.reclamation import count_disposals, zombies_cleared

    ev = _zombie_events(["旧甲厂", "旧甲厂", None])
    p = _zombie_parcels()
    z = zombies_cleared(ev, p)
    t = zone_table(p, count_disposals(ev).counted, ev, z.holder_of, lang)
    col = t.keys.index("zombies_cleared")
    assert [r[col] for r in t.rows] == [1, 1, 2]  # 东区, 西区, total


def test_report_names_zombies_from_the_ledger() -> None:
    """Mini park: E03 clears 甲僵尸厂's zombie on P01; with the event's holder the figures
    name it even after the register shows the new holder 新甲科技."""
    p = mini_parcels()
    p.loc[p["parcel_id"] == "P01", "holder"] = "新甲科技"
    led = mini_procedure_ledger()
    led["holder"] = None
    led.loc[led["event_id"] == "E03", "holder"] = "甲僵尸厂"
    for lang in ("zh", "en"):
        r = build_report(p, led, "2023-01-01", "2023-10-31", lang=lang)
        assert "甲僵尸厂" in r.figures["zombie_enterprises"]
        assert "新甲科技" not in r.figures["zombie_enterprises"]
        assert r.figures["zombie_enterprises_cleared"] == 6
        # the other five zombie events name no holder: a note says so and names them
        note = next(n for n in r.notes if "P02" in n and "P06" in n)
        assert "P01" not in note


# -- the headline reads like the seed (point 7) -----------------------------------------

def _named_ledger() -> pd.DataFrame:
    """Mini procedure ledger with the auctioned enterprises named and expected outputs:
    E08 (P07, 146 亩) 金灶实业, E12 (P08, 26 亩) 旺盛煤业; expected output 50000 万元 on
    E03 (P01), 12000 on E05 (P02), 3000 on E06 and 4000 on its correction C01 (P03)."""
    led = mini_procedure_ledger()
    led["holder"] = None
    led.loc[led["event_id"] == "E08", "holder"] = "金灶实业"
    led.loc[led["event_id"] == "E12", "holder"] = "旺盛煤业"
    for eid, v in (("E03", 50000.0), ("E05", 12000.0), ("E06", 3000.0), ("C01", 4000.0)):
        led.loc[led["event_id"] == eid, "expected_output_wan"] = v
    return led


@pytest.fixture(scope="module")
def named() -> dict[str, ReportData]:
    p = mini_parcels()
    return {lang: build_report(p, _named_ledger(), "2023-01-01", "2023-10-31", lang=lang)
            for lang in ("zh", "en")}


# By hand: expected output 50000 + 12000 + 4000 (C01 replaces E06) = 66000 万元 = 6.6 亿元.
# Lead: idle parcels P07–P14 less P07 and P08 (auctions completed) = P09 175 + P10 12 +
# P11 18 + P12 22 + P13 15 + P14 9 = 251 亩 in 6 parcels. Enforcement: low efficiency P04
# 25 + P18 35 = 60 亩; use changed P19 24 亩; no outside_supply flag.
ZH_SEED = [
    "新入驻企业7家，预计可新增年产值6.6亿元",
    "通过司法程序完成了金灶实业146亩、旺盛煤业26亩闲置不动产网上竞卖，启动网上竞卖1宗（170亩）",
    "排查发现非法占地0宗（0亩）、低效利用土地2宗（60亩）、擅自改变用途1宗（24亩）。",
    "下一步，重点做好6宗251亩闲置土地的清收工作。",
]
EN_SEED = [
    "7 new enterprises moved in, expected to add 6.6 hundred million yuan of annual output.",
    "Through judicial procedures, online auctions of the idle property of 金灶实业 (146 mu), "
    "旺盛煤业 (26 mu) were completed and 1 was started (170 mu).",
    "Checks found illegal occupation on 0 parcels (0 mu), low-efficiency use on 2 parcels "
    "(60 mu) and unapproved change of use on 1 parcel (24 mu).",
    "Next, the focus is recovering 6 parcels (251 mu) of idle land.",
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headline_reads_like_the_seed(named: dict[str, ReportData], lang: str,
                                      tmp_path: Path) -> None:
    r = named[lang]
    f = r.figures
    assert f["expected_output_wan"] == 66000.0
    assert f["auctions_completed_holders"] == ["金灶实业", "旺盛煤业"]
    assert f["auctions_completed_judicial"] and f["auctions_started_judicial"]
    assert f["recovery_lead"]["parcels"] == 6 and f["recovery_lead"]["area_mu"] == 251.0
    assert f["enforcement"]["low_efficiency"]["parcel_ids"] == ["P04", "P18"]
    assert f["enforcement"]["use_changed"]["parcel_ids"] == ["P19"]
    for part in (ZH_SEED if lang == "zh" else EN_SEED):
        assert part in r.headline, (part, r.headline)
    data = json.loads(write_report(r, tmp_path / "r.json").read_text("utf-8"))
    md = write_report(r, tmp_path / "r.md").read_text("utf-8")
    for part in (ZH_SEED if lang == "zh" else EN_SEED):
        assert part in data["headline"] and part in md


def test_headline_without_names_keeps_counts() -> None:
    """Without holders on the auction events the clause counts parcels; without outputs
    no output is claimed."""
    r = build_report(mini_parcels(), mini_procedure_ledger(), "2023-01-01", "2023-10-31")
    assert ("通过司法程序完成网上竞卖闲置资产2宗（146亩、26亩），启动网上竞卖1宗（170亩）"
            in r.headline)
    assert "年产值" not in r.headline and r.figures["expected_output_wan"] is None
    assert r.figures["auctions_completed_holders"] is None
