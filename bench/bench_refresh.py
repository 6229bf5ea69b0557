"""Benchmark recording one ledger event: the assessment remade whole vs patched (issue 15).

On an N-parcel store (the synthetic grid of bench/synth.py), in one run, each write is one
investigation event on a random parcel followed by what ``POST /collections/ledger/items``
does before it answers: bring the store's assessment table up to date.

  * before: the whole assessment made again (``refresh_assessment(exact_ranks=True)``, what
    every write cost before the incremental refresh),
  * after: only the touched parcel and its enterprise's parcels re-assessed (the default).

    python bench/bench_refresh.py --parcels 100000
    python bench/bench_refresh.py --parcels 20000 --database postgresql://…

Target (issue 15): record p95 < 300 ms at 1 M parcels.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import make_parcels

from landuse.store import Store, open_store

AS_OF = "2023-12-31"


def p95(xs: list[float]) -> float:
    """The 95th percentile (the largest value below 20 samples)."""
    return statistics.quantiles(xs, n=20)[18] if len(xs) >= 20 else max(xs)


def record(store: Store, n: int, k: int, rng: random.Random, whole: bool,
           tag: str) -> list[float]:
    """Milliseconds of ``k`` writes of one event each, the assessment brought up to date."""
    out = []
    for i in range(k):
        pid = f"P{rng.randrange(n):07d}"
        t = time.perf_counter()
        store.append_events([({"event_id": f"B-{tag}-{i}", "parcel_id": pid,
                               "event_date": "2023-11-02", "stage": "investigating"}, None)],
                            actor="bench")
        state = store.refresh_assessment(AS_OF, exact_ranks=whole)
        out.append((time.perf_counter() - t) * 1000)
        assert state["seq"] == store.change_seq()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--before", type=int, default=10, help="writes remade whole")
    ap.add_argument("--after", type=int, default=100, help="writes patched")
    ap.add_argument("--database", help="a PostGIS URL (an empty schema) instead of a file")
    args = ap.parse_args()
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="landuse-bench-"))
    target = args.database or str(work / "bench.gpkg")
    print(f"making and loading {args.parcels:,} parcels …", flush=True)
    t = time.perf_counter()
    with open_store(target, create=True) as s:
        s.load(make_parcels(args.parcels))
        print(f"  loaded in {time.perf_counter() - t:.0f} s; first assessment …", flush=True)
        t = time.perf_counter()
        s.refresh_assessment(AS_OF)
        first = time.perf_counter() - t
        before = record(s, args.parcels, args.before, rng, True, "whole")
        after = record(s, args.parcels, args.after, rng, False, "patch")
    rows = [
        ("first whole assessment (both languages), s", f"{first:.1f}"),
        (f"record one event, remade whole ({args.before} writes): p50 / p95 ms",
         f"{statistics.median(before):.0f} / {p95(before):.0f}"),
        (f"record one event, patched ({args.after} writes): p50 / p95 ms",
         f"{statistics.median(after):.1f} / {p95(after):.1f}"),
        ("speed-up of the p50", f"{statistics.median(before) / statistics.median(after):.0f}x"),
    ]
    w = max(len(a) for a, _ in rows)
    kind = "PostGIS" if args.database else "GeoPackage"
    print(f"\n{args.parcels:,} parcels, {kind} store, in-process, {os.cpu_count()} CPUs")
    for a, b in rows:
        print(f"{a.ljust(w)} | {b}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
