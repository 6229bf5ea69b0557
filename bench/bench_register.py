"""Benchmark: read + validate + area of synthetic parcel layers, against a plain baseline.

For each size (default 100 000 and 1 000 000 parcels) and format (GeoPackage by default),
each case runs in its own Python subprocess, which reports its wall time per phase and its
own peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``):

* ``landuse``: ``read_parcels`` (header matching, value normalisation, guards) +
  ``validate`` (every check, incl. overlaps with an STRtree and ellipsoidal areas) +
  ``add_areas``;
* ``baseline``: ``geopandas.read_file`` + ``.area`` (planar, no checks).

Targets (issue 2): 1 000 000 parcels read, validated and measured in < 60 s, peak < 6 GB.

    python bench/bench_register.py                 # 100k and 1M, GeoPackage
    python bench/bench_register.py --sizes 100000 --formats gpkg parquet
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CASE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
mode, path = sys.argv[1], sys.argv[2]
out = {}
if mode == "landuse":
    from landuse.core.area import add_areas
    from landuse.core.validate import validate
    from landuse.io import read_parcels
    t = time.perf_counter(); g = read_parcels(path); out["read_s"] = time.perf_counter() - t
    t = time.perf_counter(); p = validate(g); out["validate_s"] = time.perf_counter() - t
    t = time.perf_counter(); g = add_areas(g); out["area_s"] = time.perf_counter() - t
    out["problems"] = int(len(p)); out["total_m2"] = float(g["area_m2"].sum())
else:
    import geopandas as gpd
    t = time.perf_counter()
    if path.endswith(".parquet"):
        g = gpd.read_parquet(path)
    else:
        g = gpd.read_file(path, engine="pyogrio")
    out["read_s"] = time.perf_counter() - t
    t = time.perf_counter(); a = g.area; out["area_s"] = time.perf_counter() - t
    out["validate_s"] = 0.0; out["problems"] = None; out["total_m2"] = float(a.sum())
out["n"] = len(g)
out["total_s"] = time.perf_counter() - t0
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run_case(mode: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", _CASE, mode, str(path)], capture_output=True,
                         text=True, env=env, check=False)
    wall = time.perf_counter() - t
    if res.returncode != 0:
        raise SystemExit(f"case {mode} {path} failed:\n{res.stderr}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process_s"] = wall
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="read + validate + area benchmark")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--formats", nargs="+", default=["gpkg"], choices=["gpkg", "parquet"])
    ap.add_argument("--data-dir", default=str(ROOT / "out" / "bench"))
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.synth import write_parcels

    data = Path(a.data_dir)
    rows = []
    for n in a.sizes:
        for fmt in a.formats:
            path = data / f"parcels_{n}.{fmt}"
            if not path.exists():
                print(f"writing {path} …", file=sys.stderr)
                write_parcels(n, path)
            for mode in ("baseline", "landuse"):
                r = run_case(mode, path)
                rows.append((n, fmt, mode, r))
                print(f"done {n} {fmt} {mode}: {r['total_s']:.1f} s", file=sys.stderr)
    head = (f"{'parcels':>9} {'format':>7} {'case':>9} {'read s':>7} {'valid s':>8} "
            f"{'area s':>7} {'total s':>8} {'process s':>9} {'peak MB':>8} {'problems':>8}")
    print(head)
    print("-" * len(head))
    for n, fmt, mode, r in rows:
        probs = "-" if r["problems"] is None else str(r["problems"])
        print(f"{n:>9} {fmt:>7} {mode:>9} {r['read_s']:>7.1f} {r['validate_s']:>8.1f} "
              f"{r['area_s']:>7.1f} {r['total_s']:>8.1f} {r['process_s']:>9.1f} "
              f"{r['peak_rss_mb']:>8.0f} {probs:>8}")
    print("targets: 1 000 000 parcels (landuse case) total < 60 s, peak < 6000 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
