"""The province's PMTiles archive: built from a partitioned dataset, served with ranges."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import httpx
import mapbox_vector_tile
import pytest
from click.testing import CliRunner
from pmtiles.reader import MmapSource, Reader

from landuse.cli import cli
from landuse_api.routers.pmtiles import parse_range
from tests.builders import ROOT
from tests.support.store import Server

AS_OF = "2023-10-31"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, sample_park: Path) -> Path:
    d = tmp_path_factory.mktemp("pm")
    r = CliRunner().invoke(cli, ["convert", str(sample_park), str(d / "ds"),
                                 "--partition-by", "zone"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["map", str(d / "ds"), "--as-of", AS_OF, "--pmtiles",
                                 "-o", str(d / "park.pmtiles")])
    assert r.exit_code == 0, r.output
    assert "PMTiles -> " in r.output
    return d / "park.pmtiles"


def test_archive_holds_every_parcel_as_mvt(archive: Path) -> None:
    with open(archive, "rb") as f:
        rd = Reader(MmapSource(f))
        h = rd.header()
        meta = rd.metadata()
        assert h["tile_type"].name == "MVT" and h["tile_compression"].name == "GZIP"
        assert meta["landuse"]["n"] == 302 and meta["landuse"]["as_of"] == AS_OF
        assert [v["id"] for v in meta["vector_layers"]] == ["p"]
        assert meta["landuse"]["layers"][0]["key"] == "stage"
        # at the deepest level every parcel is drawn as a polygon in some tile: ids 0..301
        from pmtiles.reader import all_tiles

        seen: set[int] = set()
        for (z, _x, _y), data in all_tiles(rd.get_bytes):
            if z != h["max_zoom"]:
                continue
            tile = mapbox_vector_tile.decode(gzip.decompress(data))
            seen |= {int(ft["properties"]["f"]) for ft in tile["p"]["features"]}
        assert seen == set(range(302))


DRAWN = """() => [...document.querySelectorAll('#map canvas')]
    .some(c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
                 return false; })"""
"""True when a canvas of the map holds a coloured pixel (a parcel fill)."""


def test_parse_range() -> None:
    assert parse_range("bytes=0-126", 1000) == (0, 126)
    assert parse_range("bytes=900-5000", 1000) == (900, 999)
    assert parse_range("bytes=-10", 1000) == (990, 999)
    assert parse_range("bytes=1000-", 1000) is None
    with pytest.raises(ValueError):
        parse_range("bytes=0-1,5-9", 1000)


def _serve(archive: Path, sample_park: Path, tmp_path: Path) -> Server:
    """``landuse serve`` on a store of the sample park, serving ``archive``."""
    store = tmp_path / "park.gpkg"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    r = subprocess.run([sys.executable, "-m", "landuse", "load", str(sample_park), "--store",
                        str(store), "--keep-problems"], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return Server(str(store), env={"LANDUSE_PMTILES": str(archive),
                                   "LANDUSE_WARM": "false"}).start()


def test_served_with_range_requests_over_http(archive: Path, sample_park: Path,
                                              tmp_path: Path) -> None:
    server = _serve(archive, sample_park, tmp_path)
    whole = archive.read_bytes()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            url = "/tiles/province.pmtiles"
            head = c.get(url, headers={"Range": "bytes=0-126"})
            assert head.status_code == 206
            assert head.headers["content-range"] == f"bytes 0-126/{len(whole)}"
            assert head.headers["accept-ranges"] == "bytes"
            assert head.content == whole[:127] and head.content[:7] == b"PMTiles"
            tail = c.get(url, headers={"Range": "bytes=-100"})
            assert tail.status_code == 206 and tail.content == whole[-100:]
            past = c.get(url, headers={"Range": f"bytes={len(whole)}-"})
            assert past.status_code == 416
            assert past.headers["content-range"] == f"bytes */{len(whole)}"
            full = c.get(url)
            assert full.status_code == 200 and full.content == whole
            # the viewer page beside it opens the served archive (a relative URL)
            page = c.get("/tiles/province.html")
            assert page.status_code == 200 and page.headers["content-type"].startswith(
                "text/html")
            assert 'window.LU_VIEWER_URL = "province.pmtiles"' in page.text
            assert c.get("/tiles/province.html", params={"lang": "fr"}).status_code == 400
            # a PMTiles reader reading through ranges only finds the same tiles
            def get_bytes(offset: int, length: int) -> bytes:
                rr = c.get(url, headers={"Range": f"bytes={offset}-{offset + length - 1}"})
                assert rr.status_code == 206
                return rr.content

            with open(archive, "rb") as f:
                local = Reader(MmapSource(f))
                h = local.header()
                z = h["max_zoom"]
                remote = Reader(get_bytes)
                assert remote.header() == h
                from pmtiles.reader import all_tiles

                (zxy, data) = next(t for t in all_tiles(local.get_bytes) if t[0][0] == z)
                assert remote.get(*zxy) == data
    finally:
        server.stop()


@pytest.mark.browser
def test_offline_viewer_opens_a_chosen_archive(archive: Path, chromium_path: str) -> None:
    """The viewer page beside the archive, opened from file:// with the network cut, reads
    the archive the user picks and draws its tiles with the archive's own legend."""
    from tests.support.browser import fetched_urls, file_url, offline_page

    page_path = archive.with_suffix(".html")
    html = page_path.read_text("utf-8")
    assert fetched_urls(html) == []
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(page_path))
        page.set_input_files("#lu-file", str(archive))
        page.wait_for_function("window.LU_VIEWER_STATE.opened !== null", timeout=20000)
        page.wait_for_function("window.LU_VIEWER_STATE.tiles > 0", timeout=20000)
        opened = page.evaluate("window.LU_VIEWER_STATE.opened")
        assert opened["n"] == 302 and opened["name"] == "park.pmtiles"
        assert "已打开 park.pmtiles: 302 宗" in page.inner_text("#lu-status")
        legend = page.inner_text("#lu-legend")
        assert "批而未供" in legend or "供而未用" in legend
        # the drawn canvas holds coloured pixels (a parcel fill), not only the background
        page.wait_for_timeout(300)
        assert page.evaluate(DRAWN)
        # the moment of the first tile drawn is recorded, after the archive was opened
        assert page.evaluate("window.LU_VIEWER_STATE.firstTileMs") > 0
        assert page.evaluate("performance.getEntriesByName('lu-first-tile').length") == 1
        # another layer redraws with its own legend
        page.select_option("#lu-layer", "1")
        assert page.inner_text("#lu-legend") != legend
        assert state["network"] == [] and state["console"] == []


@pytest.mark.browser
def test_served_viewer_page_opens_the_archive_by_ranges(archive: Path, sample_park: Path,
                                                        tmp_path: Path,
                                                        chromium_path: str) -> None:
    """``/tiles/province.html`` on ``landuse serve --pmtiles`` opens the served archive with
    range requests and draws it; nothing outside the server is asked for."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM_ARGS

    server = _serve(archive, sample_park, tmp_path)
    asked: list[tuple[str, str | None]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 860})
                page.on("request", lambda q: asked.append((q.url, q.headers.get("range"))))
                page.goto(server.url + "/tiles/province.html")
                page.wait_for_function("window.LU_VIEWER_STATE.firstTileMs !== null",
                                       timeout=20000)
                assert page.evaluate("window.LU_VIEWER_STATE.opened.n") == 302
                assert "province.pmtiles" in page.inner_text("#lu-status")
                page.wait_for_timeout(300)
                assert page.evaluate(DRAWN)
            finally:
                browser.close()
    finally:
        server.stop()
    assert all(u.startswith(server.url) for u, _ in asked)
    ranged = [rng for u, rng in asked if u.endswith("/tiles/province.pmtiles")]
    assert ranged and all(rng and rng.startswith("bytes=") for rng in ranged)
