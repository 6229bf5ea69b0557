"""Benchmark: the full supply summary of a province-sized synthetic set, vectorised vs a
naive pandas loop.

Run:  PYTHONPATH=. python bench/bench_supply.py [--batches 50000] [--supply 1000000]
      [--reserve 5000] [--years 10] [--naive-batches 200]

The records are built in code (seeded, deterministic): ``--batches`` approval batches
(2010-2024), ``--supply`` supply records spread over them (contract 0-4 years after the
batch's approval, each batch approved 1.3 times what is supplied from it), 2 000 reductions,
``--reserve`` reserve plots, ``--years`` years of monthly quota events (two kinds, four
event types), a plan and tasks for the as-of year, 20 000 mortgages. Each variant runs in
its own child process, so that its peak memory (ru_maxrss) is its own.

The naive variant computes the same figures with row loops (``itertuples``) and, for
批而未供, one boolean filter of the whole supply table per batch: it is timed on the first
``--naive-batches`` batches and that part is extrapolated linearly to all batches (each
batch costs one scan of the supply table); the table says so. Its figures for those
batches are checked against the vectorised ones.
Target (issue 12): the full summary under 30 s and 4 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2024-10-31"


def synthetic(batches: int, supply: int, reserve: int, years: int,
              seed: int = 20241031) -> Any:
    """The synthetic records (``landuse.supply.SupplyData``)."""
    import pandas as pd

    from landuse.supply import SupplyData

    rng = np.random.default_rng(seed)
    day0 = np.datetime64("2010-01-01", "D")
    bid = np.array([f"B{i:06d}" for i in range(batches)], dtype=object)
    appr = day0 + rng.integers(0, 15 * 365, batches).astype("timedelta64[D]")
    which = rng.integers(0, batches, supply)
    area = rng.uniform(3000, 60000, supply)
    contract = appr[which] + rng.integers(0, 4 * 365, supply).astype("timedelta64[D]")
    per_batch = np.bincount(which, weights=area, minlength=batches)
    approved = np.maximum(per_batch * 1.3, 20000.0)
    uses = np.array(["industrial_storage", "commercial", "residential", "public",
                     "transport"], dtype=object)
    ways = np.array(["allocation", "tender", "auction", "listing", "agreement"], dtype=object)
    d = SupplyData()
    d.batches = pd.DataFrame({
        "batch_id": bid, "supervision_no": None, "batch_name": None,
        "zone": np.array(["Z1", "Z2", "Z3"], dtype=object)[rng.integers(0, 3, batches)],
        "approval_date": appr.astype("datetime64[ns]"), "batch_type": "urban",
        "approved_area_m2": approved, "new_construction_m2": approved,
        "farmland_m2": approved, "cropland_m2": approved * 0.6})
    d.supply = pd.DataFrame({
        "supervision_no": np.array([f"S{i:09d}" for i in range(supply)], dtype=object),
        "parcel_id": np.array([f"P{i:09d}" for i in range(supply)], dtype=object),
        "batch_id": bid[which], "supply_way": ways[rng.integers(0, 5, supply)],
        "use": uses[rng.integers(0, 5, supply)], "area_m2": area,
        "contract_date": contract.astype("datetime64[ns]")})
    nred = min(2000, batches)
    rb = rng.choice(batches, nred, replace=False)
    d.reductions = pd.DataFrame({
        "reduction_id": [f"R{i:06d}" for i in range(nred)], "batch_id": bid[rb],
        "reduction_date": (appr[rb] + 400).astype("datetime64[ns]"),
        "reduction_kind": "reduction", "area_m2": approved[rb] * 0.1})
    clean = day0 + rng.integers(0, 16 * 365, reserve).astype("timedelta64[D]")
    d.reserve = pd.DataFrame({
        "reserve_id": [f"C{i:06d}" for i in range(reserve)], "zone": "Z1",
        "agreement_date": (clean - 300).astype("datetime64[ns]"),
        "area_m2": rng.uniform(5000, 100000, reserve),
        "expropriation_total": rng.integers(0, 50, reserve), "expropriation_done": 0,
        "clean_land_date": clean.astype("datetime64[ns]"),
        "planned_use": uses[rng.integers(0, 5, reserve)], "supply_category": None,
        "supervision_no": None})
    months = pd.date_range(f"{2024 - years + 1}-01-01", periods=12 * years, freq="MS")
    q = [{"event_id": f"Q{k}-{e}-{i}", "event_date": m, "year": m.year, "quota_kind": k,
          "event_kind": e, "area_m2": float(rng.uniform(1e4, 1e6))}
         for i, m in enumerate(months) for k in ("new_construction", "balance")
         for e in ("granted", "rewarded", "used", "deducted")]
    d.quota_events = pd.DataFrame(q)
    d.supply_plan = pd.DataFrame({"year": 2024, "use": uses, "planned_area_m2": 5e7})
    d.disposal_tasks = pd.DataFrame({"year": [2024, 2024], "zone": [None, "Z1"],
                                     "task_kind": ["unsupplied", "unsupplied"],
                                     "task_area_m2": [5e8, 1e8]})
    nm = 20000
    d.mortgages = pd.DataFrame({
        "mortgage_id": [f"M{i:06d}" for i in range(nm)],
        "parcel_id": d.supply["parcel_id"].to_numpy()[:nm],
        "holder": [f"H{i % 9000}" for i in range(nm)], "lender": None,
        "registration_date": d.supply["contract_date"].to_numpy()[:nm],
        "amount_wan": rng.uniform(100, 5000, nm)})
    return d


def vectorised(d: Any) -> dict[str, Any]:
    from landuse.supply.summary import summarise, summary_dict

    s = summarise(d, AS_OF)
    doc = summary_dict(s)
    return {"unsupplied_m2": {r["batch_id"]: r["unsupplied_m2"]
                              for r in s.batches.head(1000).to_dict("records")},
            "figures": len(doc["figures"]), "supplied": s.supplied["count"]}


def naive(d: Any, nb: int) -> dict[str, Any]:
    """The same figures by row loops; 批而未供 for the first ``nb`` batches only."""
    import pandas as pd

    t = pd.Timestamp(AS_OF)
    sup, red = d.supply, d.reductions
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    for b in d.batches.head(nb).itertuples():
        if b.approval_date > t:
            continue
        m = (sup["batch_id"] == b.batch_id) & (sup["contract_date"] <= t)
        r = (red["batch_id"] == b.batch_id) & (red["reduction_date"] <= t)
        out[b.batch_id] = b.approved_area_m2 - sup.loc[m, "area_m2"].sum() \
            - red.loc[r, "area_m2"].sum()
    per_batch = (time.perf_counter() - t0) / max(nb, 1)
    by_way: dict[str, list[float]] = {}
    for row in sup.itertuples():
        if row.contract_date <= t:
            acc = by_way.setdefault(row.supply_way, [0, 0.0])
            acc[0] += 1
            acc[1] += row.area_m2
    bal: dict[str, float] = {}
    for q in d.quota_events.itertuples():
        if q.event_date <= t:
            sign = 1 if q.event_kind in ("granted", "rewarded") else -1
            bal[q.quota_kind] = bal.get(q.quota_kind, 0.0) + sign * q.area_m2
    ready = 0.0
    for r in d.reserve.itertuples():
        if r.clean_land_date <= t:
            ready += r.area_m2
    last3 = 0.0
    for row in sup.itertuples():
        if t.year - 3 <= row.contract_date.year <= t.year - 1:
            last3 += row.area_m2
    return {"unsupplied_m2": out, "per_batch_s": per_batch, "supplied": sum(
        v[0] for v in by_way.values())}


def _child(args: argparse.Namespace) -> None:
    d = synthetic(args.batches, args.supply, args.reserve, args.years)
    t0 = time.perf_counter()
    res = vectorised(d) if args.variant == "vectorised" else naive(d, args.naive_batches)
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": secs, "peak_mb": peak_mb, **res}, default=float))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=50_000)
    ap.add_argument("--supply", type=int, default=1_000_000)
    ap.add_argument("--reserve", type=int, default=5_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--naive-batches", type=int, default=200)
    ap.add_argument("--variant", choices=["vectorised", "naive"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.variant:
        _child(args)
        return
    runs = {}
    for v in ("vectorised", "naive"):
        cmd = [sys.executable, __file__, "--variant", v, "--batches", str(args.batches),
               "--supply", str(args.supply), "--reserve", str(args.reserve), "--years",
               str(args.years), "--naive-batches", str(args.naive_batches)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True,
                             env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        runs[v] = json.loads(res.stdout.strip().splitlines()[-1])
    vec, nai = runs["vectorised"], runs["naive"]
    for bid, v in nai["unsupplied_m2"].items():
        w = vec["unsupplied_m2"].get(bid)
        assert w is not None and abs(w - v) < 1e-3, (bid, v, w)
    assert vec["supplied"] == nai["supplied"], (vec["supplied"], nai["supplied"])
    naive_total = nai["seconds"] + nai["per_batch_s"] * (args.batches - args.naive_batches)
    print(f"records: {args.batches:,} batches, {args.supply:,} supply records, "
          f"{args.reserve:,} reserve, {args.years} years of quota events; as of {AS_OF}")
    print(f"{'variant':<12}{'seconds':>12}{'peak MB':>10}  note")
    print(f"{'vectorised':<12}{vec['seconds']:>12.2f}{vec['peak_mb']:>10.0f}  "
          f"full summary ({vec['figures']} figures)")
    print(f"{'naive':<12}{naive_total:>12.2f}{nai['peak_mb']:>10.0f}  measured "
          f"{nai['seconds']:.2f} s with 批而未供 on {args.naive_batches} batches, "
          f"{nai['per_batch_s'] * 1000:.1f} ms a batch extrapolated to {args.batches:,}")
    print(f"speed-up: {naive_total / vec['seconds']:.0f}x; target: under 30 s and 4 GB -> "
          f"{'met' if vec['seconds'] < 30 and vec['peak_mb'] < 4096 else 'NOT met'}")


if __name__ == "__main__":
    main()
