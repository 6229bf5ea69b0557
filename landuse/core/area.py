"""Ellipsoidal parcel areas, whatever the input CRS.

Areas are measured on the ellipsoid of the layer's own datum with :class:`pyproj.Geod`
(geodesic polygon area), after transforming the geometry to that datum's longitude and
latitude. Planar areas in degrees or in Web Mercator are never used.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from landuse.errors import CRSError
from landuse.units import M2_PER_HA, M2_PER_MU

__all__ = ["add_areas", "ellipsoidal_area_m2"]


def _geod_and_lonlat(crs: CRS) -> tuple[Geod, Transformer | None]:
    geodetic = crs.geodetic_crs
    if geodetic is None:  # pragma: no cover - engineering CRSs have none
        raise CRSError(
            f"CRS {crs.to_string()} has no geodetic datum; ellipsoidal areas cannot "
            "be computed. Assign the parcels' real CRS with --assume-crs EPSG:xxxx."
        )
    geod = geodetic.get_geod()
    if geod is None:  # pragma: no cover
        raise CRSError(f"CRS {crs.to_string()} has no ellipsoid.")
    if crs.is_geographic and crs.equals(geodetic, ignore_axis_order=True):
        return geod, None
    return geod, Transformer.from_crs(crs, geodetic, always_xy=True)


def ellipsoidal_area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    """Return the geodesic area in m² of each geometry of a GeoSeries.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons or multipolygons with a CRS. Empty or missing geometries give NaN.

    Returns
    -------
    numpy.ndarray
        Areas in m² on the ellipsoid of the CRS's datum (GRS 1980 for CGCS2000).

    Raises
    ------
    CRSError
        If the series has no CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> s = gpd.GeoSeries([box(39500000, 3100000, 39500100, 3100100)], crs="EPSG:4527")
    >>> round(float(ellipsoidal_area_m2(s)[0]))  # a 100 m square near the central meridian
    10000
    """
    if geoms.crs is None:
        raise CRSError(
            "The parcels have no CRS, so their areas cannot be measured. "
            "Give the CRS with --assume-crs EPSG:xxxx (e.g. EPSG:4490 or EPSG:4527)."
        )
    geod, transformer = _geod_and_lonlat(CRS.from_user_input(geoms.crs))
    arr = np.asarray(geoms.values, dtype=object)
    if transformer is not None:
        arr = shapely.transform(
            arr, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
        )
    out = np.full(len(arr), np.nan)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    area = geod.geometry_area_perimeter
    out[ok] = [abs(area(g)[0]) for g in arr[ok]]
    return out


def add_areas(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` with ``area_m2``, ``area_mu`` and ``area_ha`` added.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(39500000, 3100000, 39500100, 3100100)],
    ...                      crs="EPSG:4527")
    >>> round(float(add_areas(g)["area_mu"].iloc[0]), 2)
    15.0
    """
    out = gdf.copy()
    m2 = ellipsoidal_area_m2(gdf.geometry)
    out["area_m2"] = pd.Series(m2, index=gdf.index)
    out["area_mu"] = out["area_m2"] / M2_PER_MU
    out["area_ha"] = out["area_m2"] / M2_PER_HA
    return out
