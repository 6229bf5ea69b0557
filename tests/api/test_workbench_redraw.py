# ruff: noqa: F811
"""After a save the workbench's map fetches again only the tiles the write changed (issue 15):
Debian chromium driven by Playwright against ``landuse serve`` (GeoPackage and PostGIS).

On the sample park, an editor opens FB-029 (the map zooms to it) and records that it was
disposed of on 2023-12-20. Expected from the map's rule (a tile is dropped when it holds a
parcel whose class changed, landuse_api.derived): the page asks ``/app/tiles`` which tiles
changed since the version it drew, fetches those of them it shows (with the new version
in their URL) and no other, the map's other tiles stay, and FB-029 is drawn in its new
class of the disposal layer (c3) afterwards. Mechanism, not timing.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests.api.test_workbench_browser import (  # noqa: F401
    _page,
    assert_redrawn_in_new_stage,
    served,
)
from tests.support.store import store_target  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TILE = re.compile(r"/tiles/parcels/(\d+)/(\d+)/(\d+)\.mvt\?.*\bv=(\d+)")


def _settled(page: Any, pending: set[str], timeout: float = 60.0) -> None:
    """Wait until the page has no tile request in flight."""
    end = time.monotonic() + timeout
    while pending and time.monotonic() < end:
        page.wait_for_timeout(50)
    assert not pending, pending


def test_a_save_refetches_only_the_changed_tiles(served: dict[str, Any], chromium_path: str,
                                                 store_target: str) -> None:
    from playwright.sync_api import sync_playwright

    base = served["url"]
    asked: list[tuple[int, int, int, int]] = []
    pending: set[str] = set()

    def sent(r: Any) -> None:
        m = TILE.search(r.url)
        if m:
            pending.add(r.url)
            asked.append(tuple(int(g) for g in m.groups()))  # type: ignore[arg-type]

    def ended(r: Any) -> None:
        pending.discard(r.url)

    with sync_playwright() as pw:
        browser, page, state = _page(pw, chromium_path, base)
        page.on("request", sent)
        page.on("requestfinished", ended)
        page.on("requestfailed", ended)
        try:
            page.goto(base + "/app")
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            page.wait_for_selector("body[data-tiles='0']", timeout=60_000)
            page.fill("#key", served["editor"])
            page.click("#signin button[type=submit]")
            page.wait_for_function("() => document.querySelector('#who').textContent"
                                   ".includes('editor')")
            page.fill("#q", "FB-029")
            page.click("#search button[type=submit]")
            page.wait_for_selector("#record:not([hidden])")
            page.wait_for_selector("path.lu-id-FB-029", state="attached", timeout=60_000)
            _settled(page, pending)
            before_cls = page.get_attribute("path.lu-id-FB-029", "class") or ""
            assert "lu-c3-" in before_cls
            drawn_v = httpx.get(base + "/app/map").json()["version"]
            assert {t[3] for t in asked} == {drawn_v}  # every tile of the version drawn
            shown = {t[:3] for t in asked if t[0] == asked[-1][0]}  # the level in view

            asked.clear()
            page.fill("#r-event_date", "2023-12-20")
            page.select_option("#r-stage", "disposed")
            page.select_option("#r-method", index=1)
            page.fill("#r-area_m2", "1000")
            page.click("#record button[type=submit]")
            page.wait_for_selector("body[data-tiles='1']", timeout=60_000)
            _settled(page, pending)

            now = httpx.get(base + "/app/map").json()["version"]
            assert now > drawn_v
            changed = httpx.get(base + "/app/tiles", params={"since": drawn_v}).json()
            assert changed["version"] == now and not changed["all"]
            changed_set = {tuple(t) for t in changed["tiles"]}
            again = {t[:3] for t in asked}
            # fetched again: the changed tiles in view, with the new version; no other
            assert again and again <= changed_set
            assert again == changed_set & shown
            assert {t[3] for t in asked} == {now}
            assert again < shown  # the map's other tiles were not fetched again
            refetched = (page.get_attribute("body", "data-refetched") or "").split()
            assert {tuple(int(p) for p in k.split("/")) for k in refetched} == again
            # the parcel is drawn in its new class
            assert_redrawn_in_new_stage(page, "FB-029", before_cls)
        finally:
            browser.close()
    assert state["outside"] == []
    assert state["console"] == []
