"""Open a raster and describe its grid, refusing rasters that cannot give evidence.

This is the only place that decides whether a raster file is usable: it must open (a
corrupt or truncated GeoTIFF is a :class:`~landuse.errors.DataSourceError`), carry a CRS
and a geotransform (else :class:`~landuse.errors.CRSError`), and the bands asked for must
exist. Cloud-Optimised GeoTIFFs and any GDAL path (``/vsicurl/...``) open the same way; a
COG's internal tiles are what the windowed reads of :mod:`landuse.raster.read` follow.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from rasterio.crs import CRS as RioCRS
from rasterio.errors import RasterioError

from landuse.errors import CRSError, DataSourceError, SchemaError

__all__ = ["RasterInfo", "check_bands", "open_raster", "parse_band_map"]


@dataclass(frozen=True)
class RasterInfo:
    """What landuse needs to know about a raster file (no pixel data)."""

    path: str
    crs: RioCRS
    transform: Affine
    width: int
    height: int
    count: int
    dtypes: tuple[str, ...]
    nodata: float | None
    block_shape: tuple[int, int]
    tiled: bool
    date: pd.Timestamp | None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the raster's CRS."""
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return (min(xs), min(ys), max(xs), max(ys))

    @property
    def pixel_area(self) -> float:
        """Area of one pixel in the CRS's units squared (planar)."""
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d)

    @property
    def grid_key(self) -> str:
        """A hash of the grid (transform, shape, CRS): equal keys mean the same pixels."""
        txt = "|".join(
            [
                ",".join(f"{v:.12g}" for v in tuple(self.transform)[:6]),
                f"{self.width}x{self.height}",
                self.crs.to_wkt(),
            ]
        )
        return hashlib.sha1(txt.encode()).hexdigest()

    @property
    def is_integer(self) -> bool:
        """True if the first band holds integers (a categorical raster can)."""
        return np.issubdtype(np.dtype(self.dtypes[0]), np.integer)


def _tag_date(tags: dict[str, str]) -> pd.Timestamp | None:
    """The imagery date from a metadata tag (ACQUISITIONDATE / ACQUISITION_DATE / DATE).

    TIFFTAG_DATETIME is not used: it is usually when the file was written, not when the
    image was taken.
    """
    for key in ("ACQUISITIONDATE", "ACQUISITION_DATE", "DATE"):
        if key in tags:
            txt = tags[key].strip()
            ts = pd.to_datetime(txt[:10], errors="coerce")
            if not pd.isna(ts):
                return pd.Timestamp(ts)
    return None


def open_raster(path: str | Path) -> RasterInfo:
    """Open ``path`` and return its :class:`RasterInfo`.

    Raises
    ------
    DataSourceError
        The file is missing, not a raster GDAL can read, or corrupt.
    CRSError
        The raster has no CRS or no geotransform (so its pixels have no place on Earth).

    Examples
    --------
    >>> open_raster("no/such.tif")
    Traceback (most recent call last):
    ...
    landuse.errors.DataSourceError: no/such.tif: raster file not found. Fix: check the path.
    """
    p = str(path)
    if "://" not in p and not p.startswith("/vsi") and not Path(p).exists():
        raise DataSourceError(f"{p}: raster file not found. Fix: check the path.")
    try:
        with rasterio.open(p) as src:
            crs = src.crs
            transform = src.transform
            gcps, _ = src.gcps
            info_kwargs = {
                "width": src.width,
                "height": src.height,
                "count": src.count,
                "dtypes": tuple(src.dtypes),
                "nodata": src.nodata,
                "block_shape": tuple(src.block_shapes[0]) if src.count else (1, src.width),
                "tiled": bool(src.profile.get("tiled", False)),
                "date": _tag_date(src.tags()),
            }
            # read one pixel: a header that opens but has broken data fails here, not later
            if src.count:
                src.read(1, window=((0, 1), (0, 1)))
    except RasterioError as e:
        raise DataSourceError(
            f"{p}: cannot be read as a raster ({e}). Fix: check that it is a complete "
            "GeoTIFF/COG (gdalinfo -checksum shows damaged tiles) and download it again."
        ) from e
    if info_kwargs["count"] == 0:
        raise DataSourceError(f"{p}: the raster has no bands. Fix: give a raster with data.")
    if crs is None:
        raise CRSError(
            f"{p}: the raster has no CRS, so its pixels cannot be placed under the parcels. "
            "Fix: assign the right one, e.g. 'gdal_edit.py -a_srs EPSG:32650 FILE' "
            "(栅格没有坐标系，请先指定坐标系)."
        )
    if transform == Affine.identity() and not gcps:
        raise CRSError(
            f"{p}: the raster has a CRS but no geotransform (pixel (0,0) at the origin, "
            "size 1). Fix: georeference it first (gdal_translate -a_ullr ... or gdalwarp)."
        )
    if transform.b != 0 or transform.d != 0:
        raise CRSError(
            f"{p}: the raster is rotated (geotransform {tuple(transform)[:6]}). Fix: warp it "
            "to a north-up grid with gdalwarp before using it as evidence."
        )
    return RasterInfo(path=p, crs=crs, transform=transform, **info_kwargs)


BAND_NAMES = ("blue", "green", "red", "nir", "swir1", "swir2")
"""Band names a ``--band-map`` may use."""


def parse_band_map(text: str | dict[str, int] | None) -> dict[str, int]:
    """Parse ``"red=3,nir=4"`` (or a dict) into ``{"red": 3, "nir": 4}`` (1-based bands).

    Examples
    --------
    >>> parse_band_map("swir1=1, nir=2,red=3")
    {'swir1': 1, 'nir': 2, 'red': 3}
    """
    if text is None:
        return {}
    items: list[tuple[str, object]]
    if isinstance(text, dict):
        items = [(str(k).lower(), v) for k, v in text.items()]
    else:
        items = []
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise SchemaError(
                    f"band map '{text}': '{part}' is not name=index. "
                    "Fix: write e.g. --band-map red=3,nir=4 (1-based band numbers)."
                )
            key, val = part.split("=", 1)
            items.append((key.strip().lower(), val.strip()))
    out: dict[str, int] = {}
    for k, v in items:
        if k not in BAND_NAMES:
            raise SchemaError(
                f"band map: unknown band name '{k}'. Fix: use {', '.join(BAND_NAMES)}."
            )
        try:
            idx = int(str(v))
        except (TypeError, ValueError):
            raise SchemaError(
                f"band map: band '{k}' = '{v}' is not a band number. Fix: e.g. {k}=3."
            ) from None
        if idx < 1:
            raise SchemaError(f"band map: band '{k}' = {idx}; bands are numbered from 1.")
        out[k] = idx
    return out


def check_bands(info: RasterInfo, bands: dict[str, int]) -> None:
    """Raise :class:`SchemaError` if a mapped band does not exist in the raster."""
    for name, idx in bands.items():
        if idx > info.count:
            raise SchemaError(
                f"{info.path}: band map asks for {name}=band {idx}, but the raster has only "
                f"{info.count} band(s). Fix: --band-map with bands 1..{info.count} "
                f"(波段号超出范围)."
            )
