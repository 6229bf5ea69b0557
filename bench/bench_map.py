"""Benchmark the parcel map against a naive ``GeoDataFrame.explore()`` map.

For each size: build time, output size (HTML, and HTML plus tiles) and time to first
render in headless Debian chromium (page opened from file://, network cut off), for
``landuse.webmap`` and for ``gdf.explore()``. explore() pages reference Leaflet on a CDN;
the benchmark answers those requests with the same Leaflet files the package ships so
that both pages render offline, and aborts everything else.

Targets (issue 5): first render under 3 s and HTML under 5 MB at every size.

Usage::

    PYTHONPATH=. python bench/bench_map.py                  # 1k, 10k, 100k
    PYTHONPATH=. python bench/bench_map.py 1000 1000000     # chosen sizes
    PYTHONPATH=. python bench/bench_map.py --explore-max 100000 --limit 120
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from landuse.webmap import make_map, write_map  # noqa: E402
from landuse.webmap.assets import VENDOR  # noqa: E402
from tests.builders import fake_assess, synthetic_parcels  # noqa: E402
from tests.support.browser import CHROMIUM_ARGS  # noqa: E402


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _render_time(html: Path, ready_js: str, limit_s: float, cdn: bool) -> str:
    """Seconds from navigation start to ``ready_js`` true, or why it did not get there."""
    from playwright.sync_api import TimeoutError as PWTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium")
                                     or "/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 860})

            def route(r: Any) -> None:
                url = r.request.url
                if cdn and re.search(r"/leaflet(@[\d.]+)?/dist/leaflet\.(js|css)$", url):
                    name = url.rsplit("/", 1)[1]
                    r.fulfill(path=str(VENDOR / "leaflet" / "dist" / name))
                else:
                    r.abort()

            ctx.route(re.compile(r"^https?://"), route)
            page = ctx.new_page()
            t0 = time.perf_counter()
            try:
                page.goto(html.as_uri(), wait_until="commit", timeout=limit_s * 1000)
                page.wait_for_function(ready_js, timeout=limit_s * 1000, polling=50)
                # the page's own clock: navigation start -> first complete render
                t = page.evaluate("(window.LU && LU.firstRender) || performance.now()") / 1000
                return f"{t:.2f} s"
            except PWTimeout:
                return f"> {limit_s:.0f} s (frozen/timeout after {time.perf_counter() - t0:.0f} s)"
            except Exception as e:  # a crashed tab is a result too
                return f"failed ({type(e).__name__}: {str(e)[:60]})"
        finally:
            browser.close()


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 100000])
    ap.add_argument("--explore-max", type=int, default=100000,
                    help="largest size for which explore() is attempted")
    ap.add_argument("--limit", type=float, default=60.0, help="seconds per browser case")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_map_"))
    rows = []
    ours_ready = "window.LU && LU.ready === true && LU.tilesLoading() === 0"
    explore_ready = ("document.querySelectorAll('.leaflet-overlay-pane path').length > 0 || "
                     "document.querySelectorAll('.leaflet-overlay-pane canvas').length > 0")
    for n in args.sizes:
        parcels = fake_assess(synthetic_parcels(n))
        t0 = time.perf_counter()
        wm = make_map(parcels)
        out = work / f"ours_{n}.html"
        paths = write_map(wm, out)
        build = time.perf_counter() - t0
        html = out.stat().st_size
        total = sum(_size(p) for p in paths)
        render = _render_time(out, ours_ready, args.limit, cdn=False)
        mode = "tiles" if wm.tiled is not None else "single file"
        rows.append((n, f"landuse ({mode})", f"{build:.1f} s", _mb(html), _mb(total), render))
        print(rows[-1], flush=True)
        if n <= args.explore_max:
            t0 = time.perf_counter()
            try:
                m = parcels[["parcel_id", "lifecycle", "holder", "area_mu", "geometry"]].explore(
                    column="lifecycle")
                eout = work / f"explore_{n}.html"
                m.save(str(eout))
                ebuild = time.perf_counter() - t0
                esize = eout.stat().st_size
                erender = _render_time(eout, explore_ready, args.limit, cdn=True)
                rows.append((n, "gdf.explore()", f"{ebuild:.1f} s", _mb(esize), _mb(esize),
                             erender))
            except MemoryError:
                rows.append((n, "gdf.explore()", "MemoryError", "-", "-", "-"))
        else:
            rows.append((n, "gdf.explore()", "not attempted (see smaller sizes)", "-", "-", "-"))
        print(rows[-1], flush=True)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
    print()
    print("| parcels | map | build | HTML | HTML + tiles | first render |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]:,} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
