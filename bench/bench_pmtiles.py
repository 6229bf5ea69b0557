"""Benchmark: the province PMTiles archive, feature by feature (before) and vectorised (now).

Run:  PYTHONPATH=. python bench/bench_pmtiles.py [--parcels 200000] [--zones 40] [--no-old]

``--parcels`` synthetic parcels (bench/synth.py ``make_province``) are assessed once; then, in
the same run, (1) the feature-by-feature encoder the archive used before (each tile's rows as
text, a shapely polygon and ``mapbox_vector_tile.encode`` per feature: ``tiles.mvt_tiles``),
gzip and the PMTiles writer, and (2) :func:`landuse.webmap.archive.write_pmtiles` (numpy
levels, protobuf from numpy buffers). Prints seconds, tiles and megabytes of each, the ratio,
and the load average beside the times (the machine may be shared).
"""

from __future__ import annotations

import argparse
import gzip
import os
import tempfile
import time
from pathlib import Path

import numpy as np

AS_OF = "2023-10-31"


def old_archive(parcels, path: Path) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The archive as it was built before: feature by feature. Returns (tiles, bytes)."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    from landuse.webmap import tiles
    from landuse.webmap.archive import LIFECYCLE_PRIORITY
    from landuse.webmap.classes import classify_layers

    codes, _, _ = classify_layers(parcels, None, "zh")
    prio = np.array([LIFECYCLE_PRIORITY.get(str(v), 1) for v in parcels["lifecycle"]],
                    dtype=np.int16)
    ts = tiles.prepare(parcels.to_crs(4326).geometry.to_numpy(), codes, prio)
    n = 0
    with open(path, "wb") as f:
        w = Writer(f)
        for z in range(ts.minzoom, ts.maxzoom + 1):
            level = sorted((zxy_to_tileid(z, x, y), d) for x, y, d in tiles.mvt_tiles(ts, z))
            for tid, d in level:
                w.write_tile(tid, gzip.compress(d, mtime=0))
            n += len(level)
        w.finalize({"tile_type": TileType.MVT, "tile_compression": Compression.GZIP}, {})
    return n, path.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=200_000)
    ap.add_argument("--zones", type=int, default=40)
    ap.add_argument("--no-old", action="store_true", help="time the vectorised build only")
    a = ap.parse_args()
    from bench.synth import make_province
    from landuse.rules import assess
    from landuse.webmap.archive import write_pmtiles

    parcels = assess(make_province(a.parcels, a.zones), AS_OF)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        if not a.no_old:
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            n, size = old_archive(parcels, Path(d) / "old.pmtiles")
            rows.append(("feature by feature (before)", time.perf_counter() - t0, n, size, load))
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        info = write_pmtiles(parcels, Path(d) / "new.pmtiles")
        rows.append(("vectorised (now)", time.perf_counter() - t0, info["tiles"], info["bytes"],
                     load))
    print(f"bench_pmtiles: {a.parcels:,} parcels in {a.zones} development zones")
    print(f"{'build':30} {'seconds':>9} {'tiles':>8} {'MB':>7} {'load avg':>9}")
    for name, s, n, size, load in rows:
        print(f"{name:30} {s:9.1f} {n:8d} {size / 1e6:7.1f} {load:9.2f}")
    if len(rows) == 2:
        print(f"speed-up: {rows[0][1] / rows[1][1]:.1f}x")


if __name__ == "__main__":
    main()
