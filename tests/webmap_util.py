"""Helpers for the web-map tests: assessed parcels made by hand, and a headless browser.

The assessment columns (standard §3) are filled in deterministically here so the map tests
do not depend on the rules; they exercise the map, not the assessment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from landuse.core.area import add_areas

STAGES = ["approved_unsupplied", "supplied_unused", "used_incomplete", "built_not_producing",
          "producing_below_target", "in_use", "in_use", "in_use"]
INDICATORS = ["far", "coverage", "admin_share", "green_ratio", "invest_intensity", "tax_per_mu"]
HOLDERS = ["抚州蘅苇装备有限公司", "江西青岚新材料有限公司", "临川云杉电子科技有限公司",
           "金溪松石食品有限公司", "东乡赤霞机械制造有限公司"]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def fake_assess(parcels: gpd.GeoDataFrame, seed: int = 1) -> gpd.GeoDataFrame:
    """Add the §3 columns with a fixed, varied pattern (what landuse.rules.assess adds)."""
    rng = np.random.default_rng(seed)
    out = add_areas(parcels.copy()) if "area_mu" not in parcels.columns else parcels.copy()
    n = len(out)
    stage = np.array([STAGES[i % len(STAGES)] for i in range(n)], dtype=object)
    out["lifecycle"] = stage
    idle = np.where(stage == "supplied_unused", "not_started",
                    np.where((stage == "used_incomplete") & (np.arange(n) % 2 == 0), "stalled",
                             "none"))
    out["idle_type"] = idle
    od = rng.integers(365, 1500, n).astype(float)
    out["overdue_days"] = np.where(idle == "not_started", od, np.nan)
    out["idle_fee_wan"] = np.where(idle != "none", np.round(rng.uniform(10, 300, n), 1), 0.0)
    out["recovery_candidate"] = pd.array((idle != "none") & (od >= 730), dtype="boolean")
    low = stage == "producing_below_target"
    failed = []
    for i in range(n):
        if not low[i]:
            failed.append(None)
        elif i % 3 == 0:
            failed.append(f"{INDICATORS[i % 6]};{INDICATORS[(i + 1) % 6]}")
        else:
            failed.append(INDICATORS[i % 6])
    out["low_efficiency"] = pd.array(low, dtype="boolean")
    out["failed_indicators"] = failed
    out["mujun_score"] = np.round(rng.uniform(40, 100, n), 1)
    out["mujun_class"] = [("A", "B", "C", "D", None)[i % 5] for i in range(n)]
    out["flags"] = ["mortgaged_idle" if (idle[i] != "none" and i % 4 == 0) else None
                    for i in range(n)]
    out["reasons"] = [
        f"宗地 {pid}:{'约定动工日期后超期 ' + str(int(od[i])) + ' 天未动工,满一年构成闲置'}"
        if idle[i] == "not_started" else f"宗地 {pid}:按规则评价为 {stage[i]}"
        for i, pid in enumerate(out["parcel_id"])
    ]
    if "holder" not in out.columns:
        out["holder"] = [HOLDERS[i % len(HOLDERS)] + (f"{i // 5}" if i >= 5 else "")
                         for i in range(n)]
    if "zone" not in out.columns:
        out["zone"] = [f"片区{1 + (i % 3)}" for i in range(n)]
    return out


def synthetic_parcels(n: int, size_m: float = 80.0, gap_m: float = 20.0,
                      origin: tuple[float, float] = (116.30, 27.95)) -> gpd.GeoDataFrame:
    """``n`` square parcels on a grid near Fuzhou (Jiangxi), in EPSG:4490."""
    side = int(np.ceil(np.sqrt(n)))
    lat0 = origin[1]
    dy = (size_m + gap_m) / 111320.0
    dx = dy / np.cos(np.radians(lat0))
    sy = size_m / 111320.0
    sx = sy / np.cos(np.radians(lat0))
    i = np.arange(n)
    x0 = origin[0] + (i % side) * dx
    y0 = lat0 + (i // side) * dy
    import shapely

    geoms = shapely.box(x0, y0, x0 + sx, y0 + sy)
    gdf = gpd.GeoDataFrame({"parcel_id": [f"P{k:07d}" for k in i]}, geometry=geoms, crs=4490)
    gdf["zone"] = [f"片区{1 + (k // side) * 3 // side}" for k in i]
    return gdf


def tiny_register() -> gpd.GeoDataFrame:
    """Six parcels in CGCS2000 with one hole and one multipolygon."""
    from shapely.geometry import MultiPolygon, Polygon

    x, y = 116.35, 27.98
    d = 0.001
    geoms = [box(x + k * 1.2 * d, y, x + k * 1.2 * d + d, y + d) for k in range(4)]
    geoms.append(Polygon(
        [(x, y + 2 * d), (x + 2 * d, y + 2 * d), (x + 2 * d, y + 3 * d), (x, y + 3 * d)],
        [[(x + 0.5 * d, y + 2.3 * d), (x + 0.8 * d, y + 2.3 * d), (x + 0.8 * d, y + 2.7 * d)]],
    ))
    geoms.append(MultiPolygon([box(x + 3 * d, y + 2 * d, x + 3.5 * d, y + 2.5 * d),
                               box(x + 3.7 * d, y + 2 * d, x + 4.2 * d, y + 2.5 * d)]))
    return gpd.GeoDataFrame({"parcel_id": [f"T-{k}" for k in range(6)]}, geometry=geoms,
                            crs=4490)


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
