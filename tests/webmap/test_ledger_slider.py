"""The map's ledger date slider in a real browser (Debian chromium, headless, offline).

Expected figures are read by hand from the sample park's ledger (data/geo/sample_park.gpkg,
layer ledger; the map is assessed and drawn as of 2023-10-31):

* ledger dates up to 2023-10-31: 33 (6 in 2022; 28 events in 2023 on 27 dates);
* 2022-09-13 (4th date): DZ-002, FB-011, YS-027 and DZ-001 under investigation -> 4 in
  progress, none reclaimed;
* 2022-11-15 (5th date): FB-011 disposed by agreement -> 1 协议转让 (class "2022"), 3 in
  progress;
* 2023-09-26 (last date): 8 disposed (协议转让 FB-011, HG-001, YS-001; 兼并重组 YS-005,
  FB-006, YS-013; 先租后让 FB-001, DZ-001), 12 in progress;
* DZ-001 before 2023-04-20 has no disposal date; from then on 2023-04-20 · 先租后让.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from landuse.io import read_ledger, read_parcels
from landuse.webmap import make_map, write_map
from tests.support.browser import click_parcel, file_url, offline_page, wait_rendered
from tests.webmap.test_browser import _clean, _show_only

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sample_map(sample_park: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from landuse.rules import assess

    parcels = assess(read_parcels(sample_park), "2023-10-31")
    out = tmp_path_factory.mktemp("maps") / "sample_park_slider.html"
    write_map(make_map(parcels, read_ledger(sample_park)), out)
    return {"path": out, "parcels": parcels, "disp": parcels.to_crs(4326)}


def _legend(page: Any, key: str) -> dict[str, tuple[int, float]]:
    rows = page.locator(f".lu-legend-layer[data-layer={key}] .lu-legend-row")
    return {rows.nth(k).get_attribute("data-code"): (
        int(rows.nth(k).get_attribute("data-count")),
        round(float(rows.nth(k).get_attribute("data-mu")), 2)) for k in range(rows.count())}


def _slide(page: Any, k: int) -> None:
    page.evaluate("(k) => { const r = document.querySelector('.lu-ledger-range');"
                  " r.value = k; r.dispatchEvent(new Event('input')); }", k)
    wait_rendered(page)


def test_slider_moves_the_ledger_layers_and_popups(sample_map: dict[str, Any],
                                                   chromium_path: str, artifacts: Path) -> None:
    parcels, disp = sample_map["parcels"], sample_map["disp"]
    pos = {p: i for i, p in enumerate(parcels["parcel_id"].astype(str))}
    mu = {p: round(float(m), 2) for p, m in zip(parcels["parcel_id"], parcels["area_mu"],
                                                 strict=True)}

    def total(*ids: str) -> float:
        return round(sum(mu[p] for p in ids), 2)

    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(sample_map["path"]))
        wait_rendered(page)
        _show_only(page, "reclaim")
        ctl = page.locator(".lu-ledger-slider")
        assert "台账截至" in ctl.inner_text() and "2023-09-26" in ctl.inner_text()
        assert page.locator(".lu-ledger-range").get_attribute("max") == "32"
        at_map_date = _legend(page, "reclaim")
        assert {k: v[0] for k, v in at_map_date.items()} == {
            "agreement_transfer": 3, "merger": 3, "lease_then_transfer": 2, "in_progress": 12}

        _slide(page, 3)
        assert page.locator(".lu-ledger-day").inner_text() == "2022-09-13"
        assert _legend(page, "reclaim") == {
            "in_progress": (4, total("DZ-002", "FB-011", "YS-027", "DZ-001"))}
        drawn = set(page.evaluate("LU.renderedIdsInView('reclaim')"))
        assert drawn == {pos[p] for p in ("DZ-002", "FB-011", "YS-027", "DZ-001")}

        page.locator(".lu-ledger-next").click()  # the stepper: one ledger date on
        wait_rendered(page)
        assert page.locator(".lu-ledger-day").inner_text() == "2022-11-15"
        assert _legend(page, "reclaim") == {
            "agreement_transfer": (1, total("FB-011")),
            "in_progress": (3, total("DZ-002", "YS-027", "DZ-001"))}
        _show_only(page, "reclaim_date")
        assert _legend(page, "reclaim_date") == {"2022": (1, total("FB-011"))}
        assert set(page.evaluate("LU.renderedIdsInView('reclaim_date')")) == {pos["FB-011"]}

        # DZ-001's popup: two events so far, no disposal date yet
        _show_only(page, "reclaim")
        _slide(page, 5)  # 2022-12-20
        click_parcel(page, disp, pos["DZ-001"])
        page.wait_for_selector(".lu-popup[data-parcel='DZ-001']")
        assert page.locator(".lu-popup .lu-history li").count() == 2
        assert page.locator(".lu-popup .lu-rdate").count() == 0
        # moving the slider with the popup open redraws it: 2023-04-20 disposed
        day = page.evaluate("LU_CONFIG.timeline.dates.indexOf('2023-04-20')")
        _slide(page, day)
        page.wait_for_selector(".lu-popup .lu-rdate")
        assert page.locator(".lu-popup .lu-rdate").inner_text() == "2023-04-20"
        assert "先租后让" in page.locator(".lu-popup").inner_text()
        assert page.locator(".lu-popup .lu-history li").count() == 3
        page.screenshot(path=str(artifacts / "webmap_ledger_slider.png"))

        # back to the last date: the map as drawn for its own date
        _slide(page, 32)
        assert _legend(page, "reclaim") == {
            k: (v[0], round(v[1], 2)) for k, v in at_map_date.items()}
        _clean(state)


def test_slider_in_english(sample_park: Path, tmp_path: Path, chromium_path: str) -> None:
    from landuse.rules import assess

    parcels = assess(read_parcels(sample_park), "2023-10-31")
    out = tmp_path / "en.html"
    write_map(make_map(parcels, read_ledger(sample_park), lang="en"), out)
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(out))
        wait_rendered(page)
        assert "Ledger as of" in page.locator(".lu-ledger-slider").inner_text()
        page.locator(".lu-ledger-prev").click()
        assert page.locator(".lu-ledger-day").inner_text() == "2023-09-12"
        _clean(state)


def test_no_slider_without_ledger(sample_park: Path, tmp_path: Path) -> None:
    from landuse.rules import assess

    parcels = assess(read_parcels(sample_park), "2023-10-31")
    assert make_map(parcels).config["timeline"] is None
