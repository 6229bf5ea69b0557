"""Throughput of bbox item pages, one server process against ``--workers 2``, both backends.

Over real HTTP on loopback, in one run, on N synthetic parcels (the grid of bench_api.py):
  * for the GeoPackage store and the PostGIS store, each served by ``landuse serve`` with one
    process and with ``--workers 2``: requests/s of a bbox page (about 100 parcels) at 20
    concurrent clients, with the p50/p95 of those requests (their wait in the queue
    included), and the p50/p95 of one client alone. Every client makes a fixed number of
    requests (no open-ended loop);
  * memory: the peak of the summed RSS of the server's processes (server, its workers, their
    heavy-work pools) during a burst of 20 concurrent GeoPackage downloads (``f=gpkg``, each
    of another area of ~10 000 parcels; a 503 "all heavy slots busy" is asked again after its
    Retry-After, as a client honouring it would), against the RSS before the burst.

    python bench/bench_throughput.py                      # 1 000 000 parcels
    python bench/bench_throughput.py --parcels 100000 --database postgresql://…/db
    python bench/bench_throughput.py --parcels 200000 --processes 1,4   # issue 14: 4 processes
    python bench/bench_throughput.py --processes 1 --sweep 1,5,10,20    # p50 against clients

PostGIS: ``--database`` or LANDUSE_DATABASE_URL (a fresh schema is made there and dropped);
without one the PostGIS rows are left out and the table says so.

Targets (issue 16): >= 150 req/s at 1 000 000 parcels on 2 cores; bbox p50 < 10 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import ROOT, STEP, X0, Y0, Proc, bbox_urls, make_parcels

from landuse.store import open_store

AS_OF = "2023-12-31"


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, each once."""
    out = [pid]
    for p in out:
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                out += [int(x) for x in (task / "children").read_text().split()
                        if int(x) not in out]
        except OSError:
            continue
    return out


def rss_mb(pid: int) -> float:
    """Summed resident memory (MB) of ``pid``'s process tree."""
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def load(clients: int, per_client: int, base: str, urls: list[str]
         ) -> tuple[float, float, float, int]:
    """``clients`` threads, each making ``per_client`` requests: req/s, p50, p95 (ms),
    errors."""
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def run(k: int) -> None:
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=base, timeout=120) as c:
            for i in range(per_client):
                t = time.perf_counter()
                try:
                    ok = c.get(urls[(k + i * clients) % len(urls)]).status_code == 200
                except httpx.HTTPError:
                    ok = False
                mine.append((time.perf_counter() - t) * 1000)
                bad += not ok
        with lock:
            times.extend(mine)
            errors[0] += bad

    ts = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    rate = len(times) / (time.perf_counter() - t0)
    q = statistics.quantiles(times, n=20)
    return rate, statistics.median(times), q[18], errors[0]


def wait_warm(base: str) -> None:
    """Until the parcels' assessment is made (the warm-up runs beside the server)."""
    with httpx.Client(base_url=base, timeout=600) as c:
        for _ in range(12000):
            r = c.get("/collections/parcels/items?limit=1")
            if r.status_code == 200 and r.json().get("assessment", {}).get("current"):
                return
            time.sleep(0.05)
    raise RuntimeError("the assessment was not made")


def cpu_ticks(pid: int) -> int:
    """CPU time (clock ticks, user + system) used so far by ``pid``'s process tree."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def wait_idle(pid: int) -> None:
    """Until the server's processes use under a tenth of a CPU for a second (the warm-up,
    which also reads the frames the reports use, has finished in every process)."""
    hz = os.sysconf("SC_CLK_TCK")
    for _ in range(600):
        before = cpu_ticks(pid)
        time.sleep(1)
        if cpu_ticks(pid) - before < hz / 10:
            return
    raise RuntimeError("the server did not settle in 10 minutes")


def serve(target: str, workers: int, extra: dict[str, str] | None = None) -> Proc:
    where = ["--database", target] if target.startswith("postgresql") else [target]
    cmd = [sys.executable, "-m", "landuse", "serve", "--port", "{port}", *where,
           "--workers", str(workers)]
    env = {"PYTHONPATH": str(ROOT), "LANDUSE_AS_OF": AS_OF, **(extra or {})}
    return Proc(cmd, env, "/conformance")


def download_urls(n: int, count: int) -> list[str]:
    """``count`` downloads (f=gpkg) of distinct areas of about 10 000 parcels each."""
    side = math.ceil(math.sqrt(n))
    rows = n // side
    urls = []
    for k in range(count):
        ci = (k * 37) % max(side - 100, 1)
        ri = (k * 53) % max(rows - 100, 1)
        x, y = X0 + ci * STEP, Y0 + ri * STEP
        b = f"{x + 0.0001:.6f},{y + 0.0001:.6f},{x + 99.9 * STEP:.6f},{y + 99.9 * STEP:.6f}"
        urls.append(f"/collections/parcels/items?bbox={b}&f=gpkg&limit=20000")
    return urls


def burst(p: Proc, urls: list[str]) -> tuple[float, float, float, dict[str, int]]:
    """20 concurrent downloads (503 asked again): RSS before and at peak (MB), seconds,
    answers by status."""
    assert p.p is not None
    before = rss_mb(p.p.pid)
    peak = [before]
    counts: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb(p.p.pid))  # type: ignore[union-attr]
            time.sleep(0.05)

    def one(url: str) -> None:
        with httpx.Client(base_url=p.url, timeout=600) as c:
            for _ in range(2000):  # bounded: a stuck server fails the bench
                r = c.get(url)
                with lock:
                    counts[str(r.status_code)] = counts.get(str(r.status_code), 0) + 1
                if r.status_code != 503:
                    return
                time.sleep(float(r.headers.get("Retry-After", "1")) / 10)

    s = threading.Thread(target=sample)
    s.start()
    ts = [threading.Thread(target=one, args=(u,)) for u in urls]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.perf_counter() - t0
    stop.set()
    s.join()
    return before, peak[0], took, counts


def pg_schema(base: str) -> tuple[str, str]:
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema},public')}", schema


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=50, help="requests per client")
    ap.add_argument("--downloads", type=int, default=20)
    ap.add_argument("--processes", default="1,2",
                    help="server processes to compare (--workers), e.g. 1,2,4")
    ap.add_argument("--database", default=os.environ.get("LANDUSE_DATABASE_URL"))
    ap.add_argument("--sweep", default="",
                    help="also req/s and p50/p95 at each of these client counts, e.g. "
                    "1,5,10,20 (how the wait in the queue grows with the clients)")
    args = ap.parse_args()
    rng = random.Random(11)
    work = Path(tempfile.mkdtemp(prefix="landuse-bench-"))
    parcels = make_parcels(args.parcels)
    targets: list[tuple[str, str]] = []
    gpkg = work / "bench.gpkg"
    t = time.perf_counter()
    with open_store(gpkg, create=True) as s:
        s.load(parcels)
    print(f"{args.parcels:,} parcels loaded into a GeoPackage in {time.perf_counter() - t:.0f} s",
          flush=True)
    targets.append(("GeoPackage", str(gpkg)))
    schema = None
    if args.database:
        url, schema = pg_schema(args.database)
        t = time.perf_counter()
        with open_store(url) as s:
            s.load(parcels)
        print(f"... and into PostGIS in {time.perf_counter() - t:.0f} s", flush=True)
        targets.append(("PostGIS", url))
    del parcels
    urls = bbox_urls(args.parcels, 400, rng)
    rows: list[tuple[str, ...]] = []
    sweep: list[tuple[str, ...]] = []
    try:
        for name, target in targets:
            for workers in (int(x) for x in args.processes.split(",")):
                with serve(target, workers) as p:
                    wait_warm(p.url)
                    assert p.p is not None
                    wait_idle(p.p.pid)
                    load(args.clients, 5, p.url, urls)  # connections open, caches warm
                    _, a50, a95, e1 = load(1, 100, p.url, urls)
                    rate, p50, p95, e2 = load(args.clients, args.requests, p.url, urls)
                    for n in (int(x) for x in args.sweep.split(",") if x):
                        r, s50, s95, e = load(n, max(args.requests * args.clients // n, 50),
                                              p.url, urls)
                        sweep.append((name, str(workers), str(n), f"{r:.0f}",
                                      f"{s50:.1f} / {s95:.1f}", str(e)))
                        print("  sweep " + " | ".join(sweep[-1]), flush=True)
                rows.append((name, str(workers), f"{rate:.0f}", f"{p50:.1f} / {p95:.1f}",
                             f"{a50:.1f} / {a95:.1f}", str(e1 + e2)))
                print("  " + " | ".join(rows[-1]), flush=True)
        with serve(str(gpkg), 1) as p:
            wait_warm(p.url)
            assert p.p is not None
            wait_idle(p.p.pid)
            before, peak, took, counts = burst(p, download_urls(args.parcels, args.downloads))
    finally:
        if schema is not None:
            import psycopg

            with psycopg.connect(args.database, autocommit=True) as c:
                c.execute(f"DROP SCHEMA {schema} CASCADE")
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.parcels:,} parcels, bbox pages (~100 parcels) at {args.clients} clients x "
          f"{args.requests} requests, {os.cpu_count()} CPUs, loopback")
    head = ("store", "processes", f"req/s at {args.clients} (target >= 150)",
            f"p50 / p95 ms at {args.clients}", "p50 / p95 ms alone (target p50 < 10)",
            "errors")
    w = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print(" | ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    if len(targets) == 1:
        print("PostGIS: not measured (no --database / LANDUSE_DATABASE_URL)")
    if sweep:
        print("\nclients sweep (each client's requests one after another; with more clients "
              "than cores the p50 is mostly the wait in the queue, about clients / req/s):")
        head = ("store", "processes", "clients", "req/s", "p50 / p95 ms", "errors")
        w = [max(len(r[i]) for r in [head, *sweep]) for i in range(len(head))]
        for r in [head, *sweep]:
            print(" | ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    print(f"\n{args.downloads} concurrent GeoPackage downloads (f=gpkg, areas of up to 100 x "
          "100 parcels), "
          "one server process (LANDUSE_HEAVY_MAX=2):")
    print(f"RSS of the server's processes: {before:.0f} MB before, peak {peak:.0f} MB; all "
          f"answered in {took:.1f} s; answers {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
