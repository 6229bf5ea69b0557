"""Parcel x pixel coverage: computed once per raster grid with exactextract, then reused.

exactextract walks each polygon's edges through the grid and gives, for every pixel it
touches, the exact fraction of the pixel inside the polygon (so a parcel smaller than a
pixel still gets its share). That is the expensive part of zonal statistics; the pixel
values are cheap. :class:`Coverage` keeps the result as flat arrays (parcel row, pixel
index, fraction) sorted by pixel, so another raster on the same grid (another date) is
summarised by reading its pixels window by window: no polygon work at all.

The cache key is the grid (transform, shape, CRS) plus a hash of the parcels' geometries in
the raster's CRS.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from landuse.raster.source import RasterInfo

__all__ = ["Coverage", "CoverageCache", "compute_coverage", "geometry_hash"]

_CHUNK = 5000
"""Parcels per exactextract call: bounds the memory of its per-parcel arrays."""


ROW_GROUP = 16
"""Cells are stored grouped by bands of this many raster rows (read strips align to them)."""


@dataclass
class Coverage:
    """Exact coverage of the pixels of one grid by ``n_parcels`` parcels.

    Attributes
    ----------
    key : str
        Grid key + geometry hash.
    n_parcels : int
    pidx : int32 array (m,)
        Parcel row of each cell.
    row, col : int32 arrays (m,)
        Pixel of each cell.
    offsets : int64 array (k + 1,)
        Cells come in k spatially compact chunks (parcels in Hilbert order);
        ``offsets[i]:offsets[i+1]`` is chunk i, sorted by ``row // ROW_GROUP`` inside.
    weight : float32 array (m,)
        Fraction of the pixel inside the parcel.
    covered : float64 array (n_parcels,)
        Per parcel, the sum of its coverage fractions (its area in pixels on the raster).
    width, height : int
        Raster shape.
    """

    key: str
    n_parcels: int
    pidx: np.ndarray
    row: np.ndarray
    col: np.ndarray
    weight: np.ndarray
    covered: np.ndarray
    offsets: np.ndarray
    width: int
    height: int

    @property
    def n_cells(self) -> int:
        return len(self.pidx)

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in (self.pidx, self.row, self.col, self.weight)))

    def chunk_bounds(self, i: int, starts: np.ndarray) -> np.ndarray:
        """Absolute index of the first cell of chunk ``i`` with ``row >= start``, for each
        start (a multiple of :data:`ROW_GROUP`)."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        groups = self.row[a:b] // ROW_GROUP
        return a + np.searchsorted(groups, starts // ROW_GROUP)

    def save(self, path: str | Path) -> None:
        np.savez(
            path,
            pidx=self.pidx,
            row=self.row,
            col=self.col,
            weight=self.weight,
            covered=self.covered,
            offsets=self.offsets,
            meta=np.array([self.key, str(self.n_parcels), str(self.width), str(self.height)]),
        )

    @classmethod
    def load(cls, path: str | Path) -> Coverage:
        with np.load(path) as z:
            key, n, w, h = (str(v) for v in z["meta"])
            return cls(
                key,
                int(n),
                z["pidx"],
                z["row"],
                z["col"],
                z["weight"],
                z["covered"],
                z["offsets"],
                int(w),
                int(h),
            )


def geometry_hash(geoms: gpd.GeoSeries) -> str:
    """SHA-1 of the geometries' WKB (order matters), e.g. to key a coverage cache."""
    h = hashlib.sha1()
    wkb = shapely.to_wkb(np.asarray(geoms.values, dtype=object), hex=False)
    for b in wkb:
        h.update(b"" if b is None else b)
        h.update(b"|")
    return h.hexdigest()


def _exactextract_sources(raster: RasterInfo, crs_wkt: str) -> tuple[type, type]:
    """exactextract sources that hand over the grid and WKB geometries, nothing else.

    Coverage fractions depend on the grid only, so the raster source never reads a pixel
    (it returns zeros); pixel values are read once, by :mod:`landuse.raster.read`. Parcels
    go in as WKB instead of GeoJSON text: together this is several times faster than
    handing exactextract the file and the GeoDataFrame, with identical coverage.
    """
    from exactextract._exactextract import Feature
    from exactextract.feature import FeatureSource
    from exactextract.raster import RasterSource

    left, bottom, right, top = raster.bounds
    res = (abs(raster.transform.a), abs(raster.transform.e))

    class GridSource(RasterSource):
        def res(self) -> tuple[float, float]:
            return res

        def extent(self) -> tuple[float, float, float, float]:
            return (left, bottom, right, top)

        def srs_wkt(self) -> str:
            return crs_wkt

        def nodata_value(self) -> None:
            return None

        def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ndarray:
            return np.zeros((ny, nx), dtype=np.uint8)

    class WKBFeature(Feature):
        def __init__(self, wkb: bytes) -> None:
            Feature.__init__(self)
            self.wkb = wkb
            self.props: dict[str, object] = {}

        def geometry(self) -> bytes:
            return self.wkb

        def get(self, name: str) -> object:
            return self.props[name]

        def set(self, name: str, value: object) -> None:
            self.props[name] = value

        def fields(self) -> list[str]:
            return list(self.props)

        def set_geometry(self, wkb: bytes) -> None:
            self.wkb = wkb

        def set_geometry_format(self) -> str:
            return "wkb"

    class WKBSource(FeatureSource):
        def __init__(self, wkbs: list[bytes]) -> None:
            super().__init__()
            self.wkbs = wkbs

        def count(self) -> int:
            return len(self.wkbs)

        def __iter__(self) -> Iterator[WKBFeature]:
            for w in self.wkbs:
                yield WKBFeature(w)

        def srs_wkt(self) -> str:
            return crs_wkt

    return GridSource, WKBSource


def compute_coverage(geoms: gpd.GeoSeries, raster: RasterInfo, key: str | None = None) -> Coverage:
    """Exact coverage of ``raster``'s pixels by ``geoms`` (already in the raster's CRS).

    Parcels are handed to exactextract in spatial (Hilbert) order and in chunks, so its
    per-parcel arrays stay small. Empty or missing geometries and parcels off the raster get
    no cells. No pixel is read here.
    """
    from exactextract import exact_extract

    n = len(geoms)
    arr = np.asarray(geoms.values, dtype=object)
    left, bottom, right, top = raster.bounds
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    ok[ok] = shapely.intersects(arr[ok], shapely.box(left, bottom, right, top))
    rows = np.flatnonzero(ok)
    if len(rows) > 1:
        sub = gpd.GeoSeries(arr[rows], crs=geoms.crs)
        rows = rows[np.argsort(sub.hilbert_distance().to_numpy(), kind="stable")]
    grid_cls, feat_cls = _exactextract_sources(raster, raster.crs.to_wkt())
    grid = grid_cls()
    pidx_parts: list[np.ndarray] = []
    row_parts: list[np.ndarray] = []
    col_parts: list[np.ndarray] = []
    w_parts: list[np.ndarray] = []
    covered = np.zeros(n)
    width = raster.width
    for s in range(0, len(rows), _CHUNK):
        idx = rows[s : s + _CHUNK]
        feats = feat_cls(list(shapely.to_wkb(arr[idx])))
        res = exact_extract(grid, feats, ["cell_id", "coverage"], output="pandas")
        cells_l = res["cell_id"].to_list()
        lens = np.fromiter((len(c) for c in cells_l), dtype=np.int64, count=len(cells_l))
        if lens.sum() == 0:
            continue
        cell = np.concatenate(cells_l)
        w = np.concatenate(res["coverage"].to_list())
        del res, cells_l
        pid = np.repeat(idx.astype(np.int32), lens)
        covered += np.bincount(pid, weights=w, minlength=n)
        keep = w > 0
        row = cell // width
        col = (cell - row * width)[keep].astype(np.int32)
        row = row[keep].astype(np.int32)
        # inside the chunk, group cells by bands of rows (16-bit key: linear radix sort)
        band = row // ROW_GROUP
        order = np.argsort(band.astype(np.uint16) if raster.height < 2**20 else band, kind="stable")
        row_parts.append(row[order])
        col_parts.append(col[order])
        pidx_parts.append(pid[keep][order])
        w_parts.append(w[keep][order].astype(np.float32))
    offsets = np.cumsum([0, *(len(r) for r in row_parts)]).astype(np.int64)
    if row_parts:
        row = np.concatenate(row_parts)
        col = np.concatenate(col_parts)
        pidx = np.concatenate(pidx_parts)
        weight = np.concatenate(w_parts)
        del row_parts, col_parts, pidx_parts, w_parts
    else:
        row = col = np.zeros(0, np.int32)
        pidx = np.zeros(0, np.int32)
        weight = np.zeros(0, np.float32)
    return Coverage(
        key=key or (raster.grid_key + ":" + geometry_hash(geoms)),
        n_parcels=n,
        pidx=pidx,
        row=row,
        col=col,
        weight=weight,
        covered=covered,
        offsets=offsets,
        width=raster.width,
        height=raster.height,
    )


class CoverageCache:
    """Coverage per (grid, parcels) key, kept in memory and optionally on disk.

    Parameters
    ----------
    max_items : int
        Coverages kept in memory (least recently used dropped first).
    directory : path, optional
        Folder where coverages are also saved (``<key>.npz``) and looked up, so a later run
        on the same grid and parcels skips exactextract altogether.
    """

    def __init__(self, max_items: int = 4, directory: str | Path | None = None) -> None:
        self.max_items = max_items
        self.directory = Path(directory) if directory else None
        self._mem: OrderedDict[str, Coverage] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, geoms: gpd.GeoSeries, raster: RasterInfo) -> Coverage:
        """The coverage of ``raster``'s grid by ``geoms`` (in its CRS), computed if new."""
        key = raster.grid_key + ":" + geometry_hash(geoms)
        if key in self._mem:
            self._mem.move_to_end(key)
            self.hits += 1
            return self._mem[key]
        cov: Coverage | None = None
        disk = self.directory / f"{key.replace(':', '_')}.npz" if self.directory else None
        if disk is not None and disk.exists():
            cov = Coverage.load(disk)
            if cov.key != key or cov.n_parcels != len(geoms):
                cov = None
        if cov is None:
            self.misses += 1
            cov = compute_coverage(geoms, raster, key)
            if disk is not None:
                disk.parent.mkdir(parents=True, exist_ok=True)
                tmp = disk.with_name(disk.stem + ".tmp.npz")
                cov.save(tmp)
                tmp.replace(disk)
        else:
            self.hits += 1
        self._mem[key] = cov
        while len(self._mem) > self.max_items:
            self._mem.popitem(last=False)
        return cov
