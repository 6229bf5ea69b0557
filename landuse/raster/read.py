"""Read the pixels under a :class:`~landuse.raster.coverage.Coverage`, window by window.

The raster is never loaded whole and never resampled: each chunk of parcels (a compact
area, see :mod:`landuse.raster.coverage`) is read as one window, or in strips a few blocks
high (a COG's or tiled GeoTIFF's internal tiles) when its window is large; the covered
pixels are picked out with their validity (the band's nodata value, NaN, or GDAL's
per-dataset/alpha mask), i.e. a masked array reduced to the cells that matter. Memory is one
window plus the coverage arrays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.enums import MaskFlags
from rasterio.errors import RasterioError
from rasterio.windows import Window

from landuse.errors import DataSourceError
from landuse.raster.coverage import Coverage, CoverageChunk
from landuse.raster.source import RasterInfo

__all__ = ["CellBlock", "iter_cells"]

MAX_STRIP_PIXELS = 32_000_000
"""Upper bound (band-pixels) of one strip read, unless a single block row is larger."""


@dataclass
class CellBlock:
    """Covered cells of one window: parcel, coverage fraction, values and validity.

    ``values`` and ``valid`` have one row per band asked for. Parcels are given as
    ``local`` indices into ``ids`` (the parcel rows of the chunk), which keeps per-block
    sums small; :attr:`pidx` gives the parcel rows themselves.
    """

    ids: np.ndarray
    local: np.ndarray
    weight: np.ndarray
    values: np.ndarray
    valid: np.ndarray

    @property
    def pidx(self) -> np.ndarray:
        """Parcel row of each cell."""
        return self.ids[self.local]


def iter_cells(
    raster: RasterInfo,
    cov: Coverage,
    bands: Sequence[int],
    max_strip_pixels: int = MAX_STRIP_PIXELS,
) -> Iterator[CellBlock]:
    """Yield the covered cells of ``raster`` chunk by chunk, with the values of ``bands``.

    Each chunk of parcels is read as one window (its cells' bounding box), or in strips
    of whole blocks when that window holds more than ``max_strip_pixels`` band-pixels.

    Raises
    ------
    DataSourceError
        A block cannot be decoded (corrupt file): the message names the file and window.
    """
    if cov.width != raster.width or cov.height != raster.height:
        raise ValueError("coverage was computed on another grid")
    k = len(bands)
    unit = max(1, raster.block_shape[0])
    nodata = raster.nodata
    band_list = list(bands)
    windows: list[tuple[CoverageChunk, int, int, np.ndarray | None]] = []
    for ch in cov.chunks:
        if ch.n_cells == 0:
            continue
        step = max(unit, (max_strip_pixels // max(1, ch.width * k)) // unit * unit)
        if ch.height <= step and ch.row0 // step == (ch.row0 + ch.height - 1) // step:
            windows.append((ch, ch.row0, ch.row0 + ch.height, None))  # one read: the usual
            continue
        for r0, r1, part in ch.strips(step):
            windows.append((ch, r0, r1, part))
    try:
        with (
            rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"),
            rasterio.open(raster.path) as src,
            ThreadPoolExecutor(max_workers=1) as reader,
        ):
            per_dataset_mask = nodata is None and any(
                MaskFlags.per_dataset in f or MaskFlags.alpha in f for f in src.mask_flag_enums
            )

            def read(i: int) -> tuple[np.ndarray, np.ndarray | None]:
                ch, r0, r1, _ = windows[i]
                win = Window(ch.col0, r0, ch.width, r1 - r0)
                try:
                    data = src.read(band_list, window=win)
                    masks = src.read_masks(band_list, window=win) if per_dataset_mask else None
                except RasterioError as e:
                    raise DataSourceError(
                        f"{raster.path}: pixels in rows {r0}-{r1}, columns {ch.col0}-"
                        f"{ch.col0 + ch.width} cannot be decoded ({e}). Fix: the file is "
                        "damaged; download or export it again (gdalinfo -checksum finds "
                        "the bad tiles)."
                    ) from e
                return data, masks

            # the next window is read (GIL released) while this one is summarised
            pending = reader.submit(read, 0) if windows else None
            for i, (ch, r0, _, sel) in enumerate(windows):
                assert pending is not None
                data, masks = pending.result()
                pending = reader.submit(read, i + 1) if i + 1 < len(windows) else None
                flat = ch.flat if sel is None else ch.flat[sel]
                if r0 > ch.row0:
                    flat = flat - (r0 - ch.row0) * ch.width
                vals = np.take(data.reshape(k, -1), flat, axis=1)
                if masks is not None:
                    valid = np.take(masks.reshape(k, -1), flat, axis=1) > 0
                elif nodata is not None and not np.isnan(nodata):
                    valid = vals != np.asarray(nodata).astype(vals.dtype)
                else:
                    valid = np.ones(vals.shape, dtype=bool)
                if vals.dtype.kind == "f":
                    valid &= np.isfinite(vals)
                local = ch.local if sel is None else ch.local[sel]
                weight = ch.weight if sel is None else ch.weight[sel]
                yield CellBlock(ch.ids, local, weight, vals, valid)
    except RasterioError as e:
        raise DataSourceError(f"{raster.path}: cannot be read ({e}).") from e
