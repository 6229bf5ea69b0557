"""Benchmark: a synthetic province assessed here, and on a local Dask cluster of 1 and 2 workers.

Run:  PYTHONPATH=. python bench/bench_cluster.py [--parcels 10000000] [--zones 500]
          [--dataset /tmp/province_10m] [--mem-cap-gb 8] [--skip single,pmtiles]

``--parcels`` synthetic parcels (bench/synth.py, one development zone after another, so
memory holds one zone at a time) in ``--zones`` development zones are written once to a
partitioned dataset (``--dataset``, reused when it exists with the same size; its size on
disk is printed). Then, each in a fresh child process so its time and peak memory are its own:

* the single-process baseline: the same units one after another, gathered into one frame
  and written (``landuse assess DATASET`` before it wrote by zone), under an address-space
  cap (``--mem-cap-gb``, ``RLIMIT_AS`` set in the child) so it cannot take the machine down:
  its time, or "failed: out of memory" with the memory it had reached;
* a local cluster (``--workers 1`` and ``--workers 2``), run as ``landuse assess`` runs it
  (each task writes its zone's part, then each group of parts is turned into a CSV piece
  by a task, and the client joins the pieces): wall
  time, the 2-over-1 ratio (target ≥ 1.7 on 2 cores), each worker's peak memory (target
  ≤ 4 GB: ``psutil`` samples of every worker process, and the workers' own ``ru_maxrss``)
  and the client's own peak (``client_rss_gb``, that process alone);
* the cluster's per-task overhead: as many empty tasks as zones on 2 workers;
* the PMTiles archive as ``landuse map DATASET --pmtiles --workers 2`` makes it (zones
  assessed into parts, then each zone's tile pieces made by a task, merged by the client):
  the time of each step, tiles, size, peaks;

and, on paper, the time on 50 workers: the workers' work (the 1-worker cluster's zones
and CSV pieces, divided by 50) plus the per-task overhead times the tasks plus the client's
fixed costs (cluster start, the join of the pieces), which do not shrink with more workers.
Times are wall clock seconds on this machine, with the load average at the start of each
step (the machine may be shared); the table says what was measured and what estimated.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2023-10-31"


def make_dataset(path: Path, parcels: int, zones: int) -> float:
    """Write the synthetic province zone by zone; return the seconds it took."""
    import numpy as np

    from bench.synth import PROVINCE_KEYS, make_parcels
    from landuse.io.dataset import write_dataset_chunks

    side = math.ceil(math.sqrt(zones))  # zones on a grid, each a block of its parcels
    pitch = (math.ceil(math.sqrt(parcels / max(zones, 1) + 1)) * 160.0) + 2000.0

    def chunks():  # type: ignore[no-untyped-def]
        done = 0
        for z in range(zones):
            m = parcels * (z + 1) // zones - done
            done += m
            g = make_parcels(m, seed=z)
            g["parcel_id"] = np.char.add(f"Z{z:04d}", g["parcel_id"].to_numpy(dtype=str))
            g["geometry"] = g.geometry.translate((z % side - side / 2) * pitch,
                                                 (z // side) * pitch)
            g.insert(1, "province", "江西省")
            g.insert(2, "city", f"城市{z // 10:03d}")
            g.insert(3, "dev_zone", f"开发区{z:04d}")
            g["holder"] = f"开发区{z:04d}" + g["holder"].astype(str)
            g["production_date"] = g["completion_date"] + np.timedelta64(90, "D")
            yield g

    t0 = time.perf_counter()
    write_dataset_chunks(chunks(), path, PROVINCE_KEYS, overwrite=True)
    (path / "_bench.json").write_text(json.dumps({"parcels": parcels, "zones": zones}))
    return time.perf_counter() - t0


class Sampler:
    """Peak resident memory of the given processes, sampled every ``every`` seconds with
    psutil in a thread (a process that ended keeps its last peak)."""

    def __init__(self, pids: list[int], every: float = 0.2) -> None:
        import psutil

        self.procs = {p: psutil.Process(p) for p in pids}
        self.peak = dict.fromkeys(pids, 0)
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            for pid, proc in self.procs.items():
                try:
                    self.peak[pid] = max(self.peak[pid], proc.memory_info().rss)
                except psutil.Error:
                    pass
            self._stop.wait(self.every)

    def stop(self) -> list[float]:
        """Stop sampling; each process's peak in GB, smallest first."""
        self._stop.set()
        self._thread.join()
        return sorted(v / 1e9 for v in self.peak.values())


def _worker_pids(eng) -> list[int]:  # type: ignore[no-untyped-def]
    return list(eng.client.run(os.getpid).values())


def _worker_maxrss(eng) -> list[float]:  # type: ignore[no-untyped-def]
    return sorted(v / 1e6 for v in eng.client.run(
        lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values())


def _child(kind: str, dataset: str, workers: int, out: str) -> None:
    """One measurement, in this (child) process; prints one JSON line."""
    import shutil

    from landuse.cli._province import csv_pieces
    from landuse.engine import AssessJob, Engine, WriteJob, combine, plan_units
    from landuse.io.assessment import join_pieces, write_assessment

    units = plan_units(dataset)
    res: dict[str, object] = {"kind": kind, "workers": workers, "zones": len(units),
                              "load": os.getloadavg()[0]}
    t0 = time.perf_counter()
    if kind == "overhead":
        with Engine(workers=workers) as eng:
            t1 = time.perf_counter()
            futs = [eng.client.submit(len, [i], pure=False) for i in range(len(units))]
            eng.client.gather(futs)
            res["tasks_s"] = time.perf_counter() - t1
        res["start_s"] = t1 - t0
        print(json.dumps(res))
        return
    job = AssessJob(path=dataset, as_of=AS_OF)
    if kind == "single":  # the units one after another, gathered into one frame
        try:
            with Engine() as eng:
                t1 = time.perf_counter()
                results = eng.run(job, units)
                t2 = time.perf_counter()
            whole = combine(results)
            del results
            write_assessment(whole, out, overwrite=True)
        except MemoryError:
            res.update(failed="out of memory", total_s=time.perf_counter() - t0,
                       at_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)
            print(json.dumps(res))
            return
        t3 = time.perf_counter()
        res.update(start_s=t1 - t0, run_s=t2 - t1, collect_write_s=t3 - t2, total_s=t3 - t0)
        print(json.dumps(res))
        return
    parts = Path(out).with_suffix(".zones")
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    with Engine(workers=workers) as eng:
        sampler = Sampler(_worker_pids(eng))
        t1 = time.perf_counter()
        results = eng.run(WriteJob(job, str(parts)), units)
        t2 = time.perf_counter()
        written = [r.written for r in results if r.written is not None]
        if kind == "pmtiles":
            from landuse.webmap.archive import write_pmtiles_zones

            zones = [(r.unit, r.written.path, r.written.first_id, r.written.rows)
                     for r in results if r.written is not None and r.written.rows]
            info = write_pmtiles_zones(eng, zones, Path(out).with_suffix(".pmtiles"),
                                       as_of=AS_OF, overwrite=True)
            t3 = time.perf_counter()
            res.update(assess_parts_s=t2 - t1, pmtiles_s=t3 - t2, pmtiles_mb=info["bytes"] / 1e6,
                       tiles=info["tiles"], zoom=[info["minzoom"], info["maxzoom"]])
        else:  # as `landuse assess DATASET OUT.csv --workers N` (csv_by_workers)
            pieces = csv_pieces(eng, [(w.path, w.first_id, w.last_id) for w in written],
                                str(parts), out)
            t3 = time.perf_counter()
            join_pieces(pieces, out, overwrite=True)
            t4 = time.perf_counter()
            res.update(run_s=t2 - t1, pieces_s=t3 - t2, join_s=t4 - t3)
        res["worker_peak_gb"] = sampler.stop()
        res["worker_maxrss_gb"] = _worker_maxrss(eng)
    shutil.rmtree(parts, ignore_errors=True)
    res.update(start_s=t1 - t0, total_s=time.perf_counter() - t0,
               failed=sum(r.error is not None for r in results),
               client_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)
    print(json.dumps(res))


def _rusage_run(kind: str, dataset: Path, workers: int, out: Path,
                cap_gb: float | None = None) -> dict[str, object]:
    """Run one measurement in a child process; its result and its own peak memory
    (``ru_maxrss`` of that child alone, by ``wait4``). With ``cap_gb`` the child's address
    space is capped (``RLIMIT_AS``): it fails with MemoryError instead of swapping."""
    cmd = [sys.executable, __file__, "--child", kind, "--dataset", str(dataset),
           "--child-workers", str(workers), "--child-out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the command with stdout into the pipe
        os.close(r)
        os.dup2(w, 1)
        if cap_gb is not None:
            cap = int(cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.execve(cmd[0], cmd, env)
    os.close(w)
    with os.fdopen(r) as f:
        stdout = f.read()
    _, status, usage = os.wait4(pid, 0)
    lines = stdout.strip().splitlines()
    code = os.waitstatus_to_exitcode(status)
    if code or not lines or not lines[-1].startswith("{"):
        if cap_gb is None:
            raise SystemExit(f"{kind} failed: {stdout[-500:]}")
        # under the cap a library may abort instead of raising MemoryError
        return {"kind": kind, "failed": f"exit {code} under the {cap_gb:g} GB cap",
                "at_gb": usage.ru_maxrss / 1e6, "client_peak_gb": usage.ru_maxrss / 1e6}
    res = json.loads(lines[-1])
    res["client_peak_gb"] = usage.ru_maxrss / 1e6
    return res


def _du(path: Path) -> str:
    r = subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True)
    return r.stdout.split()[0] if r.returncode == 0 else "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=10_000_000)
    ap.add_argument("--zones", type=int, default=500)
    ap.add_argument("--dataset", type=Path, default=ROOT / "out" / "bench_province")
    ap.add_argument("--estimate-workers", type=int, default=50)
    ap.add_argument("--mem-cap-gb", type=float, default=8.0,
                    help="address-space cap of the single-process baseline")
    ap.add_argument("--skip", default="", help="comma-separated steps to leave out: "
                    "single, pmtiles, overhead")
    ap.add_argument("--child", choices=["single", "cluster", "overhead", "pmtiles"])
    ap.add_argument("--child-workers", type=int, default=0)
    ap.add_argument("--child-out", default="")
    a = ap.parse_args()
    if a.child:
        _child(a.child, str(a.dataset), a.child_workers, a.child_out)
        return
    skip = {s.strip() for s in a.skip.split(",") if s.strip()}
    ds: Path = a.dataset
    marker = ds / "_bench.json"
    same = marker.is_file() and json.loads(marker.read_text()) == {"parcels": a.parcels,
                                                                   "zones": a.zones}
    write_s = None if same else make_dataset(ds, a.parcels, a.zones)
    out = ds.parent / f"{ds.name}_out"
    out.mkdir(parents=True, exist_ok=True)
    one = _rusage_run("cluster", ds, 1, out / "w1.csv")
    two = _rusage_run("cluster", ds, 2, out / "w2.csv")
    same_12 = filecmp.cmp(out / "w1.csv", out / "w2.csv", shallow=False)  # read in chunks
    over = (_rusage_run("overhead", ds, 2, out / "o.csv") if "overhead" not in skip
            else {"tasks_s": float("nan"), "start_s": float("nan")})
    single = (_rusage_run("single", ds, 0, out / "single.csv", a.mem_cap_gb)
              if "single" not in skip else None)
    pm = _rusage_run("pmtiles", ds, 2, out / "p.csv") if "pmtiles" not in skip else None
    per_task = float(over["tasks_s"]) / a.zones  # type: ignore[arg-type]
    work_1 = float(one["run_s"]) + float(one["pieces_s"])  # type: ignore[arg-type]
    fixed = float(one["start_s"]) + float(one["join_s"])  # type: ignore[arg-type]
    pieces = 2 * a.zones  # a zone's task, and at most one CSV piece per zone
    est = work_1 / a.estimate_workers + per_task * pieces + fixed
    f = "{:.1f}".format

    def peak(r: dict[str, object]) -> str:
        return f"{max(r['worker_peak_gb']):.2f}"  # type: ignore[call-overload]

    rows = [
        ("dataset written once", f(write_s) if write_s is not None else "reused", "",
         f"{_du(ds)} on disk", ""),
        ("local cluster, 1 worker", f(one["total_s"]), peak(one),
         f"client {float(one['client_rss_gb']):.2f} GB", f"{float(one['load']):.2f}"),
        ("local cluster, 2 workers", f(two["total_s"]), peak(two),
         f"client {float(two['client_rss_gb']):.2f} GB", f"{float(two['load']):.2f}"),
        ("2 vs 1 worker: ratio (zones assessed)",
         f"{float(one['run_s']) / float(two['run_s']):.2f}x", "", "target >= 1.7x", ""),
        ("2 vs 1 worker: ratio (CSV pieces)",
         f"{float(one['pieces_s']) / float(two['pieces_s']):.2f}x", "", "", ""),
        ("join of the pieces by the client, 1 / 2 workers",
         f"{float(one['join_s']):.1f} / {float(two['join_s']):.1f}", "", "", ""),
        ("2 vs 1 worker: ratio (whole command)",
         f"{float(one['total_s']) / float(two['total_s']):.2f}x", "", "", ""),
        (f"overhead per task ({a.zones} empty tasks, 2 workers)", f"{per_task * 1000:.1f} ms",
         "", f"cluster start {float(over['start_s']):.1f} s", ""),
    ]
    if single is not None:
        if "failed" in single:
            rows.append((f"single process (cap {a.mem_cap_gb:g} GB)",
                         f"failed: {single['failed']} at "
                         f"{float(single['at_gb']):.1f} GB"  # type: ignore[arg-type]
                         + (f" after {float(single['total_s']):.0f} s"  # type: ignore[arg-type]
                            if "total_s" in single else ""), "", "", ""))
        else:
            rows.append((f"single process (cap {a.mem_cap_gb:g} GB)", f(single["total_s"]), "",
                         f"peak {float(single['client_peak_gb']):.2f} GB",
                         f"{float(single['load']):.2f}"))
    if pm is not None:
        rows += [
            ("map --pmtiles, 2 workers: zones assessed to parts", f(pm["assess_parts_s"]),
             peak(pm), "", f"{float(pm['load']):.2f}"),
            ("map --pmtiles, 2 workers: tiles made and merged", f(pm["pmtiles_s"]), "",
             f"{float(pm['pmtiles_mb']):.0f} MB, {pm['tiles']} tiles", ""),
        ]
    rows.append((f"estimate: {a.estimate_workers} workers (on paper)", f(est), "",
                 "work / workers + overhead x tasks + start + join", ""))
    print(f"bench_cluster: {a.parcels:,} parcels in {a.zones} development zones; "
          f"CSV identical 1 / 2 workers: {same_12}")
    print(f"{'what':52} {'seconds':>10} {'worker peak GB':>15} {'note':>24} {'load':>6}")
    for r in rows:
        print(f"{r[0]:52} {r[1]:>10} {r[2]:>15} {r[3]:>24} {r[4]:>6}")
    details = {"1 worker": one, "2 workers": two, "overhead": over, "single": single,
               "pmtiles": pm}
    for k, v in details.items():
        print(f"details {k}: {json.dumps(v)}")


if __name__ == "__main__":
    main()
