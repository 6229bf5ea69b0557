"""Generate the sample park's supply records ``data/geo/sample_park_supply.gpkg``.

Fictional, like the sample park: approval batches around the park's parcels, the supply
record of every supplied parcel, reserve land, quota events, the 2023 supply plan and
disposal tasks, and mortgage registrations, consistent with the seed report ("能用的地只有
300多亩", "用地指标极度缺乏"). The sample park itself (``sample_park.gpkg``) is read, never
changed.

Outputs (next to this script unless ``--out-dir`` is given):

* ``sample_park_supply.gpkg``: one layer per record kind (``batches``, ``reductions``,
  ``supply``, ``reserve``, ``quota_events``, ``supply_plan``, ``disposal_tasks``,
  ``mortgages``) in the standard's names, areas in m²;
* ``sample_supply_expected.json``: the figures as of 2023-10-31, worked out here with plain
  sums over the design tables below (the formulas of domain.md §11.2 and the 口径 of
  ``supply_2024.toml``), not with landuse's code.

Deterministic: no random numbers, no network, no clock; GDAL's ``OGR_CURRENT_DATE`` pinned.
Run ``python data/geo/make_sample_supply.py [--out-dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

HERE = Path(__file__).resolve().parent
AS_OF = pd.Timestamp("2023-10-31")
MU = 10000.0 / 15.0
"""m² per 亩."""

BATCHES_FROM = pd.Timestamp("2018-01-01")
"""Parcels approved from this day on are grouped into batches (zone × year)."""

ZONE_CODE = {"抚北工业园": "FB", "有色金属新材料产业园": "YS", "电子信息产业园": "DZ",
             "化工产业园": "HG"}

REMAINDER_MU = {"HG2020": 45.0, "DZ2019": 30.0, "YS2021": 25.0, "FB2018": 12.0}
"""Approved land of a batch not yet laid out as parcels (亩), beyond its parcels."""

REDUCTIONS = [
    # id, batch, date, kind, 亩
    ("HJ-2022-01", "DZ2019", "2022-09-01", "withdrawal", 10.0),
    ("HJ-2023-01", "HG2020", "2023-06-20", "reduction", 20.0),
    ("HJ-2023-02", "YS2021", "2023-11-15", "reduction", 5.0),  # after the as-of date
]

RESERVE = [
    # id, zone, agreement, 亩, 补偿(万元), 应征收, 已征收, 净地日期, 规划用途, 类别,
    # parcel supplied from it
    ("CB-01", "抚北工业园", "2020-04-10", 120.0, 4800.0, 36, 36, "2022-06-30",
     "industrial_storage", None, None),
    ("CB-02", "有色金属新材料产业园", "2021-09-01", 95.0, 3990.0, 22, 22, "2023-03-15",
     "industrial_storage", None, None),
    ("CB-03", "电子信息产业园", "2020-11-20", 58.0, 3480.0, 15, 15, "2021-12-20",
     "commercial", None, None),
    ("CB-04", "化工产业园", "2022-03-05", 40.0, 1200.0, 0, 0, "2023-05-10", "public",
     None, None),
    ("CB-05", "化工产业园", "2022-12-01", 80.0, 3600.0, 46, 31, "2024-06-30",
     "industrial_storage", None, None),
    ("CB-06", "抚北工业园", "2023-08-01", 65.0, 2600.0, 28, 0, None, "industrial_storage",
     None, None),
    ("CB-07", "电子信息产业园", "2021-05-18", None, 1500.0, 9, 9, "2022-08-01",
     "industrial_storage", None, "DZ-039"),
]
"""CB-07 became parcel DZ-039 (its area is the parcel's); CB-05 is still being expropriated
(31 of 46 households), CB-06 only has its agreement."""

QUOTA = [
    # id, date, kind, event, 亩, note
    ("ZB-2018", "2018-01-01", "new_construction", "granted", 600.0, "2018年度计划指标"),
    ("ZB-2019", "2019-01-01", "new_construction", "granted", 550.0, "2019年度计划指标"),
    ("ZB-2020", "2020-01-01", "new_construction", "granted", 500.0, "2020年度计划指标"),
    ("ZB-2021", "2021-01-01", "new_construction", "granted", 480.0, "2021年度计划指标"),
    ("ZB-2022", "2022-01-01", "new_construction", "granted", 420.0, "2022年度计划指标"),
    ("JL-2022", "2022-07-01", "new_construction", "rewarded", 30.0, "增存挂钩奖励"),
    ("ZB-2023", "2023-01-01", "new_construction", "granted", 300.0, "2023年度计划指标"),
    ("HJ-2023", "2023-09-01", "new_construction", "deducted", 15.0, "核减"),
    ("ZB-2024", "2024-01-01", "new_construction", "granted", 150.0, "统计日之后"),
    ("BH-2019", "2019-05-01", "balance", "granted", 400.0, "占补平衡指标"),
]
"""Grants and rewards; the 使用 events are written from the batches (each batch uses its
新增建设用地 on its approval date)."""

PLAN_2023 = [("industrial_storage", 300.0), ("commercial", 20.0), ("public", 15.0)]
TASKS_2023 = [(None, "unsupplied", 320.0), (None, "idle", 150.0),
              ("化工产业园", "unsupplied", 80.0)]
"""2023 tasks (亩): whole zone 批而未供 320 and 闲置 150; 化工产业园 批而未供 80."""


def half_up(x: float, nd: int) -> float:
    q = Decimal(1).scaleb(-nd)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP)) + 0.0


def mu2(m2: float) -> float:
    return half_up(m2 / MU, 2)


def way(row: pd.Series) -> str:
    if row["supply_method"] == "allocation":
        return "allocation"
    if row["supply_method"] == "lease_then_transfer":
        return "agreement"
    return "auction" if row["land_use"] == "commercial" else "listing"


USE = {"industrial": "industrial_storage", "storage": "industrial_storage",
       "commercial": "commercial", "residential": "residential", "public": "public",
       "green": "public", "road": "transport", "other": "other"}


def supervision_no(prefix: str, n: int) -> str:
    """A 19-character 电子监管号 (fictional: county 361099, which does not exist)."""
    return f"361099{prefix}{n:011d}"


def build(parcels: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    p = parcels.copy()
    for c in ("approval_date", "supply_date", "agreed_start_date", "agreed_completion_date",
              "delivery_date"):
        p[c] = pd.to_datetime(p[c])
    recent = p[p["approval_date"] >= BATCHES_FROM].copy()
    recent["batch_id"] = [f"{ZONE_CODE[z]}{d.year}" for z, d in
                          zip(recent["zone"], recent["approval_date"], strict=True)]
    rows = []
    for bid, g in recent.groupby("batch_id", sort=True):
        area = float(g["registered_area_m2"].sum()) + REMAINDER_MU.get(bid, 0.0) * MU
        area += sum(r[4] for r in REDUCTIONS if r[1] == bid) * MU
        rows.append({
            "batch_id": bid, "supervision_no": supervision_no("01", len(rows) + 1),
            "batch_name": f"云岚经济开发区{g['approval_date'].min().year}年度{g['zone'].iloc[0]}"
                          "城市批次",
            "zone": g["zone"].iloc[0], "approval_date": g["approval_date"].min(),
            "batch_type": "urban", "approved_area_m2": round(area, 2),
            "new_construction_m2": round(area, 2), "farmland_m2": round(area, 2),
            "cropland_m2": round(area * 0.6, 2),
            "geometry": shapely.union_all(g.geometry.to_numpy()).convex_hull.buffer(5.0),
        })
    batches = gpd.GeoDataFrame(rows, geometry="geometry", crs=parcels.crs)
    batch_of = dict(zip(recent["parcel_id"], recent["batch_id"], strict=True))
    sup = p[p["supply_date"].notna()].sort_values(["supply_date", "parcel_id"])
    supply = pd.DataFrame({
        "supervision_no": [supervision_no("02", i + 1) for i in range(len(sup))],
        "parcel_id": sup["parcel_id"].to_numpy(),
        "batch_id": [batch_of.get(x) for x in sup["parcel_id"]],
        "supply_way": [way(r) for _, r in sup.iterrows()],
        "use": sup["land_use"].map(USE).to_numpy(),
        "area_m2": sup["registered_area_m2"].to_numpy(),
        "price_wan": sup["land_price_wan"].to_numpy(),
        "contract_date": sup["supply_date"].to_numpy(),
        "agreed_delivery_date": sup["delivery_date"].to_numpy(),
        "agreed_start_date": sup["agreed_start_date"].to_numpy(),
        "agreed_completion_date": sup["agreed_completion_date"].to_numpy(),
        "far_min": sup["target_far"].to_numpy(),
        "invest_intensity_wan_per_mu": sup["target_invest_intensity_wan_per_mu"].to_numpy(),
    })
    # keep the agreed dates in order (the register may carry a start before delivery)
    bad = supply["agreed_start_date"] < supply["agreed_delivery_date"]
    supply.loc[bad, "agreed_delivery_date"] = supply.loc[bad, "contract_date"]
    reductions = pd.DataFrame(
        [{"reduction_id": i, "batch_id": b, "reduction_date": pd.Timestamp(d),
          "reduction_kind": k, "area_m2": a * MU} for i, b, d, k, a in REDUCTIONS])
    by_parcel = dict(zip(supply["parcel_id"], supply["supervision_no"], strict=True))
    area_of = dict(zip(p["parcel_id"], p["registered_area_m2"], strict=True))
    east = parcels.total_bounds[2] + 200.0
    south = parcels.total_bounds[1]
    res_rows = []
    for i, (rid, zone, agr, a, comp, tot, done, clean, use, cat, pid) in enumerate(RESERVE):
        area = area_of[pid] if pid else a * MU
        side = (area ** 0.5)
        x0, y0 = east, south + i * 400.0
        res_rows.append({
            "reserve_id": rid, "zone": zone, "agreement_date": pd.Timestamp(agr),
            "area_m2": area, "compensation_wan": comp, "expropriation_total": tot,
            "expropriation_done": done,
            "clean_land_date": pd.Timestamp(clean) if clean else pd.NaT,
            "planned_use": use, "supply_category": cat,
            "supervision_no": by_parcel[pid] if pid else None,
            "geometry": shapely.box(x0, y0, x0 + side, y0 + side),
        })
    reserve = gpd.GeoDataFrame(res_rows, geometry="geometry", crs=parcels.crs)
    q = [{"event_id": i, "event_date": pd.Timestamp(d), "year": pd.Timestamp(d).year,
          "quota_kind": k, "event_kind": e, "area_m2": a * MU, "note": n}
         for i, d, k, e, a, n in QUOTA]
    for b in batches.itertuples():
        q.append({"event_id": f"SY-{b.batch_id}", "event_date": b.approval_date,
                  "year": b.approval_date.year, "quota_kind": "new_construction",
                  "event_kind": "used", "area_m2": b.new_construction_m2,
                  "note": f"批次{b.batch_id}使用"})
    quota = pd.DataFrame(q).sort_values(["event_date", "event_id"]).reset_index(drop=True)
    plan = pd.DataFrame([{"year": 2023, "use": u, "planned_area_m2": a * MU}
                         for u, a in PLAN_2023])
    tasks = pd.DataFrame([{"year": 2023, "zone": z, "task_kind": k, "task_area_m2": a * MU}
                          for z, k, a in TASKS_2023])
    mort = p[p["mortgaged"].astype(bool) & p["supply_date"].notna()].sort_values("parcel_id")
    mortgages = pd.DataFrame({
        "mortgage_id": [f"赣(2099)云岚不动产证明第{i + 1:07d}号" for i in range(len(mort))],
        "parcel_id": mort["parcel_id"].to_numpy(),
        "holder": mort["holder"].to_numpy(),
        "lender": ["云岚农村商业银行" if i % 3 else "江西云岚银行" for i in range(len(mort))],
        "registration_date": (mort["supply_date"] + pd.Timedelta(days=240)).to_numpy(),
        "amount_wan": [float(round(a / MU * 12.0)) for a in mort["registered_area_m2"]],
    })
    return {"batches": batches, "reductions": reductions, "supply": supply,
            "reserve": reserve, "quota_events": quota, "supply_plan": plan,
            "disposal_tasks": tasks, "mortgages": mortgages}


def expected(L: dict[str, pd.DataFrame], ledger: pd.DataFrame,
             parcels: pd.DataFrame) -> dict:
    """The figures as of AS_OF, by the formulas of domain.md §11.2, with plain sums."""
    t = AS_OF
    b, s, r = L["batches"], L["supply"], L["reductions"]
    s_on = s[s["contract_date"] <= t]
    r_on = r[r["reduction_date"] <= t]
    per_batch = {}
    for row in b.itertuples():
        sup = s_on.loc[s_on["batch_id"] == row.batch_id, "area_m2"].sum()
        red = r_on.loc[r_on["batch_id"] == row.batch_id, "area_m2"].sum()
        per_batch[row.batch_id] = row.approved_area_m2 - sup - red
    start = t - pd.DateOffset(years=5)
    inside = b[(b["approval_date"] >= start) & (b["approval_date"] <= t)]
    sup_in = s_on[s_on["batch_id"].isin(set(inside["batch_id"]))]["area_m2"].sum()
    rate = sup_in / inside["approved_area_m2"].sum()
    tasks = []
    y0 = pd.Timestamp("2023-01-01")
    for z, k, a in TASKS_2023:
        if k == "unsupplied":
            stock = b[(b["approval_date"] < y0) & ((b["zone"] == z) if z else True)]
            ids = set(stock["batch_id"])
            done = s[(s["contract_date"] >= y0) & (s["contract_date"] <= t)
                     & s["batch_id"].isin(ids)]["area_m2"].sum()
            done += r[(r["reduction_date"] >= y0) & (r["reduction_date"] <= t)
                      & r["batch_id"].isin(ids)]["area_m2"].sum()
        else:
            led = ledger[(ledger["stage"] == "disposed") & (ledger["event_date"] >= y0)
                         & (ledger["event_date"] <= t)]
            done = led.groupby("parcel_id")["area_m2"].max().sum()
        tasks.append({"zone": z, "task_kind": k, "task_mu": a, "done_mu": mu2(done),
                      "rate_pct": half_up(done / (a * MU) * 100, 1),
                      "met": bool(done >= a * MU)})
    res = L["reserve"]
    linked = dict(zip(s["supervision_no"], s["contract_date"], strict=True))
    ready = res[(res["clean_land_date"] <= t)
                & ~res["supervision_no"].map(lambda x: x in linked and linked[x] <= t)]
    cat = {"E1": 0.0, "E21": 0.0, "E22": 0.0}
    for row in ready.itertuples():
        c = ("E1" if row.planned_use in ("public", "transport") else
             "E21" if row.planned_use == "industrial_storage" else "E22")
        cat[c] += row.area_m2
    suppliable = sum(cat.values())
    win = s[(s["contract_date"].dt.year >= 2020) & (s["contract_date"].dt.year <= 2022)]
    mean = win["area_m2"].sum() / 3
    qe = L["quota_events"][L["quota_events"]["event_date"] <= t]
    quota = {}
    for k, g in qe.groupby("quota_kind"):
        sums = {e: g.loc[g["event_kind"] == e, "area_m2"].sum()
                for e in ("granted", "rewarded", "used", "deducted")}
        bal = sums["granted"] + sums["rewarded"] - sums["used"] - sums["deducted"]
        quota[k] = {e: mu2(v) for e, v in sums.items()} | {
            "balance_mu": mu2(bal), "shortfall_mu": mu2(max(0.0, -bal))}
    plan = {}
    for u, a in PLAN_2023:
        got = s[(s["contract_date"] >= y0) & (s["contract_date"] <= t)
                & (s["use"] == u)]["area_m2"].sum()
        plan[u] = {"planned_mu": a, "supplied_mu": mu2(got),
                   "rate_pct": half_up(got / (a * MU) * 100, 1)}
    m = L["mortgages"][L["mortgages"]["registration_date"] <= t]
    return {
        "dataset": "data/geo/sample_park_supply.gpkg",
        "as_of": t.strftime("%Y-%m-%d"),
        "counts": {k: len(v) for k, v in L.items()},
        "unsupplied_mu_by_batch": {k: mu2(v) for k, v in per_batch.items()},
        "unsupplied_mu": mu2(sum(per_batch.values())),
        "supply_rate": {"window_start": start.strftime("%Y-%m-%d"),
                        "batches": len(inside), "rate_pct": half_up(rate * 100, 1)},
        "tasks_2023": tasks,
        "idle_disposal_rate": None,
        "idle_disposal_rate_why": "the sample ledger records no 闲置土地认定书 (idle_determined)",
        "suppliable_mu": mu2(suppliable),
        "suppliable_mu_by_category": {k: mu2(v) for k, v in cat.items()},
        "years_left": {"window": [2020, 2022], "supplied_mu": mu2(win["area_m2"].sum()),
                       "mean_mu": mu2(mean), "years": half_up(suppliable / mean, 1)},
        "quota": quota,
        "plan_2023": plan,
        "supplied_count": len(s_on),
        "supplied_mu": mu2(s_on["area_m2"].sum()),
        "mortgage_users": int(m["holder"].nunique()),
        "mortgage_registrations": len(m),
        "financed_yi": half_up(m["amount_wan"].sum() / 10000.0, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=HERE)
    args = ap.parse_args()
    os.environ["OGR_CURRENT_DATE"] = "2023-10-31T00:00:00Z"
    parcels = gpd.read_file(HERE / "sample_park.gpkg", layer="parcels")
    ledger = gpd.read_file(HERE / "sample_park.gpkg", layer="ledger")
    ledger["event_date"] = pd.to_datetime(ledger["event_date"])
    layers = build(parcels)
    exp = expected(layers, pd.DataFrame(ledger), parcels)
    assert 300 <= exp["suppliable_mu"] < 400, exp["suppliable_mu"]  # "300多亩"
    assert exp["quota"]["new_construction"]["shortfall_mu"] > 0  # "用地指标极度缺乏"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / "sample_park_supply.gpkg"
    out.unlink(missing_ok=True)
    for kind, frame in layers.items():
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(out, layer=kind, driver="GPKG")
        else:  # an attribute table
            pyogrio.write_dataframe(frame, out, layer=kind, driver="GPKG")
    (args.out_dir / "sample_supply_expected.json").write_text(
        json.dumps(exp, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} and sample_supply_expected.json")


if __name__ == "__main__":
    main()
