"""Changes between two dates (landuse.rules.changes), on registers made by hand.

Each parcel below is built to show one transition; the expected rows and the summary are
read off the table, not from program output.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from landuse.rules.changes import changes, summarise_changes
from landuse.rules.reasons import CHANGE_SENTENCES
from landuse.standard import get_standard

COLS = ["parcel_id", "holder", "lifecycle", "idle_type", "low_efficiency", "mujun_class",
        "failed_indicators", "supply_date", "area_mu", "parent_ids"]


def frame(rows: list[tuple]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=COLS)
    df["supply_date"] = pd.to_datetime(df["supply_date"])
    geoms = [shapely.box(i, 0, i + 1, 1) for i in range(len(df))]
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4490")


SU, UI, IU = "supplied_unused", "used_incomplete", "in_use"
BEFORE = frame([
    ("A", "甲", SU, "not_started", False, "N", None, "2019-01-01", 10.0, None),  # no change
    ("B", "乙", SU, "none", False, "N", None, "2021-06-01", 20.0, None),  # becomes idle
    ("C", "丙", SU, "not_started", False, "N", None, "2019-01-01", 30.0, None),  # starts
    ("D", "丁", SU, "not_started", False, "N", None, "2018-01-01", 40.0, None),  # re-supplied
    ("E", "戊", UI, "stalled", False, "N", None, "2018-01-01", 50.0, None),  # disposed
    ("F", "己", IU, "none", False, "B", None, "2010-01-01", 60.0, None),  # split
    ("G", "庚", IU, "none", False, "B", None, "2010-01-01", 5.0, None),  # merged ...
    ("H", "辛", IU, "none", False, "B", None, "2010-01-01", 7.0, None),  # ... with G
    ("I", "壬", IU, "none", False, "B", None, "2010-01-01", 80.0, None),  # low found, B->C
    ("J", "癸", IU, "none", True, "D", "far", "2010-01-01", 90.0, None),  # low cured
])
AFTER = frame([
    ("A", "甲", SU, "not_started", False, "N", None, "2019-01-01", 10.0, None),
    ("B", "乙", SU, "not_started", False, "N", None, "2021-06-01", 20.0, None),
    ("C", "丙", UI, "none", False, "N", None, "2019-01-01", 30.0, None),
    ("D", "新丁", SU, "none", False, "N", None, "2023-05-01", 40.0, None),
    ("E", "戊", UI, "none", False, "N", None, "2018-01-01", 50.0, None),
    ("F-1", "己", IU, "none", False, "B", None, "2010-01-01", 25.0, "F"),
    ("F-2", "己", IU, "none", False, "B", None, "2010-01-01", 35.0, "F"),
    ("GH", "庚", IU, "none", False, "B", None, "2010-01-01", 12.0, "G;H"),
    ("I", "壬", IU, "none", True, "C", "far;tax_per_mu", "2010-01-01", 80.0, None),
    ("J", "癸", IU, "none", False, "D", None, "2010-01-01", 90.0, None),
])
LEDGER = pd.DataFrame({
    "event_id": ["L1", "L2", "L3"],
    "parcel_id": ["E", "E", "C"],
    "event_date": pd.to_datetime(["2022-12-01", "2023-06-01", "2023-03-01"]),
    "stage": ["investigating", "disposed", "disposed"],
    "method": [None, "merger", "extend_start"],  # extend_start does not close a case
    "corrects": [None, None, None],
})


def test_one_row_per_changed_parcel_with_its_transitions() -> None:
    got = changes(BEFORE, AFTER, "2023-01-01", "2023-10-31", ledger=LEDGER)
    rows = dict(zip(got["parcel_id"], got["transitions"], strict=True))
    assert rows == {
        "B": "idle_new",
        "C": "idle_cleared_started;stage_moved",
        "D": "holder_changed;idle_cleared_resupplied",
        "E": "idle_cleared_disposed",
        "F-1": "split",
        "F-2": "split",
        "GH": "merged",
        "I": "low_efficiency_found;mujun_class_moved",
        "J": "low_efficiency_cured",
        "F": "retired",
        "G": "retired",
        "H": "retired",
    }
    r = got.set_index("parcel_id")
    assert r.loc["B", "reasons"] == ("新增闲置土地：2023年10月31日为未动工闲置（供而未用），"
                                     "2023年1月1日时为供而未用。")
    assert r.loc["E", "reasons"] == ("闲置已消除：2023年1月1日为中止开发闲置，2023年6月1日已处置"
                                     "（兼并重组）。")
    assert r.loc["D", "reasons"].startswith("用地单位由丁变更为新丁。闲置已消除：")
    assert "2023年5月1日重新供地给新丁" in r.loc["D", "reasons"]
    assert r.loc["F", "reasons"] == "已分割为F-1、F-2，原宗地注销。"
    assert r.loc["G", "reasons"] == "已合并为GH，原宗地注销。"
    assert r.loc["GH", "parent_ids"] == "G;H" and r.loc["F", "successors"] == "F-1;F-2"
    assert r.loc["I", "reasons"] == ("新认定为低效用地：容积率、亩均税收未达标。"
                                     "亩均效益等级由B类变为C类。")
    en = changes(BEFORE, AFTER, "2023-01-01", "2023-10-31", ledger=LEDGER, lang="en")
    assert en.set_index("parcel_id").loc["F-1", "reasons"] == "Split from F."


def test_summary_counts_and_mu_per_transition() -> None:
    got = changes(BEFORE, AFTER, "2023-01-01", "2023-10-31", ledger=LEDGER)
    s = summarise_changes(got).set_index("transition")
    # by hand from the table: split F-1 25 + F-2 35; retired F 60 + G 5 + H 7
    assert (s.loc["split", "parcels"], s.loc["split", "area_mu"]) == (2, 60.0)
    assert (s.loc["retired", "parcels"], s.loc["retired", "area_mu"]) == (3, 72.0)
    assert (s.loc["merged", "parcels"], s.loc["merged", "area_mu"]) == (1, 12.0)
    assert (s.loc["idle_new", "parcels"], s.loc["idle_new", "area_mu"]) == (1, 20.0)
    assert s.loc["idle_cleared_started", "parcels"] == 1
    assert s.loc["stage_moved", "area_mu"] == 30.0
    assert s.loc["added", "parcels"] == 0
    assert list(s.index) == list(get_standard().codes["transition"])


def test_nothing_changed_gives_no_rows() -> None:
    got = changes(BEFORE, BEFORE, "2023-01-01", "2023-10-31")
    assert len(got) == 0 and list(got.columns)[:2] == ["parcel_id", "transitions"]


def test_every_transition_has_its_sentence_and_no_sentence_is_without_one() -> None:
    codes = set(get_standard().codes["transition"])
    keyed = {k.split(":")[0] for k in CHANGE_SENTENCES}
    assert keyed == codes
