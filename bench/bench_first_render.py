"""Benchmark: time to the first drawn tile of a province's PMTiles archive, served and offline.

Run:  PYTHONPATH=. python bench/bench_first_render.py ARCHIVE.pmtiles [--runs 3]
      PYTHONPATH=. python bench/bench_first_render.py --parcels 200000   # builds one first

Serves the archive with ``landuse serve --pmtiles`` (on a store of the sample park, which the
server needs; the archive is independent of it) and opens the viewer page the server gives at
``/tiles/province.html`` in headless Debian chromium (Playwright, ``/usr/bin/chromium``); the
page opens the archive by HTTP range requests and records the moment its first tile is drawn
(Leaflet.VectorGrid's ``tileload``, after the tile's features went to the canvas: the
performance mark ``lu-first-tile``). Then the offline page (``NAME.html`` of ``landuse map
--pmtiles``) from ``file://``, the archive chosen with the file picker. Each in a fresh
browser, ``--runs`` times; prints the times (median, and each run), the archive's size and
the load average. Target: under 3 s at 10 M parcels.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT = "window.LU_VIEWER_STATE && window.LU_VIEWER_STATE.firstTileMs !== null"
DRAWN = """() => [...document.querySelectorAll('#map canvas')]
    .some(c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
                 return false; })"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(archive: Path, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    store = folder / "park.gpkg"
    subprocess.run([sys.executable, "-m", "landuse", "load",
                    str(ROOT / "data" / "geo" / "sample_park.gpkg"), "--store", str(store),
                    "--keep-problems"], env=_env(), check=True, capture_output=True)
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "landuse", "serve", str(store), "--port",
                             str(port), "--pmtiles", str(archive)],
                            env={**_env(), "LANDUSE_WARM": "false"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(1800):
        try:
            if httpx.get(url + "/conformance", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def _measure(pw, open_page) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """One run in a fresh browser: ``open_page(page)`` opens the archive; the times."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        t0 = time.perf_counter()
        open_page(page)
        page.wait_for_function(WAIT, timeout=120_000, polling=10)
        wall = time.perf_counter() - t0
        st = page.evaluate("window.LU_VIEWER_STATE")
        page.wait_for_timeout(200)
        return {"wall_s": wall, "first_tile_after_open_s": st["firstTileMs"] / 1000,
                "first_tile_since_navigation_s": st["firstTileAt"] / 1000,
                "drawn": bool(page.evaluate(DRAWN)), "tiles": st["tiles"],
                "n": (st["opened"] or {}).get("n")}
    finally:
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("archive", nargs="?", type=Path)
    ap.add_argument("--parcels", type=int, default=None,
                    help="build an archive of this many synthetic parcels first")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from landuse.webmap.viewer import write_viewer

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        archive = a.archive
        if archive is None:
            from bench.synth import make_province
            from landuse.rules import assess
            from landuse.webmap.archive import write_pmtiles

            archive = folder / "province.pmtiles"
            write_pmtiles(assess(make_province(a.parcels or 200_000, 40), "2023-10-31"),
                          archive)
        offline = write_viewer(folder / "viewer.html")
        proc, url = _serve(archive.resolve(), folder)
        served: list[dict[str, float]] = []
        picked: list[dict[str, float]] = []
        load = os.getloadavg()[0]
        try:
            with sync_playwright() as pw:
                for _ in range(a.runs):
                    served.append(_measure(pw, lambda p: p.goto(url + "/tiles/province.html")))
                    picked.append(_measure(pw, lambda p: (
                        p.goto(offline.resolve().as_uri()),
                        p.set_input_files("#lu-file", str(archive)))))
        finally:
            proc.terminate()
            proc.wait(10)

    def med(rows: list[dict[str, float]], k: str) -> str:
        vals = [r[k] for r in rows]
        return f"{statistics.median(vals):6.2f} ({', '.join(f'{v:.2f}' for v in vals)})"

    size = archive.stat().st_size / 1e6 if archive.exists() else float("nan")
    print(f"bench_first_render: {a.archive or 'built'} ({size:.0f} MB, "
          f"{served[0]['n']} parcels), load average {load:.2f}, {a.runs} runs each")
    print(f"{'page':44} {'first tile after open, s':>30} {'since navigation, s':>30}")
    print(f"{'served (landuse serve --pmtiles)':44} {med(served, 'first_tile_after_open_s'):>30}"
          f" {med(served, 'first_tile_since_navigation_s'):>30}")
    print(f"{'offline page, file picker':44} {med(picked, 'first_tile_after_open_s'):>30}"
          f" {med(picked, 'first_tile_since_navigation_s'):>30}")
    print("details: " + json.dumps({"served": served, "picked": picked}))


if __name__ == "__main__":
    main()
