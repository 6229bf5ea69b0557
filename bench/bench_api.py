"""Benchmark the parcel API on N parcels, GeoPackage and PostGIS side by side with pygeoapi.

Measures, over real HTTP on loopback (one uvicorn worker each):
  * p50/p95 of a bbox query returning 100 parcels (random places),
  * p50/p95 of the first page and of a page 9 000 deep (100 per page: rows 900 000–900 099;
    ours follows the keyset cursor that rel=next gives, pygeoapi uses offset=),
  * p50/p95 of parcel-at-point (pygeoapi: a point bbox, its nearest equivalent),
  * requests/s of the bbox query at 20 concurrent clients.

pygeoapi is served from the same PostGIS table (its PostgreSQL provider). It cannot serve the
GeoPackage on this machine: its SQLiteGPKG provider needs SpatiaLite loaded into Python's
sqlite3 (not possible here) and its OGR provider needs the GDAL Python bindings (not
installed); the table says so instead of inventing a number.

    python bench/bench_api.py --n 1000000 --database postgresql://postgres@127.0.0.1:5432/db
    python bench/bench_api.py --n 20000          # quick run (PostGIS from LANDUSE_DATABASE_URL)

Targets: bbox p50 < 20 ms; deep page within 2x of the first page; >= 5x pygeoapi's req/s.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from landuse.store import open_store  # noqa: E402

X0, Y0, STEP, SIZE = 120.0, 30.0, 0.001, 0.0009


def make_parcels(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """n square parcels on a grid near 120E 30N (CGCS2000), with plausible attributes."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n))
    i = np.arange(n)
    col, row = i % side, i // side
    x, y = X0 + col * STEP, Y0 + row * STEP
    geoms = shapely.box(x, y, x + SIZE, y + SIZE)
    names = np.array(["华兴", "东方", "金桥", "新材", "远航", "宏达", "天成", "海川"])
    return gpd.GeoDataFrame({
        "parcel_id": [f"B{k:07d}" for k in i],
        "zone": [f"片区{k}" for k in (row // max(side // 10, 1)) % 10],
        "holder": [f"{names[a]}科技有限公司{k}" for a, k in zip(i % 8, i, strict=True)],
        "land_use": np.where(i % 3 == 0, "storage", "industrial"),
        "supply_date": pd.to_datetime("2010-01-01") + pd.to_timedelta(i % 4000, unit="D"),
        "land_price_wan": rng.uniform(100, 5000, n).round(1),
        "stat_year": 2022,
        "tax_wan": rng.uniform(0, 300, n).round(1),
    }, geometry=geoms, crs="EPSG:4490")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Proc:
    def __init__(self, args: list[str], env: dict[str, str], probe: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [a.replace("{port}", str(self.port)) for a in args]
        self.env = {**os.environ, **env}
        self.probe = probe
        self.p: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Proc:
        self.log = tempfile.TemporaryFile()
        self.p = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=self.log)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            if self.p.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(self.log.read().decode()[-2000:])
            try:
                if httpx.get(self.url + self.probe, timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc: object) -> None:
        assert self.p is not None
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def latencies(base: str, urls: list[str]) -> tuple[float, float, int]:
    out: list[float] = []
    errors = 0
    with httpx.Client(base_url=base, timeout=120) as c:
        c.get(urls[0])
        for u in urls:
            t = time.perf_counter()
            try:
                ok = c.get(u).status_code == 200
            except httpx.HTTPError:
                ok = False
            out.append((time.perf_counter() - t) * 1000)
            errors += not ok
    q = statistics.quantiles(out, n=20)
    return statistics.median(out), q[18], errors


def throughput(base: str, urls: list[str], clients: int, seconds: float) -> tuple[float, int]:
    done: list[int] = []
    errors: list[int] = []

    def run(k: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            end = time.monotonic() + seconds
            i = k
            while time.monotonic() < end:
                try:
                    ok = c.get(urls[i % len(urls)]).status_code == 200
                except httpx.HTTPError:
                    ok = False
                (done if ok else errors).append(1)
                i += clients

    ts = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return len(done) / (time.monotonic() - t0), len(errors)


def bbox_urls(n: int, count: int, rng: random.Random, fmt: str = "") -> list[str]:
    side = math.ceil(math.sqrt(n))
    rows = n // side
    urls = []
    for _ in range(count):
        ci, ri = rng.randrange(0, side - 10), rng.randrange(0, rows - 10)
        x, y = X0 + ci * STEP, Y0 + ri * STEP
        x1, y1 = x + 9 * STEP + 0.0008, y + 9 * STEP + 0.0008
        b = f"{x + 0.0001:.6f},{y + 0.0001:.6f},{x1:.6f},{y1:.6f}"
        urls.append(f"/collections/parcels/items?bbox={b}&limit=100{fmt}")
    return urls


def point_urls(n: int, count: int, rng: random.Random, ours: bool) -> list[str]:
    side = math.ceil(math.sqrt(n))
    rows = n // side
    urls = []
    for _ in range(count):
        x = X0 + rng.randrange(0, side) * STEP + 0.00045
        y = Y0 + rng.randrange(0, rows) * STEP + 0.00045
        urls.append(f"/parcels/at?lon={x:.6f}&lat={y:.6f}" if ours else
                    f"/collections/parcels/items?bbox={x:.6f},{y:.6f},{x:.6f},{y:.6f}&f=json")
    return urls


def cursor(fid: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([fid]).encode()).decode().rstrip("=")


def pygeoapi_config(url: str, work: Path) -> dict[str, str]:
    u = urlparse(url)
    schema = dict(x.split("=", 1) for x in u.query.split("&") if x).get("options", "")
    search_path = ["public"]
    if "search_path" in schema:
        from urllib.parse import unquote

        search_path = unquote(schema).split("=", 1)[1].split(",")
    cfg = f"""
server:
  bind: {{host: 127.0.0.1, port: 0}}
  url: http://127.0.0.1
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 100, max_items: 1000}}
  map: {{url: "https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png", attribution: osm}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: bench, description: bench, keywords: [bench], keywords_type: theme,
    terms_of_service: none, url: http://example.org}}
  license: {{name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}}
  provider: {{name: bench, url: http://example.org}}
  contact: {{name: bench, position: bench, address: x, city: x, stateorprovince: x,
    postalcode: x, country: x, phone: x, fax: x, email: x@example.org, url: http://example.org,
    hours: x, instructions: x, role: pointOfContact}}
resources:
  parcels:
    type: collection
    title: parcels
    description: parcels
    keywords: [parcels]
    extents:
      spatial: {{bbox: [119, 29, 122, 32], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    providers:
      - type: feature
        name: PostgreSQL
        data:
          host: {u.hostname}
          port: {u.port or 5432}
          dbname: {u.path.lstrip('/')}
          user: {u.username or 'postgres'}
          password: "{u.password or ''}"
          search_path: {json.dumps(search_path)}
        id_field: fid
        table: parcels
        geom_field: geom
        storage_crs: http://www.opengis.net/def/crs/EPSG/0/4490
        crs: [http://www.opengis.net/def/crs/OGC/1.3/CRS84, http://www.opengis.net/def/crs/EPSG/0/4490]
"""
    cfg_path = work / "pygeoapi.yml"
    cfg_path.write_text(cfg)
    oas = work / "pygeoapi-openapi.yml"
    pg = shutil.which("pygeoapi", path=str(Path(sys.executable).parent)) or "pygeoapi"
    subprocess.run([pg, "openapi", "generate", str(cfg_path), "--output-file", str(oas)],
                   check=True, capture_output=True, env={**os.environ,
                                                        "PYGEOAPI_CONFIG": str(cfg_path)})
    return {"PYGEOAPI_CONFIG": str(cfg_path), "PYGEOAPI_OPENAPI": str(oas)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--database", default=os.environ.get("LANDUSE_DATABASE_URL")
                    or os.environ.get("LANDUSE_TEST_DATABASE_URL"))
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--no-pygeoapi", action="store_true")
    args = ap.parse_args()
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="landuse-bench-"))
    n = args.n
    print(f"making {n:,} parcels …", flush=True)
    t = time.perf_counter()
    gdf = make_parcels(n)
    print(f"  {time.perf_counter() - t:.1f} s", flush=True)

    backends: list[tuple[str, str]] = []
    gpkg = work / "bench.gpkg"
    t = time.perf_counter()
    with open_store(gpkg, create=True) as s:
        s.load(gdf)
    print(f"GeoPackage store loaded in {time.perf_counter() - t:.1f} s "
          f"({gpkg.stat().st_size / 1e6:.0f} MB)", flush=True)
    backends.append(("GeoPackage", str(gpkg)))
    pg_url = None
    schema = ""
    if args.database:
        import psycopg

        schema = "bench_" + uuid.uuid4().hex[:8]
        with psycopg.connect(args.database, autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in args.database else "?"
        pg_url = f"{args.database}{sep}options={quote(f'-csearch_path={schema},public')}"
        t = time.perf_counter()
        with open_store(pg_url) as s:
            s.load(gdf)
        print(f"PostGIS store loaded in {time.perf_counter() - t:.1f} s", flush=True)
        backends.append(("PostGIS", pg_url))
    del gdf

    deep_page = min(9000, n // 100 - 1)
    rows: list[tuple[str, ...]] = []
    results: dict[str, dict[str, float]] = {}

    def measure(name: str, base: str, ours: bool) -> None:
        fmt = "" if ours else "&f=json"
        r: dict[str, float] = {}
        p50, p95, e1 = latencies(base, bbox_urls(n, args.samples, rng, fmt))
        r["bbox50"], r["bbox95"] = p50, p95
        first = ["/collections/parcels/items?limit=100" + fmt] * max(args.samples // 4, 10)
        f50, f95, e2 = latencies(base, first)
        if ours:
            deep = [f"/collections/parcels/items?limit=100&cursor={cursor(deep_page * 100)}"]
        else:
            deep = [f"/collections/parcels/items?limit=100&offset={deep_page * 100}&f=json"]
        d50, d95, e3 = latencies(base, deep * max(args.samples // 4, 10))
        r.update(first50=f50, first95=f95, deep50=d50, deep95=d95)
        a50, a95, e4 = latencies(base, point_urls(n, args.samples, rng, ours))
        r.update(at50=a50, at95=a95)
        rps, e5 = throughput(base, bbox_urls(n, 500, rng, fmt), args.clients, args.seconds)
        r["rps"] = rps
        r["errors"] = e1 + e2 + e3 + e4 + e5
        results[name] = r
        rows.append((name, f"{p50:.1f} / {p95:.1f}", f"{f50:.1f} / {f95:.1f}",
                     f"{d50:.1f} / {d95:.1f}", f"{a50:.1f} / {a95:.1f}", f"{rps:.0f}",
                     str(int(r["errors"]))))
        print(f"  {name}: done", flush=True)

    env = {"PYTHONPATH": str(ROOT)}
    for name, target in backends:
        cmd = [sys.executable, "-m", "landuse", "serve", "--port", "{port}"]
        cmd += ["--database", target] if target.startswith("postgresql") else [target]
        with Proc(cmd, env, "/conformance") as p:
            measure(f"landuse · {name}", p.url, True)
    if pg_url and not args.no_pygeoapi:
        penv = pygeoapi_config(pg_url, work)
        cmd = [sys.executable, "-m", "uvicorn", "pygeoapi.starlette_app:APP", "--port", "{port}",
               "--log-level", "error"]
        with Proc(cmd, penv, "/collections?f=json") as p:
            measure("pygeoapi · PostGIS", p.url, False)
    rows.append(("pygeoapi · GeoPackage", "n/a: needs SpatiaLite or GDAL Python bindings",
                 "", "", "", "", ""))

    head = ("server", "bbox→100 p50/p95 ms", "first page p50/p95", f"page {deep_page:,} deep",
            "parcel-at-point", f"req/s @{args.clients}", "errors")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    print(f"\n{n:,} parcels, one uvicorn worker per server, {os.cpu_count()} CPUs, loopback")
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    print()
    py = results.get("pygeoapi · PostGIS")
    for name, r in results.items():
        if name.startswith("landuse"):
            ratio = f"{r['rps'] / py['rps']:.1f}x pygeoapi" if py and py["rps"] else "-"
            deep_ok = "OK" if r["deep50"] <= 2 * r["first50"] else "MISS"
            print(f"{name}: bbox p50 {'OK' if r['bbox50'] < 20 else 'MISS'} (<20 ms); deep/first "
                  f"{r['deep50'] / r['first50']:.2f} ({deep_ok} <=2); throughput {ratio}")
    shutil.rmtree(work, ignore_errors=True)
    if pg_url and args.database:
        import psycopg

        with psycopg.connect(args.database, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
