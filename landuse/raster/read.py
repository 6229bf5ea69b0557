"""Read the pixels under a :class:`~landuse.raster.coverage.Coverage`, window by window.

The raster is never loaded whole and never resampled: its rows are walked in strips a few
blocks high (a COG's or tiled GeoTIFF's internal tiles), each strip cut to the columns the
parcels touch, read as a masked array (nodata and GDAL masks respected) and the covered
pixels picked out. Memory is one strip plus the coverage arrays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from landuse.errors import DataSourceError
from landuse.raster.coverage import Coverage
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
    if cov.width != raster.width:
        raise ValueError("coverage was computed on another grid")
    k = len(bands)
    block_h = max(1, raster.block_shape[0])
    step = max(block_h, (max_strip_pixels // max(1, raster.width * k)) // block_h * block_h)
    rows = cov.cell // raster.width
    starts = np.arange(0, raster.height + step, step)
    bounds = np.searchsorted(rows, starts)
    try:
        with rasterio.open(raster.path) as src:
            for i, r0 in enumerate(starts[:-1]):
                a, b = int(bounds[i]), int(bounds[i + 1])
                if a == b:
                    continue
                h = int(min(step, raster.height - r0))
                rr = rows[a:b] - r0
                cc = cov.cell[a:b] - rows[a:b] * raster.width
                c0, c1 = int(cc.min()), int(cc.max()) + 1
                win = Window(c0, int(r0), c1 - c0, h)
                try:
                    data = src.read(list(bands), window=win, masked=True)
                except RasterioError as e:
                    raise DataSourceError(
                        f"{raster.path}: pixels in rows {r0}-{r0 + h}, columns {c0}-{c1} "
                        f"cannot be decoded ({e}). Fix: the file is damaged; download or "
                        "export it again (gdalinfo -checksum finds the bad tiles)."
                    ) from e
                flat = rr * (c1 - c0) + (cc - c0)
                vals = data.data.reshape(k, -1)[:, flat]
                valid = ~np.ma.getmaskarray(data).reshape(k, -1)[:, flat]
                yield CellBlock(cov.pidx[a:b], cov.weight[a:b], vals, valid)
    except RasterioError as e:
        raise DataSourceError(f"{raster.path}: cannot be read ({e}).") from e
