"""OGC API – Features Part 2: the CRSs we serve, their URIs and axis order.

Storage is CGCS2000 longitude/latitude (EPSG:4490 with x = lon). Output and ``bbox-crs``
follow each CRS's own axis order: CRS84 is lon/lat, EPSG:4490 is lat/lon, the CGCS2000
Gauss-Krüger zones (EPSG:4491–4554) are northing/easting.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from landuse.errors import CRSError

__all__ = ["CRS84", "SUPPORTED", "crs_uri", "parse_crs", "to_output", "to_storage_bbox"]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
SUPPORTED: list[str] = [CRS84] + [
    f"http://www.opengis.net/def/crs/EPSG/0/{code}" for code in [4490, *range(4491, 4555)]
]


def crs_uri(code: int | None) -> str:
    """URI of an EPSG code (None -> CRS84)."""
    return CRS84 if code is None else f"http://www.opengis.net/def/crs/EPSG/0/{code}"


def parse_crs(value: str | None, param: str = "crs") -> int | None:
    """EPSG code of a CRS URI or ``EPSG:n`` (None for CRS84); CRSError names the param."""
    if value is None or value.strip() in ("", CRS84, "OGC:CRS84", "CRS84", "[OGC:CRS84]"):
        return None
    v = value.strip().strip("[]")
    code: int | None = None
    for prefix in ("http://www.opengis.net/def/crs/EPSG/0/", "https://www.opengis.net/def/crs/EPSG/0/",
                   "EPSG:", "epsg:"):
        if v.startswith(prefix) and v[len(prefix):].isdigit():
            code = int(v[len(prefix):])
    if code is None or (code != 4490 and not 4491 <= code <= 4554):
        raise CRSError(
            f"{param}: '{value[:80]}' is not served. Fix: use CRS84, EPSG:4490 or a CGCS2000 "
            "Gauss-Krüger zone EPSG:4491–4554 (as http://www.opengis.net/def/crs/EPSG/0/N)."
        )
    return code


@cache
def _north_first(code: int) -> bool:
    axis = CRS.from_epsg(code).axis_info
    return bool(axis) and axis[0].direction.lower() in ("north", "south")


@cache
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_output(
    geoms: list[BaseGeometry | None], code: int | None, ogc_axis_order: bool = True
) -> list[BaseGeometry | None]:
    """Storage geometries in the output CRS, in that CRS's axis order.

    ``ogc_axis_order=False`` keeps easting/longitude first, as file formats (GeoPackage)
    store coordinates whatever the CRS declares.
    """
    if code is None:
        return geoms
    arr = np.array(geoms, dtype=object)
    tr = _transformer(4490, code) if code != 4490 else None
    swap = ogc_axis_order and _north_first(code)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        if tr is not None:
            x, y = tr.transform(x, y)
        return np.column_stack([y, x] if swap else [x, y])

    return list(shapely.transform(arr, fn))


def to_storage_bbox(
    bbox: tuple[float, ...], code: int | None
) -> tuple[float, float, float, float]:
    """A bbox given in ``code``'s axis order -> storage lon/lat bounds."""
    if len(bbox) != 4:
        raise CRSError("bbox: needs 4 numbers (6 with heights are not served).")
    a0, a1, b0, b1 = bbox
    if code is None:
        minx, miny, maxx, maxy = a0, a1, b0, b1
    else:
        if _north_first(code):
            a0, a1, b0, b1 = a1, a0, b1, b0
        if code == 4490:
            minx, miny, maxx, maxy = a0, a1, b0, b1
        else:
            minx, miny, maxx, maxy = _transformer(code, 4490).transform_bounds(
                a0, a1, b0, b1, densify_pts=21)
    if not all(np.isfinite([minx, miny, maxx, maxy])):
        raise CRSError("bbox: cannot be transformed to longitude/latitude. Fix: check bbox-crs.")
    if minx > maxx or miny > maxy:
        raise CRSError("bbox: minimum is larger than maximum. Fix: give min x, min y, max x, "
                       "max y in the axis order of bbox-crs.")
    return float(minx), float(miny), float(maxx), float(maxy)


def storage_geometry(geom: BaseGeometry, code: int | None) -> BaseGeometry:
    """A geometry given in ``code`` (its axis order) -> storage lon/lat."""
    if code is None:
        return geom
    swap = _north_first(code)
    tr = _transformer(code, 4490) if code != 4490 else None

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = (xy[:, 1], xy[:, 0]) if swap else (xy[:, 0], xy[:, 1])
        if tr is not None:
            x, y = tr.transform(x, y)
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)
