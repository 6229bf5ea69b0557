"""The web map in a real browser: Debian's chromium, headless, with the network cut off.

Every http(s) request is aborted and recorded; a test fails if any was attempted or if the
page logged an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from webmap_util import fake_assess, file_url, offline_page, synthetic_parcels, wait_rendered

from landuse.io import read_ledger, read_parcels
from landuse.webmap import make_map, write_map

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sample_map(sample_park: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from landuse.rules import assess

    parcels = assess(read_parcels(sample_park), "2023-10-31")
    ledger = read_ledger(sample_park)
    out = tmp_path_factory.mktemp("maps") / "sample_park.html"
    write_map(make_map(parcels, ledger), out)
    return {"path": out, "parcels": parcels, "disp": parcels.to_crs(4326)}


@pytest.fixture(scope="module")
def tiled_map(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    parcels = fake_assess(synthetic_parcels(20000))
    out = tmp_path_factory.mktemp("maps") / "big.html"
    wm = make_map(parcels)
    assert wm.tiled is not None
    write_map(wm, out)
    return {"path": out, "parcels": parcels, "disp": parcels.to_crs(4326)}


def _clean(state: dict[str, list[str]]) -> None:
    assert state["network"] == [], f"network requests attempted: {state['network'][:5]}"
    assert state["console"] == [], f"console errors: {state['console'][:5]}"


def _view_sets(page: Any, disp: gpd.GeoDataFrame) -> tuple[set[int], set[int]]:
    """Parcels surely in view (bbox meets the view shrunk by 3 px) and maybe in view (grown)."""
    b = page.evaluate("""() => { const m = LU.map, s = m.getSize();
        const f = (p) => { const a = m.containerPointToLatLng([p, s.y - p]),
                               c = m.containerPointToLatLng([s.x - p, p]);
                           return [a.lng, a.lat, c.lng, c.lat]; };
        return [f(3), f(-3)]; }""")
    bounds = shapely.bounds(disp.geometry.to_numpy())

    def hits(v: list[float]) -> set[int]:
        ok = ((bounds[:, 2] >= v[0]) & (bounds[:, 0] <= v[2])
              & (bounds[:, 3] >= v[1]) & (bounds[:, 1] <= v[3]))
        return set(np.flatnonzero(ok).tolist())

    return hits(b[0]), hits(b[1])


def _click_parcel(page: Any, disp: gpd.GeoDataFrame, i: int) -> None:
    p = shapely.point_on_surface(disp.geometry.iloc[i])
    xy = page.evaluate("([y, x]) => { const q = LU.map.latLngToContainerPoint([y, x]);"
                       " return [q.x, q.y]; }", [p.y, p.x])
    box = page.locator("#" + page.evaluate("LU.map.getContainer().id")).bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def test_sample_park_map_in_browser(sample_map: dict[str, Any], chromium_path: str,
                                    artifacts: Path) -> None:
    parcels, disp = sample_map["parcels"], sample_map["disp"]
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(sample_map["path"]))
        wait_rendered(page)

        # every parcel in view is drawn, and nothing else
        rendered = set(page.evaluate("LU.renderedIdsInView('stage')"))
        inner, outer = _view_sets(page, disp)
        assert inner <= rendered <= outer
        assert len(rendered) == len(parcels)  # the whole park fits the first view
        page.screenshot(path=str(artifacts / "webmap_sample_park.png"))

        # the legend's counts and 亩 match the data
        rows = page.locator(".lu-legend-layer[data-layer=stage] .lu-legend-row")
        shown = {rows.nth(k).get_attribute("data-code"): (int(rows.nth(k).get_attribute(
            "data-count")), float(rows.nth(k).get_attribute("data-mu")))
            for k in range(rows.count())}
        expect = parcels.groupby("lifecycle")["area_mu"].agg(["count", "sum"])
        assert set(shown) == set(expect.index)
        for code, (n, mu) in shown.items():
            assert n == expect.loc[code, "count"]
            assert mu == pytest.approx(expect.loc[code, "sum"], abs=0.01)

        # click an idle parcel: its popup names it, its stage and its reason
        idle = np.flatnonzero(parcels["idle_type"].to_numpy() != "none")
        i = int(idle[0])
        page.evaluate("(z) => LU.zoomToZone(z)", parcels["zone"].iloc[i])
        wait_rendered(page)
        x0, y0, x1, y1 = disp.geometry.iloc[i].bounds
        page.evaluate("(b) => LU.map.fitBounds(L.latLngBounds(b), {maxZoom: 17, animate: false})",
                      [[y0, x0], [y1, x1]])
        wait_rendered(page)
        _click_parcel(page, disp, i)
        page.wait_for_selector(".lu-popup")
        popup = page.locator(".lu-popup")
        assert popup.get_attribute("data-parcel") == parcels["parcel_id"].iloc[i]
        from landuse.standard import code_label

        text = popup.inner_text()
        assert code_label("lifecycle", parcels["lifecycle"].iloc[i], "zh") in text
        assert parcels["reasons"].iloc[i][:20] in text
        page.wait_for_timeout(400)  # popup fade-in
        page.screenshot(path=str(artifacts / "webmap_sample_park_popup.png"))
        page.evaluate("LU.map.closePopup()")

        # toggling a layer hides it
        page.locator(".leaflet-control-layers-overlays label", has_text="五未阶段").click()
        assert page.evaluate("LU.map.hasLayer(LU.layers.stage)") is False
        assert page.evaluate("LU.renderedInView('stage')") == 0
        assert page.locator(".lu-legend-layer[data-layer=stage]").count() == 0
        page.locator(".leaflet-control-layers-overlays label", has_text="闲置土地").click()
        wait_rendered(page)
        assert page.locator(".lu-legend-layer[data-layer=idle]").count() == 1

        # search finds an enterprise and zooms to its parcel
        j = int(np.flatnonzero(parcels["holder"].notna().to_numpy())[5])
        holder = parcels["holder"].iloc[j]
        page.evaluate("LU.map.setZoom(12, {animate: false})")
        page.fill(".lu-search", holder)
        page.wait_for_selector(".lu-result")
        page.locator(".lu-result").first.click()
        page.wait_for_selector(".lu-popup")
        opened = page.locator(".lu-popup").get_attribute("data-parcel")
        assert parcels.set_index("parcel_id").loc[opened, "holder"] == holder
        assert page.evaluate("LU.map.getZoom()") >= 15
        c = page.evaluate("(() => { const c = LU.map.getCenter(); return [c.lng, c.lat]; })()")
        k = int(np.flatnonzero(parcels["parcel_id"].to_numpy() == opened)[0])
        x0, y0, x1, y1 = disp.geometry.iloc[k].bounds
        assert x0 - 1e-3 <= c[0] <= x1 + 1e-3 and y0 - 1e-3 <= c[1] <= y1 + 1e-3

        # tools are there: measure (亩), fullscreen, minimap, sub-park zoom, print view
        assert page.locator(".leaflet-control-measure").count() == 1
        assert page.locator(".leaflet-control-zoom-fullscreen").count() == 1
        assert page.locator(".leaflet-control-minimap").count() == 1
        assert page.locator(".lu-zone option").count() == 1 + parcels["zone"].nunique()
        page.click(".lu-print-btn")
        assert page.evaluate("document.body.classList.contains('lu-print')")
        page.keyboard.press("Escape")
        _clean(state)


def test_parcel_link_opens_parcel(sample_map: dict[str, Any], chromium_path: str) -> None:
    pid = sample_map["parcels"]["parcel_id"].iloc[17]
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(sample_map["path"]) + f"#parcel={pid}")
        wait_rendered(page)
        page.wait_for_selector(".lu-popup")
        assert page.locator(".lu-popup").get_attribute("data-parcel") == pid
        _clean(state)


def test_measure_shows_mu(sample_map: dict[str, Any], chromium_path: str) -> None:
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(sample_map["path"]))
        wait_rendered(page)
        page.hover(".leaflet-control-measure")
        page.click(".js-start")
        box = page.locator(".folium-map").bounding_box()
        for dx, dy in ((500, 400), (700, 400), (700, 600), (500, 600)):
            page.mouse.click(box["x"] + dx, box["y"] + dy)
            page.wait_for_timeout(120)
        page.click(".js-finish")
        page.wait_for_timeout(300)
        text = page.locator(".leaflet-popup-content").inner_text()
        assert "亩" in text
        _clean(state)


def test_tiled_map_from_file_url(tiled_map: dict[str, Any], chromium_path: str,
                                 artifacts: Path) -> None:
    parcels, disp = tiled_map["parcels"], tiled_map["disp"]
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(tiled_map["path"]))
        wait_rendered(page, 30000)
        assert page.evaluate("LU_CONFIG.source.kind") == "chunks"
        assert page.evaluate("LU.renderedInView('stage')") > 1000  # overview dots
        # zoom where parcels are polygons: every parcel in view drawn
        i = len(parcels) // 2
        p = shapely.point_on_surface(disp.geometry.iloc[i])
        page.evaluate(f"LU.map.setView([{p.y}, {p.x}], 16, {{animate: false}})")
        wait_rendered(page, 30000)
        rendered = set(page.evaluate("LU.renderedIdsInView('stage')"))
        inner, outer = _view_sets(page, disp)
        assert len(inner) > 50
        assert inner <= rendered <= outer
        page.screenshot(path=str(artifacts / "webmap_tiled_20000.png"))
        _click_parcel(page, disp, i)
        page.wait_for_selector(".lu-popup")
        assert page.locator(".lu-popup").get_attribute("data-parcel") == parcels[
            "parcel_id"].iloc[i]
        # search loads its chunks from file:// too
        page.evaluate("LU.map.closePopup()")
        page.fill(".lu-search", parcels["parcel_id"].iloc[123])
        page.keyboard.press("Enter")
        page.wait_for_function(f"LU.openParcelId === {parcels['parcel_id'].iloc[123]!r}")
        _clean(state)


def test_served_mvt_tiles(tmp_path: Path, chromium_path: str) -> None:
    """The server form: MVT tiles from a URL template (what ``landuse serve`` exposes)."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright
    from webmap_util import CHROMIUM_ARGS

    from landuse.webmap import page_for_tile_url, write_tiles

    parcels = fake_assess(synthetic_parcels(3000))
    disp = parcels.to_crs(4326)
    wm = make_map(parcels, tiled=True)
    info = write_tiles(wm, tmp_path, fmt="pbf")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}/"
    (tmp_path / "map.html").write_text(
        page_for_tile_url(wm, base + "tiles/{z}/{x}/{y}.pbf", base, info), "utf-8")
    state: dict[str, list[str]] = {"network": [], "console": []}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})

            def route(r: Any) -> None:
                if r.request.url.startswith(base):
                    r.continue_()
                else:
                    state["network"].append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda m: m.type == "error" and state["console"].append(m.text))
            page.on("pageerror", lambda e: state["console"].append(str(e)))
            page.goto(base + "map.html")
            wait_rendered(page)
            i = 1500
            p = shapely.point_on_surface(disp.geometry.iloc[i])
            page.evaluate(f"LU.map.setView([{p.y}, {p.x}], {info['maxzoom']}, "
                          "{animate: false})")
            wait_rendered(page)
            rendered = set(page.evaluate("LU.renderedIdsInView('stage')"))
            inner, outer = _view_sets(page, disp)
            assert inner and inner <= rendered <= outer
            _click_parcel(page, disp, i)
            page.wait_for_selector(".lu-popup")
            assert page.locator(".lu-popup").get_attribute("data-parcel") == parcels[
                "parcel_id"].iloc[i]
            browser.close()
    finally:
        server.shutdown()
    _clean(state)
