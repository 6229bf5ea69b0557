"""Profile one write -> the first map tile after it, in process (issue 15).

On a kept GeoPackage store (made by ``--make`` once, then reused), warm a
:class:`landuse_api.derived.Derived` (its frames, today's assessment, the map's tiling
state), then for each of ``--writes`` ledger events: append it (validation included),
patch the store's assessment table (``refresh_assessment``), and bring the map to the new
version (``Derived.tileset``: frames patched, assessment patched, classes patched) and make
one tile holding the parcel. Prints the wall time of each stage (median over the writes,
with the load average) and the cProfile of the stages by own time.

    python bench/profile_write.py /tmp/store.gpkg --make 1000000
    python bench/profile_write.py /tmp/store.gpkg --writes 5
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import make_parcels

from landuse.store import open_store

AS_OF = "2023-12-31"


def make(path: Path, n: int) -> None:
    with open_store(path, create=True) as s:
        parcels = make_parcels(n)
        # producing 90 days after completion: the 亩均 scheme rates their enterprises
        parcels["production_date"] = parcels["completion_date"] + pd.Timedelta(days=90)
        s.load(parcels)


def main() -> None:
    from landuse.webmap import tiles as _tiles
    from landuse_api.derived import Derived
    from landuse_api.main import warm
    from landuse_api.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--make", type=int, default=0, help="make the store of N parcels first")
    ap.add_argument("--writes", type=int, default=5)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    if args.make:
        make(args.store, args.make)
    s = open_store(args.store)
    n = len(s.parcels_frame()) if not args.make else args.make
    d = Derived(s)
    t = time.perf_counter()
    warm(d, Settings(as_of=dt.date.fromisoformat(AS_OF)))  # as the server does
    st = d.tileset("zh")
    print(f"warm (table, frames, enterprise groups, assessment, tiling state) "
          f"{time.perf_counter() - t:.1f} s, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    rng = random.Random(11)
    stages: dict[str, list[float]] = {"append (validation)": [], "store patch": [],
                                      "map state (tileset)": [], "first tile": []}
    prof = cProfile.Profile()
    for i in range(args.writes):
        pid = f"P{rng.randrange(n):07d}"
        ev = {"event_id": f"PW-{time.time_ns()}-{i}", "parcel_id": pid,
              "event_date": "2023-11-02", "stage": "investigating"}
        pos = st["ids"].index(pid)  # ids keep their positions across writes
        prof.enable()
        t0 = time.perf_counter()
        s.append_events([(ev, None)], actor="profile")
        t1 = time.perf_counter()
        s.refresh_assessment(AS_OF, wait=True)
        t2 = time.perf_counter()
        st = d.tileset("zh")
        t3 = time.perf_counter()
        z = st["ts"].maxzoom
        x, y = next(iter(_tiles.tiles_of_features(st["ts"], [pos], z)))
        d.tile("zh", z, x, y)
        t4 = time.perf_counter()
        prof.disable()
        for k, (a, b) in zip(stages, [(t0, t1), (t1, t2), (t2, t3), (t3, t4)], strict=True):
            stages[k].append((b - a) * 1000)
    load = os.getloadavg()[0]
    print(f"\n{n:,} parcels, {args.writes} writes, load {load:.2f}: median ms per write")
    for k, v in stages.items():
        print(f"  {k:24s} {statistics.median(v):8.0f}  (max {max(v):.0f})")
    print(f"  {'total':24s} {sum(statistics.median(v) for v in stages.values()):8.0f}")
    pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
