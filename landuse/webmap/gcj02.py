"""WGS84 → GCJ-02 for display on Chinese web basemaps (AMap/Gaode, Tencent).

GCJ-02 is the obfuscated datum that Chinese online maps must use (GB 20263-2006; see
docs/domain.md §6.3). The forward formula is public: a shift computed on the Krasovsky
ellipsoid from two fixed trigonometric series in (lon − 105°, lat − 35°). This module
implements it from that description with numpy, vectorised.

Shifted coordinates are for drawing only: they are never stored and never measured.
:func:`to_gcj02_for_display` returns a copy whose ``attrs["landuse_display_only"]`` is set,
and :func:`landuse.core.area.add_areas` must never be called on it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from landuse.errors import CRSError

__all__ = ["in_china", "to_gcj02_for_display", "wgs84_to_gcj02"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared


def _dlat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pi = np.pi
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    return r


def _dlon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pi = np.pi
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return r


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where the point lies in the rough box inside which GCJ-02 applies."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 (or CGCS2000) longitudes/latitudes to GCJ-02; outside China unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(121.4737, 31.2304)
    >>> round(float(lon), 5), round(float(lat), 5)
    (121.47822, 31.22846)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x = lon - 105.0
    y = lat - 35.0
    dlat = _dlat(x, y)
    dlon = _dlon(x, y)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def to_gcj02_for_display(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy of ``gdf`` (EPSG:4326 or 4490) with geometries shifted to GCJ-02, for drawing.

    The copy keeps the CRS label of its source, since GCJ-02 has no EPSG code, and is
    marked ``attrs["landuse_display_only"] = "gcj02"``. The input is not modified.
    """
    if gdf.crs is None or gdf.crs.to_epsg() not in (4326, 4490):
        raise CRSError(
            f"GCJ-02 display shift needs longitudes/latitudes (EPSG:4326 or 4490), got "
            f"{gdf.crs}. Fix: call .to_crs(4326) first."
        )
    out = gdf.copy()

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    out["geometry"] = shapely.transform(np.asarray(gdf.geometry.values), shift)
    out.attrs = {**gdf.attrs, "landuse_display_only": "gcj02"}
    return out
