# ruff: noqa: F811
"""The workbench in a real browser (issue 15): Debian chromium driven by Playwright against
``landuse serve`` on a free loopback port, on a GeoPackage store and on PostGIS.

The "done when" scenario on the sample park: a viewer searches, filters and opens a
parcel; a viewer key cannot write; an editor finds FB-029, records that it entered 调查
(investigating) on 2023-11-02 — first with an impossible date, which the ledger refuses
field by field — and the 2023 report then counts the event. Expected, from the rule text
(domain.md §1.6; the report counts events in the period by stage and month, and a case by
its latest stage): FB-029 is idle (not started a year after its agreed start date
2022-08-15, 442 days overdue as of 2023-10-31) and already under investigation since
2023-09-05 (E2023-026). So the 2023 headline's "2宗（40.3亩）正在调查清收" stays (the case
is counted once), while the event is one more in the period: the downloaded report lists
it and its by-stage and by-month tables move (正在调查清收 9 → 10 events, November 1 → 2).
Every step leaves a screenshot in test-artifacts/; every request that is not to the server
is aborted and counted.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from landuse.store import open_store
from tests.support.browser import CHROMIUM_ARGS
from tests.support.store import Server, store_target  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEADLINE = "2宗（40.3亩）正在调查清收"
EVENT = "WB-FB-029-1"


def _cells(path: str) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes()))
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


def _by_stage_and_month(cells: list[str]) -> tuple[int, int]:
    """正在调查清收 events and November's events in the report's workbook (the cell after
    the row's label)."""
    stage = [int(float(cells[i + 1])) for i, c in enumerate(cells[:-1])
             if c == "正在调查清收" and re.fullmatch(r"\d+(\.0)?", cells[i + 1])]
    month = [int(float(cells[i + 1])) for i, c in enumerate(cells[:-1])
             if c == "2023年11月" and re.fullmatch(r"\d+(\.0)?", cells[i + 1])]
    return stage[0], month[0]


@pytest.fixture
def served(store_target: str, sample_park: Path) -> Iterator[dict[str, Any]]:
    from landuse.io import read_ledger, read_parcels

    s = open_store(store_target)
    try:
        s.load(read_parcels(sample_park), read_ledger(sample_park, layer="ledger"))
        keys = {"editor": s.add_key("editor"), "viewer": s.add_key("viewer")}
    finally:
        s.close()
    server = Server(store_target, {"LANDUSE_AS_OF": "2023-10-31"}).start()
    try:
        yield {"url": server.url, **keys}
    finally:
        server.stop()


def _page(pw: Any, chromium_path: str, base: str) -> tuple[Any, Any, dict[str, list[str]]]:
    state: dict[str, list[str]] = {"outside": [], "console": []}
    browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)

    def route(r: Any) -> None:
        if r.request.url.startswith(base + "/") or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            state["outside"].append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda m: m.type == "error" and state["console"].append(m.text))
    page.on("pageerror", lambda e: state["console"].append(str(e)))
    return browser, page, state


def assert_redrawn_in_new_stage(page: Any, pid: str, classes_before: str) -> None:
    """Wait until the map draws parcel ``pid`` with other classes than ``classes_before``
    (its path's class attribute then), and check its stage class (``lu-c3-*``) changed."""
    page.wait_for_function("([id, c]) => { const p = document.querySelector("
                           "'path.lu-id-' + id); return p && p.getAttribute('class') !== c; }",
                           arg=[pid, classes_before], timeout=30_000)
    after = page.get_attribute(f"path.lu-id-{pid}", "class") or ""
    c3 = [c for c in after.split() if c.startswith("lu-c3-")]
    assert c3 and c3[0] not in classes_before.split()


def _shot(page: Any, artifacts: Path, tag: str, step: str) -> None:
    page.screenshot(path=str(artifacts / f"workbench-{tag}-{step}.png"))


def _summary_count(page: Any) -> int:
    return int(page.get_attribute("#summary", "data-parcels"))


def _drawn_ids(page: Any) -> set[str]:
    """The parcel ids of the parcels drawn on the map (from the vector tiles)."""
    return set(page.evaluate("""() => Array.from(document.querySelectorAll('path.lu-p'))
        .map(p => Array.from(p.classList).find(c => c.startsWith('lu-id-')).slice(6))"""))


def _headline(page: Any) -> str:
    page.check("#p-year")
    page.fill("#rp-year", "2023")
    page.select_option("#rp-lang", "zh")
    page.click("#report button[type=submit]")
    page.wait_for_function("() => /清收/.test(document.querySelector('#headline').textContent)")
    return page.text_content("#headline") or ""


def test_find_record_report_in_the_browser(served: dict[str, Any], chromium_path: str,
                                           artifacts: Path, store_target: str) -> None:
    from playwright.sync_api import sync_playwright

    base = served["url"]
    tag = "postgis" if store_target.startswith("postgresql") else "gpkg"
    with sync_playwright() as pw:
        browser, page, state = _page(pw, chromium_path, base)
        try:
            # a viewer (reads are open): the page, in Chinese, with the whole register
            page.goto(base + "/app")
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            page.wait_for_selector("body[data-tiles='0']", timeout=60_000)
            assert page.get_attribute("html", "lang") == "zh-CN"
            assert _summary_count(page) == 302
            # the legend: the classes the map is coloured by, each with its colour
            layer = httpx.get(base + "/app/map").json()["layer"]
            items = page.locator("#legend-items li")
            assert items.count() == len(layer["classes"]) > 1
            assert [items.nth(i).text_content() for i in range(items.count())] == \
                [c["label"] for c in layer["classes"]]
            assert "供而未用" in (page.text_content("#legend") or "")
            assert page.is_hidden("#map-filtered")
            assert _drawn_ids(page)
            _shot(page, artifacts, tag, "1-open")

            # filter: not-started idle land overdue more than a year
            page.select_option("#f-idle_type", "not_started")
            page.select_option("#f-overdue", "365")
            page.click("#filters button[type=submit]")
            page.wait_for_function("() => document.querySelector('#summary').dataset.parcels"
                                   " !== '302'")
            api = httpx.get(base + "/collections/parcels/items", params={
                "filter": "idle_type = 'not_started' AND overdue_days >= 365",
                "limit": 1000, "skipGeometry": "true"}).json()
            assert _summary_count(page) == len(api["features"]) > 0
            rows = page.locator("#rows tr")
            assert rows.count() == min(20, len(api["features"]))
            # the map too shows the filtered parcels only, and says so
            page.wait_for_function("() => (document.body.dataset.tilesFilter || '')"
                                   ".includes('not_started')", timeout=60_000)
            chosen = {re.sub(r"[^\w-]", "_", str(f["id"])) for f in api["features"]}
            drawn = _drawn_ids(page)
            assert drawn and drawn <= chosen
            assert page.is_visible("#map-filtered")
            _shot(page, artifacts, tag, "2-filtered")

            # open the first listed parcel from the list (keyboard: focus and Enter)
            first = page.locator("#rows tr th button").first
            pid = first.text_content()
            first.focus()
            page.keyboard.press("Enter")
            page.wait_for_function(f"() => document.querySelector('#p-title').textContent"
                                   f".includes('{pid}')")
            assert "闲置" in (page.text_content("#p-reasons") or "")
            _shot(page, artifacts, tag, "3-parcel")

            # search FB-029 by its id
            page.fill("#q", "FB-029")
            page.click("#search button[type=submit]")
            page.wait_for_function("() => document.querySelector('#p-title').textContent"
                                   ".includes('FB-029')")
            assert "未动工闲置" in (page.text_content("#p-assess") or "")
            history_before = page.locator("#p-history li").count()
            _shot(page, artifacts, tag, "4-search")

            # a viewer key signs in: no form, and a write with it is refused
            page.fill("#key", served["viewer"])
            page.click("#signin button[type=submit]")
            page.wait_for_function("() => document.querySelector('#who').textContent"
                                   ".includes('viewer')")
            assert page.is_hidden("#record")
            status = page.evaluate("""(key) => fetch('/collections/ledger/items', {
                method: 'POST', headers: {'Authorization': 'Bearer ' + key,
                'Content-Type': 'application/json'}, body: JSON.stringify({type: 'Feature',
                geometry: null, properties: {event_id: 'V-1', parcel_id: 'FB-029',
                event_date: '2023-11-02', stage: 'investigating'}})}).then(r => r.status)""",
                served["viewer"])
            assert status == 403
            _shot(page, artifacts, tag, "5-viewer")

            # the report before: 2 parcels under investigation in 2023, 9 such events
            assert HEADLINE in _headline(page)
            with page.expect_download() as dl:
                page.click("#rp-xlsx")
            before = _cells(dl.value.path())
            assert EVENT not in before and _by_stage_and_month(before) == (9, 1)

            # an editor signs in, records with an impossible date, sees why, fixes it
            page.click("#signout")
            page.fill("#key", served["editor"])
            page.click("#signin button[type=submit]")
            page.wait_for_selector("#record:not([hidden])")
            page.fill("#r-event_id", EVENT)
            page.fill("#r-event_date", "2023-13-02")
            page.select_option("#r-stage", "investigating")
            page.click("#record button[type=submit]")
            page.wait_for_function("() => document.querySelector('#e-event_date').textContent"
                                   " !== ''")
            # the page is in Chinese: so is the message, next to its field
            assert "不是有效日期" in (page.text_content("#e-event_date") or "")
            assert "YYYY-MM-DD" in (page.text_content("#e-event_date") or "")
            assert "not a date" not in (page.text_content("#record") or "")
            assert page.get_attribute("#r-event_date", "aria-invalid") == "true"
            _shot(page, artifacts, tag, "6-invalid")
            page.fill("#r-event_date", "2023-11-02")
            page.click("#record button[type=submit]")
            page.wait_for_function("() => document.querySelector('#r-saved').textContent"
                                   f".includes('{EVENT}')")
            page.wait_for_function(f"() => document.querySelectorAll('#p-history li').length"
                                   f" === {history_before + 1}")
            assert "2023-11-02" in (page.text_content("#p-history") or "")
            page.wait_for_selector("body[data-tiles='1']", timeout=60_000)  # map redrawn
            _shot(page, artifacts, tag, "7-recorded")

            # the report counts the event: the case once in the headline, the event in
            # the period's tables of the downloaded files
            assert HEADLINE in _headline(page)
            with page.expect_download() as dl:
                page.click("#rp-html")
            assert EVENT in Path(dl.value.path()).read_text("utf-8")
            with page.expect_download() as dl:
                page.click("#rp-xlsx")
            after = _cells(dl.value.path())
            assert EVENT in after and _by_stage_and_month(after) == (10, 2)
            with page.expect_download() as dl:
                page.click("#rp-docx")
            assert Path(dl.value.path()).read_bytes()[:2] == b"PK"
            _shot(page, artifacts, tag, "8-report")

            # a correction of the event: a new event naming it; the history shows both,
            # the corrected one marked
            page.fill("#r-event_id", EVENT + "-C")
            page.fill("#r-event_date", "2023-11-02")
            page.select_option("#r-stage", "investigating")
            page.fill("#r-corrects", EVENT)
            page.fill("#r-note", "核实调查日期")
            page.click("#record button[type=submit]")
            page.wait_for_function(f"() => document.querySelectorAll('#p-history li').length"
                                   f" === {history_before + 2}")
            assert page.locator("#p-history li.corrected").count() == 1
            assert EVENT in (page.text_content("#p-history li.corrected") or "")
            _shot(page, artifacts, tag, "8b-correction")

            # the filters reset: the map shows every parcel again
            page.click("#filters button[type=reset]")
            page.wait_for_function("() => document.body.dataset.tilesFilter === ''"
                                   " && document.querySelector('#summary').dataset.parcels"
                                   " === '302'", timeout=60_000)
            assert _drawn_ids(page) - chosen  # parcels the filter left out are drawn again
            assert page.is_hidden("#map-filtered")

            # the parcel disposed of: its class on the map (disposal layer, by method and
            # by date) is the new one once the save is answered
            page.wait_for_selector("path.lu-id-FB-029", state="attached", timeout=60_000)
            classes_before = page.get_attribute("path.lu-id-FB-029", "class") or ""
            assert "lu-c3-" in classes_before
            page.fill("#r-event_id", EVENT + "-D")
            page.fill("#r-event_date", "2023-12-20")
            page.select_option("#r-stage", "disposed")
            page.select_option("#r-method", index=1)
            page.fill("#r-area_m2", "1000")
            page.fill("#r-corrects", "")
            page.fill("#r-note", "")
            page.click("#record button[type=submit]")
            page.wait_for_function("() => document.querySelector('#r-saved').textContent"
                                   f".includes('{EVENT}-D') || document.querySelector("
                                   "'#r-errors').textContent !== ''")
            assert page.text_content("#r-errors") == ""
            page.wait_for_function(f"() => document.querySelectorAll('#p-history li').length"
                                   f" === {history_before + 3}")
            assert_redrawn_in_new_stage(page, "FB-029", classes_before)
            _shot(page, artifacts, tag, "8c-disposed-on-map")

            # English switch
            page.click("#lang")
            page.wait_for_function("() => document.documentElement.lang === 'en'")
            assert "Filters" in (page.text_content("#h-filters") or "")
            _shot(page, artifacts, tag, "9-english")
        finally:
            browser.close()
    assert state["outside"] == []  # no request left the server
    provoked = re.compile(r"status of (400|403) ")  # the refused date and the viewer's write
    assert [m for m in state["console"] if not provoked.search(m)] == []
    assert len([m for m in state["console"] if provoked.search(m)]) == 2
