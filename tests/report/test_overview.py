"""The overview map: outlines up to its limit, cells above it (its size then bounded)."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import shapely

from landuse.report.overview import SHAPES_LIMIT, overview_svg


def test_above_the_limit_cells_in_the_first_category_of_their_parcels() -> None:
    n = SHAPES_LIMIT + 1
    i = np.arange(n)
    x, y = (i % 100) * 1000.0, (i // 100) * 1000.0  # 10 m squares 1 km (6 px) apart
    geoms = [*shapely.box(x, y, x + 10, y + 10), shapely.box(2, 2, 8, 8)]
    # the last parcel lies in the first one's cell; the first is idle, the last low
    cats = ["idle", *["other"] * (n - 1), "low"]
    frame = gpd.GeoDataFrame({"parcel_id": [f"P{k:06d}" for k in range(n + 1)], "cat": cats},
                             geometry=geoms, crs=3857)
    svg = overview_svg(frame, "en", not_drawn=5)
    assert "<title>" not in svg  # no outline, no hover title
    squares = {c: len(re.findall(r"M[^MZ]*Z", d))
               for c, d in re.findall(r'<path class="(\w+)" d="([^"]*)"/>', svg)}
    assert squares == {"idle": 1, "other": n - 1}  # the low parcel's cell is the idle one
    # the legend counts every parcel, drawn or not: 20 000 other + 5 not drawn, 1 low
    assert "(20005)" in svg and re.search(r"low[^<]*\(1\)", svg)


def test_cells_keep_the_map_small_whatever_the_parcels() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    x, y = rng.random(n) * 50_000, rng.random(n) * 30_000
    frame = gpd.GeoDataFrame(
        {"parcel_id": [f"P{k}" for k in range(n)],
         "cat": rng.choice(["disposed", "idle", "low", "case", "other"], n)},
        geometry=shapely.box(x, y, x + 60, y + 60), crs=3857)
    svg = overview_svg(frame, "en")
    assert len(svg.encode("utf-8")) < 1_500_000
    assert overview_svg(frame.iloc[:100], "en").count("<title>") == 100  # small: outlines
