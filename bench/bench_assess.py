"""Benchmark: assess 1 000 000 synthetic parcels, vectorised vs a naive row-by-row loop.

Run:  PYTHONPATH=. python bench/bench_assess.py [--n 1000000] [--naive-n 20000]

The parcels are built in code (seeded, deterministic) with a realistic mix: about 5 %
approved but unsupplied, 10 % supplied and not started, 10 % under construction (some
suspended), 10 % completed, 65 % producing; 100 x 60-150 m squares in EPSG:4527. Each
variant runs in its own child process so that its peak memory (ru_maxrss) is its own. The
naive implementation (bench/naive_assess.py) is timed on ``--naive-n`` parcels and
extrapolated linearly to ``--n``; the table says so.
Targets (issue 3): vectorised under 20 s and under 4 GB for 1 000 000 parcels.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def synthetic(n: int, seed: int = 20231031):  # type: ignore[no-untyped-def]
    """``n`` deterministic synthetic parcels in the standard's names."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    rng = np.random.default_rng(seed)
    day0 = np.datetime64("2008-01-01", "D")

    def dates(lo: int, hi: int, mask: np.ndarray) -> np.ndarray:
        d = day0 + rng.integers(lo, hi, n).astype("timedelta64[D]")
        return np.where(mask, d, np.datetime64("NaT", "D")).astype("datetime64[ns]")

    stage = rng.choice(5, n, p=[0.05, 0.10, 0.10, 0.10, 0.65])
    supplied = stage >= 1
    started = stage >= 2
    completed = stage >= 3
    producing = stage >= 4
    w = rng.uniform(60, 150, n)
    i = np.arange(n)
    x0 = 39_500_000 + (i % 1000) * 200.0
    y0 = 3_100_000 + (i // 1000) * 200.0
    geoms = shapely.box(x0, y0, x0 + 100, y0 + w)
    area = 100 * w
    reg = np.where(rng.random(n) < 0.8, area * rng.normal(1, 0.01, n), np.nan)

    def num(v: np.ndarray, mask: np.ndarray, missing: float = 0.05) -> np.ndarray:
        return np.where(mask & (rng.random(n) >= missing), v, np.nan)

    evidence = np.array(["pit_done", "piles_done", "foundation_third", "none"], dtype=object)
    ev = np.where(started & (rng.random(n) < 0.6), evidence[rng.integers(0, 3, n)], None).astype(
        object
    )
    ev[supplied & ~started & (rng.random(n) < 0.3)] = "none"
    causes = np.array(["holder", "government", "force_majeure", "unknown", None], dtype=object)
    status = np.array(["operating", "operating", "operating", "stopped", "zombie", "bankrupt"])
    uses = np.array(["industrial", "industrial", "industrial", "storage", "commercial"])
    inds = np.array([str(c) for c in range(13, 44) if c != 38] + ["C3411", "99"], dtype=object)
    df = pd.DataFrame(
        {
            "parcel_id": np.char.add("P", i.astype(str)).astype(object),
            "zone": np.array(["东区", "西区", "南区", "北区"], dtype=object)[i % 4],
            "registered_area_m2": reg,
            "land_use": uses[rng.integers(0, 3, n)],
            "observed_use": np.where(rng.random(n) < 0.02, "commercial", None),
            "approval_date": dates(0, 1500, np.ones(n, bool)),
            "supply_date": dates(1500, 4500, supplied),
            "delivery_date": dates(1600, 4600, supplied & (rng.random(n) < 0.7)),
            "agreed_start_date": dates(1700, 5000, supplied & (rng.random(n) < 0.85)),
            "extension_until": dates(4000, 5800, supplied & (rng.random(n) < 0.05)),
            "land_price_wan": num(area / 666.67 * rng.uniform(20, 80, n), supplied),
            "delay_cause": causes[rng.integers(0, 5, n)],
            "start_date": dates(1800, 5200, started),
            "start_evidence": ev,
            "suspended_since": dates(3500, 5700, started & ~completed & (rng.random(n) < 0.3)),
            "developed_area_m2": num(area * rng.uniform(0, 1, n), started & ~completed),
            "invested_wan": num(area / 666.67 * rng.uniform(50, 600, n), started),
            "total_investment_wan": num(area / 666.67 * rng.uniform(300, 800, n), supplied),
            "completion_date": dates(3000, 5600, completed),
            "production_date": dates(3200, 5650, producing),
            "industry_code": inds[rng.integers(0, len(inds), n)],
            "enterprise_status": np.where(producing, status[rng.integers(0, 6, n)], None),
            "floor_area_m2": num(area * rng.uniform(0.4, 2.0, n), completed),
            "footprint_m2": num(area * rng.uniform(0.2, 0.7, n), completed),
            "yard_area_m2": num(area * rng.uniform(0, 0.1, n), completed, 0.3),
            "admin_area_m2": num(area * rng.uniform(0, 0.1, n), completed, 0.2),
            "green_area_m2": num(area * rng.uniform(0, 0.25, n), completed, 0.2),
            "target_invest_intensity_wan_per_mu": num(rng.uniform(150, 400, n), supplied, 0.4),
            "target_tax_per_mu_wan": num(rng.uniform(5, 40, n), supplied, 0.4),
            "tax_wan": num(area / 666.67 * rng.uniform(0, 60, n), producing),
            "value_added_wan": num(area / 666.67 * rng.uniform(20, 300, n), producing),
            "energy_tce": num(area / 666.67 * rng.uniform(5, 100, n), producing),
            "employees": num(rng.uniform(5, 500, n).round(), producing),
            "rd_wan": num(area / 666.67 * rng.uniform(0, 5, n), producing, 0.3),
            "revenue_wan": num(area / 666.67 * rng.uniform(100, 1500, n), producing),
            "mortgaged": pd.array(rng.random(n) < 0.2, dtype="boolean"),
        }
    )
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4527")


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB


def _child(kind: str, n: int) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from landuse.core.area import add_areas
    from landuse.rules import assess

    g = synthetic(n)
    base_mem = _peak_gb()
    if kind == "vectorised":
        t0 = time.perf_counter()
        r = assess(g, "2023-10-31")
        dt = time.perf_counter() - t0
        t1 = time.perf_counter()
        add_areas(g)
        t_area = time.perf_counter() - t1
        extra = {
            "areas_s": t_area,
            "idle": int((r["idle_type"] != "none").sum()),
            "low": int(r["low_efficiency"].sum()),
            "reason_chars": int(r["reasons"].str.len().sum()),
        }
    else:
        from naive_assess import assess_naive

        t1 = time.perf_counter()
        g = add_areas(g)
        t_area = time.perf_counter() - t1
        t0 = time.perf_counter()
        assess_naive(g, "2023-10-31")
        dt = time.perf_counter() - t0 + t_area
        extra = {"areas_s": t_area}
    print(json.dumps({"seconds": dt, "peak_gb": _peak_gb(), "input_gb": base_mem, **extra}))


def _run(kind: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--n", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--naive-n", type=int, default=20_000)
    ap.add_argument("--child", choices=["vectorised", "naive"])
    a = ap.parse_args()
    if a.child:
        _child(a.child, a.n)
        return
    v = _run("vectorised", a.n)
    nv = _run("naive", a.naive_n)
    naive_full = nv["seconds"] * a.n / a.naive_n
    rows = [
        (
            "vectorised assess()",
            f"{a.n:,}",
            f"{v['seconds']:.1f}",
            f"{v['peak_gb']:.2f}",
            f"measured; add_areas alone {v['areas_s']:.1f} s; input alone {v['input_gb']:.2f} GB",
        ),
        (
            "naive row-by-row",
            f"{a.naive_n:,}",
            f"{nv['seconds']:.1f}",
            f"{nv['peak_gb']:.2f}",
            f"measured on a subset (incl. add_areas {nv['areas_s']:.1f} s)",
        ),
        (
            "naive row-by-row",
            f"{a.n:,}",
            f"{naive_full:.0f}",
            "-",
            f"extrapolated linearly from {a.naive_n:,} parcels",
        ),
    ]
    head = ("implementation", "parcels", "seconds", "peak GB", "note")
    widths = [max(len(str(r[k])) for r in (head, *rows)) for k in range(5)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    import os

    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    ok_t = v["seconds"] < 20
    ok_m = v["peak_gb"] < 4
    print(
        f"\nspeed-up {naive_full / v['seconds']:.0f}x; target < 20 s: "
        f"{'met' if ok_t else 'MISSED'}; target < 4 GB: {'met' if ok_m else 'MISSED'}; "
        f"idle {v['idle']:,}, low-efficiency {v['low']:,}, reasons {v['reason_chars']:,} chars"
    )


if __name__ == "__main__":
    main()
