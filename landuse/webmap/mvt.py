"""The map's vector tiles as Mapbox Vector Tiles (spec 2.1), a whole zoom level at a time.

The tiles follow the map's own tiling rules (:mod:`landuse.webmap.tiles`): at a level where a
parcel is smaller than ``DOT_PX`` pixels it is a dot, one per ``DOT_PX`` cell (the parcel of
highest priority, then the lowest feature number); larger parcels are snapped to 1/16 pixel at
``maxzoom`` and to whole pixels above it and written, unclipped, to every tile their box
touches. Layer ``p``, properties ``f`` (the feature number) and ``c0..c{k-1}`` (the class per
thematic layer, -1 when not drawn).

The work is split in two so a province can be tiled one development zone per task:

* :func:`zone_pieces` (on a worker): a zone's parcels, for every level, as *pieces*: each
  polygon feature's geometry commands for every tile it touches (the command integers of the
  MVT spec, zigzag and varint encoded with numpy, rings wound as the spec requires: exterior
  rings of positive area in tile coordinates, holes negative), and the zone's dot candidates;
* :func:`level_tiles` (on the client): the pieces of every zone for one level, the dots chosen
  across zones, the features sorted by tile (in the PMTiles order), kind and feature number, and
  each tile's protobuf bytes assembled from numpy buffers. The bytes depend only on the pieces,
  never on which worker made them or when.

Every array is numpy; Python loops run per zoom level and per tile, never per feature.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["BATCH", "EXTENT", "GeomArrays", "geom_arrays", "level_tiles", "merge_zoom",
           "tile_ids", "varints", "zigzag", "zone_pieces", "zoom_range"]

EXTENT = 4096
UNITS_PER_PX = EXTENT // 256
DOT_PX = 8
_CELL = DOT_PX * UNITS_PER_PX
_DOT_R = _CELL // 2 - UNITS_PER_PX // 2
_MOVE_TO, _CLOSE = 9, 15  # MoveTo with one point; ClosePath


@dataclass(frozen=True)
class GeomArrays:
    """Polygons as flat arrays in world coordinates (0..1, Web Mercator, y down)."""

    xy: np.ndarray  # (n_vertices, 2), rings closed (last vertex = first)
    ring_start: np.ndarray  # (n_rings + 1,) vertex offsets
    ring_hole: np.ndarray  # (n_rings,) True for an interior ring
    ring_poly: np.ndarray  # (n_rings,) polygon of each ring
    feat_ring_start: np.ndarray  # (n_features + 1,) ring offsets
    bbox: np.ndarray  # (n_features, 4) world x0, y0, x1, y1


def _world(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = (lon + 180.0) / 360.0
    s = np.sin(np.radians(np.clip(lat, -85.05112878, 85.05112878)))
    y = 0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)
    return x, y


def geom_arrays(geoms: np.ndarray) -> GeomArrays:
    """Longitude/latitude (Multi)Polygons (shapely array) as :class:`GeomArrays`."""
    n = len(geoms)
    polys, feat_of_poly = shapely.get_parts(geoms, return_index=True)
    rings, poly_of_ring = shapely.get_rings(polys, return_index=True)
    coords, ring_of_vertex = shapely.get_coordinates(rings, return_index=True)
    x, y = _world(coords[:, 0], coords[:, 1])
    ring_start = np.searchsorted(ring_of_vertex, np.arange(len(rings) + 1))
    hole = np.ones(len(rings), dtype=bool)
    hole[np.searchsorted(poly_of_ring, np.arange(len(polys)))[
        np.bincount(poly_of_ring, minlength=len(polys)) > 0]] = False
    feat_of_ring = feat_of_poly[poly_of_ring]
    feat_ring_start = np.searchsorted(feat_of_ring, np.arange(n + 1))
    feat_of_vertex = feat_of_ring[ring_of_vertex]
    bbox = np.full((n, 4), np.nan)
    has = np.bincount(feat_of_vertex, minlength=n) > 0
    if len(x):
        vstart = np.searchsorted(feat_of_vertex, np.flatnonzero(has))
        bbox[has] = np.column_stack([
            np.minimum.reduceat(x, vstart), np.minimum.reduceat(y, vstart),
            np.maximum.reduceat(x, vstart), np.maximum.reduceat(y, vstart),
        ])
    return GeomArrays(np.column_stack([x, y]), ring_start, hole, poly_of_ring.astype(np.int64),
                      feat_ring_start, bbox)


def zoom_range(bounds: Sequence[float], sizes: np.ndarray) -> tuple[int, int]:
    """The archive's levels: the smallest shows the whole extent (``bounds`` = world x0, y0,
    x1, y1) in about two tiles, the deepest draws the median parcel (``sizes``, world units)
    about 32 pixels wide (the rules of :func:`landuse.webmap.tiles.prepare`)."""
    x0, y0, x1, y1 = bounds
    span = max(x1 - x0, y1 - y0, 1e-9)
    minzoom = int(np.clip(math.floor(math.log2(1.0 / span)) - 1, 0, 18))
    med = float(np.median(sizes)) if len(sizes) else 1e-6
    maxzoom = int(np.clip(math.ceil(math.log2(32.0 / (max(med, 1e-12) * 256))), minzoom, 18))
    return minzoom, maxzoom


def zigzag(v: np.ndarray) -> np.ndarray:
    """Signed integers as the spec's zigzag (0, -1, 1, -2 … -> 0, 1, 2, 3 …)."""
    v = np.asarray(v, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def varints(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative integers as protobuf varints: the bytes, value after value, and each
    value's byte count."""
    v = np.asarray(v).astype(np.uint64)
    n = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        n += v >= np.uint64(1 << (7 * k))
    out = np.empty(int(n.sum()), dtype=np.uint8)
    start = np.cumsum(n) - n
    for k in range(int(n.max()) if len(n) else 0):
        sel = np.flatnonzero(n > k)
        b = (v[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (n[sel] > k + 1).astype(np.uint64) << np.uint64(7)
        out[start[sel] + k] = (b | more).astype(np.uint8)
    return out, n


_DOT_REST = varints(np.array([2 | (3 << 3), 4 * _DOT_R, 0, 0, 4 * _DOT_R, 4 * _DOT_R - 1, 0,
                               _CLOSE]))[0]
"""A dot's commands after its first point, as bytes: LineTo 3 points (+2r, 0), (0, +2r),
(-2r, 0) zigzagged, then ClosePath."""


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indices ``starts[i] .. starts[i] + lengths[i] - 1`` of every i, concatenated."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    keep = lengths > 0
    s, ln = np.asarray(starts, dtype=np.int64)[keep], lengths[keep]
    step = np.ones(total, dtype=np.int64)
    pos = np.cumsum(ln) - ln
    step[0] = s[0]
    step[pos[1:]] = s[1:] - (s[:-1] + ln[:-1] - 1)
    return np.cumsum(step)


def _interleave(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Per entry i, part 0's bytes of i, then part 1's …: ``parts`` are (bytes of every entry
    one after another, each entry's length); returns the bytes and each entry's length."""
    lens = np.column_stack([np.asarray(ln, dtype=np.int64) for _, ln in parts])
    total = lens.sum(axis=1)
    entry_start = np.cumsum(total) - total
    out = np.empty(int(total.sum()), dtype=np.uint8)
    before = np.cumsum(lens, axis=1) - lens
    for k, (buf, ln) in enumerate(parts):
        out[_ranges(entry_start + before[:, k], ln)] = buf
    return out, total


def _const(data: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.tile(np.frombuffer(data, dtype=np.uint8), n), np.full(n, len(data), np.int64)


def _polygon_streams(ga: GeomArrays, feats: np.ndarray, scale: float, q: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The geometry commands of features ``feats`` snapped to the level's grid.

    Returns (features kept, first vertex of each in level units, the varint bytes of every
    command integer after the first MoveTo's point, their byte count per feature). Rings with
    fewer than three distinct points or no area are dropped (a polygon with its exterior
    ring); exterior rings get positive area in tile coordinates (y down), holes negative.
    """
    rs, frs = ga.ring_start, ga.feat_ring_start
    rings = _ranges(frs[feats], frs[feats + 1] - frs[feats])
    feat_of_ring = np.repeat(feats, frs[feats + 1] - frs[feats])
    nv = rs[rings + 1] - rs[rings] - 1  # without the closing vertex
    vidx = _ranges(rs[rings], nv)
    ring_of_v = np.repeat(np.arange(len(rings)), nv)
    g = np.rint(ga.xy[vidx] * (scale / q)).astype(np.int64) * q
    first = np.zeros(len(vidx), dtype=bool)
    first[(np.cumsum(nv) - nv)[nv > 0]] = True
    same = np.zeros(len(vidx), dtype=bool)
    same[1:] = np.all(g[1:] == g[:-1], axis=1)
    keep = ~(same & ~first)
    g, ring_of_v = g[keep], ring_of_v[keep]
    cnt = np.bincount(ring_of_v, minlength=len(rings))
    rstart = np.cumsum(cnt) - cnt
    # a last point equal to the first closes the ring: drop it
    last = rstart + cnt - 1
    closing = np.zeros(len(rings), dtype=bool)
    nz = cnt > 1
    closing[nz] = np.all(g[last[nz]] == g[rstart[nz]], axis=1)
    drop = np.zeros(len(g), dtype=bool)
    drop[last[closing]] = True
    g, ring_of_v = g[~drop], ring_of_v[~drop]
    cnt = np.bincount(ring_of_v, minlength=len(rings))
    rstart = np.cumsum(cnt) - cnt
    # signed area (surveyor's formula, relative to each ring's first point)
    rel = (g - g[np.repeat(rstart, cnt)]).astype(np.float64)
    nxt = np.arange(len(g)) + 1
    nxt[rstart[cnt > 0] + cnt[cnt > 0] - 1] = rstart[cnt > 0]
    term = rel[:, 0] * rel[nxt, 1] - rel[nxt, 0] * rel[:, 1]
    area = np.bincount(ring_of_v, weights=term, minlength=len(rings))
    ok = (cnt >= 3) & (area != 0)
    hole = ga.ring_hole[rings]
    poly = ga.ring_poly[rings]
    ext_ok = np.zeros(int(poly.max()) + 1 if len(poly) else 0, dtype=bool)
    ext_ok[poly[~hole & ok]] = True
    if len(poly):
        ok &= ext_ok[poly]
    flip = ok & ((area < 0) != hole)
    # the kept rings' points, each ring in its spec orientation
    kr = np.flatnonzero(ok)
    kcnt = cnt[kr]
    pos = _ranges(rstart[kr], kcnt)
    rev = np.repeat(flip[kr], kcnt)
    kstart = np.repeat(rstart[kr], kcnt)
    local = pos - kstart
    pos = np.where(rev, kstart + np.repeat(kcnt, kcnt) - 1 - local, pos)
    v = g[pos]
    kfeat = feat_of_ring[kr]
    # command integers: per ring MoveTo, dx, dy, LineTo(n-1), deltas, ClosePath
    ring_len = 2 * kcnt + 3
    sstart = np.cumsum(ring_len) - ring_len
    s = np.empty(int(ring_len.sum()), dtype=np.uint64)
    s[sstart] = _MOVE_TO
    s[sstart + 3] = (2 | ((kcnt - 1) << 3)).astype(np.uint64)
    s[sstart + ring_len - 1] = _CLOSE
    d = np.diff(v, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    t = np.arange(len(v)) - np.repeat(np.cumsum(kcnt) - kcnt, kcnt)
    px = np.repeat(sstart, kcnt) + 2 * t + 2 - (t == 0)
    s[px] = zigzag(d[:, 0])
    s[px + 1] = zigzag(d[:, 1])
    # the features kept, their first point, and the rest of their commands
    fk, ffirst_ring = np.unique(kfeat, return_index=True)
    vstart = np.cumsum(kcnt) - kcnt
    first_pt = v[vstart[ffirst_ring]] if len(fk) else np.zeros((0, 2), dtype=np.int64)
    head = np.zeros(len(s), dtype=bool)
    hs = sstart[ffirst_ring]
    head[hs], head[hs + 1], head[hs + 2] = True, True, True
    rest_buf, rest_n = varints(s[~head])
    int_feat = np.repeat(kfeat, ring_len)[~head]
    rest_len = np.bincount(np.searchsorted(fk, int_feat), weights=rest_n,
                           minlength=len(fk)).astype(np.int64)
    return fk, first_pt, rest_buf, rest_len


def zone_pieces(ga: GeomArrays, codes: np.ndarray, priority: np.ndarray, fid0: int,
                minzoom: int, maxzoom: int) -> dict[str, np.ndarray]:
    """One zone's pieces of every level ``minzoom..maxzoom`` (arrays named ``{z}/…``).

    ``codes`` is the (n, k) class array, ``priority`` the dot priority per feature, ``fid0``
    the feature number of the zone's first parcel.
    """
    out: dict[str, np.ndarray] = {}
    n = len(ga.bbox)
    fids = np.arange(n, dtype=np.int64) + fid0
    valid = ~np.isnan(ga.bbox[:, 0])
    for z in range(minzoom, maxzoom + 1):
        scale = (2**z) * EXTENT
        q = 1 if z == maxzoom else UNITS_PER_PX
        b = ga.bbox * scale
        size_px = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / UNITS_PER_PX
        tiny = valid & (size_px < DOT_PX)
        dk = np.flatnonzero(tiny)
        gx = np.floor((b[dk, 0] + b[dk, 2]) / 2 / _CELL).astype(np.int64)
        gy = np.floor((b[dk, 1] + b[dk, 3]) / 2 / _CELL).astype(np.int64)
        win = _best_per_cell(gx, gy, priority[dk], fids[dk])
        dk = dk[win]
        out.update({f"{z}/dgx": gx[win], f"{z}/dgy": gy[win], f"{z}/dprio": priority[dk],
                    f"{z}/dfid": fids[dk], f"{z}/dcodes": codes[dk]})
        feats, first_pt, rest, rlen = _polygon_streams(ga, np.flatnonzero(valid & ~tiny),
                                                       scale, q)
        t = np.floor(b[feats] / EXTENT).astype(np.int64)
        nx, ny = t[:, 2] - t[:, 0] + 1, t[:, 3] - t[:, 1] + 1
        per = nx * ny
        pair_feat = np.repeat(np.arange(len(feats)), per)
        k = np.arange(len(pair_feat)) - np.repeat(np.cumsum(per) - per, per)
        rstart = np.cumsum(rlen) - rlen
        out.update({
            f"{z}/tx": t[pair_feat, 0] + k // ny[pair_feat],
            f"{z}/ty": t[pair_feat, 1] + k % ny[pair_feat],
            f"{z}/fid": fids[feats][pair_feat], f"{z}/codes": codes[feats][pair_feat],
            f"{z}/v0": first_pt[pair_feat],
            f"{z}/rest": rest[_ranges(rstart[pair_feat], rlen[pair_feat])],
            f"{z}/rlen": rlen[pair_feat],
        })
    return out


def _best_per_cell(gx: np.ndarray, gy: np.ndarray, prio: np.ndarray, fid: np.ndarray
                   ) -> np.ndarray:
    """Of the dots sharing a cell, the one of highest priority, then lowest feature number
    (positions, in cell order)."""
    order = np.lexsort((fid, -prio.astype(np.int64), gy, gx))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (np.diff(gx[order]) != 0) | (np.diff(gy[order]) != 0)
    return order[keep]


def merge_zoom(pieces: Sequence[Mapping[str, np.ndarray]], z: int) -> dict[str, np.ndarray]:
    """Level ``z`` of every zone's pieces as one set of entries (dots chosen across zones)."""
    def cat(name: str) -> np.ndarray:
        return np.concatenate([p[f"{z}/{name}"] for p in pieces])

    gx, gy, prio, dfid, dcodes = (cat(k) for k in ("dgx", "dgy", "dprio", "dfid", "dcodes"))
    win = _best_per_cell(gx, gy, prio, dfid)
    half = _CELL // 2
    cx, cy = gx[win] * _CELL + half, gy[win] * _CELL + half
    nd = len(win)
    return {
        "tx": np.concatenate([cx // EXTENT, cat("tx")]),
        "ty": np.concatenate([cy // EXTENT, cat("ty")]),
        "kind": np.r_[np.zeros(nd, np.int8), np.ones(sum(len(p[f"{z}/fid"]) for p in pieces),
                                                      np.int8)],
        "fid": np.concatenate([dfid[win], cat("fid")]),
        "codes": np.concatenate([dcodes[win], cat("codes")]),
        "v0": np.concatenate([np.column_stack([cx - _DOT_R, cy - _DOT_R]).reshape(-1, 2),
                              cat("v0").reshape(-1, 2)]),
        "rest": np.concatenate([np.tile(_DOT_REST, nd), cat("rest")]),
        "rlen": np.concatenate([np.full(nd, len(_DOT_REST), np.int64), cat("rlen")]),
    }


def _layer_consts(n_codes: int, n_values: int) -> tuple[bytes, bytes, bytes]:
    """The layer's name, its keys and class values, and its extent and version, as bytes."""
    keys = ["f", *(f"c{j}" for j in range(n_codes))]
    kb = b"".join(b"\x1a" + bytes([len(k)]) + k.encode() for k in keys)
    vals = zigzag(np.arange(-1, n_values - 1))
    vb = b"".join(b"\x22" + bytes([1 + len(x)]) + b"\x30" + x
                  for x in (varints(np.array([v]))[0].tobytes() for v in vals))
    return b"\x0a\x01p", kb + vb, b"\x28\x80\x20\x78\x02"


def tile_ids(z: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The PMTiles tile ids (the tiles of all lower levels, then the position on the level's
    Hilbert curve) of tiles ``x, y`` of level ``z``: ``pmtiles.tile.zxy_to_tileid`` for arrays."""
    x = np.asarray(x, dtype=np.int64).copy()
    y = np.asarray(y, dtype=np.int64).copy()
    acc = np.full(len(x), ((1 << (2 * z)) - 1) // 3, dtype=np.int64)
    for a in range(z - 1, -1, -1):
        s = 1 << a
        rx, ry = x & s, y & s
        acc += ((3 * rx) ^ ry) << a
        flip = (ry == 0) & (rx != 0)
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        turn = ry == 0
        x, y = np.where(turn, y, x), np.where(turn, x, y)
    return acc


BATCH = 500_000
"""Features encoded at once (a level's tiles go in batches of whole tiles of about this many
features, so the client's memory does not grow with the province)."""


def level_tiles(entries: Mapping[str, np.ndarray], z: int, n_values: int,
                ) -> Iterator[tuple[int, bytes]]:
    """Every tile of level ``z`` of the merged ``entries`` (:func:`merge_zoom`) as (PMTiles
    tile id, MVT bytes), in tile id order.

    ``n_values`` is the number of class values in each tile's value table (the codes -1 ..
    ``n_values - 2``, as signed integers, then each feature's ``f`` as an unsigned one).
    """
    tx, ty = entries["tx"], entries["ty"]
    if not len(tx):
        return
    keys, tile_of = np.unique((np.asarray(tx, dtype=np.int64) << 32) | ty, return_inverse=True)
    tile_of = tile_of.ravel()
    ids = tile_ids(z, keys >> 32, keys & 0xFFFFFFFF)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids)] = np.arange(len(ids))
    order = np.lexsort((entries["fid"], entries["kind"], rank[tile_of]))
    er = rank[tile_of][order]
    bounds = np.flatnonzero(np.r_[True, er[1:] != er[:-1], True])
    sorted_ids = np.sort(ids)
    rlen = np.asarray(entries["rlen"], dtype=np.int64)
    rstart = np.cumsum(rlen) - rlen
    t0 = 0
    while t0 < len(sorted_ids):
        t1 = int(np.searchsorted(bounds, bounds[t0] + BATCH, side="right")) - 1
        t1 = min(max(t1, t0 + 1), len(sorted_ids))
        sel = order[bounds[t0]:bounds[t1]]
        yield from zip(sorted_ids[t0:t1].tolist(),
                       _encode(entries, sel, rstart, rlen, bounds[t0:t1 + 1] - bounds[t0],
                               n_values), strict=True)
        t0 = t1


def _encode(entries: Mapping[str, np.ndarray], sel: np.ndarray, rstart: np.ndarray,
            rlen: np.ndarray, bounds: np.ndarray, n_values: int) -> list[bytes]:
    """The tiles of entries ``sel`` (sorted; tile i holds ``sel[bounds[i]:bounds[i+1]]``)."""
    n = len(sel)
    codes = np.asarray(entries["codes"][sel], dtype=np.int64).reshape(n, -1)
    n_codes = codes.shape[1]
    p = np.arange(n) - np.repeat(bounds[:-1], np.diff(bounds))
    # tags: f -> value n_values + p, c_j -> its code + 1
    tags = np.empty((n, 2 * (n_codes + 1)), dtype=np.int64)
    tags[:, 0::2] = np.arange(n_codes + 1)
    tags[:, 1] = n_values + p
    tags[:, 3::2] = codes + 1
    tag_buf, tag_n = varints(tags.ravel())
    tag_len = tag_n.reshape(n, -1).sum(axis=1)
    rest = (np.asarray(entries["rest"], dtype=np.uint8)[_ranges(rstart[sel], rlen[sel])],
            rlen[sel])
    v0 = np.asarray(entries["v0"], dtype=np.int64).reshape(-1, 2)[sel]
    hx = varints(zigzag(v0[:, 0] - entries["tx"][sel] * EXTENT))
    hy = varints(zigzag(v0[:, 1] - entries["ty"][sel] * EXTENT))
    geom_len = 1 + hx[1] + hy[1] + rest[1]
    gl = varints(geom_len)
    tl = varints(tag_len)
    body_len = 1 + tl[1] + tag_len + 3 + gl[1] + geom_len
    feats, feat_len = _interleave([
        _const(b"\x12", n), varints(body_len), _const(b"\x12", n), tl, (tag_buf, tag_len),
        _const(b"\x18\x03\x22", n), gl, _const(bytes([_MOVE_TO]), n), hx, hy, rest])
    fv = varints(np.asarray(entries["fid"], dtype=np.int64)[sel])
    vals, val_len = _interleave([_const(b"\x22", n), varints(1 + fv[1]), _const(b"\x28", n), fv])
    fend = np.r_[0, np.cumsum(feat_len)][bounds].tolist()
    vend = np.r_[0, np.cumsum(val_len)][bounds].tolist()
    name, table, tail = _layer_consts(n_codes, n_values)
    fb, vb = feats.tobytes(), vals.tobytes()
    out = []
    for i in range(len(bounds) - 1):
        layer = b"".join((name, fb[fend[i]:fend[i + 1]], table, vb[vend[i]:vend[i + 1]], tail))
        out.append(b"\x1a" + _varint(len(layer)) + layer)
    return out


def _varint(v: int) -> bytes:
    """One non-negative integer as a protobuf varint."""
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)
