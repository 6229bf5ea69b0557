"""Synthetic parcels in the standard's names, deterministic, for benchmarks and tests.

``make_parcels(n, seed=0)`` lays ``n`` rectangular parcels on a road grid in CGCS2000
3-degree Gauss-Krüger zone 39 (EPSG:4527), with ids, sub-parks, registered areas (within
0.5 % of the true ellipsoidal area, so a clean layer validates clean), land use, dates,
holders and money fields. Run as a script to write GeoPackage or GeoParquet:

    python bench/synth.py 100000 out/parcels_100k.parquet
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["PROVINCE_KEYS", "make_parcels", "make_province", "write_parcels"]

_ZONES = np.array(["抚北工业园", "有色金属新材料产业园", "电子信息产业园", "化工园", "建材产业园"])
_USES = np.array(["industrial", "industrial", "industrial", "storage", "commercial"])


def make_parcels(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Return ``n`` synthetic parcels in EPSG:4527 on a grid (deterministic for a seed).

    Parcels are 60–140 m by 60–140 m, in blocks separated by 20 m roads, so none
    overlap. ``registered_area_m2`` is the planar area times a factor within ±0.5 %
    (planar Gauss-Krüger and ellipsoidal areas differ by < 0.05 % near the meridian).
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    cell = 160.0  # 140 m max parcel + 20 m road
    k = np.arange(n)
    col, row = k % side, k // side
    x0 = 39_500_000.0 - side * cell / 2 + col * cell
    y0 = 3_100_000.0 + row * cell
    w = rng.uniform(60, 140, n)
    h = rng.uniform(60, 140, n)
    geoms = shapely.box(x0, y0, x0 + w, y0 + h)
    area = w * h
    supply = np.datetime64("2010-01-01") + rng.integers(0, 4800, n).astype("timedelta64[D]")
    start = supply + rng.integers(30, 900, n).astype("timedelta64[D]")
    done = start + rng.integers(200, 1200, n).astype("timedelta64[D]")
    started = rng.random(n) < 0.8
    completed = started & (rng.random(n) < 0.8)
    df = pd.DataFrame(
        {
            "parcel_id": np.char.add("P", np.char.zfill(k.astype(str), 7)),
            "zone": _ZONES[rng.integers(0, len(_ZONES), n)],
            "registered_area_m2": np.round(area * rng.uniform(0.995, 1.005, n), 1),
            "land_use": _USES[rng.integers(0, len(_USES), n)],
            "supply_date": supply.astype("datetime64[ns]"),
            "supply_method": "transfer",
            "land_price_wan": np.round(area / (10000 / 15) * rng.uniform(10, 40, n), 1),
            "holder": np.char.add("示例企业", (k % 50_000).astype(str)),
            "agreed_start_date": (supply + 365).astype("datetime64[ns]"),
            "start_date": pd.Series(start.astype("datetime64[ns]")).where(started),
            "completion_date": pd.Series(done.astype("datetime64[ns]")).where(completed),
            "total_investment_wan": np.round(area / (10000 / 15) * rng.uniform(100, 400, n), 1),
            "floor_area_m2": np.round(area * rng.uniform(0.5, 2.0, n), 1),
            "tax_wan": np.round(rng.gamma(2.0, 20.0, n), 2),
            "employees": rng.integers(0, 500, n),
        }
    )
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4527")


PROVINCE_KEYS = ("province", "city", "dev_zone")
"""The partition columns of :func:`make_province`, outermost first."""


def make_province(n: int, zones: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``make_parcels(n, seed)`` spread over ``zones`` development zones of one province.

    Rows are cut into ``zones`` consecutive bands (so each zone is a compact block of the
    grid), named ``开发区000`` …, four zones to a city (``城市01`` …) in ``江西省``; holders
    are prefixed with their zone, so no enterprise spans two zones; completed parcels produce
    from 90 days after completion.
    """
    gdf = make_parcels(n, seed)
    z = (np.arange(n) * zones) // max(n, 1)
    zone_names = np.char.add("开发区", np.char.zfill(z.astype(str), 3))
    gdf.insert(1, "province", "江西省")
    gdf.insert(2, "city", np.char.add("城市", np.char.zfill((z // 4).astype(str), 2)))
    gdf.insert(3, "dev_zone", zone_names)
    gdf["holder"] = np.char.add(zone_names, gdf["holder"].to_numpy(dtype=str))
    # producing 90 days after completion, so the 亩均 scheme rates the completed firms
    gdf["production_date"] = gdf["completion_date"] + pd.Timedelta(days=90)
    return gdf


def write_parcels(n: int, path: str | Path, seed: int = 0) -> Path:
    """Write ``make_parcels(n, seed)`` to ``.gpkg`` (layer ``parcels``) or ``.parquet``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    gdf = make_parcels(n, seed)
    if p.suffix.lower() in (".parquet", ".geoparquet"):
        gdf.to_parquet(p)
    else:
        gdf.to_file(p, layer="parcels", engine="pyogrio")
    return p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("path")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    write_parcels(a.n, a.path, a.seed)
    print(a.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
