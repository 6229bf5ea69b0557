"""A small assessed park and its 2023 ledger, built in code (EPSG:4527, CGCS2000 GK 39).

Built so that its Jan–Oct 2023 figures are the issue's: 6 zombie enterprises cleared,
175.8 亩 = 67 先租后让 + 52 协议转让 + 56.8 兼并重组, 7 new enterprises, auctions of 146 亩
and 26 亩 completed and one of 170 亩 started; open cases at 正在办理开工手续 (2),
已进入清收程序 (1), 正在调查清收 (2). The assessment columns (§3) are set by hand.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from landuse.units import M2_PER_MU

X0, Y0 = 39_500_000.0, 3_400_000.0

# parcel_id, zone, area 亩, holder, land_use, supply, lifecycle, idle_type, low, flags
BNP, PBT, SU, UI, AU = (
    "built_not_producing", "producing_below_target", "supplied_unused", "used_incomplete",
    "approved_unsupplied",
)
IND = "industrial"
_PARCELS = [
    ("P01", "东区", 45, "甲僵尸厂", IND, "2015-03-01", BNP, "none", 0, ""),
    ("P02", "东区", 30, "乙僵尸厂", IND, "2016-05-01", BNP, "none", 0, ""),
    ("P03", "东区", 32, "丙僵尸厂", IND, "2014-01-10", BNP, "none", 0, ""),
    ("P04", "西区", 25, "丁僵尸厂", IND, "2017-02-01", PBT, "none", 1, ""),
    ("P05", "西区", 40, "戊僵尸厂", IND, "2013-06-01", BNP, "none", 0, ""),
    ("P06", "西区", 21, "己僵尸厂", "storage", "2012-09-01", BNP, "none", 0, ""),
    ("P07", "东区", 150, "庚公司", IND, "2018-01-01", SU, "not_started", 0, ""),
    ("P08", "西区", 28, "辛公司", IND, "2018-04-01", SU, "not_started", 0, ""),
    ("P09", "西区", 175, "壬公司", IND, "2019-03-01", SU, "not_started", 0,
     "mortgaged_idle"),
    ("P10", "东区", 12, "癸公司", IND, "2020-01-01", SU, "not_started", 0, ""),
    ("P11", "东区", 18, "子公司", IND, "2020-06-01", UI, "stalled", 0, ""),
    ("P12", "西区", 22, "丑公司", IND, "2019-08-01", SU, "not_started", 0,
     "mortgaged_idle"),
    ("P13", "东区", 15, "寅公司", IND, "2020-03-01", SU, "not_started", 0, ""),
    ("P14", "西区", 9, "卯公司", "commercial", "2021-02-01", SU, "not_started", 0, ""),
    ("P15", "东区", 20, "辰僵尸厂", IND, "2012-01-01", BNP, "none", 0, ""),
    ("P16", "西区", 14, "巳僵尸厂", IND, "2011-01-01", BNP, "none", 0, ""),
    ("P17", "东区", 60, "午公司", IND, "2010-01-01", "in_use", "none", 0, ""),
    ("P18", "东区", 35, "未公司", IND, "2012-01-01", PBT, "none", 1, ""),
    ("P19", "西区", 24, "申公司", IND, "2014-01-01", "in_use", "none", 0, "use_changed"),
    ("P20", "西区", 50, None, IND, None, AU, "none", 0, ""),
    ("P21", "东区", 30, "酉物业", "residential", "2012-01-01", "in_use", "none", 0, ""),
]

# event_id, parcel, date, stage, method, 亩, new holder, zombie, corrects
_EVENTS = [
    ("E2022-01", "P16", "2022-12-20", "disposed", "agreement_transfer", 14, "旧年公司", True, None),
    ("E2022-02", "P13", "2022-11-05", "investigating", None, None, None, None, None),
    ("E01", "P08", "2023-01-10", "auction_started", "judicial_auction", 26, None, None, None),
    ("E02", "P07", "2023-02-15", "auction_started", "judicial_auction", 146, None, None, None),
    ("E03", "P01", "2023-03-15", "disposed", "lease_then_transfer", 40, "新甲科技", True, None),
    ("E04", "P10", "2023-04-02", "remedy_start_pending", "extend_start", None, None, None, None),
    ("E05", "P02", "2023-05-20", "disposed", "lease_then_transfer", 27, "新乙材料", True, None),
    ("E06", "P03", "2023-06-08", "disposed", "agreement_transfer", 25, "新丙智能", True, None),
    ("E07", "P12", "2023-06-30", "investigating", None, None, None, None, None),
    ("E08", "P07", "2023-07-18", "auction_completed", "judicial_auction", 146, "新庚装备", None,
     None),
    ("E09", "P04", "2023-08-08", "disposed", "agreement_transfer", 22, "新丁电子", True, None),
    ("E10", "P09", "2023-08-25", "auction_started", "judicial_auction", 170, None, None, None),
    ("E11", "P05", "2023-09-12", "disposed", "merger", 36.8, "新戊集团", True, None),
    ("E12", "P08", "2023-09-26", "auction_completed", "judicial_auction", 26, None, None, None),
    ("E13", "P11", "2023-09-28", "remedy_start_pending", "extend_start", None, None, None, None),
    ("E14", "P12", "2023-10-09", "recovery_in_progress", None, None, None, None, None),
    ("E15", "P06", "2023-10-20", "disposed", "merger", 20, "新己物流", True, None),
    ("E16", "P14", "2023-10-25", "investigating", None, None, None, None, None),
    ("C01", "P03", "2023-06-08", "disposed", "agreement_transfer", 30, "新丙智能", True, "E06"),
    ("E17", "P15", "2023-11-20", "disposed", "merger", 20, "新辰制造", True, None),
]


def mini_parcels() -> gpd.GeoDataFrame:
    """The parcels with §1 fields and hand-set §3 assessment columns."""
    rows = []
    x = X0
    for pid, zone, mu, holder, use, supply, life, idle, low, flags in _PARCELS:
        side = math.sqrt(mu * M2_PER_MU)
        geom = box(x, Y0, x + side, Y0 + side)
        x += side + 20
        idle_flag = idle != "none"
        overdue = {"P07": 1500, "P08": 1400, "P09": 1100, "P10": 800, "P11": 420, "P12": 900,
                   "P13": 760, "P14": 500}.get(pid)
        price = mu * 30.0
        built = life in ("built_not_producing", "producing_below_target", "in_use")
        rows.append({
            "parcel_id": pid, "zone": zone, "holder": holder, "land_use": use,
            "supply_date": pd.Timestamp(supply) if supply else pd.NaT,
            "approval_date": pd.Timestamp("2009-01-01"),
            "completion_date": pd.Timestamp("2016-01-01") if built else pd.NaT,
            "land_price_wan": price,
            "floor_area_m2": mu * M2_PER_MU * 0.9 if built else None,
            "footprint_m2": mu * M2_PER_MU * 0.4 if built else None,
            "yard_area_m2": mu * M2_PER_MU * 0.05 if built and use == "industrial" else None,
            "invested_wan": mu * 200.0 if built else None,
            "tax_wan": mu * 5.0 if life in ("in_use", "producing_below_target") else None,
            "lifecycle": life, "idle_type": idle,
            "overdue_days": overdue,
            "idle_fee_wan": round(price * 0.2, 1) if idle_flag and (overdue or 0) >= 365 else 0.0,
            "recovery_candidate": bool(idle_flag and (overdue or 0) >= 730),
            "low_efficiency": bool(low),
            "failed_indicators": "far;tax_per_mu" if low else "",
            "mujun_score": 55.0 if low else (90.0 if life == "in_use" else None),
            "mujun_class": ("C" if low else "A") if life in ("in_use", "producing_below_target")
            else "T",
            "flags": flags,
            "geometry": geom,
        })
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4527")
    gdf["overdue_days"] = gdf["overdue_days"].astype("Int64")
    from landuse.core.area import add_areas

    return add_areas(gdf)


def mini_ledger() -> pd.DataFrame:
    """The ledger rows in the standard's names (area in m²)."""
    rows = []
    for eid, pid, date, stage, method, mu, holder, zombie, corrects in _EVENTS:
        rows.append({
            "event_id": eid, "parcel_id": pid, "event_date": pd.Timestamp(date),
            "stage": stage, "method": method,
            "area_m2": None if mu is None else mu * M2_PER_MU,
            "new_holder": holder, "expected_output_wan": None,
            "zombie_cleared": zombie, "corrects": corrects, "note": None,
        })
    df = pd.DataFrame(rows)
    df["zombie_cleared"] = df["zombie_cleared"].astype("boolean")
    return df


def write_mini_gpkg(path) -> None:  # type: ignore[no-untyped-def]
    """Write the park as a GeoPackage with layers parcels and ledger."""
    import pyogrio

    parcels = mini_parcels()
    parcels.to_file(path, layer="parcels", driver="GPKG", engine="pyogrio")
    led = mini_ledger()
    led["event_date"] = led["event_date"].dt.strftime("%Y-%m-%d")
    pyogrio.write_dataframe(led, path, layer="ledger", driver="GPKG")
