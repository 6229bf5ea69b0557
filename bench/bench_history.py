"""Benchmark register history: N parcels in three versions and E ledger events, in a
GeoPackage store.

Builds the store (version 1 since always, with the ledger; version 2 effective 2023-01-01
and version 3 effective 2024-01-01, each editing about 5 % of the parcels: holder changes,
re-supplies, splits in two halves, retirements), then measures, each in its own child
process so that its peak memory (ru_maxrss) is its own:

* ``changes`` from 2022-06-30 to 2024-06-30: both registers read from the history,
  assessed, the ledger read, :func:`landuse.rules.changes.changes` (time and peak memory);
* the assessment as of a past date (the register from the history) against today's (the
  current table), read + assess.

It reports the store's size after each version. Targets (issue 13): ``changes`` < 30 s and
< 4 GB at 1 000 000 parcels, 200 000 events; the past assessment within 1.5x of today's.

    PYTHONPATH=. .venv/bin/python bench/bench_history.py --parcels 1000000 --events 200000
    PYTHONPATH=. .venv/bin/python bench/bench_history.py --parcels 50000 --events 10000

With ``--database-url postgresql://...`` (an empty PostGIS database, which it fills) the
same steps and measures are also run on a PostGIS store, in a second column.

Where ``changes`` spent its time and memory before the shared read (250 000 parcels, 50 000
events, GeoPackage, three versions; phases timed one after the other in one process, load
average 0.6; cProfile for the split inside each phase; peak = ru_maxrss):

=============================================  ======  ======================================
phase                                          s       inside
=============================================  ======  ======================================
read the register of 2022-06-30 (history)      3.7     SQL fetch 1.4, WKB decode 0.4, typing
                                                       the columns (pandas) 1.2, per-cell
                                                       conversion 0.2; peak 1.10 GB while
                                                       0.66 GB is held (the fetched tuples)
read the register of 2024-06-30 (history)      3.6     the same again, 95 % the same rows
read the ledger                                0.5
assess 2022-06-30                              1.4     areas 0.35, rule families 0.65 (亩均
                                                       0.3, efficiency 0.25), sentences 0.33
                                                       (not used by changes), columns 0.1
assess 2024-06-30                              1.3     the same
compare (rules.changes.changes), 87 078 rows   2.7     candidates 0.5, records 0.4, the row
                                                       pass (labels, sentences) 1.8
total                                          13.3    peak 1.68 GB; imports 0.3 s
=============================================  ======  ======================================

Where it spends its CPU now (1 000 000 parcels, 200 000 events; CPU seconds of the main
process, the reading process beside it; load average 6 on 2 cores, so wall times were
about twice these):

=============================================  ======  ======================================
phase                                          CPU s   inside
=============================================  ======  ======================================
read both registers (Store.registers_frames)   15.4    the versions of either date once, the
                                                       pages' SQL fetch and typing half here
                                                       and half in the reading process
                                                       (about 6.5 s there), geometry decode,
                                                       typing the columns 2.0, one frame per
                                                       date 0.8
read the ledger (without geometries)           1.2
assess 2022-06-30 and 2024-06-30               9.0     no sentences (assess_fields)
compare (rules.changes.changes), 348 838 rows  9.0     the row pass
total                                          34.6    peak 3.57 GB (reading process 0.44)
=============================================  ======  ======================================

After measuring an outline identical on both dates once (shared_areas_m2) and comparing
the candidate rows column by column (the same store, phases as above; load average 4 to
5 on 2 cores):

=============================================  ======  ======================================
phase                                          CPU s   inside
=============================================  ======  ======================================
read both registers (Store.registers_frames)   13.8    of which the SQL finding each date's
                                                       versions 2.6 (timed alone); reading
                                                       process 6.2
read the ledger (without geometries)           1.0
areas of both dates                            2.8     the second date's whole, of the first
                                                       only the outlines that differ
assess 2022-06-30 and 2024-06-30               5.0     no areas, no sentences
compare (rules.changes.changes), 348 838 rows  4.6     was 9.0
total                                          29.7    peak 3.50 GB (reading process 0.44)
=============================================  ======  ======================================

``--measure changes`` on that store, the previous code and this one alternately: CPU
(both processes) 38.8 and 38.2 s before, 33.4 and 33.6 s after; peak 3.70 / 3.69 GB
before, 3.52 / 3.53 GB after (wall 50 to 71 s at load average 4 to 6: the machine was
shared, so wall times mostly measure the other work on it).
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
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import make_parcels  # noqa: E402


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants now (Linux /proc)."""
    total = _rss_kib(pid)
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        total += sum(_tree_rss_kib(int(k)) for k in kids)
    return total


class TreePeak:
    """The highest resident memory of this process and its children together, sampled
    every 50 ms in a thread (the sum of each one's own peak overstates it when they peak
    at different times)."""

    def __init__(self) -> None:
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_kib = max(self.peak_kib, _tree_rss_kib(os.getpid()))

    def stop_gb(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak_kib, _tree_rss_kib(os.getpid())) / 1024**2


def size_mb(target: str | Path, store: object = None) -> float:
    """The store's bytes: the GeoPackage file and its write-ahead log, or the PostGIS
    database's size."""
    if str(target).startswith("postgresql"):
        rows = store._fetch("SELECT pg_database_size(current_database())", [])  # type: ignore[attr-defined]
        return float(rows[0][0]) / 1e6
    path = Path(target)
    wal = Path(f"{path}-wal")
    return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6


def edited(reg: pd.DataFrame, seed: int, tag: str) -> pd.DataFrame:
    """A new version: 2 % new holders, 1 % re-supplied, 1 % split in two, 1 % retired."""
    rng = np.random.default_rng(seed)
    out = reg.copy()
    n = len(out)
    pick = rng.permutation(n)
    k = max(n // 100, 1)
    holders, resup, split, gone = (pick[:2 * k], pick[2 * k:3 * k], pick[3 * k:4 * k],
                                   pick[4 * k:5 * k])
    out.iloc[holders, out.columns.get_loc("holder")] = [f"新企业{tag}{i}" for i in holders]
    sd = out.columns.get_loc("supply_date")
    out.iloc[resup, sd] = pd.Timestamp(f"20{22 + int(tag)}-12-01")
    out.iloc[resup, out.columns.get_loc("start_date")] = pd.NaT
    out.iloc[resup, out.columns.get_loc("completion_date")] = pd.NaT
    parents = out.iloc[split]
    x0, y0, x1, y1 = shapely.bounds(parents.geometry.to_numpy()).T
    xm = (x0 + x1) / 2
    west = parents.copy()
    west["parcel_id"] = west["parcel_id"] + f"-{tag}a"
    west["parent_ids"] = parents["parcel_id"].to_numpy()
    west["registered_area_m2"] = parents["registered_area_m2"].to_numpy() / 2
    west = west.set_geometry(shapely.box(x0, y0, xm, y1), crs=reg.crs)
    east = west.copy()
    east["parcel_id"] = parents["parcel_id"].to_numpy() + f"-{tag}b"
    east = east.set_geometry(shapely.box(xm, y0, x1, y1), crs=reg.crs)
    keep = np.ones(n, dtype=bool)
    keep[split] = False
    keep[gone] = False
    import geopandas as gpd

    return gpd.GeoDataFrame(pd.concat([out[keep], west, east], ignore_index=True),
                            geometry="geometry", crs=reg.crs)


def ledger(reg: pd.DataFrame, n_events: int, seed: int) -> pd.DataFrame:
    """``n_events`` 'investigating' events on random parcels, dated after every supply."""
    rng = np.random.default_rng(seed)
    pids = reg["parcel_id"].to_numpy()[rng.integers(0, len(reg), n_events)]
    days = pd.Timestamp("2023-03-01") + pd.to_timedelta(rng.integers(0, 300, n_events), "D")
    return pd.DataFrame({"event_id": [f"E{i:07d}" for i in range(n_events)],
                         "parcel_id": pids, "event_date": days.strftime("%Y-%m-%d"),
                         "stage": "investigating"})


def build(path: str | Path, n: int, n_events: int) -> list[dict[str, object]]:
    from landuse.store import open_store

    rows: list[dict[str, object]] = []
    v1 = make_parcels(n, seed=1)
    v1["parent_ids"] = None
    with open_store(path, create=True) as s:  # a database URL: an empty PostGIS database
        t = time.perf_counter()
        s.load(v1, ledger(v1, n_events, 2), actor="bench")
        rows.append({"step": "version 1 + ledger", "seconds": time.perf_counter() - t,
                     "store_mb": size_mb(path, s)})
        v2 = edited(v1, 3, "2")
        t = time.perf_counter()
        c = s.load(v2, None, actor="bench", effective="2023-01-01")
        rows.append({"step": f"version 2 (+{c['added']} ~{c['changed']} -{c['retired']})",
                     "seconds": time.perf_counter() - t,
                     "store_mb": size_mb(path, s)})
        v3 = edited(v2, 4, "3")
        t = time.perf_counter()
        c = s.load(v3, None, actor="bench", effective="2024-01-01")
        rows.append({"step": f"version 3 (+{c['added']} ~{c['changed']} -{c['retired']})",
                     "seconds": time.perf_counter() - t,
                     "store_mb": size_mb(path, s)})
    return rows


D1, D2 = "2022-06-30", "2024-06-30"
"""The dates ``changes`` compares."""


def measure(path: str, what: str) -> None:
    """One measurement in this (child) process; prints JSON."""
    from landuse.rules import assess
    from landuse.store import open_store

    tree = TreePeak()
    t = time.perf_counter()
    cpu = time.process_time()
    extra: dict[str, object] = {}
    with open_store(path) as s:
        if what == "changes":  # as landuse changes does it
            from landuse.rules.changes import changes_between

            before, after = s.registers_frames([D1, D2], workers=min(2, os.cpu_count() or 1))
            found = changes_between(before, after, D1, D2, ledger=s.ledger_frame())
            extra = {"rows": len(found)}
        elif what == "changes-plain":  # each register read alone, assessed whole
            from landuse.rules.changes import changes

            before = assess(s.parcels_frame(as_of=D1), D1)
            after = assess(s.parcels_frame(as_of=D2), D2)
            found = changes(before, after, D1, D2, ledger=s.ledger_frame())
            extra = {"rows": len(found)}
        elif what == "assess-past":
            assess(s.parcels_frame(as_of="2023-06-30"), "2023-06-30")
        else:
            assess(s.parcels_frame(), "2023-06-30")
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the reading process, if any
    cpu_kids = kids.ru_utime + kids.ru_stime
    print(json.dumps({"seconds": time.perf_counter() - t,
                      "cpu_s": time.process_time() - cpu + cpu_kids,
                      "peak_gb": _peak_gb(), "kid_peak_gb": kids.ru_maxrss / 1024**2,
                      "tree_peak_gb": tree.stop_gb(), "load": os.getloadavg()[0], **extra}))


def child(path: str | Path, what: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--measure", what, "--store", str(path)],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(results: dict[str, Any], parcels: int, events: int) -> None:
    """Print the steps (seconds, store MB and growth) and measures, one column per store."""
    names = list(results)
    print(f"{parcels:,} parcels, {events:,} ledger events; stores: {', '.join(names)}")
    print(f"{'step':<40}" + "".join(f" {n + ' s':>14} {n + ' MB':>22}" for n in names))
    steps = max((results[n][0] for n in names), key=len)
    prev: dict[str, float] = {}
    for k, r in enumerate(steps):
        line = f"{r['step']!s:<40}"
        for n in names:
            if k >= len(results[n][0]):  # a kept store: its size only
                line += f" {'':>14} {'':>22}"
                continue
            row = results[n][0][k]
            mb = float(row["store_mb"])
            grow = "" if n not in prev else f" (+{mb - prev[n]:.1f})"
            line += f" {float(row['seconds']):>14.1f} {f'{mb:.1f}{grow}':>22}"
            prev[n] = mb
        print(line)
    for n in names:
        ch, past, now = (results[n][1][w] for w in ("changes", "assess-past", "assess-now"))
        ratio = float(past["seconds"]) / float(now["seconds"])
        print(f"[{n}] changes {D1} -> {D2}: {float(ch['seconds']):.1f} s ({_cpu(ch)}), peak "
              f"{_peaks(ch)}, {ch['rows']:,} rows (target < 30 s, < 4 GB)")
        if "changes-plain" in results[n][1]:
            pl = results[n][1]["changes-plain"]
            print(f"[{n}] the plain path (each register read alone, assessed whole): "
                  f"{float(pl['seconds']):.1f} s ({_cpu(pl)}), peak {_peaks(pl)}, "
                  f"{pl['rows']:,} rows; fast / plain "
                  f"{float(ch['seconds']) / float(pl['seconds']):.2f}")
        print(f"[{n}] assess as of a past date: {float(past['seconds']):.1f} s ({_cpu(past)}); "
              f"today's register: {float(now['seconds']):.1f} s ({_cpu(now)}); ratio "
              f"{ratio:.2f}, in CPU seconds "
              f"{float(past['cpu_s']) / float(now['cpu_s']):.2f} (target <= 1.5)")


def _peaks(m: dict[str, Any]) -> str:
    """This process's peak and its reading process's (exact), their sum (a bound on both
    together) and both together as sampled every 50 ms."""
    own, kid = float(m["peak_gb"]), float(m["kid_peak_gb"])
    return (f"{own:.2f} GB (its reading process {kid:.2f}, sum {own + kid:.2f}, together "
            f"sampled {float(m['tree_peak_gb']):.2f})")


def _cpu(m: dict[str, Any]) -> str:
    """CPU seconds of a measure and the load average when it ended (the machine is shared:
    with a load above its cores the wall time is longer than the CPU time)."""
    return f"CPU {float(m['cpu_s']):.1f} s, load {float(m['load']):.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--measure", choices=["changes", "changes-plain", "assess-past",
                                          "assess-now"])
    ap.add_argument("--plain", action="store_true",
                    help="also time changes the plain way (two whole reads and assessments)")
    ap.add_argument("--keep", help="build the store here and keep it (GeoPackage); an "
                    "existing file there is measured as it is, not rebuilt")
    ap.add_argument("--store")
    ap.add_argument("--database-url", help="also bench a PostGIS store in this empty database")
    args = ap.parse_args(argv)
    if args.measure:
        measure(args.store, args.measure)
        return 0
    targets = {"GeoPackage": ""}
    if args.database_url:
        targets["PostGIS"] = args.database_url
    whats = ["changes", *(["changes-plain"] if args.plain else []), "assess-past",
             "assess-now"]
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, target in targets.items():
            where = target or args.keep or str(Path(tmp) / "history.gpkg")
            if target or not Path(where).exists():
                steps = build(where, args.parcels, args.events)
            else:  # measured as it is: its size only
                steps = [{"step": f"(kept store {where})", "seconds": 0.0,
                          "store_mb": size_mb(where)}]
            results[name] = (steps, {w: child(where, w) for w in whats})
        report(results, args.parcels, args.events)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
