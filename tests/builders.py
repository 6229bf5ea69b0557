"""Test data built in code: every register, ledger and assessed layer the tests share.

- :func:`make`, :func:`supplied`, :func:`producing`: small parcel layers for the rules
  (EPSG:4527, 100 m squares).
- :func:`mini_parcels`, :func:`mini_ledger`, :func:`write_mini_gpkg`: a small assessed park
  and its 2023 ledger whose Jan–Oct figures are the work report's.
- :func:`make_register`, :func:`make_ledger`: a grid register in CGCS2000 with a ledger,
  for the store and the API.
- :func:`fake_assess`, :func:`synthetic_parcels`, :func:`tiny_register`: assessed layers
  for the map, the §3 columns set by a fixed pattern so the map tests do not depend on
  the rules.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from landuse.core.area import add_areas
from landuse.units import M2_PER_MU

ROOT = Path(__file__).resolve().parent.parent
"""The checkout."""


# -- A small assessed park and its 2023 ledger, built in code (EPSG:4527, CGCS2000 GK 39).

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


# Procedure documents and idle-land fees of the mini park (added to mini_ledger() by the
# tests of the idle list and the open cases): id, parcel, date, stage, fee 万元.
_PROCEDURE_EVENTS = [
    ("X01", "P12", "2023-07-05", "investigation_notice", None),
    ("X02", "P12", "2023-08-20", "idle_determined", None),
    ("X03", "P12", "2023-10-20", "disposal_decided", None),
    ("X04", "P12", "2023-10-25", "fee_levied", 132.0),
    ("X05", "P12", "2023-10-30", "fee_paid", 50.0),
    ("X06", "P13", "2023-09-01", "fee_levied", 90.0),
    ("X07", "P13", "2023-10-10", "fee_paid", 90.0),
    ("X08", "P14", "2023-10-28", "investigation_notice", None),
    ("X09", "P09", "2023-11-15", "fee_levied", 1050.0),
]


def mini_procedure_ledger() -> pd.DataFrame:
    """:func:`mini_ledger` with the procedure documents and fees of ``_PROCEDURE_EVENTS``
    appended (X09 is after October: outside a Jan–Oct report)."""
    extra = pd.DataFrame([
        {"event_id": eid, "parcel_id": pid, "event_date": pd.Timestamp(date), "stage": stage,
         "fee_wan": fee}
        for eid, pid, date, stage, fee in _PROCEDURE_EVENTS
    ])
    return pd.concat([mini_ledger(), extra], ignore_index=True)


def write_mini_gpkg(path) -> None:  # type: ignore[no-untyped-def]
    """Write the park as a GeoPackage with layers parcels and ledger."""
    import pyogrio

    parcels = mini_parcels()
    parcels.to_file(path, layer="parcels", driver="GPKG", engine="pyogrio")
    led = mini_ledger()
    led["event_date"] = led["event_date"].dt.strftime("%Y-%m-%d")
    pyogrio.write_dataframe(led, path, layer="ledger", driver="GPKG")


# -- Small parcel layers built in code for the rules tests (EPSG:4527, 100 m squares).

DATE_FIELDS = (
    "approval_date",
    "supply_date",
    "delivery_date",
    "agreed_start_date",
    "agreed_completion_date",
    "permit_date",
    "start_date",
    "suspended_since",
    "completion_date",
    "production_date",
    "extension_until",
    "review_date",
    "contract_delivery_date",
)


BOOL_FIELDS = ("mortgaged", "above_scale")


def make(rows: list[dict[str, Any]], registered: float | None = 10000.0) -> gpd.GeoDataFrame:
    """Parcels P0, P1, ... as 100 m squares; dates/bools typed as the reader contract says."""
    df = pd.DataFrame(rows)
    if "parcel_id" not in df.columns:
        df["parcel_id"] = [f"P{i}" for i in range(len(df))]
    for c in DATE_FIELDS:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c])
    for c in BOOL_FIELDS:
        if c in df.columns:
            df[c] = df[c].astype("boolean")
    if registered is not None and "registered_area_m2" not in df.columns:
        df["registered_area_m2"] = registered
    geoms = [box(39500000 + i * 200, 3100000, 39500100 + i * 200, 3100100) for i in range(len(df))]
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4527")


def supplied(**kw: Any) -> dict[str, Any]:
    """A supplied industrial parcel; keyword arguments override."""
    row: dict[str, Any] = {
        "supply_date": "2020-01-01",
        "land_price_wan": 500.0,
        "delay_cause": "holder",
        "land_use": "industrial",
    }
    row.update(kw)
    return row


def producing(**kw: Any) -> dict[str, Any]:
    """A producing parcel (since 2015) passing every indicator; keyword arguments override."""
    row = supplied(
        supply_date="2012-06-01",
        start_date="2013-01-01",
        completion_date="2014-01-01",
        production_date="2015-01-01",
        industry_code="34",
        floor_area_m2=10000.0,
        footprint_m2=5000.0,
        yard_area_m2=0.0,
        admin_area_m2=500.0,
        green_area_m2=1000.0,
        invested_wan=6000.0,
        tax_wan=600.0,
        target_invest_intensity_wan_per_mu=300.0,
        target_tax_per_mu_wan=30.0,
        enterprise_status="operating",
        value_added_wan=3000.0,
        energy_tce=1000.0,
        employees=100.0,
        rd_wan=100.0,
        revenue_wan=5000.0,
    )
    row.update(kw)
    return row


# -- Fixtures shared by the store and API tests: small registers made in code and stores on

N_PARCELS = 60


def make_register(n: int = N_PARCELS) -> gpd.GeoDataFrame:
    """A grid of n square parcels near 120.5E 30.2N in CGCS2000, with varied fields."""
    cols = 10
    polys = [
        shapely.box(120.5 + (i % cols) * 0.001, 30.2 + (i // cols) * 0.001,
                    120.5 + (i % cols) * 0.001 + 0.0009, 30.2 + (i // cols) * 0.001 + 0.0009)
        for i in range(n)
    ]
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i:04d}" for i in range(n)],
            "zone": ["东区" if i % 3 == 0 else ("西区" if i % 3 == 1 else None) for i in range(n)],
            "holder": [f"{'甲乙丙丁'[i % 4]}科技有限公司{i}" for i in range(n)],
            "land_use": ["工业" if i % 2 else "storage" for i in range(n)],
            "supply_date": pd.to_datetime([f"20{10 + i % 12:02d}-0{1 + i % 9}-15"
                                           for i in range(n)]),
            "land_price_wan": [None if i % 7 == 0 else 100.0 + i for i in range(n)],
            "above_scale": [bool(i % 2) for i in range(n)],
            "stat_year": [2022] * n,
            "local_note": [f"note {i}" for i in range(n)],
        },
        geometry=polys,
        crs="EPSG:4490",
    )


def make_ledger() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["E0001", "E0002"],
        "parcel_id": ["P0001", "P0002"],
        "event_date": ["2023-03-01", "2023-04-01"],
        "stage": ["investigating", "已盘活"],
        "method": [None, "协议转让"],
        "area_m2": [None, 1200.0],
    })


# -- Helpers for the web-map tests: assessed parcels made by hand, and a headless browser.

STAGES = ["approved_unsupplied", "supplied_unused", "used_incomplete", "built_not_producing",
          "producing_below_target", "in_use", "in_use", "in_use"]


INDICATORS = ["far", "coverage", "admin_share", "green_ratio", "invest_intensity", "tax_per_mu"]


HOLDERS = ["抚州蘅苇装备有限公司", "江西青岚新材料有限公司", "临川云杉电子科技有限公司",
           "金溪松石食品有限公司", "东乡赤霞机械制造有限公司"]


def fake_assess(parcels: gpd.GeoDataFrame, seed: int = 1) -> gpd.GeoDataFrame:
    """Add the §3 columns with a fixed, varied pattern (what landuse.rules.assess adds)."""
    rng = np.random.default_rng(seed)
    out = add_areas(parcels.copy()) if "area_mu" not in parcels.columns else parcels.copy()
    n = len(out)
    stage = np.array([STAGES[i % len(STAGES)] for i in range(n)], dtype=object)
    out["lifecycle"] = stage
    idle = np.where(stage == "supplied_unused", "not_started",
                    np.where((stage == "used_incomplete") & (np.arange(n) % 2 == 0), "stalled",
                             "none"))
    out["idle_type"] = idle
    od = rng.integers(365, 1500, n).astype(float)
    out["overdue_days"] = np.where(idle == "not_started", od, np.nan)
    out["idle_fee_wan"] = np.where(idle != "none", np.round(rng.uniform(10, 300, n), 1), 0.0)
    out["recovery_candidate"] = pd.array((idle != "none") & (od >= 730), dtype="boolean")
    low = stage == "producing_below_target"
    failed = []
    for i in range(n):
        if not low[i]:
            failed.append(None)
        elif i % 3 == 0:
            failed.append(f"{INDICATORS[i % 6]};{INDICATORS[(i + 1) % 6]}")
        else:
            failed.append(INDICATORS[i % 6])
    out["low_efficiency"] = pd.array(low, dtype="boolean")
    out["failed_indicators"] = failed
    out["mujun_score"] = np.round(rng.uniform(40, 100, n), 1)
    out["mujun_class"] = [("A", "B", "C", "D", None)[i % 5] for i in range(n)]
    out["flags"] = ["mortgaged_idle" if (idle[i] != "none" and i % 4 == 0) else None
                    for i in range(n)]
    out["reasons"] = [
        f"宗地 {pid}:{'约定动工日期后超期 ' + str(int(od[i])) + ' 天未动工,满一年构成闲置'}"
        if idle[i] == "not_started" else f"宗地 {pid}:按规则评价为 {stage[i]}"
        for i, pid in enumerate(out["parcel_id"])
    ]
    if "holder" not in out.columns:
        out["holder"] = [HOLDERS[i % len(HOLDERS)] + (f"{i // 5}" if i >= 5 else "")
                         for i in range(n)]
    if "zone" not in out.columns:
        out["zone"] = [f"片区{1 + (i % 3)}" for i in range(n)]
    return out


def synthetic_parcels(n: int, size_m: float = 80.0, gap_m: float = 20.0,
                      origin: tuple[float, float] = (116.30, 27.95)) -> gpd.GeoDataFrame:
    """``n`` square parcels on a grid near Fuzhou (Jiangxi), in EPSG:4490."""
    side = int(np.ceil(np.sqrt(n)))
    lat0 = origin[1]
    dy = (size_m + gap_m) / 111320.0
    dx = dy / np.cos(np.radians(lat0))
    sy = size_m / 111320.0
    sx = sy / np.cos(np.radians(lat0))
    i = np.arange(n)
    x0 = origin[0] + (i % side) * dx
    y0 = lat0 + (i // side) * dy
    import shapely

    geoms = shapely.box(x0, y0, x0 + sx, y0 + sy)
    gdf = gpd.GeoDataFrame({"parcel_id": [f"P{k:07d}" for k in i]}, geometry=geoms, crs=4490)
    gdf["zone"] = [f"片区{1 + (k // side) * 3 // side}" for k in i]
    return gdf


def tiny_register() -> gpd.GeoDataFrame:
    """Six parcels in CGCS2000 with one hole and one multipolygon."""
    from shapely.geometry import MultiPolygon, Polygon

    x, y = 116.35, 27.98
    d = 0.001
    geoms = [box(x + k * 1.2 * d, y, x + k * 1.2 * d + d, y + d) for k in range(4)]
    geoms.append(Polygon(
        [(x, y + 2 * d), (x + 2 * d, y + 2 * d), (x + 2 * d, y + 3 * d), (x, y + 3 * d)],
        [[(x + 0.5 * d, y + 2.3 * d), (x + 0.8 * d, y + 2.3 * d), (x + 0.8 * d, y + 2.7 * d)]],
    ))
    geoms.append(MultiPolygon([box(x + 3 * d, y + 2 * d, x + 3.5 * d, y + 2.5 * d),
                               box(x + 3.7 * d, y + 2 * d, x + 4.2 * d, y + 2.5 * d)]))
    return gpd.GeoDataFrame({"parcel_id": [f"T-{k}" for k in range(6)]}, geometry=geoms,
                            crs=4490)


# -- Hand-worked cases kept as CSV tables beside the rules tests


def hand_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a hand-worked case table (UTF-8 CSV with a header)."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def hand_pairs(text: str) -> list[str]:
    """The ``a=b | c=d`` items of a case table's cell."""
    return [p.strip() for p in text.split(" | ") if p.strip()]


def hand_check(cell: Any, expect: str) -> None:
    """Assert one hand-written expectation about an output cell: ``field=value`` (equal),
    ``field!=value``, ``field~text`` (contains), ``field!~text`` (does not contain) or
    ``field≈number`` (within 0.01)."""
    text = "" if cell is None or (isinstance(cell, float) and cell != cell) else str(cell)
    for op in ("!~", "!=", "≈", "~", "="):
        if op in expect:
            field, want = expect.split(op, 1)
            break
    else:
        raise AssertionError(f"{expect!r}: no operator (=, !=, ~, !~, ≈)")
    if op == "≈":
        assert text and abs(float(text) - float(want)) < 0.01, f"{field}: {text!r} != {want}"
    elif op == "=":
        assert text == want, f"{field}: {text!r} != {want!r}"
    elif op == "!=":
        assert text != want, f"{field}: {text!r} == {want!r}"
    elif op == "~":
        assert want in text, f"{field}: {want!r} not in {text!r}"
    else:
        assert want not in text, f"{field}: {want!r} in {text!r}"


def hand_value(field: str, raw: str, text_fields: set[str]) -> Any:
    """A case table's cell as a value: None, text (text fields and dates), bool or number."""
    if raw == "None":
        return None
    if field in text_fields or "date" in field:
        return raw
    if raw in ("true", "false"):
        return raw == "true"
    try:
        return float(raw)
    except ValueError:
        return raw


def supply_records(**layers: list[dict[str, Any]]) -> Any:
    """Supply records (``landuse.supply.SupplyData``) from rows in the standard's names,
    areas given in 亩 under ``mu`` (converted to the layer's ``*_m2`` field), dates as
    ISO text; a layer not given is empty."""
    from landuse.standard import get_standard
    from landuse.supply import SupplyData, empty_layer

    std = get_standard()
    d = SupplyData()
    for kind, rows in layers.items():
        area = next((f.name for f in std.fields[kind] if f.type == "area"), None)  # type: ignore[index]
        frame = empty_layer(kind)
        recs = [{**{k: v for k, v in r.items() if k != "mu"},
                 **({area: r["mu"] * M2_PER_MU} if "mu" in r else {})} for r in rows]
        new = pd.DataFrame.from_records(recs)
        for f in std.fields[kind]:  # type: ignore[index]
            if f.name in new.columns and f.type == "date":
                new[f.name] = pd.to_datetime(new[f.name])
        setattr(d, kind, pd.concat([frame, new], ignore_index=True)[list(frame.columns)])
    return d


def mujun_enterprise_rows() -> list[dict[str, Any]]:
    """Eight parcels of six enterprises for the 亩均-by-enterprise tests (15 亩 each, the
    same figures per 亩 but tax): 91A (甲) 450, 乙 300, 91C (丙, two parcels) 150 + 150,
    a parcel with neither code nor holder 60, all 规上; 丁 规下 (tax 600); 戊 on
    commercial land (N); 己 supplied, not producing (T)."""
    return [
        producing(parcel_id="E1", holder="甲", credit_code="91A", tax_wan=450.0, above_scale=True),
        producing(parcel_id="E2", holder="乙", tax_wan=300.0, above_scale=True),
        producing(parcel_id="E3a", holder="丙", credit_code="91C", tax_wan=150.0,
                  above_scale=True),
        producing(parcel_id="E3b", holder="丙", credit_code="91C", tax_wan=150.0,
                  above_scale=True),
        producing(parcel_id="E4", holder="丁", above_scale=False),
        producing(parcel_id="E5", tax_wan=60.0, above_scale=True),
        producing(parcel_id="E6", holder="戊", land_use="commercial"),
        supplied(parcel_id="E7", holder="己", agreed_start_date="2023-06-01"),
    ]


def second_version() -> gpd.GeoDataFrame:
    """P0010 split in a west and an east half (P0010-1, P0010-2), P0020+P0021 merged into
    P0020M, P0030's holder changed, P0040 gone; the other 55 parcels unchanged."""
    reg = make_register()
    by_id = reg.set_index("parcel_id", drop=False)
    x0, y0, x1, y1 = by_id.loc["P0010"].geometry.bounds
    xm = (x0 + x1) / 2
    west = by_id.loc[["P0010"]].copy()
    west["parcel_id"] = "P0010-1"
    west["parent_ids"] = "P0010"
    west = west.set_geometry([shapely.box(x0, y0, xm, y1)], crs=reg.crs)
    east = west.copy()
    east["parcel_id"] = "P0010-2"
    east = east.set_geometry([shapely.box(xm, y0, x1, y1)], crs=reg.crs)
    merged = by_id.loc[["P0020"]].copy()
    merged["parcel_id"] = "P0020M"
    merged["parent_ids"] = "P0020;P0021"
    merged = merged.set_geometry(
        [shapely.union(by_id.loc["P0020"].geometry, by_id.loc["P0021"].geometry).envelope],
        crs=reg.crs)
    rest = reg[~reg.parcel_id.isin(["P0010", "P0020", "P0021", "P0040"])].copy()
    rest.loc[rest.parcel_id == "P0030", "holder"] = "新持有人有限公司"
    out = pd.concat([rest, west, east, merged], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=reg.crs)


# -- Register versions at random: splits, merges, holder changes, re-supplies, retirements.

def history_register(n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` square parcels (CGCS2000) with the fields every rule family reads, drawn at
    random: some not started, some started or completed, some producing with 亩均 figures
    (规上 and 规下, several parcels per enterprise), a delay cause on some."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    cols = 20
    x0 = 116.0 + (k % cols) * 0.001
    y0 = 39.0 + (k // cols) * 0.001
    supply = np.datetime64("2017-01-01") + rng.integers(0, 2200, n).astype("timedelta64[D]")
    start = supply + rng.integers(100, 900, n).astype("timedelta64[D]")
    done = start + rng.integers(200, 900, n).astype("timedelta64[D]")
    prod = done + rng.integers(30, 400, n).astype("timedelta64[D]")
    started, completed, producing_ = (rng.random(n) < p for p in (0.7, 0.6, 0.5))
    completed &= started
    producing_ &= completed

    def dates(d: np.ndarray, keep: np.ndarray) -> pd.Series:
        return pd.Series(pd.to_datetime(d.astype("datetime64[D]").astype(str))).where(keep)

    ent = rng.integers(0, max(n // 3, 1), n)
    df = pd.DataFrame({
        "parcel_id": [f"H{i:05d}" for i in k],
        "zone": np.array(["东区", "西区", "南区"])[k % 3],
        "land_use": np.where(rng.random(n) < 0.85, "industrial", "commercial"),
        "supply_date": dates(supply, np.ones(n, dtype=bool)),
        "land_price_wan": np.round(rng.uniform(100, 900, n), 1),
        "agreed_start_date": dates(supply + 365, rng.random(n) < 0.9),
        "delay_cause": pd.Series(np.where(rng.random(n) < 0.5, "holder", "government"),
                                 dtype=object).where(rng.random(n) < 0.6),
        "start_date": dates(start, started),
        "completion_date": dates(done, completed),
        "production_date": dates(prod, producing_),
        "holder": [f"企业{e}有限公司" for e in ent],
        "credit_code": pd.Series([f"91{e:06d}" for e in ent], dtype=object)
        .where(rng.random(n) < 0.7),
        "industry_code": pd.Series(rng.choice(["34", "39", "26", "C13"], n), dtype=object),
        "enterprise_status": "operating",
        "above_scale": pd.array(rng.random(n) < 0.6, dtype="boolean"),
        "floor_area_m2": np.round(rng.uniform(2000, 20000, n), 1),
        "footprint_m2": np.round(rng.uniform(1000, 6000, n), 1),
        "invested_wan": np.round(rng.uniform(500, 9000, n), 1),
        "tax_wan": pd.Series(np.round(rng.gamma(2.0, 60.0, n), 2)).where(producing_),
        "revenue_wan": pd.Series(np.round(rng.gamma(2.0, 900.0, n), 2)).where(producing_),
        "stat_year": 2022,
    })
    geoms = shapely.box(x0, y0, x0 + 0.0009, y0 + 0.0009)
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4490")


def history_version(reg: gpd.GeoDataFrame, seed: int, tag: str,
                    resupply: str) -> gpd.GeoDataFrame:
    """A new version of ``reg``: 4 % new holders, 2 % re-supplied on ``resupply`` (to start
    within a year, their progress cleared), 2 % started, 2 % split in two halves, 2 pairs
    of neighbours merged (the merged parcel names both), 2 % retired; ids of new parcels
    end in ``tag``."""
    rng = np.random.default_rng(seed)
    out = reg.copy()
    n = len(out)
    pick = rng.permutation(n)
    s = max(n // 50, 1)
    holders, resup, start, split, gone = (pick[:2 * s], pick[2 * s:3 * s], pick[3 * s:4 * s],
                                          pick[4 * s:5 * s], pick[5 * s:6 * s])
    out.iloc[holders, out.columns.get_loc("holder")] = [f"新企业{tag}{i}" for i in holders]
    out.iloc[resup, out.columns.get_loc("supply_date")] = pd.Timestamp(resupply)
    out.iloc[resup, out.columns.get_loc("agreed_start_date")] = \
        pd.Timestamp(resupply) + pd.DateOffset(years=1)
    for c in ("start_date", "completion_date", "production_date"):
        out.iloc[resup, out.columns.get_loc(c)] = pd.NaT
    out.iloc[start, out.columns.get_loc("start_date")] = pd.Timestamp(resupply)
    parents = out.iloc[split]
    x0, y0, x1, y1 = shapely.bounds(parents.geometry.to_numpy()).T
    xm = (x0 + x1) / 2
    halves = []
    for side, (a, b) in (("a", (x0, xm)), ("b", (xm, x1))):
        h = parents.copy()
        h["parcel_id"] = parents["parcel_id"].to_numpy() + f"-{tag}{side}"
        h["parent_ids"] = parents["parcel_id"].to_numpy()
        halves.append(h.set_geometry(shapely.box(a, y0, b, y1), crs=reg.crs))
    used = set(holders) | set(resup) | set(start) | set(split) | set(gone)
    free = [i for i in pick[6 * s:] if i not in used]
    merged, retired_pairs = [], []
    for i in free:
        j = i + 1
        if len(merged) == 2:
            break
        if j < n and j not in used and (i % 20) != 19:
            both = out.iloc[[i, j]]
            m = both.iloc[[0]].copy()
            m["parcel_id"] = f"{both['parcel_id'].iloc[0]}M{tag}"
            m["parent_ids"] = ";".join(both["parcel_id"])
            merged.append(m.set_geometry([shapely.union_all(both.geometry.to_numpy())],
                                         crs=reg.crs))
            retired_pairs += [i, j]
            used |= {i, j}
    keep = np.ones(n, dtype=bool)
    keep[[*split, *gone, *retired_pairs]] = False
    return gpd.GeoDataFrame(pd.concat([out[keep], *halves, *merged], ignore_index=True),
                            geometry="geometry", crs=reg.crs)


def history_ledger(reg: pd.DataFrame, n_events: int, seed: int) -> pd.DataFrame:
    """``n_events`` ledger events on random parcels in 2023, some closing (an auction
    completed, disposed by agreement transfer) and some not."""
    rng = np.random.default_rng(seed)
    pids = reg["parcel_id"].to_numpy()[rng.integers(0, len(reg), n_events)]
    days = pd.Timestamp("2023-02-01") + pd.to_timedelta(rng.integers(0, 300, n_events), "D")
    kind = rng.integers(0, 3, n_events)
    return pd.DataFrame({
        "event_id": [f"HE{i:05d}" for i in range(n_events)],
        "parcel_id": pids,
        "event_date": days.strftime("%Y-%m-%d"),
        "stage": np.array(["investigating", "auction_completed", "disposed"])[kind],
        "method": pd.Series(np.where(kind == 2, "agreement_transfer", None), dtype=object),
        "area_m2": np.where(kind > 0, 500.0, np.nan),
    })
