"""Read the pixels under a :class:`~landuse.raster.coverage.Coverage`, window by window.

The raster is never loaded whole and never resampled: its rows are walked in strips a few
blocks high (a COG's or tiled GeoTIFF's internal tiles), each strip cut to the columns the
parcels touch; the covered pixels are picked out with their validity (the band's nodata
value, NaN, or GDAL's per-dataset/alpha mask), i.e. a masked array reduced to the cells
that matter. Memory is one strip plus the coverage arrays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.enums import MaskFlags
from rasterio.errors import RasterioError
from rasterio.windows import Window

from landuse.errors import DataSourceError
from landuse.raster.coverage import ROW_GROUP, Coverage
from landuse.raster.source import RasterInfo

__all__ = ["CellBlock", "iter_cells"]

MAX_STRIP_PIXELS = 16_000_000
"""Upper bound (band-pixels) of one strip read, unless a single block row is larger."""


@dataclass
class CellBlock:
    """Covered cells of one strip: parcel row, coverage fraction, values and validity.

    ``values`` and ``valid`` have one row per band asked for.
    """

    pidx: np.ndarray
    weight: np.ndarray
    values: np.ndarray
    valid: np.ndarray


def iter_cells(
    raster: RasterInfo,
    cov: Coverage,
    bands: Sequence[int],
    max_strip_pixels: int = MAX_STRIP_PIXELS,
) -> Iterator[CellBlock]:
    """Yield the covered cells of ``raster`` strip by strip, with the values of ``bands``.

    Raises
    ------
    DataSourceError
        A block cannot be decoded (corrupt file): the message names the file and window.
    """
    if cov.width != raster.width or cov.height != raster.height:
        raise ValueError("coverage was computed on another grid")
    k = len(bands)
    unit = max(ROW_GROUP, raster.block_shape[0])
    unit = -(-unit // ROW_GROUP) * ROW_GROUP  # a multiple of the row grouping
    step = max(unit, (max_strip_pixels // max(1, raster.width * k)) // unit * unit)
    nodata = raster.nodata
    try:
        with (
            rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"),
            rasterio.open(raster.path) as src,
        ):
            per_dataset_mask = nodata is None and any(
                MaskFlags.per_dataset in f or MaskFlags.alpha in f for f in src.mask_flag_enums
            )
            for j in range(len(cov.offsets) - 1):
                ca, cb = int(cov.offsets[j]), int(cov.offsets[j + 1])
                if ca == cb:
                    continue
                top = int(cov.row[ca]) // unit * unit
                bottom = (int(cov.row[cb - 1]) // ROW_GROUP + 1) * ROW_GROUP
                starts = np.arange(top, bottom + step, step)
                bounds = cov.chunk_bounds(j, starts)
                for i, r0 in enumerate(starts[:-1]):
                    a, b = int(bounds[i]), int(bounds[i + 1])
                    if a == b:
                        continue
                    h = int(min(step, raster.height - r0))
                    rr = cov.row[a:b]
                    cc = cov.col[a:b]
                    c0, c1 = int(cc.min()), int(cc.max()) + 1
                    win = Window(c0, int(r0), c1 - c0, h)
                    try:
                        data = src.read(list(bands), window=win)
                        masks = (
                            src.read_masks(list(bands), window=win) if per_dataset_mask else None
                        )
                    except RasterioError as e:
                        raise DataSourceError(
                            f"{raster.path}: pixels in rows {r0}-{r0 + h}, columns {c0}-{c1} "
                            f"cannot be decoded ({e}). Fix: the file is damaged; download or "
                            "export it again (gdalinfo -checksum finds the bad tiles)."
                        ) from e
                    flat = (rr.astype(np.int64) - int(r0)) * (c1 - c0) + (cc - c0)
                    vals = data.reshape(k, -1)[:, flat]
                    if masks is not None:
                        valid = masks.reshape(k, -1)[:, flat] > 0
                    elif nodata is not None and not np.isnan(nodata):
                        valid = vals != np.asarray(nodata).astype(vals.dtype)
                    else:
                        valid = np.ones(vals.shape, dtype=bool)
                    if vals.dtype.kind == "f":
                        valid &= np.isfinite(vals)
                    yield CellBlock(cov.pidx[a:b], cov.weight[a:b], vals, valid)
    except RasterioError as e:
        raise DataSourceError(f"{raster.path}: cannot be read ({e}).") from e
