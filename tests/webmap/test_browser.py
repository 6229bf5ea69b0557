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

from landuse.io import read_ledger, read_parcels
from landuse.webmap import make_map, write_map
from tests.builders import fake_assess, synthetic_parcels
from tests.support.browser import click_parcel, file_url, offline_page, wait_rendered

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
        click_parcel(page, disp, i)
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
            page.wait_for_timeout(120)  # apart, so two clicks are not read as a double-click
        page.click(".js-finish")
        page.wait_for_selector(".leaflet-popup-content")
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
        click_parcel(page, disp, i)
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

    from landuse.webmap import page_for_tile_url, write_tiles
    from tests.support.browser import CHROMIUM_ARGS

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
            click_parcel(page, disp, i)
            page.wait_for_selector(".lu-popup")
            assert page.locator(".lu-popup").get_attribute("data-parcel") == parcels[
                "parcel_id"].iloc[i]
            browser.close()
    finally:
        server.shutdown()
    _clean(state)


def _show_only(page: Any, key: str) -> None:
    """Switch the thematic layers so that only ``key`` is shown, through the layer control."""
    title = page.evaluate("(k) => LU_CONFIG.layers.find((s) => s.key === k).title", key)
    for other in page.evaluate("Object.keys(LU.layers)"):
        if other != key and page.evaluate("(k) => LU.map.hasLayer(LU.layers[k])", other):
            t = page.evaluate("(k) => LU_CONFIG.layers.find((s) => s.key === k).title", other)
            page.locator(".leaflet-control-layers-overlays label", has_text=t).click()
    page.locator(".leaflet-control-layers-overlays label", has_text=title).click()
    wait_rendered(page)


def test_reclaimed_by_date_layer_in_browser(sample_map: dict[str, Any], sample_park: Path,
                                            chromium_path: str, artifacts: Path) -> None:
    from landuse.webmap.classes import LAYERS, classify_layers, current_disposals, ledger_as_of

    parcels, disp = sample_map["parcels"], sample_map["disp"]
    # the map shows the ledger as of the assessment date (2023-10-31)
    ledger = ledger_as_of(read_ledger(sample_park), "2023-10-31")
    _, specs, eff = classify_layers(parcels, ledger)
    assert eff is not None
    disposed = current_disposals(eff)
    spec = specs[LAYERS.index("reclaim_date")]
    assert disposed and sum(c.count for c in spec.classes) == len(disposed)
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(sample_map["path"]))
        wait_rendered(page)
        assert page.evaluate("LU.map.hasLayer(LU.layers.reclaim_date)") is False
        _show_only(page, "reclaim_date")
        assert page.evaluate("LU.map.hasLayer(LU.layers.reclaim_date)") is True
        assert page.evaluate("LU.map.hasLayer(LU.layers.stage)") is False
        # drawn: exactly the disposed parcels (the whole park is in view)
        drawn = set(page.evaluate("LU.renderedIdsInView('reclaim_date')"))
        pos = {pid: i for i, pid in enumerate(parcels["parcel_id"].astype(str))}
        assert drawn == {pos[p] for p in disposed}
        # legend: the layer's classes with counts and 亩, in Chinese
        rows = page.locator(".lu-legend-layer[data-layer=reclaim_date] .lu-legend-row")
        shown = {rows.nth(k).get_attribute("data-code"): (
            int(rows.nth(k).get_attribute("data-count")),
            float(rows.nth(k).get_attribute("data-mu"))) for k in range(rows.count())}
        assert shown == {c.code: (c.count, round(c.mu, 2)) for c in spec.classes if c.count}
        assert "盘活时间" in page.locator(".lu-legend-layer[data-layer=reclaim_date]").inner_text()
        assert "季度" in page.locator(".lu-legend-layer[data-layer=reclaim_date]").inner_text()
        # a disposed parcel: hover shows its date and method, the popup too
        pid = sorted(disposed)[0]
        day, method = disposed[pid]
        i = pos[pid]
        x0, y0, x1, y1 = disp.geometry.iloc[i].bounds
        page.evaluate("(b) => LU.map.fitBounds(L.latLngBounds(b), {maxZoom: 17, animate: false})",
                      [[y0, x0], [y1, x1]])
        wait_rendered(page)
        p = shapely.point_on_surface(disp.geometry.iloc[i])
        xy = page.evaluate("([y, x]) => { const q = LU.map.latLngToContainerPoint([y, x]);"
                           " return [q.x, q.y]; }", [p.y, p.x])
        box = page.locator(".folium-map").bounding_box()
        page.mouse.move(box["x"] + xy[0], box["y"] + xy[1])
        page.wait_for_selector(".lu-tip-reclaim")
        tip = page.locator(".lu-tip-reclaim").inner_text()
        assert day.strftime("%Y-%m-%d") in tip and "盘活" in tip
        from landuse.standard import code_label

        if method:
            assert code_label("method", method, "zh") in tip
        click_parcel(page, disp, i)
        page.wait_for_selector(".lu-popup")
        assert page.locator(".lu-popup").get_attribute("data-parcel") == pid
        assert page.locator(".lu-popup .lu-rdate").inner_text() == day.strftime("%Y-%m-%d")
        assert "盘活日期" in page.locator(".lu-popup").inner_text()
        page.wait_for_timeout(400)  # popup fade-in
        page.screenshot(path=str(artifacts / "webmap_reclaimed_by_date.png"))
        _clean(state)


def test_reclaimed_by_date_layer_in_tiled_map(tmp_path: Path, chromium_path: str) -> None:
    """The same layer from file:// chunks: class indices travel in the tiles."""
    import pandas as pd

    parcels = fake_assess(synthetic_parcels(400))
    disp = parcels.to_crs(4326)
    ids = parcels["parcel_id"].tolist()
    ledger = pd.DataFrame({
        "event_id": ["E1", "E2", "E3", "E4"],
        "parcel_id": [ids[210], ids[211], ids[212], ids[212]],
        "event_date": pd.to_datetime(["2022-04-01", "2023-05-06", "2023-01-09", "2023-11-30"]),
        "stage": ["disposed", "disposed", "disposed", "disposed"],
        "method": ["merger", "free_recovery", "merger", "judicial_auction"],
        "corrects": [None, None, None, "E3"],
    })
    out = tmp_path / "tiled.html"
    wm = make_map(parcels, ledger, tiled=True)
    write_map(wm, out)
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(out))
        wait_rendered(page)
        assert page.evaluate("LU_CONFIG.source.kind") == "chunks"
        p = shapely.point_on_surface(disp.geometry.iloc[212])
        page.evaluate(f"LU.map.setView([{p.y}, {p.x}], 17, {{animate: false}})")
        _show_only(page, "reclaim_date")
        assert set(page.evaluate("LU.renderedIdsInView('reclaim_date')")) <= {210, 211, 212}
        assert 212 in page.evaluate("LU.renderedIdsInView('reclaim_date')")
        codes = page.evaluate("LU_CONFIG.layers.find((s) => s.key === 'reclaim_date')"
                              ".classes.filter((c) => c.count).map((c) => c.code)")
        assert codes == ["2022", "2023-Q2", "2023-Q4"]
        click_parcel(page, disp, 212)
        page.wait_for_selector(".lu-popup")
        assert page.locator(".lu-popup .lu-rdate").inner_text() == "2023-11-30"  # corrected
        _clean(state)
