"""A small overview map of the parcels as inline SVG, drawn from their geometries (pure).

No tiles, no scripts, no network: the SVG is text inside the HTML report. Geographic
coordinates are drawn in a local equirectangular view (x scaled by cos(latitude)) so the
map is not stretched; projected ones are drawn as they are. Rings are simplified to half a
pixel; above :data:`SHAPES_LIMIT` parcels the map is drawn as cells of :data:`CELL_PX`
pixels instead of outlines, so its size is bounded by its pixels.
"""

from __future__ import annotations

from html import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.report.text import T

__all__ = ["CATEGORY_COLORS", "overview_svg"]

CATEGORY_COLORS: dict[str, str] = {
    "disposed": "#38a169",
    "idle": "#e53e3e",
    "low": "#dd6b20",
    "case": "#805ad5",
    "other": "#cbd5e0",
}
_LEGEND_KEYS = {"disposed": "legend_disposed", "idle": "legend_idle", "low": "legend_low",
                "case": "legend_case", "other": "legend_other"}
PER_PARCEL_LIMIT = 3000
"""Up to this many parcels each gets its own path with a hover title."""
SHAPES_LIMIT = 20_000
"""Up to this many parcels are drawn by their outlines; more are drawn as cells of
:data:`CELL_PX` pixels, each in the colour of the first category (in
:data:`CATEGORY_COLORS`' order) of the parcels centred in it: the map's size is then
bounded by its pixels (at most about 1.5 MB), whatever the number of parcels."""
CELL_PX = 4.0


def _ring_paths(geoms: np.ndarray) -> list[str]:
    """SVG path data per geometry (rings as M…Z, holes drawn with even-odd fill)."""
    out = [""] * len(geoms)
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return out
    coords = np.round(coords, 1)
    bounds = np.flatnonzero(np.diff(coord_ring)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(coords)]])
    geom_of_ring = part_idx[ring_part]
    pieces: list[list[str]] = [[] for _ in range(len(geoms))]
    for s, e in zip(starts, ends, strict=True):
        ring = coords[s:e - 1] if e - s > 1 else coords[s:e]
        if len(ring) < 3:
            continue
        pts = " ".join(f"{x:g},{y:g}" for x, y in ring)
        pieces[geom_of_ring[coord_ring[s]]].append(f"M{pts}Z")
    for i, p in enumerate(pieces):
        out[i] = "".join(p)
    return out


def _cell_paths(geoms: np.ndarray, cats: np.ndarray) -> list[str]:
    """One ``<path>`` per category of the cells holding parcels' centres (pixel
    coordinates), each cell in its first category of :data:`CATEGORY_COLORS`."""
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    cell = np.floor(xy / CELL_PX).astype(np.int64)
    rank = pd.Series(cats).map({c: i for i, c in enumerate(CATEGORY_COLORS)}).to_numpy()
    cells = pd.DataFrame({"x": cell[:, 0], "y": cell[:, 1], "rank": rank})
    first = cells.groupby(["x", "y"], sort=True)["rank"].min().reset_index()
    out = []
    for i, c in enumerate(CATEGORY_COLORS):
        sel = first[first["rank"] == i]
        d = "".join(f"M{x * CELL_PX:g},{y * CELL_PX:g}h{CELL_PX:g}v{CELL_PX:g}h-{CELL_PX:g}Z"
                    for x, y in zip(sel["x"].tolist(), sel["y"].tolist(), strict=True))
        if d:
            out.append(f'<path class="{c}" d="{d}"/>')
    return out


def overview_svg(map_frame: gpd.GeoDataFrame, lang: str = "zh", width: int = 640,
                 not_drawn: int = 0) -> str:
    """Return an ``<svg>`` element drawing the parcels coloured by category.

    Parameters
    ----------
    map_frame : GeoDataFrame
        ``parcel_id``, ``cat`` (one of :data:`CATEGORY_COLORS`) and geometry.
    lang : {"zh", "en"}
        Language of the legend.
    width : int
        Width in pixels; the height follows the parcels' extent.
    not_drawn : int
        Further parcels of the category ``other``, counted in the legend, not drawn.
    """
    tx = T[lang]
    g = map_frame[~(map_frame.geometry.is_empty | map_frame.geometry.isna())]
    legend_h = 22 * len(CATEGORY_COLORS) + 10
    if not len(g):
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40"></svg>'
    geoms = np.asarray(g.geometry.values, dtype=object)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    kx = 1.0
    if g.crs is not None and g.crs.is_geographic:
        kx = float(np.cos(np.radians((miny + maxy) / 2)))
    span_x = max((maxx - minx) * kx, 1e-12)
    span_y = max(maxy - miny, 1e-12)
    pad = 8.0
    scale = (width - 2 * pad) / max(span_x, span_y * 0.4)
    height = int(span_y * scale + 2 * pad)
    w_used = span_x * scale + 2 * pad
    x0, y0 = minx, maxy

    def tf(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - x0) * kx * scale + pad,
                                (y0 - xy[:, 1]) * scale + pad])

    geoms = shapely.transform(geoms, tf)
    cats = g["cat"].to_numpy()
    body: list[str] = []
    paths = [] if len(g) > SHAPES_LIMIT else \
        _ring_paths(shapely.simplify(geoms, 0.5, preserve_topology=True))
    if len(g) > SHAPES_LIMIT:
        body = _cell_paths(geoms, cats)
    elif len(g) <= PER_PARCEL_LIMIT:
        ids = g["parcel_id"].astype(str).to_numpy()
        for d, c, pid in zip(paths, cats, ids, strict=True):
            if d:
                body.append(f'<path class="{c}" d="{d}"><title>{escape(pid)}</title></path>')
    else:
        for c in CATEGORY_COLORS:
            d = "".join(p for p, cc in zip(paths, cats, strict=True) if cc == c)
            if d:
                body.append(f'<path class="{c}" d="{d}"/>')
    style = "".join(
        f".{c}{{fill:{col};stroke:#4a5568;stroke-width:0.4;fill-rule:evenodd}}"
        for c, col in CATEGORY_COLORS.items()
    )
    counts = {c: int((cats == c).sum()) for c in CATEGORY_COLORS}
    counts["other"] += not_drawn
    lx = int(max(w_used, 0)) + 12
    legend = []
    for i, (c, col) in enumerate(CATEGORY_COLORS.items()):
        y = 14 + 22 * i
        legend.append(
            f'<rect x="{lx}" y="{y}" width="14" height="14" fill="{col}" stroke="#4a5568" '
            f'stroke-width="0.5"/><text x="{lx + 20}" y="{y + 12}" font-size="12">'
            f"{escape(tx[_LEGEND_KEYS[c]])} ({counts[c]})</text>"
        )
    total_w = lx + 170
    total_h = max(height, legend_h)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
        f'viewBox="0 0 {total_w} {total_h}" role="img" aria-label="{escape(tx["map"])}">'
        f"<style>{style}</style><g>{''.join(body)}</g>{''.join(legend)}</svg>"
    )
