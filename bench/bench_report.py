"""Benchmark: the land report for 100 000 parcels and 20 000 ledger events, every format.

Each format runs in its own process (so peak memory is that format's alone): the process
builds the synthetic park (seeded, identical every run), computes the report
(``build_report``) and writes one file. Printed per format: time to build the figures,
time to write, the process's peak RSS, the RSS just before writing (the growth is what
the writer needs) and the file size. Targets: under 60 s and 4 GB per format; the Excel
writer (openpyxl write-only) must add only a constant amount of memory.

    PYTHONPATH=. python bench/bench_report.py                  # 100 000 parcels, 20 000 events
    PYTHONPATH=. python bench/bench_report.py --parcels 20000 --events 4000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

FORMATS = (".json", ".md", ".html", ".xlsx", ".docx")
STAGES = ("investigating", "recovery_in_progress", "remedy_start_pending", "auction_started",
          "auction_completed", "disposed")
METHODS = ("lease_then_transfer", "agreement_transfer", "merger", "judicial_auction",
           "negotiated_buyback", "free_recovery")
LIFECYCLES = ("approved_unsupplied", "supplied_unused", "used_incomplete",
              "built_not_producing", "producing_below_target", "in_use")


def synth(n_parcels: int, n_events: int, seed: int = 7) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """A park of ``n_parcels`` assessed parcels (grid of 5-vertex polygons, EPSG:4527)."""
    rng = np.random.default_rng(seed)
    side = rng.uniform(60, 250, n_parcels)
    cols = int(np.ceil(np.sqrt(n_parcels)))
    i = np.arange(n_parcels)
    x0 = 39_500_000 + (i % cols) * 270.0
    y0 = 3_400_000 + (i // cols) * 270.0
    geoms = shapely.box(x0, y0, x0 + side, y0 + side * rng.uniform(0.6, 1.0, n_parcels))
    area_m2 = shapely.area(geoms)
    life = rng.choice(LIFECYCLES, n_parcels, p=[0.04, 0.08, 0.08, 0.06, 0.06, 0.68])
    idle = np.where(np.isin(life, ["supplied_unused"]) & (rng.random(n_parcels) < 0.6),
                    "not_started", "none")
    idle = np.where((life == "used_incomplete") & (rng.random(n_parcels) < 0.2), "stalled", idle)
    low = (np.isin(life, ["producing_below_target", "in_use"])) & (rng.random(n_parcels) < 0.08)
    built = np.isin(life, ["built_not_producing", "producing_below_target", "in_use"])
    supply = pd.Series(pd.to_datetime("2005-01-01") + pd.to_timedelta(
        rng.integers(0, 5000, n_parcels), unit="D"))
    supply = supply.where(life != "approved_unsupplied", pd.NaT)
    price = area_m2 / 666.67 * rng.uniform(10, 40, n_parcels)
    overdue = np.where(idle != "none", rng.integers(30, 2000, n_parcels), -1)
    parcels = gpd.GeoDataFrame({
        "parcel_id": [f"P{k:06d}" for k in i],
        "zone": rng.choice([f"园区{k:02d}" for k in range(1, 13)], n_parcels),
        "holder": [f"企业{k:06d}" for k in i],
        "land_use": rng.choice(["industrial", "storage", "commercial", "residential"],
                               n_parcels, p=[0.7, 0.1, 0.1, 0.1]),
        "approval_date": pd.to_datetime("2004-01-01"),
        "supply_date": supply,
        "completion_date": pd.Series(pd.to_datetime("2015-01-01"), index=i).where(built, pd.NaT),
        "floor_area_m2": np.where(built, area_m2 * rng.uniform(0.5, 2.0, n_parcels), np.nan),
        "footprint_m2": np.where(built, area_m2 * rng.uniform(0.2, 0.6, n_parcels), np.nan),
        "yard_area_m2": np.where(built, area_m2 * 0.05, np.nan),
        "invested_wan": np.where(built, area_m2 / 666.67 * rng.uniform(100, 400, n_parcels),
                                 np.nan),
        "tax_wan": np.where(built, area_m2 / 666.67 * rng.uniform(0, 30, n_parcels), np.nan),
        "land_price_wan": price,
        "lifecycle": life,
        "idle_type": idle,
        "overdue_days": pd.array(np.where(overdue >= 0, overdue, 0), dtype="Int64"),
        "idle_fee_wan": np.where((idle != "none") & (overdue >= 365), price * 0.2, 0.0),
        "recovery_candidate": (idle != "none") & (overdue >= 730),
        "low_efficiency": low,
        "failed_indicators": np.where(low, "far;tax_per_mu", ""),
        "mujun_score": np.where(built, rng.uniform(20, 120, n_parcels), np.nan),
        "mujun_class": rng.choice(list("ABCDT"), n_parcels),
        "flags": rng.choice(["", "use_changed", "mortgaged_idle"], n_parcels,
                            p=[0.97, 0.015, 0.015]),
        "area_m2": area_m2,
        "area_mu": area_m2 / (10000 / 15),
    }, geometry=geoms, crs="EPSG:4527")

    supplied = np.flatnonzero(supply.notna().to_numpy())
    pick = rng.choice(supplied, n_events)
    sd = supply.to_numpy()[pick]
    days = rng.integers(0, 540, n_events)
    dates = pd.to_datetime("2022-07-01") + pd.to_timedelta(days, unit="D")
    dates = pd.DatetimeIndex(np.maximum(dates.to_numpy(), sd))
    stage = rng.choice(STAGES, n_events, p=[0.25, 0.15, 0.15, 0.1, 0.1, 0.25])
    needs_area = np.isin(stage, ["disposed", "auction_started", "auction_completed"])
    ev_area = np.where(needs_area, area_m2[pick] * rng.uniform(0.3, 1.0, n_events), np.nan)
    method = np.where(stage == "disposed", rng.choice(METHODS[:3], n_events),
                      np.where(np.isin(stage, ["auction_started", "auction_completed"]),
                               "judicial_auction", None))
    ledger = pd.DataFrame({
        "event_id": [f"E{k:06d}" for k in range(n_events)],
        "parcel_id": parcels["parcel_id"].to_numpy()[pick],
        "event_date": dates,
        "stage": stage,
        "method": method,
        "area_m2": ev_area,
        "new_holder": np.where(stage == "disposed",
                               [f"新企业{k:05d}" for k in rng.integers(0, 9000, n_events)], None),
        "expected_output_wan": np.nan,
        "zombie_cleared": pd.array((stage == "disposed") & (rng.random(n_events) < 0.3),
                                   dtype="boolean"),
        "corrects": None,
        "note": None,
    })
    # 1 % corrections: a new row naming an earlier one
    n_fix = n_events // 100
    fix = ledger.iloc[rng.choice(n_events - n_fix, n_fix, replace=False)].copy()
    fix["corrects"] = fix["event_id"]
    fix["event_id"] = [f"C{k:06d}" for k in range(n_fix)]
    fix["note"] = "更正"
    ledger = pd.concat([ledger.iloc[: n_events - n_fix], fix], ignore_index=True)
    return parcels, ledger


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(fmt: str, n_parcels: int, n_events: int, out_dir: str) -> dict[str, float]:
    """In this process: synthesise, build, write one format; return the measures."""
    from landuse.report import build_report, write_report

    parcels, ledger = synth(n_parcels, n_events)
    rss_data = _rss_mb()
    t0 = time.perf_counter()
    data = build_report(parcels, ledger, "2023-01-01", "2023-10-31", lang="zh")
    t_build = time.perf_counter() - t0
    rss_before = _rss_mb()
    path = Path(out_dir) / f"bench{fmt}"
    t1 = time.perf_counter()
    write_report(data, path, overwrite=True)
    t_write = time.perf_counter() - t1
    return {"build_s": t_build, "write_s": t_write, "rss_data_mb": rss_data,
            "rss_before_write_mb": rss_before, "peak_mb": _rss_mb(),
            "size_mb": path.stat().st_size / 1e6,
            "reclaimed_mu": data.figures["reclaimed_mu"],
            "idle_rows": len(data.table("idle_parcels").rows),
            "events_in_period": data.figures["events_in_period"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(run_one(a.one, a.parcels, a.events, a.out)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            t = time.perf_counter()
            res = subprocess.run(
                [sys.executable, __file__, "--one", fmt, "--parcels", str(a.parcels),
                 "--events", str(a.events), "--out", tmp],
                capture_output=True, text=True, check=False,
            )
            if res.returncode:
                print(res.stderr, file=sys.stderr)
                raise SystemExit(f"{fmt} failed")
            m = json.loads(res.stdout.strip().splitlines()[-1])
            m["wall_s"] = time.perf_counter() - t
            rows.append((fmt, m))
    print(f"report benchmark: {a.parcels} parcels, {a.events} ledger events "
          f"({rows[0][1]['events_in_period']} in Jan–Oct 2023, "
          f"{rows[0][1]['idle_rows']} idle parcels listed)")
    head = (f"{'format':7} {'build s':>8} {'write s':>8} {'total s':>8} {'data MB':>8} "
            f"{'pre-write MB':>13} {'peak MB':>8} {'+write MB':>10} {'file MB':>8}")
    print(head)
    print("-" * len(head))
    for fmt, m in rows:
        print(f"{fmt:7} {m['build_s']:8.1f} {m['write_s']:8.1f} "
              f"{m['build_s'] + m['write_s']:8.1f} {m['rss_data_mb']:8.0f} "
              f"{m['rss_before_write_mb']:13.0f} {m['peak_mb']:8.0f} "
              f"{m['peak_mb'] - m['rss_before_write_mb']:10.0f} {m['size_mb']:8.1f}")
    worst_t = max(m["build_s"] + m["write_s"] for _, m in rows)
    worst_m = max(m["peak_mb"] for _, m in rows)
    print(f"targets: < 60 s and < 4096 MB per format -> worst {worst_t:.1f} s, {worst_m:.0f} MB: "
          f"{'OK' if worst_t < 60 and worst_m < 4096 else 'MISSED'}")


if __name__ == "__main__":
    main()
