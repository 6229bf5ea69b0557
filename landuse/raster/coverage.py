"""Parcel x pixel coverage: computed once per raster grid with exactextract, then reused.

exactextract walks each polygon's edges through the grid and gives, for every pixel it
touches, the exact fraction of the pixel inside the polygon (so a parcel smaller than a
pixel still gets its share). That is the expensive part of zonal statistics; the pixel
values are cheap. :class:`Coverage` keeps the result as compact arrays per spatially compact
chunk of parcels (parcel, pixel offset in the chunk's window, fraction), so another raster
on the same grid (another date) is summarised by reading one window per chunk: no polygon
work at all.

exactextract holds the GIL, so for many parcels the chunks are shared between this process
and worker processes (``python -m landuse.raster._coverworker``, fed through pipes): they
get WKB and the grid, and send back the compact arrays. The result is identical to
computing every chunk here.

The cache key is the grid (transform, shape, CRS) plus a hash of the parcels' geometries in
the raster's CRS.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from landuse.raster.source import RasterInfo

__all__ = [
    "Coverage",
    "CoverageCache",
    "CoverageChunk",
    "compute_coverage",
    "default_workers",
    "geometry_hash",
]

_CHUNK = 2000
"""Parcels per exactextract call (at most; fewer when shared with workers): keeps the
per-chunk arrays a few MB, so they are recycled by the allocator instead of fresh pages."""

PARALLEL_MIN_PARCELS = 20_000
"""Below this many parcels the coverage is computed in this process only (starting a
worker costs about half a second)."""


@dataclass
class CoverageChunk:
    """Exact coverage of one spatially compact group of parcels.

    Attributes
    ----------
    ids : int32 array (p,)
        Parcel rows (in the parcels given to :func:`compute_coverage`) of this chunk.
    local : uint16 or int32 array (m,)
        Per cell, the index into ``ids`` of its parcel.
    flat : intp array (m,)
        Per cell, its pixel as an offset into the chunk's window: ``(row - row0) * width
        + (col - col0)``. Cells come parcel by parcel, as exactextract gives them.
    weight : float64 array (m,)
        Fraction of the pixel inside the parcel (0-1]; exactextract computes it as a float32.
    row0, col0, width, height : int
        The window of the raster holding every cell of the chunk.
    """

    ids: np.ndarray
    local: np.ndarray
    flat: np.ndarray
    weight: np.ndarray
    row0: int
    col0: int
    width: int
    height: int

    @property
    def n_cells(self) -> int:
        return len(self.flat)

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in (self.ids, self.local, self.flat, self.weight)))

    def strips(self, step: int) -> list[tuple[int, int, np.ndarray]]:
        """The chunk's window cut at raster rows that are multiples of ``step``: per strip
        its first and last + 1 raster row and the indices of its cells."""
        first = self.row0 // step
        sid = self.flat // self.width  # row in the window
        sid += self.row0 % step
        sid //= step  # strip number
        order = np.argsort(sid, kind="stable")
        ends = np.cumsum(
            np.bincount(sid, minlength=(self.row0 + self.height - 1) // step - first + 1)
        )
        out = []
        for i, sel in enumerate(np.split(order, ends[:-1])):
            if len(sel):
                r0 = max(self.row0, (first + i) * step)
                r1 = min(self.row0 + self.height, (first + i + 1) * step)
                out.append((r0, r1, sel))
        return out

    def rows_cols(self) -> tuple[np.ndarray, np.ndarray]:
        """Raster row and column of each cell."""
        r, c = np.divmod(self.flat.astype(np.int64), self.width)
        return r + self.row0, c + self.col0


@dataclass
class Coverage:
    """Exact coverage of the pixels of one grid by ``n_parcels`` parcels.

    Attributes
    ----------
    key : str
        Grid key + geometry hash.
    n_parcels : int
    chunks : list of CoverageChunk
        Parcels in Hilbert order, in chunks; each parcel is in at most one chunk.
    covered : float64 array (n_parcels,)
        Per parcel, the sum of its coverage fractions (its area in pixels on the raster).
    width, height : int
        Raster shape.
    """

    key: str
    n_parcels: int
    chunks: list[CoverageChunk]
    covered: np.ndarray
    width: int
    height: int

    @property
    def n_cells(self) -> int:
        return sum(c.n_cells for c in self.chunks)

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.chunks) + int(self.covered.nbytes)

    def save(self, path: str | Path) -> None:
        meta = np.array(
            [(c.row0, c.col0, c.width, c.height, len(c.ids), c.n_cells) for c in self.chunks],
            dtype=np.int64,
        ).reshape(-1, 6)

        def cat(name: str, dtype: type) -> np.ndarray:
            parts = [getattr(c, name).astype(dtype, copy=False) for c in self.chunks]
            return np.concatenate(parts) if parts else np.zeros(0, dtype)

        np.savez(
            path,
            ids=cat("ids", np.int32),
            local=cat("local", np.int32),
            flat=cat("flat", np.int64),
            weight=cat("weight", np.float32),  # exactextract's precision: no loss
            chunks=meta,
            covered=self.covered,
            meta=np.array([self.key, str(self.n_parcels), str(self.width), str(self.height)]),
        )

    @classmethod
    def load(cls, path: str | Path) -> Coverage:
        """Read a coverage saved by :meth:`save` (KeyError if the file is of another form)."""
        with np.load(path) as z:
            key, n, w, h = (str(v) for v in z["meta"])
            meta = z["chunks"]
            ids, local, flat, weight = z["ids"], z["local"], z["flat"], z["weight"]
            covered = z["covered"]
        chunks = []
        i = j = 0
        for r0, c0, wc, hc, p, m in meta.tolist():
            chunks.append(
                _make_chunk(
                    ids[i : i + p],
                    local[j : j + m],
                    flat[j : j + m],
                    weight[j : j + m],
                    r0,
                    c0,
                    wc,
                    hc,
                )
            )
            i, j = i + p, j + m
        return cls(key, int(n), chunks, covered, int(w), int(h))


def _make_chunk(
    ids: np.ndarray,
    local: np.ndarray,
    flat: np.ndarray,
    weight: np.ndarray,
    row0: int,
    col0: int,
    width: int,
    height: int,
) -> CoverageChunk:
    """A chunk in the types the reads use directly: ``flat`` as the platform's index type
    and ``weight`` as float64 (no conversion per date); ``local`` as narrow as it can be."""
    local_t = np.uint16 if len(ids) <= 2**16 else np.int32
    return CoverageChunk(
        ids.astype(np.int32, copy=False),
        local.astype(local_t, copy=False),
        flat.astype(np.intp, copy=False),
        weight.astype(np.float64, copy=False),
        int(row0),
        int(col0),
        int(width),
        int(height),
    )


def geometry_hash(geoms: gpd.GeoSeries) -> str:
    """SHA-1 of the geometries' WKB (order matters), e.g. to key a coverage cache."""
    h = hashlib.sha1()
    wkb = shapely.to_wkb(np.asarray(geoms.values, dtype=object), hex=False)
    for b in wkb:
        h.update(b"" if b is None else b)
        h.update(b"|")
    return h.hexdigest()


def _exactextract_classes() -> tuple[type, type, type]:
    """exactextract sources that hand over the grid and WKB geometries, and a writer that
    keeps the per-parcel arrays (nothing else).

    Coverage fractions depend on the grid only, so the raster source never reads a pixel
    (it returns zeros); pixel values are read once, by :mod:`landuse.raster.read`. Parcels
    go in as WKB instead of GeoJSON text and the results come out as the raw numpy arrays
    (no GeoJSON dicts, no DataFrame): several times faster than handing exactextract the
    file and the GeoDataFrame, with identical coverage.
    """
    from exactextract._exactextract import Feature
    from exactextract.feature import FeatureSource
    from exactextract.raster import RasterSource
    from exactextract.writer import Writer

    class GridSource(RasterSource):
        def __init__(self, grid: _Grid) -> None:
            super().__init__()
            self.grid = grid
            self._zeros = np.zeros(0, dtype=np.uint8)

        def res(self) -> tuple[float, float]:
            return self.grid.res

        def extent(self) -> tuple[float, float, float, float]:
            return self.grid.bounds

        def srs_wkt(self) -> str:
            return self.grid.crs_wkt

        def nodata_value(self) -> None:
            return None

        def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ndarray:
            if self._zeros.size < nx * ny:
                self._zeros = np.zeros(max(nx * ny, 2 * self._zeros.size), dtype=np.uint8)
            return self._zeros[: nx * ny].reshape(ny, nx)

    class Sink(Feature):
        """Receives one parcel's results from exactextract: appends them to the writer."""

        def __init__(self, out: dict[str, list[np.ndarray]]) -> None:
            Feature.__init__(self)
            self.out = out

        def set(self, name: str, value: np.ndarray) -> None:
            self.out[name].append(value)

        def get(self, name: str) -> object:
            raise KeyError(name)

        def fields(self) -> list[str]:
            return []

        def geometry(self) -> None:
            return None

        def set_geometry(self, wkb: bytes) -> None:
            pass

        def set_geometry_format(self) -> str:
            return "wkb"

    class ArrayWriter(Writer):
        def __init__(self) -> None:
            super().__init__()
            self.out: dict[str, list[np.ndarray]] = {"cell_id": [], "coverage": []}

        def write(self, feature: Feature) -> None:
            feature.copy_to(Sink(self.out))

        def features(self) -> dict[str, list[np.ndarray]]:
            return self.out

    class WKBFeature(Feature):
        def __init__(self, wkb: bytes) -> None:
            Feature.__init__(self)
            self.wkb = wkb

        def geometry(self) -> bytes:
            return self.wkb

        def get(self, name: str) -> object:
            raise KeyError(name)

        def set(self, name: str, value: object) -> None:
            pass

        def fields(self) -> list[str]:
            return []

        def set_geometry(self, wkb: bytes) -> None:
            self.wkb = wkb

        def set_geometry_format(self) -> str:
            return "wkb"

    class WKBSource(FeatureSource):
        def __init__(self, wkbs: list[bytes], crs_wkt: str) -> None:
            super().__init__()
            self.wkbs = wkbs
            self.crs_wkt = crs_wkt

        def count(self) -> int:
            return len(self.wkbs)

        def __iter__(self) -> Iterator[WKBFeature]:
            for w in self.wkbs:
                yield WKBFeature(w)

        def srs_wkt(self) -> str:
            return self.crs_wkt

    return GridSource, WKBSource, ArrayWriter


@dataclass(frozen=True)
class _Grid:
    """What a coverage worker needs to know of the raster (picklable, small)."""

    bounds: tuple[float, float, float, float]
    res: tuple[float, float]
    crs_wkt: str
    width: int
    height: int


def _cover_chunk(
    wkbs: list[bytes], idx: np.ndarray, grid: _Grid
) -> tuple[CoverageChunk, np.ndarray]:
    """Exact coverage of one spatially compact chunk of parcels (runs in a worker too).

    Returns the chunk (cells with a positive fraction) and, per parcel of ``idx``, the sum
    of its fractions.
    """
    from exactextract import exact_extract

    grid_cls, src_cls, writer_cls = _exactextract_classes()
    writer = writer_cls()
    ops = ["cell_id", "coverage"]
    exact_extract(grid_cls(grid), src_cls(wkbs, grid.crs_wkt), ops, output=writer)
    cells_l = writer.out["cell_id"]
    w_l = writer.out["coverage"]
    if len(cells_l) != len(idx) or len(w_l) != len(idx):
        raise RuntimeError(f"exactextract returned {len(cells_l)} results for {len(idx)} parcels")
    lens = np.fromiter((len(c) for c in cells_l), dtype=np.int64, count=len(cells_l))
    if lens.sum() == 0:
        e = np.zeros(0, np.int32)
        return _make_chunk(idx, e, e, np.zeros(0, np.float32), 0, 0, 0, 0), np.zeros(len(idx))
    cell = np.concatenate(cells_l)
    w = np.concatenate(w_l)
    del cells_l, w_l, writer
    local = np.repeat(np.arange(len(idx), dtype=np.int32), lens)
    covered = np.bincount(local, weights=w, minlength=len(idx))
    keep = w > 0
    if not keep.all():
        cell, w, local = cell[keep], w[keep], local[keep]
    row, col = np.divmod(cell, grid.width)
    del cell
    r0, c0 = int(row.min()), int(col.min())
    wc, hc = int(col.max()) + 1 - c0, int(row.max()) + 1 - r0
    flat = (row - r0) * wc + (col - c0)
    return _make_chunk(idx, local, flat, w, r0, c0, wc, hc), covered


def default_workers() -> int:
    """Extra processes for the coverage of large parcel sets: CPUs available minus one.

    ``LANDUSE_WORKERS`` (an integer, 0 = none) overrides it.
    """
    env = os.environ.get("LANDUSE_WORKERS", "").strip()
    if env:
        try:
            return max(0, int(env))
        except ValueError:
            pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(0, cpus - 1)


def _start_worker() -> subprocess.Popen[bytes]:
    """A coverage worker: ``python -m landuse.raster._coverworker`` with landuse importable."""
    import landuse

    root = str(Path(landuse.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "landuse.raster._coverworker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )


def _run_chunks(
    parts: list[np.ndarray], arr: np.ndarray, grid: _Grid, workers: int
) -> list[tuple[CoverageChunk, np.ndarray]]:
    """Coverage of each chunk of parcel rows, in ``workers`` extra processes plus this one.

    Work sharing: each worker is fed by a thread taking chunks from the end of the list,
    this process takes them from the start, so all finish about together whatever the
    workers' start-up time. A worker that fails to start or dies leaves its chunks to
    this process; an error inside a worker (bad geometry, ...) is raised here.
    """

    def here(idx: np.ndarray) -> tuple[CoverageChunk, np.ndarray]:
        return _cover_chunk(list(shapely.to_wkb(arr[idx])), idx, grid)

    if workers <= 0 or len(parts) < 2:
        return [here(idx) for idx in parts]
    results: list[tuple[CoverageChunk, np.ndarray] | None] = [None] * len(parts)
    todo = deque(range(len(parts)))
    lock = threading.Lock()
    errors: list[str] = []

    def feed(proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        while True:
            with lock:
                if not todo or errors:
                    return
                i = todo.pop()
            try:
                pickle.dump(
                    (list(shapely.to_wkb(arr[parts[i]])), parts[i], grid),
                    proc.stdin,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
                proc.stdin.flush()
                status, res = pickle.load(proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):  # worker gone: ours to do
                with lock:
                    todo.append(i)
                return
            if status != "ok":
                errors.append(str(res))
                return
            results[i] = res

    procs: list[subprocess.Popen[bytes]] = []
    threads: list[threading.Thread] = []
    try:
        for _ in range(workers):
            try:
                procs.append(_start_worker())
            except OSError:
                break
        for proc in procs:
            threads.append(threading.Thread(target=feed, args=(proc,), daemon=True))
            threads[-1].start()
        while True:
            with lock:
                if not todo or errors:
                    break
                i = todo.popleft()
            results[i] = here(parts[i])
        for t in threads:
            t.join()
    finally:
        for proc in procs:
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
    if errors:
        raise RuntimeError(f"coverage worker failed: {errors[0]}")
    for i in todo:  # left by a worker that died
        results[i] = here(parts[i])
    return [r for r in results if r is not None]


def compute_coverage(
    geoms: gpd.GeoSeries,
    raster: RasterInfo,
    key: str | None = None,
    workers: int | None = None,
) -> Coverage:
    """Exact coverage of ``raster``'s pixels by ``geoms`` (already in the raster's CRS).

    Parcels are handed to exactextract in spatial (Hilbert) order and in chunks, so its
    per-parcel arrays stay small and each chunk covers a compact window of the raster.
    exactextract holds the GIL, so from :data:`PARALLEL_MIN_PARCELS` parcels on the chunks
    are shared with ``workers`` extra processes (default :func:`default_workers`; 0 = none);
    the result is the same either way. Empty or missing geometries and parcels off the
    raster get no cells. No pixel is read here.
    """
    n = len(geoms)
    arr = np.asarray(geoms.values, dtype=object)
    left, bottom, right, top = raster.bounds
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    ok[ok] = shapely.intersects(arr[ok], shapely.box(left, bottom, right, top))
    rows = np.flatnonzero(ok)
    if len(rows) > 1:
        sub = gpd.GeoSeries(arr[rows], crs=geoms.crs)
        rows = rows[np.argsort(sub.hilbert_distance().to_numpy(), kind="stable")]
    grid = _Grid(
        (left, bottom, right, top),
        (abs(raster.transform.a), abs(raster.transform.e)),
        raster.crs.to_wkt(),
        raster.width,
        raster.height,
    )
    if workers is None:
        workers = default_workers() if len(rows) >= PARALLEL_MIN_PARCELS else 0
    size = _CHUNK
    if workers > 0:  # enough chunks that the last ones balance the processes
        size = min(_CHUNK, max(250, -(-len(rows) // (16 * (workers + 1)))))
    parts = [rows[s : s + size] for s in range(0, len(rows), size)]
    covered = np.zeros(n)
    chunks = []
    for chunk, cov_sum in _run_chunks(parts, arr, grid, workers):
        covered[chunk.ids] = cov_sum
        if chunk.n_cells:
            chunks.append(chunk)
    return Coverage(
        key=key or (raster.grid_key + ":" + geometry_hash(geoms)),
        n_parcels=n,
        chunks=chunks,
        covered=covered,
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
    workers : int, optional
        Extra processes for computing a coverage (see :func:`compute_coverage`).
    """

    def __init__(
        self,
        max_items: int = 4,
        directory: str | Path | None = None,
        workers: int | None = None,
    ) -> None:
        self.workers = workers
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
            try:
                cov = Coverage.load(disk)
            except (KeyError, ValueError, OSError):  # another version's or a damaged file
                cov = None
            if cov is not None and (cov.key != key or cov.n_parcels != len(geoms)):
                cov = None
        if cov is None:
            self.misses += 1
            cov = compute_coverage(geoms, raster, key, workers=self.workers)
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
