"""A headless browser for the map and report tests: Debian chromium offline, pages drawn
and read back (the assessed layers they show are made in :mod:`tests.builders`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]








def fetched_urls(html: str) -> list[str]:
    """http(s) URLs a page would fetch when it loads: src/href attributes, CSS url()."""
    tags = r"<(?:script|img|iframe|link|source|embed)\b[^>]*?"
    pats = [tags + r"""(?:src|href)\s*=\s*["']?(https?://[^"' >]+)""",
            r"""url\(\s*["']?(https?://[^"')]+)""",
            r"""@import\s+["'](https?://[^"']+)"""]
    found: list[str] = []
    for p in pats:
        found += re.findall(p, html, flags=re.I)
    return found


@contextmanager
def offline_page(chromium_path: str, viewport: tuple[int, int] = (1280, 860)) -> Iterator[Any]:
    """A playwright page in Debian's chromium with every http(s) request aborted.

    Yields ``(page, state)``; ``state["network"]`` lists attempted http(s) requests and
    ``state["console"]`` console errors and page errors.
    """
    from playwright.sync_api import sync_playwright

    state: dict[str, list[str]] = {"network": [], "console": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})

            def block(route: Any) -> None:
                state["network"].append(route.request.url)
                route.abort()

            ctx.route(re.compile(r"^https?://"), block)
            page = ctx.new_page()
            page.on("console", lambda m: m.type == "error" and state["console"].append(m.text))
            page.on("pageerror", lambda e: state["console"].append(str(e)))
            yield page, state
        finally:
            browser.close()


def wait_rendered(page: Any, timeout_ms: int = 20000) -> None:
    """Wait until the map is ready and no visible layer is loading tiles."""
    page.wait_for_function("window.LU && LU.ready === true", timeout=timeout_ms)
    page.wait_for_function("LU.tilesLoading() === 0", timeout=timeout_ms)
    page.wait_for_timeout(150)


def file_url(path: Path) -> str:
    return path.resolve().as_uri()


def click_parcel(page: Any, disp: Any, i: int) -> None:
    """Click parcel ``i`` of ``disp`` (the map's display frame) where the map draws it."""
    import shapely

    p = shapely.point_on_surface(disp.geometry.iloc[i])
    xy = page.evaluate("([y, x]) => { const q = LU.map.latLngToContainerPoint([y, x]);"
                       " return [q.x, q.y]; }", [p.y, p.x])
    box = page.locator("#" + page.evaluate("LU.map.getContainer().id")).bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
