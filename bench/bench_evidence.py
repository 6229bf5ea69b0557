"""Benchmark: land-cover shares for many parcels over a large categorical raster.

    PYTHONPATH=. /work/venv/bin/python bench/bench_evidence.py            # full: 100 000 x 20 000²
    PYTHONPATH=. /work/venv/bin/python bench/bench_evidence.py --quick    # 10 000 x 4 000²

Writes two synthetic WorldCover-coded rasters (two "dates", same grid; tiled, deflate
GeoTIFF) and random rotated-rectangle parcels (a fifth of them smaller than 4 pixels) to a
temp folder, then times, each phase in its own process so peak memory is its own:

1. landuse, first date: exact coverage with exactextract (shared with worker processes)
   + windowed read + numpy shares;
2. landuse, second date on the same grid with the cached coverage (same process as 1);
3. rasterstats ``zonal_stats(categorical=True)`` on a subset of the parcels spread over the
   whole raster (every k-th parcel in Hilbert order; it is too slow for all of them in one
   run): its time is extrapolated linearly in the number of parcels to all of them.

The phases run in ``--repeats`` rounds (landuse, then rasterstats, each round), so a change
in the load of the machine hits both; the table gives the median of the rounds.

Accuracy: for a sample of parcels smaller than 4 pixels, the exact polygon-pixel overlap is
computed with shapely (each pixel a box, intersection areas summed per class) and compared
with our shares and rasterstats' (default centroid rule; a parcel with no pixel centre
inside gets no value from rasterstats, which counts as a miss).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CLASSES = np.array([10, 20, 30, 40, 50, 60, 80], dtype=np.uint8)
PIXEL = 10.0
X0, Y0 = 500000.0, 3000000.0
CRS = "EPSG:32650"


def write_raster(path: Path, n: int, seed: int) -> None:
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    prof = {
        "driver": "GTiff",
        "width": n,
        "height": n,
        "count": 1,
        "dtype": "uint8",
        "crs": CRS,
        "transform": from_origin(X0, Y0, PIXEL, PIXEL),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "nodata": 0,
    }
    with rasterio.open(path, "w", **prof) as dst:
        for r in range(0, n, 512):
            h = min(512, n - r)
            for c in range(0, n, 4096):
                w = min(4096, n - c)
                rng = np.random.default_rng([seed, r, c])
                coarse = rng.integers(0, len(CLASSES), size=(h // 8 + 2, w // 8 + 2))
                a = CLASSES[np.kron(coarse, np.ones((8, 8), dtype=int))[:h, :w]]
                noise = rng.random((h, w)) < 0.15
                a[noise] = CLASSES[rng.integers(0, len(CLASSES), int(noise.sum()))]
                dst.write(a, 1, window=Window(c, r, w, h))


def make_parcels(path: Path, n_parcels: int, n: int) -> None:
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(42)
    ext = n * PIXEL
    cx = X0 + rng.uniform(700, ext - 700, n_parcels)
    cy = Y0 - rng.uniform(700, ext - 700, n_parcels)
    small = rng.random(n_parcels) < 0.2
    # small: area 0.2-3.8 pixels; others: side 20-600 m
    side = np.where(
        small,
        np.sqrt(rng.uniform(0.2, 3.8, n_parcels)) * PIXEL,
        np.exp(rng.uniform(np.log(20), np.log(600), n_parcels)),
    )
    aspect = rng.uniform(0.5, 2.0, n_parcels)
    w, h = side * np.sqrt(aspect), side / np.sqrt(aspect)
    ang = rng.uniform(0, np.pi, n_parcels)
    cos, sin = np.cos(ang), np.sin(ang)
    corners = np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5)])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    xs = cx[:, None] + dx * cos[:, None] - dy * sin[:, None]
    ys = cy[:, None] + dx * sin[:, None] + dy * cos[:, None]
    geoms = shapely.polygons(np.stack([xs, ys], axis=-1))
    gdf = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i:06d}" for i in range(n_parcels)], "small": small},
        geometry=geoms,
        crs=CRS,
    )
    gdf.to_parquet(path)


def peak_gb() -> float:
    """Peak memory of this process plus its worker processes (GB).

    ``RUSAGE_CHILDREN`` gives the largest peak RSS of any one finished child, so the
    parent's peak plus workers x that is an upper bound of the combined peak (the peaks
    need not coincide).
    """
    from landuse.raster.coverage import default_workers

    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kB
    return (own + (default_workers() if child else 0) * child) / 1e6


def phase_landuse(d: Path) -> dict:
    import exactextract  # noqa: F401  (import time is not part of the measure)
    import geopandas as gpd

    from landuse.raster import CoverageCache, landcover_shares
    from landuse.raster.coverage import PARALLEL_MIN_PARCELS, default_workers

    parcels = gpd.read_parquet(d / "parcels.parquet")
    cache = CoverageCache()
    t = time.perf_counter()
    f1, _ = landcover_shares(parcels, d / "date1.tif", cache=cache)
    t1 = time.perf_counter() - t
    t = time.perf_counter()
    landcover_shares(parcels, d / "date2.tif", cache=cache)
    t2 = time.perf_counter() - t
    cols = ["builtup_share", "bare_share", "vegetation_share", "water_share"]
    f1[cols].to_parquet(d / "ours.parquet")
    cov = next(iter(cache._mem.values()))
    return {
        "first_s": t1,
        "second_s": t2,
        "peak_gb": peak_gb(),
        "own_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "worker_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6,
        "workers": default_workers() if len(parcels) >= PARALLEL_MIN_PARCELS else 0,
        "cells": cov.n_cells,
        "cache_mb": cov.nbytes / 1e6,
        "cache_hits": cache.hits,
        "no_value": int(f1["builtup_share"].isna().sum()),
    }


def _rs_groups(stats: list[dict]) -> np.ndarray:
    from landuse.raster import load_class_table

    t = load_class_table("worldcover")
    out = np.full((len(stats), 4), np.nan)
    for i, s in enumerate(stats):
        counts = {int(k): v for k, v in (s or {}).items() if v}
        tot = sum(counts.values())
        if tot == 0:
            continue
        row = np.zeros(4)
        for code, v in counts.items():
            g = t.groups[t.codes.index(code)]
            if g in ("builtup", "bare", "vegetation", "water"):
                row[("builtup", "bare", "vegetation", "water").index(g)] += v / tot
        out[i] = row
    return out


def rs_sample(parcels: Any, sample: int) -> np.ndarray:
    """Every k-th parcel in Hilbert order: a subset spread evenly over the whole raster."""
    order = np.argsort(parcels.geometry.hilbert_distance().to_numpy(), kind="stable")
    k = max(1, len(parcels) // sample)
    return np.sort(order[::k][:sample])


def phase_rasterstats(d: Path, sample: int, accuracy: bool) -> dict:
    import geopandas as gpd
    import shapely
    from rasterstats import zonal_stats

    parcels = gpd.read_parquet(d / "parcels.parquet")
    idx = rs_sample(parcels, min(sample, len(parcels)))
    sub = parcels.iloc[idx]
    t = time.perf_counter()
    zonal_stats(list(sub.geometry.values), str(d / "date1.tif"), categorical=True)
    t_sub = time.perf_counter() - t
    area = shapely.area(parcels.geometry.values)
    res = {
        "sample": len(idx),
        "sample_s": t_sub,
        "area_ratio": float(area[idx].mean() / area.mean()),
        "peak_gb": peak_gb(),
    }
    if accuracy:
        rng = np.random.default_rng(7)
        small = parcels.index[parcels["small"]].to_numpy()
        acc_idx = np.sort(rng.choice(small, size=min(1000, len(small)), replace=False))
        acc = zonal_stats(
            list(parcels.geometry.values[acc_idx]), str(d / "date1.tif"), categorical=True
        )
        np.save(d / "rs_acc_idx.npy", acc_idx)
        np.save(d / "rs_acc.npy", _rs_groups(acc))
    return res


def exact_shares(d: Path, idx: np.ndarray) -> np.ndarray:
    """Exact group shares of parcels by shapely polygon-pixel intersection."""
    import geopandas as gpd
    import rasterio
    import shapely

    from landuse.raster import load_class_table

    t = load_class_table("worldcover")
    groups = ("builtup", "bare", "vegetation", "water")
    parcels = gpd.read_parquet(d / "parcels.parquet")
    out = np.zeros((len(idx), 4))
    with rasterio.open(d / "date1.tif") as src:
        for k, i in enumerate(idx):
            g = parcels.geometry.iat[int(i)]
            minx, miny, maxx, maxy = g.bounds
            c0, c1 = int(np.floor((minx - X0) / PIXEL)), int(np.ceil((maxx - X0) / PIXEL))
            r0, r1 = int(np.floor((Y0 - maxy) / PIXEL)), int(np.ceil((Y0 - miny) / PIXEL))
            wd, ht = c1 - c0, r1 - r0
            vals = src.read(1, window=((r0, r0 + ht), (c0, c0 + wd)))
            cols, rows = np.meshgrid(np.arange(c0, c0 + wd), np.arange(r0, r0 + ht))
            x0 = X0 + cols * PIXEL
            y0 = Y0 - rows * PIXEL
            boxes = shapely.box(x0, y0 - PIXEL, x0 + PIXEL, y0)
            a = shapely.area(shapely.intersection(boxes, g))
            tot = a.sum()
            for code, grp in zip(t.codes, t.groups, strict=True):
                if grp in groups:
                    out[k, groups.index(grp)] += a[vals == code].sum() / tot
    return out


def _med(rows: list[dict], key: str) -> float:
    return float(np.median([r[key] for r in rows]))


def _spread(rows: list[dict], key: str, fmt: str = ".1f") -> str:
    vals = [r[key] for r in rows]
    return f"{min(vals):{fmt}}-{max(vals):{fmt}}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=20_000)
    ap.add_argument("--rs-sample", type=int, default=5_000)
    ap.add_argument("--repeats", type=int, default=3, help="rounds; the table gives medians")
    ap.add_argument("--quick", action="store_true", help="10 000 parcels over 4 000²")
    ap.add_argument("--dir", help="work folder (default: a temp folder, removed)")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--accuracy", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.quick:
        a.parcels, a.size, a.rs_sample = 10_000, 4_000, 1_000
    if a.phase:
        d = Path(a.dir)
        res = (
            phase_landuse(d)
            if a.phase == "landuse"
            else phase_rasterstats(d, a.rs_sample, a.accuracy)
        )
        print(json.dumps(res))
        return
    tmp = tempfile.TemporaryDirectory(prefix="bench_evidence_") if not a.dir else None
    d = Path(a.dir or tmp.name)  # type: ignore[union-attr]
    d.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    for name, seed in (("date1.tif", 1), ("date2.tif", 2)):
        if not (d / name).exists():
            write_raster(d / name, a.size, seed)
    if not (d / "parcels.parquet").exists():
        make_parcels(d / "parcels.parquet", a.parcels, a.size)
    print(f"setup: {a.parcels} parcels, {a.size}x{a.size} raster, {time.perf_counter() - t:.1f} s")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(phase: str, *extra: str) -> dict:
        cmd = [sys.executable, __file__, "--phase", phase, "--dir", str(d)]
        cmd += ["--rs-sample", str(a.rs_sample), *extra]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    ours: list[dict] = []
    rs: list[dict] = []
    for k in range(a.repeats):
        ours.append(run("landuse"))
        rs.append(run("rasterstats", *(["--accuracy"] if k == 0 else [])))
        print(
            f"round {k + 1}: landuse {ours[-1]['first_s']:.1f} s + {ours[-1]['second_s']:.1f} s, "
            f"rasterstats {rs[-1]['sample']} parcels {rs[-1]['sample_s']:.1f} s",
            flush=True,
        )
    import pandas as pd

    acc_idx = np.load(d / "rs_acc_idx.npy")
    exact = exact_shares(d, acc_idx)
    mine = pd.read_parquet(d / "ours.parquet").to_numpy()[acc_idx]
    theirs = np.load(d / "rs_acc.npy")
    err_m = np.abs(mine - exact).max(axis=1)
    err_r = np.abs(np.nan_to_num(theirs, nan=0.0) - exact).max(axis=1)
    miss_r = np.isnan(theirs).any(axis=1)
    err_r[miss_r] = np.inf

    first, second = _med(ours, "first_s"), _med(ours, "second_s")
    per_round = [o["first_s"] / o["second_s"] for o in ours]
    rs_all = _med(rs, "sample_s") * a.parcels / rs[0]["sample"]
    peak = max(o["peak_gb"] for o in ours)
    print()
    print(f"| {'measure':<52} | {'landuse':>14} | {'rasterstats':>16} |")
    print(f"|{'-' * 54}|{'-' * 16}|{'-' * 18}|")
    print(
        f"| {'land-cover shares, all parcels, first date (s)':<52} | "
        f"{first:>14.1f} | {rs_all:>12.0f} (*) |"
    )
    print(
        f"| {'  ... range over the rounds (s)':<52} | {_spread(ours, 'first_s'):>14} | "
        f"{_spread(rs, 'sample_s'):>10} (sub) |"
    )
    print(
        f"| {'second date, same grid, cached coverage (s)':<52} | "
        f"{second:>14.2f} | {rs_all:>12.0f} (*) |"
    )
    print(
        f"| {'  ... range over the rounds (s)':<52} | {_spread(ours, 'second_s', '.2f'):>14} | "
        f"{'':>16} |"
    )
    print(f"| {'speed-up vs rasterstats, first date':<52} | {rs_all / first:>13.1f}x | {'':>16} |")
    print(
        f"| {'second date speed-up vs first date (median)':<52} | "
        f"{float(np.median(per_round)):>13.1f}x | {'':>16} |"
    )
    print(
        f"| {'peak memory, GB (max over rounds; see (**))':<52} | "
        f"{peak:>14.2f} | {max(r['peak_gb'] for r in rs):>16.2f} |"
    )
    print(
        f"| {'  ... main process / largest worker (GB)':<52} | "
        f"{max(o['own_gb'] for o in ours):>6.2f} / {max(o['worker_gb'] for o in ours):<5.2f} | "
        f"{'':>16} |"
    )
    print(f"| {'parcel x pixel cells cached':<52} | {ours[0]['cells']:>14,} | {'':>16} |")
    print(f"| {'coverage cache size (MB)':<52} | {ours[0]['cache_mb']:>14,.0f} | {'':>16} |")
    n = len(acc_idx)
    print(
        f"| {f'parcels < 4 px (n={n}) within 1 % of exact overlap':<52} | "
        f"{(err_m <= 0.01).mean():>14.1%} | {(err_r <= 0.01).mean():>16.1%} |"
    )
    print(
        f"| {'  ... worst error (share points)':<52} | {err_m.max():>14.4f} | "
        f"{np.nanmax(np.where(np.isinf(err_r), np.nan, err_r)):>16.4f} |"
    )
    print(
        f"| {'  ... with no value at all':<52} | {int(np.isnan(mine).any(axis=1).sum()):>14} | "
        f"{int(miss_r.sum()):>16} |"
    )
    print()
    print(
        f"Medians of {a.repeats} rounds; each round runs landuse then rasterstats, each in a "
        f"fresh process (cold coverage cache). landuse used {ours[0]['workers']} worker "
        f"process(es) besides the main one ({os.cpu_count()} CPUs)."
    )
    print(
        f"(*) rasterstats timed on {rs[0]['sample']} parcels spread over the whole raster "
        f"(every {a.parcels // rs[0]['sample']}th parcel in Hilbert order; their mean area is "
        f"{rs[0]['area_ratio']:.2f}x the mean of all parcels), median "
        f"{_med(rs, 'sample_s'):.1f} s of {a.repeats} rounds, extrapolated linearly in the "
        f"number of parcels to {a.parcels}; it has no coverage cache, so a second date "
        "costs the same again."
    )
    print(
        "(**) peak memory = the main process's max RSS + workers x the largest max RSS of "
        "a worker (RUSAGE_CHILDREN): an upper bound of the combined peak."
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
