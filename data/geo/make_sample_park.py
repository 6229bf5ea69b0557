"""Generate the bundled sample park ``data/geo/sample_park.gpkg``.

The park is fictional. It is modelled on the annual work report of a development zone
in Jiangxi and lies near Fuzhou (about 116.35°E, 28.0°N) in CGCS2000 / 3-degree
Gauss-Krüger zone 39 with the zone prefix (EPSG:4527). Four sub-parks are laid out as
blocks of a road grid; each block holds two rows of parcels. Every company name is
invented.

Outputs (next to this script unless ``--out-dir`` is given):

* ``sample_park.gpkg`` with the layers ``parcels`` (polygons, fields of section 1 of
  the parcel standard) and ``ledger`` (attribute table, fields of section 2);
* ``sample_park_expected.json``: the figures the data were built to give, taken from
  the design tables below (what each parcel was built to be), not from assessment code.

The script is deterministic: fixed seed, no network, no clock. GDAL's
``OGR_CURRENT_DATE`` is pinned so that two runs with the same GDAL version write
byte-identical files; with another GDAL version the bytes may differ, the attribute
tables and geometries do not.

Run ``python data/geo/make_sample_park.py [--out-dir DIR]``.
"""

# Chinese text uses full-width punctuation on purpose.

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS, Transformer
from shapely.geometry import Polygon

SEED = 20231031
AS_OF = dt.date(2023, 10, 31)
PERIOD = (dt.date(2023, 1, 1), dt.date(2023, 10, 31))
MU = 10000 / 15  # m² per 亩
CRS_GK = "EPSG:4527"
CENTRE_LONLAT = (116.35, 28.0)
BLOCK_LEN = 620.0  # m, east-west length of a block (one row of parcels)
ROAD = 30.0  # m, road width between blocks
CHAMFER = 6.0  # m, corner cut of an ordinary parcel at a road junction
PARK_NAME = "抚州云岚经济开发区"  # fictional
ADMIN_BODY = "云岚经济开发区管理委员会"  # fictional

PARCEL_FIELDS = [
    "parcel_id", "zone", "registered_area_m2", "land_use", "approval_date",
    "supply_date", "supply_method", "land_price_wan", "delivery_date", "holder",
    "credit_code", "industry_code", "enterprise_status", "above_scale",
    "agreed_start_date", "agreed_completion_date", "total_investment_wan",
    "target_far", "target_invest_intensity_wan_per_mu", "target_tax_per_mu_wan",
    "permit_date", "start_date", "start_evidence", "developed_area_m2",
    "invested_wan", "suspended_since", "completion_date", "production_date",
    "footprint_m2", "yard_area_m2", "floor_area_m2", "admin_area_m2",
    "green_area_m2", "delay_cause", "extension_until", "observed_use", "mortgaged",
    "stat_year", "tax_wan", "output_wan", "revenue_wan", "value_added_wan",
    "energy_tce", "employees", "rd_wan",
]  # fmt: skip
LEDGER_FIELDS = [
    "event_id", "parcel_id", "event_date", "stage", "method", "area_m2",
    "new_holder", "expected_output_wan", "zombie_cleared", "corrects", "note",
]  # fmt: skip

# Minimum 容积率 by GB/T 4754-2002 industry (2008 control indicators, domain.md §3.1).
FAR_MIN = {
    "13": 1.0, "17": 0.8, "22": 0.8, "26": 0.6, "27": 0.7, "29": 0.8, "31": 0.7,
    "32": 0.6, "33": 0.6, "34": 0.7, "35": 0.7, "39": 0.7, "40": 1.0, "41": 1.0,
}  # fmt: skip
# Contract targets used by this park: investment intensity and tax per 亩 (万元/亩).
TARGET_INVEST = {"26": 220, "27": 240, "33": 200, "40": 260, "41": 260, "39": 230}
TARGET_TAX = {"26": 12, "27": 15, "33": 12, "40": 15, "41": 15, "39": 12}
INDUSTRY_WORDS = {
    "13": ["食品", "粮油"], "17": ["纺织", "织造"], "22": ["纸业", "包装材料"],
    "26": ["化工", "精细化学", "化学材料"], "27": ["药业", "生物医药"],
    "29": ["橡胶制品"], "31": ["建材", "新型墙材", "陶瓷"], "32": ["特钢"],
    "33": ["铜业", "铝业", "钨业", "有色新材料", "稀土材料"], "34": ["金属制品"],
    "35": ["机械", "装备"], "39": ["电气", "电缆"],
    "40": ["电子", "光电", "微电子", "电路"], "41": ["仪表"],
    "58": ["物流", "仓储"], "67": ["商贸", "酒店管理"],
}  # fmt: skip
# Invented brand syllables; combined in pairs they name the fictional companies.
BRAND_A = "岚汀砚槐渚霁琮珩芷蘅篁峤澹曦缃棠翎沅溆蕖璟珂淙岫"
BRAND_B = "桉溪屿澜榭穹皋汐苇栎杉崟岑泓湄菘琅瑄荇椿"

# Sub-parks: name, id prefix, south-west corner relative to the centre (m),
# block columns, block rows, row depth (m), industry mix.
ZONES = [
    ("抚北工业园", "FB", (-2000.0, 40.0), 3, 3, 200.0,
     {"31": 0.3, "22": 0.2, "35": 0.2, "13": 0.15, "17": 0.15}),
    ("有色金属新材料产业园", "YS", (40.0, 40.0), 3, 3, 210.0,
     {"33": 0.7, "34": 0.2, "32": 0.1}),
    ("电子信息产业园", "DZ", (-2000.0, -1000.0), 3, 2, 190.0,
     {"40": 0.7, "39": 0.2, "41": 0.1}),
    ("化工产业园", "HG", (240.0, -1620.0), 3, 3, 220.0,
     {"26": 0.7, "27": 0.15, "29": 0.15}),
]  # fmt: skip
ZONE_BY_CODE = {z[1]: z for z in ZONES}

# Supply periods by kind (default: older, producing parcels).
SUPPLY_SPAN = {
    "fresh": ("2022-10-15", "2023-08-31"),
    "building": ("2018-01-01", "2020-12-31"),
    "built": ("2019-01-01", "2021-12-31"),
}
# Ordinary parcels: kind and weight of the draw.
ORDINARY_KINDS = {
    "producing": 0.60, "unsupplied": 0.08, "fresh": 0.05, "building": 0.08,
    "built": 0.05, "storage": 0.06, "commercial": 0.03, "public": 0.025,
    "green": 0.025,
}  # fmt: skip


def d(text):
    """Parse an ISO date string; ``None`` passes through."""
    return None if text is None else dt.date.fromisoformat(text)


def add_years(day, years):
    """Return ``day`` moved by whole calendar years (29 Feb becomes 28 Feb)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# ---------------------------------------------------------------------------
# Special parcels: one row per designed case. ``mu`` fixes the exact area in 亩
# (None: an ordinary size is drawn). ``kind`` picks the builder, ``p`` its
# parameters, ``x`` the designed assessment outcome as of AS_OF.
# x keys: lc lifecycle, idle idle_type, fee, rec recovery candidate, fail indicators.
# p keys: dates (ISO), "takeover" = date a new holder took the parcel over (its
# ledger disposal; the original supply dates stay), "perf" False = no statistics,
# "far"/"cov"/"admin"/"green" = achieved ratios, "inv_x"/"tax_x" = share of target.
# ---------------------------------------------------------------------------
IN_USE = {"lc": "in_use"}
SPECIALS = [
    # --- parcels disposed in 2023 (ledger), now held by the new enterprise ---
    {"key": "disposed_lease_a", "zone": "FB", "ind": "31", "mu": 25.0,
     "kind": "completed", "p": {"takeover": "2023-03-20", "production": "2023-06-18",
                                "method": "lease_then_transfer", "perf": False},
     "x": IN_USE},
    {"key": "disposed_lease_b", "zone": "DZ", "ind": "40", "mu": 42.0,
     "kind": "unstarted", "p": {"supply": "2023-04-20", "method": "lease_then_transfer",
                                "delivery": "2023-05-10", "agreed_start": "2023-10-01",
                                "approval": "2016-05-12"},
     "x": {"lc": "supplied_unused"}},
    {"key": "disposed_agreement_a", "zone": "YS", "ind": "33", "mu": 18.0,
     "kind": "completed", "p": {"takeover": "2023-05-26", "production": None,
                                "perf": False},
     "x": {"lc": "built_not_producing"}},
    {"key": "disposed_agreement_b", "zone": "HG", "ind": "26", "mu": 34.0,
     "kind": "completed", "p": {"takeover": "2023-02-15", "production": "2023-08-01",
                                "perf": False},
     "x": IN_USE},
    {"key": "disposed_merger_a", "zone": "YS", "ind": "33", "mu": 12.8,
     "kind": "completed", "p": {"takeover": "2023-04-10", "production": "2023-05-15",
                                "perf": False},
     "x": IN_USE},
    {"key": "disposed_merger_b", "zone": "FB", "ind": "22", "mu": 20.0,
     "kind": "completed", "p": {"takeover": "2023-06-28", "production": "2023-09-01",
                                "perf": False},
     "x": IN_USE},
    {"key": "disposed_merger_c", "zone": "YS", "ind": "34", "mu": 24.0,
     "kind": "completed", "p": {"takeover": "2023-08-18", "production": "2023-10-08",
                                "perf": False},
     "x": IN_USE},
    {"key": "disposed_2022", "zone": "FB", "ind": "35", "mu": 30.0,
     "kind": "completed", "p": {"takeover": "2022-11-15", "production": "2023-03-01",
                                "perf": False},
     "x": IN_USE},
    # --- online judicial auctions (bankrupt holders, mortgaged) ---
    {"key": "auction_completed_146", "zone": "YS", "ind": "33", "mu": 146.0,
     "kind": "started", "p": {"supply": "2017-06-30", "agreed_start": "2017-12-31",
                              "start": "2018-05-10", "evidence": "piles_done",
                              "suspended": "2020-12-31", "dev": 0.20, "inv": 0.15,
                              "cause": "holder", "status": "bankrupt",
                              "mortgaged": True},
     "x": {"lc": "used_incomplete", "idle": "stalled", "fee": True, "rec": True}},
    {"key": "auction_completed_26", "zone": "FB", "ind": "31", "mu": 26.0,
     "kind": "completed", "p": {"supply": "2009-04-10", "production": "2012-10-08",
                                "status": "bankrupt",
                                "mortgaged": True, "tax_x": 0.0},
     "x": {"lc": "producing_below_target", "fail": ["tax_per_mu"]}},
    {"key": "auction_started_170", "zone": "HG", "ind": "26", "mu": 170.0,
     "kind": "unstarted", "p": {"supply": "2019-08-30", "delivery": "2019-10-15",
                                "agreed_start": "2020-06-30", "cause": "holder",
                                "status": "bankrupt", "mortgaged": True},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True, "rec": True}},
    # --- idle parcels at 正在办理开工手续 / 已进入清收程序 / 正在调查清收 ---
    {"key": "remedy_extension", "zone": "DZ", "ind": "40", "mu": None,
     "kind": "unstarted", "p": {"supply": "2020-12-30", "agreed_start": "2021-09-30",
                                "extension": "2023-06-30", "cause": "government"},
     # The extension runs 21 months past the agreed start; Order 53 Art. 12(1) allows at
     # most one year, so it is not used as the clock base: idle since 2022-09-30, no fee
     # (government cause, Art. 8).
     "x": {"lc": "supplied_unused", "idle": "not_started"}},
    {"key": "remedy_government", "zone": "DZ", "ind": "39", "mu": None,
     "kind": "unstarted", "p": {"supply": "2020-10-20", "agreed_start": "2021-12-31",
                                "cause": "government"},
     "x": {"lc": "supplied_unused", "idle": "not_started"}},
    {"key": "remedy_holder", "zone": "HG", "ind": "27", "mu": None,
     "kind": "unstarted", "p": {"supply": "2021-09-15", "agreed_start": "2022-06-30",
                                "cause": "holder"},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True}},
    {"key": "recovery_not_started", "zone": "YS", "ind": "33", "mu": None,
     "kind": "unstarted", "p": {"supply": "2019-05-20", "agreed_start": "2020-03-31",
                                "cause": "holder", "mortgaged": True},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True, "rec": True}},
    {"key": "recovery_stalled", "zone": "FB", "ind": "22", "mu": None,
     "kind": "started", "p": {"supply": "2018-11-08", "agreed_start": "2019-08-31",
                              "start": "2019-09-10", "evidence": "pit_done",
                              "suspended": "2021-05-01", "dev": 0.15, "inv": 0.12,
                              "cause": "holder"},
     "x": {"lc": "used_incomplete", "idle": "stalled", "fee": True, "rec": True}},
    {"key": "recovery_exactly_two_years", "zone": "HG", "ind": "29", "mu": None,
     "kind": "unstarted", "p": {"supply": "2021-01-26", "agreed_start": "2021-10-31",
                                "cause": "holder", "observed": "storage"},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True, "rec": True}},
    {"key": "investigating_442_days", "zone": "FB", "ind": "31", "mu": 25.0,
     "kind": "unstarted", "p": {"supply": "2021-11-19", "agreed_start": "2022-08-15",
                                "cause": "holder", "price": 500.0},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True}},
    {"key": "investigating_stalled_or_rule", "zone": "YS", "ind": "34", "mu": None,
     "kind": "started", "p": {"supply": "2020-04-16", "agreed_start": "2021-02-28",
                              "start": "2021-03-01", "evidence": "foundation_third",
                              "suspended": "2022-06-30", "dev": 0.40, "inv": 0.18,
                              "cause": "holder"},
     "x": {"lc": "used_incomplete", "idle": "stalled", "fee": True}},
    {"key": "investigating_then_november", "zone": "DZ", "ind": "40", "mu": None,
     "kind": "unstarted", "p": {"supply": "2020-10-09", "agreed_start": "2021-07-31",
                                "cause": "holder"},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True, "rec": True}},
    # --- further idle-land cases and boundaries ---
    {"key": "one_day_short_of_a_year", "zone": "HG", "ind": "26", "mu": None,
     "kind": "unstarted", "p": {"supply": "2022-02-10", "agreed_start": "2022-11-01",
                                "cause": "holder"},
     "x": {"lc": "supplied_unused"}},
    {"key": "exactly_one_year", "zone": "FB", "ind": "13", "mu": None,
     "kind": "unstarted", "p": {"supply": "2022-01-20", "agreed_start": "2022-10-31",
                                "cause": "holder"},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True}},
    {"key": "force_majeure", "zone": "YS", "ind": "33", "mu": None,
     "kind": "unstarted", "p": {"supply": "2021-02-26", "agreed_start": "2021-11-30",
                                "cause": "force_majeure"},
     "x": {"lc": "supplied_unused", "idle": "not_started"}},
    {"key": "start_date_but_evidence_none", "zone": "DZ", "ind": "41", "mu": None,
     "kind": "unstarted", "p": {"supply": "2021-06-18", "agreed_start": "2022-03-31",
                                "start_date": "2022-03-18", "cause": "holder"},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True}},
    {"key": "no_agreed_start_date", "zone": "FB", "ind": "17", "mu": None,
     "kind": "unstarted", "p": {"supply": "2021-08-12", "delivery": "2021-09-30",
                                "agreed_start": None, "cause": "holder"},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True}},
    {"key": "delay_cause_missing", "zone": "DZ", "ind": "40", "mu": None,
     "kind": "unstarted", "p": {"supply": "2020-08-28", "agreed_start": "2021-05-31",
                                "cause": None, "evidence": None},
     "x": {"lc": "supplied_unused", "idle": "not_started", "fee": True, "rec": True}},
    {"key": "suspended_under_a_year", "zone": "HG", "ind": "26", "mu": None,
     "kind": "started", "p": {"supply": "2021-05-14", "agreed_start": "2022-03-31",
                              "start": "2022-04-01", "evidence": "piles_done",
                              "suspended": "2023-03-01", "dev": 0.10, "inv": 0.10,
                              "cause": "holder"},
     "x": {"lc": "used_incomplete"}},
    {"key": "suspended_above_thresholds", "zone": "YS", "ind": "33", "mu": None,
     "kind": "started", "p": {"supply": "2019-07-05", "agreed_start": "2020-04-30",
                              "start": "2020-05-01", "evidence": "pit_done",
                              "suspended": "2021-08-01", "dev": 0.50, "inv": 0.45,
                              "cause": "holder"},
     "x": {"lc": "used_incomplete"}},
    {"key": "start_evidence_missing_started", "zone": "DZ", "ind": "40", "mu": None,
     "kind": "started", "p": {"supply": "2022-01-14", "agreed_start": "2022-10-31",
                              "start": "2023-03-15", "evidence": None,
                              "dev": 0.35, "inv": 0.30},
     "x": {"lc": "used_incomplete"}},
    # --- zombie / stopped / bankrupt enterprises still on the register ---
    {"key": "zombie_producing_a", "zone": "YS", "ind": "33", "mu": None,
     "kind": "completed", "p": {"status": "zombie", "tax_x": 0.03, "mortgaged": True},
     "x": {"lc": "producing_below_target", "fail": ["tax_per_mu"]}},
    {"key": "zombie_producing_b", "zone": "HG", "ind": "26", "mu": None,
     "kind": "completed", "p": {"status": "zombie", "tax_x": 0.05},
     "x": {"lc": "producing_below_target", "fail": ["tax_per_mu"]}},
    {"key": "zombie_never_produced", "zone": "DZ", "ind": "40", "mu": None,
     "kind": "completed", "p": {"status": "zombie", "completion": "2019-06-30",
                                "production": None, "perf": False},
     "x": {"lc": "built_not_producing"}},
    {"key": "zombie_low_far", "zone": "FB", "ind": "22", "mu": None,
     "kind": "completed", "p": {"status": "zombie", "far": 0.45, "tax_x": 0.08},
     "x": {"lc": "producing_below_target", "fail": ["far", "tax_per_mu"]}},
    {"key": "stopped_a", "zone": "FB", "ind": "35", "mu": None,
     "kind": "completed", "p": {"status": "stopped"},
     "x": {"lc": "producing_below_target"}},
    {"key": "stopped_b", "zone": "HG", "ind": "27", "mu": None,
     "kind": "completed", "p": {"status": "stopped"},
     "x": {"lc": "producing_below_target"}},
    {"key": "bankrupt_no_statistics", "zone": "DZ", "ind": "39", "mu": None,
     "kind": "completed", "p": {"status": "bankrupt", "perf": False},
     "x": {"lc": "producing_below_target"}},
    # --- low efficiency, one indicator at a time (operating, producing) ---
    {"key": "low_far_metals", "zone": "YS", "ind": "33", "mu": None,
     "kind": "completed", "p": {"far": 0.35},
     "x": {"lc": "producing_below_target", "fail": ["far"]}},
    {"key": "low_far_electronics", "zone": "DZ", "ind": "40", "mu": None,
     "kind": "completed", "p": {"far": 0.55},
     "x": {"lc": "producing_below_target", "fail": ["far"]}},
    {"key": "low_coverage", "zone": "FB", "ind": "31", "mu": None,
     "kind": "completed", "p": {"cov": 0.22},
     "x": {"lc": "producing_below_target", "fail": ["coverage"]}},
    {"key": "high_admin_share", "zone": "DZ", "ind": "40", "mu": None,
     "kind": "completed", "p": {"admin": 0.11},
     "x": {"lc": "producing_below_target", "fail": ["admin_share"]}},
    {"key": "high_green_ratio", "zone": "HG", "ind": "26", "mu": None,
     "kind": "completed", "p": {"green": 0.27},
     "x": {"lc": "producing_below_target", "fail": ["green_ratio"]}},
    {"key": "low_invest_intensity", "zone": "YS", "ind": "33", "mu": None,
     "kind": "completed", "p": {"inv_x": 0.55},
     "x": {"lc": "producing_below_target", "fail": ["invest_intensity"]}},
    {"key": "low_tax_per_mu", "zone": "FB", "ind": "13", "mu": None,
     "kind": "completed", "p": {"tax_x": 0.40},
     "x": {"lc": "producing_below_target", "fail": ["tax_per_mu"]}},
    {"key": "garden_factory_multi", "zone": "DZ", "ind": "41", "mu": None,
     "kind": "completed", "p": {"far": 0.60, "cov": 0.25, "green": 0.24},
     "x": {"lc": "producing_below_target", "fail": ["far", "coverage", "green_ratio"]}},
    {"key": "low_far_built_not_producing", "zone": "HG", "ind": "26", "mu": None,
     "kind": "completed", "p": {"far": 0.30, "completion": "2023-04-28",
                                "production": None, "perf": False},
     "x": {"lc": "built_not_producing", "fail": ["far"]}},
    # --- use changed, area mismatch, unknown stage ---
    {"key": "use_changed_commercial", "zone": "FB", "ind": "35", "mu": None,
     "kind": "completed", "p": {"observed": "commercial"}, "x": IN_USE},
    {"key": "use_changed_residential", "zone": "DZ", "ind": "40", "mu": None,
     "kind": "completed", "p": {"observed": "residential"}, "x": IN_USE},
    {"key": "area_mismatch_plus", "zone": "YS", "ind": "33", "mu": None,
     "kind": "completed", "p": {"area_factor": 1.042}, "x": IN_USE},
    {"key": "area_mismatch_minus", "zone": "HG", "ind": "26", "mu": None,
     "kind": "completed", "p": {"area_factor": 0.964}, "x": IN_USE},
    {"key": "no_approval_or_supply_data", "zone": "FB", "ind": None, "mu": None,
     "kind": "unknown", "p": {}, "x": {"lc": "unknown"}},
]  # fmt: skip

# Disposal ledger, in entry order. Areas in 亩 ("parcel": the parcel's exact area).
# Columns: date, parcel key, stage, method, area, new holder, expected output (万元),
# zombie cleared, corrects (index in this list), note.
LEDGER = [
    ("2022-05-20", "remedy_extension", "investigating", None, None, None, None, False,
     None, "交地迟延致未动工，启动闲置土地调查"),
    ("2022-06-14", "disposed_2022", "investigating", None, None, None, None, False,
     None, "原企业长期停产，列入僵尸企业名单"),
    ("2022-08-09", "recovery_not_started", "investigating", None, None, None, None,
     False, None, "下达闲置土地调查通知书"),
    ("2022-09-13", "disposed_lease_b", "investigating", None, None, None, None, False,
     None, "原受让人逾期未动工，下达调查通知书"),
    ("2022-11-15", "disposed_2022", "disposed", "agreement_transfer", "parcel",
     "新入驻A", 9000.0, True, None, "僵尸企业出清，协议转让给新入驻企业"),
    ("2022-12-20", "disposed_lease_b", "recovery_in_progress", "negotiated_buyback",
     None, None, None, False, None, "与原受让人协商有偿收回"),
    ("2023-01-16", "recovery_stalled", "investigating", None, None, None, None, False,
     None, "停工满一年以上，启动调查"),
    ("2023-01-18", "disposed_lease_a", "investigating", None, None, None, None, False,
     None, "原企业停产两年以上，认定为僵尸企业"),
    ("2023-02-09", "disposed_agreement_a", "investigating", None, None, None, None,
     False, None, "原企业资不抵债，长期停产"),
    ("2023-02-10", "remedy_government", "investigating", None, None, None, None, False,
     None, "规划调整致无法按约动工，属政府原因"),
    ("2023-02-15", "disposed_agreement_b", "disposed", "agreement_transfer", "parcel",
     "新入驻B", 15000.0, True, None, "僵尸企业出清，厂房整体协议转让"),
    ("2023-03-01", "auction_completed_146", "auction_started", "judicial_auction",
     "parcel", None, None, False, None, "法院网络司法拍卖平台挂拍(破产财产)"),
    ("2023-03-08", "disposed_merger_c", "investigating", None, None, None, None, False,
     None, "企业连续三年零税收"),
    ("2023-03-15", "remedy_extension", "remedy_start_pending", "extend_start", None,
     None, None, False, None, "签订补充协议延长动工期限至2023-06-30，正在办理施工许可"),
    ("2023-03-20", "disposed_lease_a", "disposed", "lease_then_transfer", "parcel",
     "新入驻C", 6000.0, True, None, "先租后让，租期三年，考核达标后办理出让"),
    ("2023-03-28", "recovery_exactly_two_years", "recovery_in_progress",
     "free_recovery", None, None, None, False, None,
     "已下达闲置土地认定书，拟无偿收回"),
    ("2023-04-10", "disposed_merger_a", "disposed", "merger", "parcel", "新入驻D",
     5200.0, True, None, "兼并重组，承接原企业厂房设备"),
    ("2023-04-20", "disposed_lease_b", "disposed", "lease_then_transfer", "parcel",
     "新入驻E", 12000.0, False, None, "收回后先租后让给新项目"),
    ("2023-04-25", "recovery_not_started", "recovery_in_progress", "free_recovery",
     None, None, None, False, None, "已进入无偿收回程序，已函告抵押权人"),
    ("2023-05-08", "remedy_holder", "investigating", None, None, None, None, False,
     None, "逾期未动工，启动调查"),
    ("2023-05-16", "auction_completed_26", "auction_started", "judicial_auction",
     "parcel", None, None, False, None, "破产企业厂房土地网络司法拍卖"),
    ("2023-05-26", "disposed_agreement_a", "disposed", "agreement_transfer", "parcel",
     "新入驻F", 4800.0, True, None, "僵尸企业出清，协议转让"),
    ("2023-06-12", "recovery_stalled", "recovery_in_progress", "free_recovery", None,
     None, None, False, None, "停工两年以上，已进入清收程序"),
    ("2023-06-20", "investigating_stalled_or_rule", "investigating", None, None, None,
     None, False, None, "投资额不足总投资25%且停工满一年"),
    ("2023-06-26", "auction_completed_146", "auction_completed", "judicial_auction",
     "parcel", None, None, False, None, "网络司法拍卖成交，竞得人待办理不动产登记"),
    ("2023-06-28", "disposed_merger_b", "disposed", "merger", 2.0, "新入驻G", 7600.0,
     True, None, "兼并重组，原企业债务一并承接"),
    ("2023-06-28", "disposed_merger_b", "disposed", "merger", "parcel", "新入驻G",
     7600.0, True, 25, "2023-07-05更正：面积误录为2亩，应为20亩"),
    ("2023-07-12", "remedy_government", "remedy_start_pending", "extend_start", None,
     None, None, False, None, "政府原因，协商延长动工期限，正在办理开工手续"),
    ("2023-08-18", "disposed_merger_c", "disposed", "merger", "parcel", "新入驻H",
     8800.0, True, None, "兼并重组，整合上下游产能"),
    ("2023-08-22", "auction_completed_26", "auction_completed", "judicial_auction",
     "parcel", None, None, False, None, "网络司法拍卖成交"),
    ("2023-08-30", "investigating_then_november", "investigating", None, None, None,
     None, False, None, "逾期未动工超过两年，正在调查"),
    ("2023-09-05", "investigating_442_days", "investigating", None, None, None, None,
     False, None, "约定动工日期起满一年未动工"),
    ("2023-09-12", "auction_started_170", "auction_started", "judicial_auction",
     "parcel", None, None, False, None, "启动网上竞卖，抵押权人已申请执行"),
    ("2023-09-26", "remedy_holder", "remedy_start_pending", "idle_fee", None, None,
     None, False, None, "已缴纳土地闲置费，正在办理开工手续"),
    ("2023-11-20", "investigating_then_november", "recovery_in_progress",
     "free_recovery", None, None, None, False, None, "已下达闲置土地认定书"),
    ("2023-12-18", "disposed_lease_a", "disposed", "lease_then_transfer", "parcel",
     "新入驻C", None, False, None, "租赁期考核达标，转为出让(同一宗地二次登记)"),
]  # fmt: skip
NEW_HOLDER_KEYS = {
    "新入驻A": ("35", "disposed_2022"), "新入驻B": ("26", "disposed_agreement_b"),
    "新入驻C": ("31", "disposed_lease_a"), "新入驻D": ("33", "disposed_merger_a"),
    "新入驻E": ("40", "disposed_lease_b"), "新入驻F": ("33", "disposed_agreement_a"),
    "新入驻G": ("22", "disposed_merger_b"), "新入驻H": ("34", "disposed_merger_c"),
}  # fmt: skip


class Geo:
    """Conversions between EPSG:4527 and CGCS2000 lon/lat, and ellipsoidal areas."""

    def __init__(self):
        self.to_ll = Transformer.from_crs(CRS_GK, "EPSG:4490", always_xy=True)
        self.to_gk = Transformer.from_crs("EPSG:4490", CRS_GK, always_xy=True)
        self.geod = CRS("EPSG:4490").get_geod()

    def area(self, poly):
        """Return the ellipsoidal area (m²) of a polygon given in EPSG:4527."""
        xs, ys = poly.exterior.coords.xy
        lon, lat = self.to_ll.transform(np.asarray(xs), np.asarray(ys))
        return abs(self.geod.polygon_area_perimeter(lon, lat)[0])


def rect(x0, y0, w, h):
    """Return an axis-parallel rectangle."""
    return Polygon([(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)])


def exact_width(geo, x0, y0, depth, target_m2):
    """Width giving a rectangle of ``target_m2`` (+1 mm²) ellipsoidal area."""
    w = target_m2 / depth
    for _ in range(5):
        w *= (target_m2 + 0.001) / geo.area(rect(x0, y0, w, depth))
    return w


def draw_mu(rng):
    """Draw the size (亩) of an ordinary parcel."""
    u = rng.random()
    if u < 0.65:
        return rng.uniform(10, 45)
    if u < 0.93:
        return rng.uniform(45, 100)
    return rng.uniform(100, 150)


def layout(geo, rng, centre):
    """Lay out every parcel; return a list of slots (zone, geometry, special)."""
    slots = []
    for name, code, (dx, dy), ncol, nrow, depth, _mix in ZONES:
        specials = [s for s in SPECIALS if s["zone"] == code]
        rows = []
        for br in range(nrow):
            for bc in range(ncol):
                x0 = centre[0] + dx + bc * (BLOCK_LEN + ROAD)
                y0 = centre[1] + dy + br * (2 * depth + ROAD)
                rows += [(x0, y0, "south"), (x0, y0 + depth, "north")]
        due = {i: [] for i in range(len(rows))}
        for j, sp in enumerate(specials):
            due[(j * len(rows)) // len(specials)].append(sp)
        carry = []
        for r, (x0, y0, side) in enumerate(rows):
            queue, carry = carry + due[r], []
            x, end, last = x0, x0 + BLOCK_LEN, None
            for sp in queue:
                mu = sp["mu"] if sp["mu"] is not None else rng.uniform(15, 60)
                if sp["mu"] is not None:
                    w = exact_width(geo, x, y0, depth, mu * MU)
                else:
                    w = mu * MU / depth
                if x + w <= end:
                    slots.append((name, code, rect(x, y0, w, depth), sp))
                    x, last = x + w, None
                else:
                    carry.append(sp)
            while True:
                left = end - x
                if left * depth < 10 * MU:
                    if last is not None:  # widen the previous ordinary parcel
                        zn, zc, poly, _ = slots[last]
                        minx, miny = poly.bounds[:2]
                        slots[last] = (
                            zn,
                            zc,
                            _ordinary_poly(minx, miny, end - minx, depth, side, x0),
                            None,
                        )
                    break
                w = draw_mu(rng) * MU / depth
                if w > left or (left - w) * depth < 10 * MU <= left * depth < 160 * MU:
                    w = left
                slots.append(
                    (name, code, _ordinary_poly(x, y0, w, depth, side, x0), None)
                )
                x, last = x + w, len(slots) - 1
        if carry:
            raise RuntimeError(f"zone {code}: specials did not fit: {carry}")
    return slots


def _ordinary_poly(x, y0, w, depth, side, row_start):
    """Rectangle; cut the outer corner of the first parcel of a block row."""
    if x != row_start:
        return rect(x, y0, w, depth)
    c = CHAMFER
    if side == "south":
        pts = [
            (x + c, y0),
            (x + w, y0),
            (x + w, y0 + depth),
            (x, y0 + depth),
            (x, y0 + c),
        ]
    else:
        pts = [
            (x, y0),
            (x + w, y0),
            (x + w, y0 + depth),
            (x + c, y0 + depth),
            (x, y0 + depth - c),
        ]
    return Polygon(pts)


class Namer:
    """Deterministic fictional company names and credit codes."""

    CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

    def __init__(self, rng):
        pairs = [a + b for a in BRAND_A for b in BRAND_B]
        self.brands = [pairs[i] for i in rng.permutation(len(pairs))]
        self.n = 0
        self.rng = rng

    def company(self, industry):
        """Return a new company name for an industry code."""
        words = INDUSTRY_WORDS[industry]
        brand = self.brands[self.n]
        self.n += 1
        word = words[self.n % len(words)]
        tail = "科技有限公司" if industry in ("40", "41") else "有限公司"
        return f"抚州{brand}{word}{tail}"

    def credit(self, prefix="91361003"):
        """Return a fictional 18-character unified social credit code.

        The organisation part starts with ``YL`` (样例, sample); the check character
        follows GB 32100-2015 so that format checks pass.
        """
        body = prefix + "YL" + "".join(str(v) for v in self.rng.integers(0, 10, 7))
        total = sum(
            self.CODE_CHARS.index(ch) * w
            for ch, w in zip(body, self.WEIGHTS, strict=True)
        )
        return body + self.CODE_CHARS[(31 - total % 31) % 31]


def rand_date(rng, start, end):
    """Uniform random date between two ISO dates (inclusive)."""
    a, b = d(start), d(end)
    return a + dt.timedelta(days=int(rng.integers(0, (b - a).days + 1)))


def plus(day, lo, hi, rng):
    """Return ``day`` plus a random number of days in [lo, hi]."""
    return day + dt.timedelta(days=int(rng.integers(lo, hi + 1)))


def build(kind, p, ind, area_reg, rng, namer, holder=None):
    """Return the attribute dict of one parcel of a given kind.

    ``p`` holds the designed values; anything not given is drawn from ``rng``.
    All ratios are taken on ``area_reg`` (the registered area).
    """
    a = dict.fromkeys(PARCEL_FIELDS)
    a["mortgaged"] = bool(p.get("mortgaged", False))
    mu = area_reg / MU
    if kind == "unknown":
        a["land_use"] = "other"
        return a
    a["land_use"] = {
        "storage": "storage",
        "commercial": "commercial",
        "public": "public",
        "green": "green",
    }.get(kind, "industrial")
    if kind == "unsupplied":
        a["approval_date"] = rand_date(rng, "2019-03-01", "2023-06-30")
        return a
    # --- supply ---
    span = SUPPLY_SPAN.get(kind, ("2006-03-01", "2017-12-31"))
    supply = d(p.get("supply")) or rand_date(rng, *span)
    a["approval_date"] = d(p.get("approval")) or plus(supply, -700, -120, rng)
    a["supply_date"] = supply
    public = kind in ("public", "green")
    a["supply_method"] = p.get("method", "allocation" if public else "transfer")
    if not public:
        price = rng.uniform(16, 24) * mu if kind != "commercial" else 90 * mu
        a["land_price_wan"] = round(p.get("price", price), 2)
    a["delivery_date"] = d(p.get("delivery")) or plus(supply, 20, 90, rng)
    agreed = (
        d(p["agreed_start"])
        if "agreed_start" in p
        else plus(a["delivery_date"], 90, 180, rng)
    )
    a["agreed_start_date"] = agreed
    if agreed is not None:
        a["agreed_completion_date"] = plus(agreed, 540, 730, rng)
    if public:
        a["holder"], a["credit_code"] = ADMIN_BODY, namer.credit("11361003")
    else:
        a["industry_code"] = ind
        a["holder"] = holder or namer.company(ind)
        a["credit_code"] = namer.credit()
        a["enterprise_status"] = p.get("status", "operating")
    industrial = a["land_use"] == "industrial"
    if industrial:
        t_inv = TARGET_INVEST.get(ind, 180)
        t_tax = TARGET_TAX.get(ind, 10)
        a["target_far"] = round(FAR_MIN[ind] * rng.uniform(1.0, 1.2), 1)
        a["target_invest_intensity_wan_per_mu"] = float(t_inv)
        a["target_tax_per_mu_wan"] = float(t_tax)
        a["total_investment_wan"] = round(t_inv * mu * rng.uniform(1.0, 1.15), 1)
    a["delay_cause"] = p.get("cause")
    a["extension_until"] = d(p.get("extension"))
    if kind in ("fresh", "unstarted"):
        a["start_evidence"] = p.get("evidence", "none")
        a["start_date"] = d(p.get("start_date"))
        a["observed_use"] = p.get("observed")
        a["above_scale"] = False
        return a
    # --- start ---
    start = d(p.get("start")) or (plus(agreed, -20, 60, rng))
    a["permit_date"] = plus(start, -60, -10, rng)
    a["start_date"] = start
    a["start_evidence"] = p.get(
        "evidence", rng.choice(["pit_done", "piles_done", "foundation_third", None])
    )
    a["observed_use"] = p.get("observed", a["land_use"] if rng.random() < 0.9 else None)
    if kind in ("building", "started"):
        dev = p.get("dev", rng.uniform(0.3, 0.8))
        inv = p.get("inv", rng.uniform(0.3, 0.8))
        a["developed_area_m2"] = round(dev * area_reg, 2)
        a["invested_wan"] = round(inv * a["total_investment_wan"], 1)
        a["suspended_since"] = d(p.get("suspended"))
        a["above_scale"] = False
        return a
    # --- completed ---
    a["completion_date"] = d(p.get("completion")) or plus(start, 300, 700, rng)
    if kind == "built":  # completed recently, not producing yet
        a["completion_date"] = min(a["completion_date"], d("2023-09-30"))
    a["developed_area_m2"] = round(area_reg, 2)
    if kind == "built":
        production = None
    elif "production" in p:
        production = d(p["production"])
    else:
        production = plus(a["completion_date"], 30, 200, rng)
    a["production_date"] = production
    if industrial:
        far = p.get(
            "far", max(FAR_MIN[ind] * rng.uniform(1.3, 2.0), a["target_far"] * 1.1)
        )
        cov = p.get("cov", rng.uniform(0.45, 0.65))
        yard = rng.uniform(0.0, 0.3) * cov
        a["floor_area_m2"] = round(far * area_reg, 2)
        a["footprint_m2"] = round((cov - yard) * area_reg, 2)
        a["yard_area_m2"] = round(yard * area_reg, 2)
        admin = p.get("admin", rng.uniform(0.03, 0.06))
        green = p.get("green", rng.uniform(0.05, 0.15))
        a["admin_area_m2"] = round(admin * area_reg, 2)
        a["green_area_m2"] = round(green * area_reg, 2)
        if "inv_x" in p:
            a["total_investment_wan"] = round(t_inv * mu, 1)
            a["invested_wan"] = round(p["inv_x"] * t_inv * mu, 1)
        else:
            inv = a["total_investment_wan"] * rng.uniform(1.0, 1.3)
            a["invested_wan"] = round(inv, 1)
    if "takeover" in p:  # disposed: the new enterprise holds the land now
        a["above_scale"] = False
        return a
    if kind in ("public", "green"):
        return a
    if production is None or not p.get("perf", True):
        a["above_scale"] = False if production is None else None
        return a
    # --- performance, statistical year 2022 ---
    a["stat_year"] = 2022
    if industrial:
        tax = p.get("tax_x", rng.uniform(1.15, 2.0)) * t_tax * mu
    else:
        tax = rng.uniform(3, 12) * mu
    output = max(tax, 1.0) * rng.uniform(15, 30)
    a["tax_wan"] = round(tax, 1)
    a["output_wan"] = round(output, 1)
    a["revenue_wan"] = round(output * rng.uniform(0.9, 1.05), 1)
    a["value_added_wan"] = round(output * rng.uniform(0.2, 0.3), 1)
    a["energy_tce"] = round(output * rng.uniform(0.02, 0.15), 1)
    a["employees"] = int(mu * rng.uniform(1.5, 4.0)) + 5
    a["rd_wan"] = round(a["revenue_wan"] * rng.uniform(0.005, 0.04), 1)
    a["above_scale"] = bool(a["revenue_wan"] >= 2000)
    return a


def ordinary_params(kind, rng):
    """Parameters of an ordinary parcel of a given kind."""
    if kind == "building":
        return {
            "start": rand_date(rng, "2021-06-01", "2023-08-31").isoformat(),
            "mortgaged": bool(rng.random() < 0.4),
        }
    if kind == "fresh":
        return {"evidence": "none" if rng.random() < 0.7 else None}
    return {"mortgaged": bool(kind == "producing" and rng.random() < 0.3)}


def ordinary_design(kind):
    """Designed lifecycle of an ordinary parcel."""
    return {
        "unsupplied": "approved_unsupplied",
        "fresh": "supplied_unused",
        "building": "used_incomplete",
        "built": "built_not_producing",
    }.get(kind, "in_use")


def overdue_days(a):
    """Days since the (re-based) start clock for a supplied, unstarted parcel."""
    ext, agreed = a["extension_until"], a["agreed_start_date"]
    if ext is not None and agreed is not None and not agreed <= ext <= add_years(agreed, 1):
        ext = None  # Order 53 Art. 12(1): an extension of at most one year
    base = ext or agreed
    if base is None and a["delivery_date"] is not None:
        base = add_years(a["delivery_date"], 1)
    return max((AS_OF - base).days, 0) if base else None


def make_parcels(geo, rng):
    """Build the parcels GeoDataFrame and the per-parcel design records."""
    centre = geo.to_gk.transform(*CENTRE_LONLAT)
    slots = layout(geo, rng, centre)
    namer = Namer(rng)
    kinds = list(ORDINARY_KINDS)
    weights = np.array(list(ORDINARY_KINDS.values()))
    counters = {}
    rows, design, keys = [], {}, {}
    # New holders are named first so that their names are stable.
    new_names = {tag: namer.company(ind) for tag, (ind, _k) in NEW_HOLDER_KEYS.items()}
    holder_of = {key: new_names[tag] for tag, (_i, key) in NEW_HOLDER_KEYS.items()}
    for zone, code, poly, sp in slots:
        counters[code] = counters.get(code, 0) + 1
        pid = f"{code}-{counters[code]:03d}"
        area = geo.area(poly)
        mix = ZONE_BY_CODE[code][6]
        if sp is None:
            kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
            p = ordinary_params(kind, rng)
            ind = {"storage": "58", "commercial": "67"}.get(kind) or str(
                rng.choice(list(mix), p=list(mix.values()))
            )
            x = {"lc": ordinary_design(kind)}
            key = None
        else:
            kind, p, ind, x, key = sp["kind"], sp["p"], sp["ind"], sp["x"], sp["key"]
            keys[key] = pid
        factor = p.get("area_factor", 1.0 + rng.uniform(-0.003, 0.003))
        if sp is not None and sp["mu"] is not None:
            reg = round(sp["mu"] * MU, 2)
        else:
            reg = round(area * factor, 2)
        a = build(kind, p, ind, reg, rng, namer, holder_of.get(key))
        a.update(parcel_id=pid, zone=zone, registered_area_m2=reg, geometry=poly)
        rows.append(a)
        idle = x.get("idle", "none")
        fee = bool(x.get("fee", False))
        started = kind in (
            "building",
            "started",
            "completed",
            "producing",
            "built",
            "storage",
            "commercial",
            "public",
            "green",
        )
        design[pid] = {
            "case": key,
            "lifecycle": x["lc"],
            "idle_type": idle,
            "overdue_days": (
                overdue_days(a) if a["supply_date"] and not started else None
            ),
            "idle_fee_wan": round(0.2 * a["land_price_wan"], 2) if fee else 0.0,
            "recovery_candidate": bool(x.get("rec", False)),
            "failed_indicators": list(x.get("fail", [])),
            "use_changed": bool(
                a["observed_use"] is not None and a["observed_use"] != a["land_use"]
            ),
            "mortgaged_idle": bool(idle != "none" and a["mortgaged"]),
        }
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS_GK)
    gdf = gdf[[*PARCEL_FIELDS, "geometry"]]
    for col in ("stat_year", "employees"):
        gdf[col] = gdf[col].astype("Int64")
    gdf["above_scale"] = gdf["above_scale"].astype("boolean")
    gdf["mortgaged"] = gdf["mortgaged"].astype(bool)
    return gdf, design, keys, holder_of


def make_ledger(parcels, keys, holder_of):
    """Build the ledger DataFrame from the LEDGER table."""
    reg = parcels.set_index("parcel_id")["registered_area_m2"]
    exact_mu = {s["key"]: s["mu"] for s in SPECIALS}
    counters, ids, rows = {}, [], []
    for date, key, stage, method, area, holder, out, zombie, corr, note in LEDGER:
        year = date[:4]
        counters[year] = counters.get(year, 0) + 1
        eid = f"E{year}-{counters[year]:03d}"
        ids.append(eid)
        pid = keys[key]
        if area == "parcel":
            mu = exact_mu[key]
            area_m2 = mu * MU if mu is not None else float(reg[pid])
        else:
            area_m2 = None if area is None else area * MU
        rows.append({
            "event_id": eid, "parcel_id": pid, "event_date": d(date), "stage": stage,
            "method": method, "area_m2": area_m2,
            "new_holder": holder_of[key] if holder else None,
            "expected_output_wan": out, "zombie_cleared": zombie,
            "corrects": None if corr is None else ids[corr], "note": note,
        })  # fmt: skip
    df = pd.DataFrame(rows, columns=LEDGER_FIELDS)
    df["area_m2"] = df["area_m2"].astype(float)
    df["expected_output_wan"] = df["expected_output_wan"].astype(float)
    df["zombie_cleared"] = df["zombie_cleared"].astype(bool)
    return df


def verify(parcels, design):
    """Check that the attributes realise the design (a guard against typos).

    This re-derives each parcel's designed outcome with the rules of issue 3 and
    raises ``AssertionError`` on any difference.
    """
    for a in parcels.to_dict("records"):
        x = design[a["parcel_id"]]
        na = pd.isna
        dates = {
            k: (None if na(a[k]) else a[k])
            for k in PARCEL_FIELDS
            if k.endswith("_date") or k in ("suspended_since", "extension_until")
        }
        order = [
            ("approval_date", "supply_date"),
            ("supply_date", "delivery_date"),
            ("supply_date", "start_date"),
            ("permit_date", "start_date"),
            ("agreed_start_date", "agreed_completion_date"),
            ("start_date", "suspended_since"),
            ("start_date", "completion_date"),
            ("completion_date", "production_date"),
        ]
        for first, then in order:
            if dates[first] and dates[then]:
                assert dates[first] <= dates[then], (a["parcel_id"], first, then)
        ev = None if na(a["start_evidence"]) else a["start_evidence"]
        started = ev in ("pit_done", "piles_done", "foundation_third") or (
            ev is None and dates["start_date"] is not None
        )
        reg = a["registered_area_m2"]
        mu = reg / MU
        fails = []
        if dates["completion_date"] and a["land_use"] == "industrial":
            ind = a["industry_code"]
            checks = [
                ("far", a["floor_area_m2"] / reg < FAR_MIN[ind]),
                ("coverage", (a["footprint_m2"] + a["yard_area_m2"]) / reg < 0.30),
                ("admin_share", a["admin_area_m2"] / reg > 0.07),
                ("green_ratio", a["green_area_m2"] / reg > 0.20),
                (
                    "invest_intensity",
                    a["invested_wan"] / mu < a["target_invest_intensity_wan_per_mu"],
                ),
                (
                    "tax_per_mu",
                    not na(a["tax_wan"])
                    and a["tax_wan"] / mu < a["target_tax_per_mu_wan"],
                ),
            ]
            fails = [name for name, bad in checks if bad]
        idle = "none"
        if dates["supply_date"] and not started:
            ext, agreed = dates["extension_until"], dates["agreed_start_date"]
            if ext and agreed and not agreed <= ext <= add_years(agreed, 1):
                ext = None  # Order 53 Art. 12(1): at most one year
            base = ext or agreed or add_years(dates["delivery_date"], 1)
            if AS_OF >= add_years(base, 1):
                idle = "not_started"
        elif started and dates["suspended_since"] and not dates["completion_date"]:
            low = (
                a["developed_area_m2"] / reg < 1 / 3
                or a["invested_wan"] / a["total_investment_wan"] < 0.25
            )
            if dates["suspended_since"] <= add_years(AS_OF, -1) and low:
                idle = "stalled"
        if not dates["approval_date"] and not dates["supply_date"]:
            lc = "unknown"
        elif not dates["supply_date"]:
            lc = "approved_unsupplied"
        elif not started:
            lc = "supplied_unused"
        elif not dates["completion_date"]:
            lc = "used_incomplete"
        elif not dates["production_date"]:
            lc = "built_not_producing"
        elif a["enterprise_status"] in ("stopped", "zombie", "bankrupt") or fails:
            lc = "producing_below_target"
        else:
            lc = "in_use"
        got = (lc, idle, fails)
        want = (x["lifecycle"], x["idle_type"], x["failed_indicators"])
        assert got == want, (a["parcel_id"], x["case"], got, want)


def ledger_figures(ledger):
    """Jan-Oct 2023 figures of the ledger as designed (corrections applied)."""
    replaced = set(ledger["corrects"].dropna())
    ev = ledger[~ledger["event_id"].isin(replaced)]
    ev = ev[(ev["event_date"] >= PERIOD[0]) & (ev["event_date"] <= PERIOD[1])]
    disp = ev[ev["stage"] == "disposed"]
    by_method = disp.groupby("method")["area_m2"].sum() * 0.0015
    auc = ev[ev["method"] == "judicial_auction"].sort_values(["event_date", "event_id"])
    auc = auc.groupby("parcel_id").tail(1)  # the auction's state at the period's end
    return {
        "zombie_enterprises_cleared": int(
            disp.loc[disp["zombie_cleared"], "parcel_id"].nunique()
        ),
        "disposed_mu": round(float(disp["area_m2"].sum()) * 0.0015, 4),
        "disposed_mu_by_method": {
            k: round(float(v), 4) for k, v in sorted(by_method.items())
        },
        "new_enterprises": int(disp["new_holder"].dropna().nunique()),
        "auctions_completed_mu": sorted(
            (
                round(v * 0.0015, 4)
                for v in auc.loc[auc["stage"] == "auction_completed", "area_m2"]
            ),
            reverse=True,
        ),
        "auctions_started_mu": sorted(
            round(v * 0.0015, 4)
            for v in auc.loc[auc["stage"] == "auction_started", "area_m2"]
        ),
    }


def expected(parcels, ledger, design, keys):
    """Assemble the expected-figures document."""
    recs = list(design.values())

    def count(field):
        values = pd.Series([r[field] for r in recs]).value_counts()
        return {str(k): int(v) for k, v in sorted(values.items())}

    by_ind = {}
    for r in recs:
        for f in r["failed_indicators"]:
            by_ind[f] = by_ind.get(f, 0) + 1
    replaced = set(ledger["corrects"].dropna())
    live = ledger[~ledger["event_id"].isin(replaced)]
    upto = live[live["event_date"] <= AS_OF].sort_values(["event_date", "event_id"])
    latest = upto.groupby("parcel_id")["stage"].last()
    stage_ids = {s: sorted(latest[latest == s].index) for s in sorted(set(latest))}
    reg = parcels["registered_area_m2"].to_numpy()
    figures = ledger_figures(ledger)
    # The designed figures; ledger_figures() above must reproduce them exactly.
    designed = {
        "zombie_enterprises_cleared": 6, "disposed_mu": 175.8,
        "disposed_mu_by_method": {"agreement_transfer": 52.0,
                                  "lease_then_transfer": 67.0, "merger": 56.8},
        "new_enterprises": 7, "auctions_completed_mu": [146.0, 26.0],
        "auctions_started_mu": [170.0],
    }  # fmt: skip
    assert figures == designed, (figures, designed)
    # The headline's idle land by stage: only parcels the assessment holds idle.
    idle_stages = ("investigating", "recovery_in_progress", "remedy_start_pending")
    held = {s: [p for p in stage_ids.get(s, []) if design[p]["idle_type"] != "none"]
            for s in idle_stages}
    # Expected new output of the period's events, once per parcel (largest).
    inp = live[(live["event_date"] >= PERIOD[0]) & (live["event_date"] <= PERIOD[1])]
    output = float(inp.groupby("parcel_id")["expected_output_wan"].max().dropna().sum())
    # The lead total: idle parcels whose case did not end in an auction or re-supply.
    closing = set(latest[latest.isin(["auction_completed", "disposed"])].index)
    lead = [p for p, r in design.items() if r["idle_type"] != "none" and p not in closing]
    assert (output, len(lead)) == (59400.0, 15), (output, len(lead))
    return {
        "dataset": "data/geo/sample_park.gpkg",
        "reference_date": AS_OF.isoformat(),
        "crs": CRS_GK,
        "parcel_count": len(parcels),
        "total_registered_area_mu": round(float(reg.sum()) * 0.0015, 2),
        "ledger_event_count": len(ledger),
        "ledger": {
            "period": [PERIOD[0].isoformat(), PERIOD[1].isoformat()],
            **designed,
            "disposed_m2": round(175.8 * MU, 4),
            "latest_stage_as_of_reference_date": {
                s: len(v) for s, v in stage_ids.items()
            },
            "parcels_by_latest_stage": stage_ids,
            "idle_by_stage_in_headline": held,
            "idle_by_stage_reason": "The headline's idle land by stage counts only parcels "
            "the assessment holds idle (issue 11 point 7). All three parcels at "
            "remedy_start_pending are held idle: DZ-002's extension runs 21 months past "
            "its agreed start date, beyond the one year Art. 12(1) allows, so it is not "
            "used as the start of the clock and DZ-002 is not started, 761 days overdue "
            "(case remedy_extension).",
            "expected_output_wan": 59400.0,
            "expected_output_reason": "预计新增年产值 of the disposals dated "
            "2023-01-01..2023-10-31, once per parcel (the 2023-07-05 correction of "
            "disposed_merger_b replaces its event, both 7600): 新入驻B 15000 + C 6000 + "
            "D 5200 + E 12000 + F 4800 + G 7600 + H 8800 = 59400 万元 = 5.94 亿元 (the 2022 "
            "event of 新入驻A and the December event of C are outside the period).",
            "recovery_lead_parcels": 15,
            "recovery_lead_reason": "重点做好*宗闲置土地的清收工作: the assessment's 16 "
            "idle parcels (13 not started, DZ-002 among them, + 3 stalled) less YS-018, "
            "whose online auction was completed on 2023-06-26 (auction_completed_146).",
            "counting_rules": [
                "A row whose event_id is named in another row's `corrects` is "
                "ignored; the correcting row (a full copy of the event as it should "
                "be) counts instead.",
                "Only events with 2023-01-01 <= event_date <= 2023-10-31 count.",
                "Zombie enterprises: distinct parcel_id of `disposed` events with "
                "zombie_cleared true.",
                "Area brought back into use: sum of area_m2 of `disposed` events, "
                "in 亩 (m2 * 0.0015); by method on the same events.",
                "New enterprises: distinct non-empty new_holder of `disposed` events.",
                "Auctions: per parcel, the last judicial_auction event in the period "
                "(by event_date, then event_id); its stage says whether the auction "
                "was completed or started (and not yet completed); area from area_m2.",
                "Latest stage: the last event (by event_date, then event_id) of each "
                "parcel dated on or before 2023-10-31, any year.",
            ],
        },
        "assessment": {
            "as_of": AS_OF.isoformat(),
            "rules": "issue 3 default (national) rules; stalled combinator `or`; "
            "low-efficiency area = registered area; invest intensity = "
            "invested_wan / 亩; tax per 亩 = tax_wan / 亩; a stalled parcel "
            "is a recovery candidate when suspended for two years or more "
            "(clock = suspended_since).",
            "lifecycle": count("lifecycle"),
            "idle_type": count("idle_type"),
            "recovery_candidates": sum(r["recovery_candidate"] for r in recs),
            "fee_parcels": sum(r["idle_fee_wan"] > 0 for r in recs),
            "idle_fee_wan_total": round(sum(r["idle_fee_wan"] for r in recs), 2),
            "low_efficiency": sum(bool(r["failed_indicators"]) for r in recs),
            "failed_indicators": dict(sorted(by_ind.items())),
            "use_changed": sum(r["use_changed"] for r in recs),
            "mortgaged_idle": sum(r["mortgaged_idle"] for r in recs),
            "notes": [
                "recovery_candidates counts stalled parcels too; counting only "
                "not-started parcels gives "
                f"{sum(r['recovery_candidate'] and r['idle_type'] == 'not_started' for r in recs)}.",  # noqa: E501
                "investigating_stalled_or_rule is idle under the default `or` "
                "combinator only (developed 40 % of the area, invested 18 %).",
                "Parcels whose delay_cause is missing get the fee/recovery "
                "consequences, with a reason asking to check the cause.",
            ],
        },
        "area_mismatch_parcels": sorted(
            keys[k] for k in ("area_mismatch_plus", "area_mismatch_minus")
        ),
        "special_cases": {s["key"]: keys[s["key"]] for s in SPECIALS},
        "parcels": design,
    }


def dump_json(doc):
    """JSON text of ``doc``, indented, with one line per parcel record."""
    head = {k: v for k, v in doc.items() if k != "parcels"}
    body = ",\n".join(
        f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
        for k, v in doc["parcels"].items()
    )
    text = json.dumps(head, ensure_ascii=False, indent=1)
    return f'{text[:-2]},\n "parcels": {{\n{body}\n }}\n}}\n'


def write(out_dir):
    """Generate the data set into ``out_dir``; return the paths written."""
    rng = np.random.default_rng(SEED)
    geo = Geo()
    parcels, design, keys, holder_of = make_parcels(geo, rng)
    verify(parcels, design)
    ledger = make_ledger(parcels, keys, holder_of)
    doc = expected(parcels, ledger, design, keys)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gpkg = out_dir / "sample_park.gpkg"
    gpkg.unlink(missing_ok=True)
    # A fixed timestamp in gpkg_contents keeps the file bytes reproducible.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2023-10-31T00:00:00Z"})
    parcels.to_file(gpkg, layer="parcels", engine="pyogrio", use_arrow=True)
    pyogrio.write_dataframe(ledger, gpkg, layer="ledger", use_arrow=True)
    js = out_dir / "sample_park_expected.json"
    js.write_text(dump_json(doc), encoding="utf-8")
    return gpkg, js


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir",
        default=Path(__file__).resolve().parent,
        help="directory to write into (default: next to this script)",
    )
    args = parser.parse_args(argv)
    for path in write(args.out_dir):
        print(path)


if __name__ == "__main__":
    main()
