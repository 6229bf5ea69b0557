"""Benchmark: a synthetic province assessed here, and on a local Dask cluster of 1 and 2 workers.

Run:  PYTHONPATH=. python bench/bench_cluster.py [--parcels 10000000] [--zones 500]

``--parcels`` synthetic parcels (bench/synth.py, one development zone after another, so
memory holds one zone at a time) in ``--zones`` development zones are written once to a
partitioned dataset (``--dataset``, reused when it exists with the same size). Then, each
in a fresh child process so its time and peak memory are its own:

* the single-process baseline: the same units one after another (``landuse assess DATASET``);
* a local cluster (``--workers 1`` and ``--workers 2``), run as ``landuse assess`` runs it
  (each task writes its zone's part, the client streams the parts into the CSV): wall
  time, the 2-over-1 ratio (target ≥ 1.7 on 2 cores), each worker's peak memory (target
  ≤ 4 GB) and the client's own peak (``client_rss_gb``, this process alone);
* the cluster's per-task overhead: as many empty tasks as zones on 2 workers;
* the PMTiles archive of the assessed province: build time and size;

and, on paper, the time on 50 workers: the zones' work (the 1-worker cluster's time less
its fixed costs, divided by 50) plus the per-task overhead times the zones plus the client's
fixed costs (start, collect, write), which do not shrink with more workers. Times are wall
clock seconds on this machine; the table says what was measured and what estimated.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
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


def _child(kind: str, dataset: str, workers: int, out: str) -> None:
    """One measurement, in this (child) process; prints one JSON line."""
    from landuse.engine import AssessJob, Engine, WriteJob, combine, plan_units
    from landuse.io.assessment import write_assessment, write_assessment_parts

    units = plan_units(dataset)
    res: dict[str, object] = {"kind": kind, "workers": workers, "zones": len(units)}
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
    parts = Path(out).with_suffix(".zones")
    if kind == "cluster":  # as 'landuse assess': each task writes its zone, the CSV streamed
        import shutil

        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir(parents=True)
        job = WriteJob(job, str(parts))  # type: ignore[assignment]
    with Engine(workers=workers if kind == "cluster" else None) as eng:
        t1 = time.perf_counter()
        results = eng.run(job, units)
        t2 = time.perf_counter()
        if eng.client is not None:
            res["worker_peak_gb"] = sorted(
                v / 1e6 for v in eng.client.run(
                    lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values())
    if kind == "cluster":
        written = [r.written for r in results if r.written is not None]
        write_assessment_parts([(w.path, w.first_id, w.last_id) for w in written], out,
                               written[0].attrs, overwrite=True)
        shutil.rmtree(parts, ignore_errors=True)
    else:
        whole = combine(results)
        write_assessment(whole, out, overwrite=True)
    t3 = time.perf_counter()
    res.update(start_s=t1 - t0, run_s=t2 - t1, collect_write_s=t3 - t2, total_s=t3 - t0,
               failed=sum(r.error is not None for r in results),
               client_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)
    if kind == "pmtiles":
        from landuse.webmap.archive import write_pmtiles

        t4 = time.perf_counter()
        info = write_pmtiles(whole, Path(out).with_suffix(".pmtiles"), overwrite=True)
        res.update(pmtiles_s=time.perf_counter() - t4, pmtiles_mb=info["bytes"] / 1e6,
                   tiles=info["tiles"])
    print(json.dumps(res))


def _rusage_run(kind: str, dataset: Path, workers: int, out: Path) -> dict[str, object]:
    """Run one measurement in a child process; its result and its own peak memory
    (``ru_maxrss`` of that child alone, by ``wait4``)."""
    cmd = [sys.executable, __file__, "--child", kind, "--dataset", str(dataset),
           "--child-workers", str(workers), "--child-out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the command with stdout into the pipe
        os.close(r)
        os.dup2(w, 1)
        os.execve(cmd[0], cmd, env)
    os.close(w)
    with os.fdopen(r) as f:
        stdout = f.read()
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{kind} failed: {stdout[-500:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["client_peak_gb"] = usage.ru_maxrss / 1e6
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=10_000_000)
    ap.add_argument("--zones", type=int, default=500)
    ap.add_argument("--dataset", type=Path, default=ROOT / "out" / "bench_province")
    ap.add_argument("--estimate-workers", type=int, default=50)
    ap.add_argument("--child", choices=["single", "cluster", "overhead", "pmtiles"])
    ap.add_argument("--child-workers", type=int, default=0)
    ap.add_argument("--child-out", default="")
    a = ap.parse_args()
    if a.child:
        _child(a.child, str(a.dataset), a.child_workers, a.child_out)
        return
    ds: Path = a.dataset
    marker = ds / "_bench.json"
    same = marker.is_file() and json.loads(marker.read_text()) == {"parcels": a.parcels,
                                                                   "zones": a.zones}
    write_s = None if same else make_dataset(ds, a.parcels, a.zones)
    out = ds.parent / "bench_cluster_out"
    out.mkdir(parents=True, exist_ok=True)
    single = _rusage_run("pmtiles", ds, 0, out / "single.csv")
    one = _rusage_run("cluster", ds, 1, out / "w1.csv")
    two = _rusage_run("cluster", ds, 2, out / "w2.csv")
    over = _rusage_run("overhead", ds, 2, out / "o.csv")
    same_bytes = ((out / "single.csv").read_bytes() == (out / "w1.csv").read_bytes()
                  == (out / "w2.csv").read_bytes())
    per_task = float(over["tasks_s"]) / a.zones  # type: ignore[arg-type]
    work_1 = float(one["run_s"])  # type: ignore[arg-type]
    fixed = float(one["start_s"]) + float(one["collect_write_s"])  # type: ignore[arg-type]
    est = work_1 / a.estimate_workers + per_task * a.zones + fixed
    f = "{:.1f}".format
    rows = [
        ("dataset written once", f(write_s) if write_s is not None else "reused", "", ""),
        ("single process (units one by one)", f(single["total_s"]), "",
         f"{single['client_peak_gb']:.2f}"),
        ("local cluster, 1 worker", f(one["total_s"]), f"{max(one['worker_peak_gb']):.2f}",
         f"{one['client_rss_gb']:.2f}"),
        ("local cluster, 2 workers", f(two["total_s"]), f"{max(two['worker_peak_gb']):.2f}",
         f"{two['client_rss_gb']:.2f}"),
        ("2 vs 1 worker: ratio (run part only)",
         f"{float(one['run_s']) / float(two['run_s']):.2f}x", "", "target >= 1.7x"),
        ("2 vs 1 worker: ratio (whole command)",
         f"{float(one['total_s']) / float(two['total_s']):.2f}x", "", ""),
        (f"overhead per task ({a.zones} empty tasks, 2 workers)", f"{per_task * 1000:.1f} ms",
         "", f"cluster start {float(over['start_s']):.1f} s"),
        ("PMTiles build (single process)", f(single["pmtiles_s"]),
         f"{single['pmtiles_mb']:.1f} MB", f"{single['tiles']} tiles"),
        (f"estimate: {a.estimate_workers} workers (on paper)", f(est), "",
         "zones' work / workers + overhead x zones + client's fixed costs"),
    ]
    print(f"bench_cluster: {a.parcels:,} parcels in {a.zones} development zones; "
          f"CSV identical single / 1 / 2 workers: {same_bytes}")
    print(f"{'what':52} {'seconds':>10} {'worker peak GB':>15} {'client peak GB / note':>22}")
    for r in rows:
        print(f"{r[0]:52} {r[1]:>10} {r[2]:>15} {r[3]:>22}")
    print(f"details: single {json.dumps(single)}\n         1 worker {json.dumps(one)}\n"
          f"         2 workers {json.dumps(two)}\n         overhead {json.dumps(over)}")


if __name__ == "__main__":
    main()
