"""Tile a parcel layer for the map: JS chunks that load from file://, or MVT for a server.

A map of a large register is a small HTML page plus a folder beside it
(``NAME_files/``) holding

* ``tiles/{z}/{x}/{y}.js``: one vector tile each, a script calling ``LU.tile(key, rows)``;
  rows are ``[fid, c0..c{k-1}, ring, ring, ...]`` (one class per layer) with rings as flat integer
  ``[x, y, x, y, ...]`` arrays in tile units (extent 4096). Browsers load ``<script src>``
  from neighbouring files under file://, where ``fetch()`` is refused, so a map opened by
  double-click works;
* ``index.js``: which tiles exist, per zoom (so the page never asks for a missing file);
* ``attr/{k}.js``: popup records of parcels ``k*ATTR_CHUNK .. (k+1)*ATTR_CHUNK-1``;
* ``search/{k}.js``: the search index (id, holder, bbox, a point inside), loaded on the
  first search.

``fmt="pbf"`` writes the same tiles as Mapbox Vector Tiles (``tiles/{z}/{x}/{y}.pbf``,
layer ``p``, properties ``f, c0..c{k-1}``) for a tile server such as ``landuse serve``.

Tiling rules: levels ``minzoom..maxzoom`` are written, deeper levels are drawn by scaling
the ``maxzoom`` tile in the browser. At a level where a parcel is smaller than
``DOT_PX`` pixels it is drawn as a dot, and one dot per ``DOT_PX`` cell is kept (the
parcel of highest priority), so no tile holds more than (256/DOT_PX)² dots. Geometries
are not clipped to tiles: a parcel crossing a tile edge is written to every tile it
touches. Coordinates are snapped to 1/16 pixel at ``maxzoom`` (≈ 0.15 m at zoom 16) and
to whole pixels above it.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

__all__ = ["ATTR_CHUNK", "DOT_PX", "SEARCH_CHUNK", "TileSet", "mvt_tile", "mvt_tiles", "prepare",
           "tile_features", "tiles_of_features", "write_chunks"]

EXTENT = 4096
UNITS_PER_PX = EXTENT // 256
DOT_PX = 8
ATTR_CHUNK = 2000
SEARCH_CHUNK = 50000


@dataclass
class TileSet:
    """Parcels prepared for tiling: world coordinates (0..1, Web Mercator) and structure."""

    xy: np.ndarray  # (n_vertices, 2) world coordinates
    ring_start: np.ndarray  # (n_rings + 1,) vertex offsets
    feat_ring_start: np.ndarray  # (n_features + 1,) ring offsets
    bbox: np.ndarray  # (n_features, 4) world x0, y0, x1, y1
    codes: np.ndarray  # (n_features, n_layers) class per layer, -1 = not drawn
    priority: np.ndarray  # (n_features,) higher wins a shared dot cell
    minzoom: int
    maxzoom: int


def _world(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = (lon + 180.0) / 360.0
    s = np.sin(np.radians(np.clip(lat, -85.05112878, 85.05112878)))
    y = 0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)
    return x, y


def prepare(geoms: np.ndarray, codes: np.ndarray, priority: np.ndarray | None = None) -> TileSet:
    """Prepare longitude/latitude polygons for :func:`write_chunks`.

    ``geoms`` is an array of shapely (Multi)Polygons in EPSG:4326 (or the GCJ-02 display
    copy), ``codes`` the (n, n_layers) class array (:func:`landuse.webmap.classes.classify_layers`
    and, with evidence, :func:`landuse.webmap.evidence.evidence_layers`).
    """
    n = len(geoms)
    polys, feat_of_poly = shapely.get_parts(geoms, return_index=True)
    rings, poly_of_ring = shapely.get_rings(polys, return_index=True)
    coords, ring_of_vertex = shapely.get_coordinates(rings, return_index=True)
    feat_of_ring = feat_of_poly[poly_of_ring]
    x, y = _world(coords[:, 0], coords[:, 1])
    xy = np.column_stack([x, y])
    ring_start = np.searchsorted(ring_of_vertex, np.arange(len(rings) + 1))
    feat_ring_start = np.searchsorted(feat_of_ring, np.arange(n + 1))
    feat_of_vertex = feat_of_ring[ring_of_vertex]
    vstart = np.searchsorted(feat_of_vertex, np.arange(n))
    bbox = np.column_stack([
        np.minimum.reduceat(x, vstart), np.minimum.reduceat(y, vstart),
        np.maximum.reduceat(x, vstart), np.maximum.reduceat(y, vstart),
    ])
    span = max(bbox[:, 2].max() - bbox[:, 0].min(), bbox[:, 3].max() - bbox[:, 1].min(), 1e-9)
    minzoom = int(np.clip(math.floor(math.log2(1.0 / span)) - 1, 0, 18))
    size = np.maximum(bbox[:, 2] - bbox[:, 0], bbox[:, 3] - bbox[:, 1])
    med = float(np.median(size)) if n else 1e-6
    maxzoom = int(np.clip(math.ceil(math.log2(32.0 / (max(med, 1e-12) * 256))), minzoom, 18))
    if priority is None:
        priority = np.zeros(n, dtype=np.int16)
    return TileSet(xy, ring_start, feat_ring_start, bbox, codes.astype(np.int16),
                   priority, minzoom, maxzoom)


def tile_features(ts: TileSet, z: int, x: int, y: int) -> np.ndarray:
    """The features that may be drawn in tile ``z/x/y``: those whose bounding box
    touches the tile (a parcel drawn as a dot is in the tile of its centre, inside its
    box)."""
    n = 2**z
    x0, x1, y0, y1 = x / n, (x + 1) / n, y / n, (y + 1) / n
    b = ts.bbox
    return np.flatnonzero((b[:, 0] < x1) & (b[:, 2] >= x0) & (b[:, 1] < y1) & (b[:, 3] >= y0))


def tiles_of_features(ts: TileSet, fids: np.ndarray, z: int) -> set[tuple[int, int]]:
    """The tiles of level ``z`` that features ``fids`` may be drawn in (their boxes)."""
    if not len(fids):
        return set()
    n = 2**z
    b = np.clip(np.floor(ts.bbox[fids] * n).astype(np.int64), 0, n - 1)
    return {(tx, ty) for x0, y0, x1, y1 in b.tolist()
            for tx in range(x0, x1 + 1) for ty in range(y0, y1 + 1)}


def _tiles_of_level(ts: TileSet, z: int, sel: np.ndarray | None = None,
                    ) -> Iterator[tuple[int, int, list[str]]]:
    """Yield (x, y, rows as JSON text) for each non-empty tile of level ``z`` (made of the
    features ``sel`` only, all by default)."""
    scale = (2**z) * EXTENT
    q = 1 if z == ts.maxzoom else UNITS_PER_PX
    idx = np.arange(len(ts.bbox)) if sel is None else np.asarray(sel, dtype=np.int64)
    b = ts.bbox[idx] * scale
    size_px = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / UNITS_PER_PX
    tiny = size_px < DOT_PX
    heads = {int(i): f"[{i}," + ",".join(map(str, c))
             for i, c in zip(idx.tolist(), ts.codes[idx].tolist(), strict=True)}
    out: dict[tuple[int, int], list[str]] = {}

    # dots: one per DOT_PX cell, the highest priority (then the first) wins
    dk = np.flatnonzero(tiny)
    if len(dk):
        dots = idx[dk]
        cx = (b[dk, 0] + b[dk, 2]) / 2
        cy = (b[dk, 1] + b[dk, 3]) / 2
        cell = DOT_PX * UNITS_PER_PX
        gx = np.floor(cx / cell).astype(np.int64)
        gy = np.floor(cy / cell).astype(np.int64)
        order = np.lexsort((dots, -ts.priority[dots], gy, gx))
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = (np.diff(gx[order]) != 0) | (np.diff(gy[order]) != 0)
        sel_dots = order[keep]
        half = cell // 2
        for k in sel_dots.tolist():
            fid = int(dots[k])
            ccx, ccy = int(gx[k]) * cell + half, int(gy[k]) * cell + half
            tx, ty = ccx // EXTENT, ccy // EXTENT
            lx, ly = ccx - tx * EXTENT, ccy - ty * EXTENT
            r = half - UNITS_PER_PX // 2
            ring = f"[{lx - r},{ly - r},{lx + r},{ly - r},{lx + r},{ly + r},{lx - r},{ly + r}]"
            out.setdefault((tx, ty), []).append(f"{heads[fid]},{ring}]")

    # polygons, snapped to the level's grid, consecutive repeats dropped
    pk = np.flatnonzero(~tiny)
    rs, frs = ts.ring_start, ts.feat_ring_start
    tx0 = np.floor(b[pk, 0] / EXTENT).astype(np.int64)
    tx1 = np.floor(b[pk, 2] / EXTENT).astype(np.int64)
    ty0 = np.floor(b[pk, 1] / EXTENT).astype(np.int64)
    ty1 = np.floor(b[pk, 3] / EXTENT).astype(np.int64)
    g = keepv = None
    if sel is None and len(pk):  # the whole level: snap every vertex at once
        g = np.rint(ts.xy * (scale / q)).astype(np.int64) * q
        same = np.zeros(len(g), dtype=bool)
        same[1:] = (g[1:, 0] == g[:-1, 0]) & (g[1:, 1] == g[:-1, 1])
        same[rs[:-1][rs[:-1] < len(g)]] = False
        keepv = ~same
    for k, fid in enumerate(idx[pk].tolist()):
        parts: list[np.ndarray] = []
        for r in range(int(frs[fid]), int(frs[fid + 1])):
            if g is not None and keepv is not None:
                v = g[rs[r]:rs[r + 1]][keepv[rs[r]:rs[r + 1]]]
            else:
                v = np.rint(ts.xy[rs[r]:rs[r + 1]] * (scale / q)).astype(np.int64) * q
                if len(v) > 1:
                    v = v[np.r_[True, np.any(v[1:] != v[:-1], axis=1)]]
            if len(v) >= 3:
                parts.append(v)
        if not parts:
            continue
        for tx in range(int(tx0[k]), int(tx1[k]) + 1):
            for ty in range(int(ty0[k]), int(ty1[k]) + 1):
                origin = np.array([tx * EXTENT, ty * EXTENT], dtype=np.int64)
                rings = ",".join(
                    "[" + ",".join(map(str, (v - origin).ravel().tolist())) + "]"
                    for v in parts
                )
                out.setdefault((tx, ty), []).append(f"{heads[fid]},{rings}]")
    for (tx, ty), rows in out.items():
        yield tx, ty, rows


def _js(call: str, *args: Any) -> str:
    text = ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in args)
    text = text.replace("</", "<\\/")
    return f"{call}({text});\n"


def _pbf(rows: list[str], nc: int, ids: Sequence[str] | None = None) -> bytes:
    import mapbox_vector_tile
    from shapely.geometry import Polygon

    feats = []
    for text in rows:
        row = json.loads(text)
        rings = [np.asarray(r, dtype=float).reshape(-1, 2) for r in row[1 + nc:]]
        geom = shapely.make_valid(Polygon(rings[0], rings[1:]))
        props = {"f": row[0], **{f"c{j}": row[1 + j] for j in range(nc)}}
        if ids is not None:
            props["id"] = ids[row[0]]
        feats.append({"geometry": geom, "properties": props})
    return bytes(mapbox_vector_tile.encode(
        [{"name": "p", "features": feats}],
        default_options={"y_coord_down": True, "extents": EXTENT},
    ))


def write_chunks(
    folder: Path,
    ts: TileSet,
    records: Sequence[dict[str, Any]],
    search_rows: Sequence[list[Any]],
    fmt: str = "js",
    progress: bool = False,
    tiles: bool = True,
) -> dict[str, Any]:
    """Write tiles, popup records and the search index into ``folder``.

    With ``progress``, a bar on stderr counts the zoom levels written. With
    ``tiles=False`` only the popup records and the search index are written (a server
    makes the tiles on demand, :func:`mvt_tile`).

    Returns the page's source description (``minzoom``, ``maxzoom``, chunk sizes and
    counts, and the number of tiles written).
    """
    folder.mkdir(parents=True, exist_ok=True)
    index: dict[str, list[int]] = {}
    n_tiles = 0
    levels = range(ts.minzoom, ts.maxzoom + 1) if tiles else range(0)
    if progress:
        from tqdm import tqdm

        levels = tqdm(levels, desc="切片 tiles (zoom levels)", unit="level", file=sys.stderr)
    for z in levels:
        zdir = folder / "tiles" / str(z)
        keys: list[int] = []
        made: set[int] = set()
        for tx, ty, rows in _tiles_of_level(ts, z):
            xdir = zdir / str(tx)
            if tx not in made:
                xdir.mkdir(parents=True, exist_ok=True)
                made.add(tx)
            key = f"{z}/{tx}/{ty}"
            if fmt == "pbf":
                (xdir / f"{ty}.pbf").write_bytes(_pbf(rows, ts.codes.shape[1]))
            else:
                (xdir / f"{ty}.js").write_text(
                    f'LU.tile("{key}",[' + ",".join(rows) + "]);\n", "utf-8"
                )
            keys += [tx, ty]
            n_tiles += 1
        index[str(z)] = keys
    if tiles:
        (folder / "index.js").write_text(_js("LU.index", index), "utf-8")
    (folder / "attr").mkdir(exist_ok=True)
    for k in range(0, max(1, math.ceil(len(records) / ATTR_CHUNK))):
        recs = list(records[k * ATTR_CHUNK:(k + 1) * ATTR_CHUNK])
        (folder / "attr" / f"{k}.js").write_text(_js("LU.attrs", k, recs), "utf-8")
    (folder / "search").mkdir(exist_ok=True)
    n_search = max(1, math.ceil(len(search_rows) / SEARCH_CHUNK))
    for k in range(n_search):
        chunk = list(search_rows[k * SEARCH_CHUNK:(k + 1) * SEARCH_CHUNK])
        (folder / "search" / f"{k}.js").write_text(_js("LU.search", k, chunk), "utf-8")
    return {
        "minzoom": ts.minzoom,
        "maxzoom": ts.maxzoom,
        "attrChunk": ATTR_CHUNK,
        "searchChunks": n_search,
        "tiles": n_tiles,
    }


def mvt_tiles(ts: TileSet, z: int) -> Iterator[tuple[int, int, bytes]]:
    """Every tile of level ``z`` as (x, y, Mapbox Vector Tile bytes), layer ``p`` with the
    properties ``f, c0..c{k-1}`` (the same tiles ``write_chunks(fmt="pbf")`` writes)."""
    nc = ts.codes.shape[1]
    for tx, ty, rows in _tiles_of_level(ts, z):
        yield tx, ty, _pbf(rows, nc)


def mvt_tile(ts: TileSet, z: int, x: int, y: int, ids: Sequence[str] | None = None,
             mask: np.ndarray | None = None) -> bytes | None:
    """Tile ``z/x/y`` alone as Mapbox Vector Tile bytes (the same tile :func:`mvt_tiles`
    makes of its level), made of the features whose boxes touch it; None when it has no
    parcels. With ``ids`` (one per feature), each feature also carries ``id``; with
    ``mask`` (one bool per feature), only the features it marks are drawn."""
    sel = tile_features(ts, z, x, y)
    if mask is not None:
        sel = sel[mask[sel]]
    if not len(sel):
        return None
    for tx, ty, rows in _tiles_of_level(ts, z, sel):
        if (tx, ty) == (x, y):
            return _pbf(rows, ts.codes.shape[1], ids)
    return None
