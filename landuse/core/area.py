"""Ellipsoidal parcel areas, whatever the input CRS.

Areas are measured on the ellipsoid of the layer's own datum with :class:`pyproj.Geod`
(geodesic polygon area), after transforming the geometry to that datum's longitude and
latitude. Planar areas in degrees or in Web Mercator are never used.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from landuse.errors import CRSError
from landuse.units import M2_PER_HA, M2_PER_MU

__all__ = ["add_areas", "ellipsoidal_area_m2", "shared_areas_m2"]


@functools.lru_cache(maxsize=64)
def _transformer(src: CRS, dst: CRS) -> Transformer:
    """The transformer from ``src`` to ``dst`` (longitude first), made once per pair: a
    new one costs milliseconds, a write measures a few parcels. pyproj's transformers are
    safe to share between threads."""
    return Transformer.from_crs(src, dst, always_xy=True)


@functools.lru_cache(maxsize=1024)
def _laea(lat0: float, lon0: float, a: float, rf: float) -> CRS:
    """The Lambert azimuthal equal-area projection centred on (lon0, lat0) on the
    ellipsoid (a, 1/f)."""
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat0:.8f} +lon_0={lon0:.8f} +a={a!r} +rf={rf!r} "
        "+x_0=0 +y_0=0 +units=m +no_defs"
    )


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
    return geod, _transformer(crs, geodetic)


FAST_CELL_DEG = 1.0
"""Size (degrees of longitude and latitude) of the cells whose centres the vectorised path
projects about: each polygon is measured in the equal-area projection centred on the cell
holding the centre of its bounding box, so its area depends on the polygon alone, never on
which other polygons share the layer (a zone measured alone and inside its province give
the same bytes)."""
FAST_MAX_PARCEL_EXTENT_M = 50_000.0
"""Largest polygon extent (m) measured by the vectorised path; larger ones use Geod."""
FAST_MAX_EDGE_M = 500.0
"""Longest polygon edge (m) measured by the vectorised path; polygons with longer edges
use Geod, where the geodesic edge and the straight projected edge would differ > 1e-7."""


def ellipsoidal_area_m2(geoms: gpd.GeoSeries, method: str = "auto") -> np.ndarray:
    """Return the geodesic area in m² of each geometry of a GeoSeries.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons or multipolygons with a CRS. Empty or missing geometries give NaN.
    method : {"auto", "geod"}
        ``geod`` measures every polygon with :meth:`pyproj.Geod.geometry_area_perimeter`
        (geodesic edges; a Python loop, about 9 µs per parcel). ``auto`` (default)
        projects each polygon to a Lambert azimuthal equal-area projection on the same
        ellipsoid, centred near it, and takes the planar area there (one
        vectorised call per cell). That projection preserves area exactly; the only
        difference is that an edge is straight in the projection instead of a geodesic,
        which for parcels is below 1e-6 relative (tests/core/test_area_fast.py checks it
        against ``geod`` on synthetic and real layers). The projection is centred on the
        :data:`FAST_CELL_DEG` cell holding the polygon's bounding-box centre, so a
        polygon's area does not depend on the rest of the layer. Polygons with an edge
        longer than :data:`FAST_MAX_EDGE_M` or wider than
        :data:`FAST_MAX_PARCEL_EXTENT_M` always go through ``geod``.

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
    if method not in ("auto", "geod"):
        raise ValueError(f"method was {method!r} but is expected to be 'auto' or 'geod'")
    crs = CRS.from_user_input(geoms.crs)
    geod, transformer = _geod_and_lonlat(crs)
    arr = np.asarray(geoms.values, dtype=object)
    out = np.full(len(arr), np.nan)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if not ok.any():
        return out
    todo = ok.copy()
    if method == "auto":
        fast = _equal_area_m2(arr, ok, crs, geod)
        if fast is not None:
            done = np.isfinite(fast)
            out[done] = fast[done]
            todo = ok & ~done
    if todo.any():
        sub = arr[todo]
        if transformer is not None:
            sub = shapely.transform(
                sub, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
            )
        area = geod.geometry_area_perimeter
        out[todo] = [abs(area(g)[0]) for g in sub]
    return out


def _equal_area_m2(arr: np.ndarray, ok: np.ndarray, crs: CRS, geod: Geod) -> np.ndarray | None:
    """Planar areas in local equal-area projections on the datum's ellipsoid, one per
    :data:`FAST_CELL_DEG` cell; NaN for polygons left to Geod. None when no polygon has
    finite bounds."""
    res = np.full(len(arr), np.nan)
    idx = np.flatnonzero(ok)
    b = shapely.bounds(arr[idx])
    fin = np.isfinite(b).all(axis=1)
    if not fin.any():
        return None
    idx, b = idx[fin], b[fin]
    to_geo = _transformer(crs, crs.geodetic_crs)
    lon, lat = to_geo.transform((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    good = np.isfinite(lon) & np.isfinite(lat)
    idx, lon, lat = idx[good], lon[good], lat[good]
    cells = np.column_stack([np.floor(lon / FAST_CELL_DEG), np.floor(lat / FAST_CELL_DEG)])
    keys, which = np.unique(cells, axis=0, return_inverse=True)
    for k, (ci, cj) in enumerate(keys):
        sel = idx[which.ravel() == k]
        res[sel] = _cell_areas(arr[sel], crs, geod, (ci + 0.5) * FAST_CELL_DEG,
                               min(max((cj + 0.5) * FAST_CELL_DEG, -89.5), 89.5))
    return res


def _cell_areas(sub: np.ndarray, crs: CRS, geod: Geod, lon0: float, lat0: float) -> np.ndarray:
    """Areas of ``sub`` in the equal-area projection centred on (lon0, lat0); NaN for
    polygons too large or with too long an edge for a straight-edge measure."""
    tr = _transformer(crs, _laea(lat0, lon0, geod.a, 1 / geod.f))
    coords, gi = shapely.get_coordinates(sub, return_index=True)
    x, y = tr.transform(coords[:, 0], coords[:, 1])
    proj = shapely.set_coordinates(sub.copy(), np.column_stack([x, y]))
    pb = shapely.bounds(proj)
    small = np.isfinite(pb).all(axis=1) & (
        np.maximum(pb[:, 2] - pb[:, 0], pb[:, 3] - pb[:, 1]) <= FAST_MAX_PARCEL_EXTENT_M
    )
    # a long edge is a geodesic for Geod but a straight line here: send such polygons to
    # Geod (consecutive vertices across rings count too, which only makes this stricter)
    seg = np.hypot(np.diff(x), np.diff(y))
    same = gi[1:] == gi[:-1]
    long_edge = np.zeros(len(sub), dtype=bool)
    long_edge[gi[1:][same & ~(seg <= FAST_MAX_EDGE_M)]] = True
    small &= ~long_edge
    a = np.abs(shapely.area(proj))
    a[~small] = np.nan
    return a


def add_areas(gdf: gpd.GeoDataFrame, area_m2: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` with ``area_m2``, ``area_mu`` and ``area_ha`` added.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The polygons, with a CRS.
    area_m2 : numpy.ndarray, optional
        Their areas already measured by :func:`ellipsoidal_area_m2` (for instance by
        :func:`shared_areas_m2`, once for polygons two registers share), one per row;
        measured here when not given.

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
    if area_m2 is None:
        m2 = ellipsoidal_area_m2(gdf.geometry)
    else:
        m2 = np.asarray(area_m2, dtype="float64")
        if m2.shape != (len(gdf),):
            raise ValueError(f"area_m2 has {m2.shape} values for {len(gdf)} polygons")
    out["area_m2"] = pd.Series(m2, index=gdf.index)
    out["area_mu"] = out["area_m2"] / M2_PER_MU
    out["area_ha"] = out["area_m2"] / M2_PER_HA
    return out


def shared_areas_m2(first: gpd.GeoSeries, second: gpd.GeoSeries, first_ids: pd.Index,
                    second_ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """The areas of two layers (two dates of one register), each polygon identical in both
    measured once.

    A polygon's area depends on the polygon alone (see :func:`ellipsoidal_area_m2`), so a
    parcel whose geometry is identical (same coordinates, same order) on both dates gets
    the same bytes measured once as measured twice.

    Parameters
    ----------
    first, second : geopandas.GeoSeries
        The two layers' geometries, in one CRS.
    first_ids, second_ids : pandas.Index
        Their parcel ids, one per row (a parcel is shared when its id is in both, once in
        each, and its geometry identical).

    Returns
    -------
    tuple of numpy.ndarray
        ``(ellipsoidal_area_m2(first), ellipsoidal_area_m2(second))``.
    """
    crs1 = None if first.crs is None else CRS.from_user_input(first.crs)
    crs2 = None if second.crs is None else CRS.from_user_input(second.crs)
    if (crs1 is None or crs2 is None or crs1 != crs2 or not first_ids.is_unique
            or not second_ids.is_unique):
        return ellipsoidal_area_m2(first), ellipsoidal_area_m2(second)
    m2_second = ellipsoidal_area_m2(second)
    g1 = np.asarray(first.values, dtype=object)
    g2 = np.asarray(second.values, dtype=object)
    at = second_ids.get_indexer(first_ids)  # row of each first parcel in second, or -1
    both = np.flatnonzero(at >= 0)
    same = np.zeros(len(g1), dtype=bool)
    if len(both):
        x, y = g1[both], g2[at[both]]
        # the same object (one version read for both dates) or equal coordinates
        same[both] = np.fromiter((p is q for p, q in zip(x, y, strict=True)), dtype=bool,
                                 count=len(both))
        rest = both[~same[both]]
        if len(rest):
            p, q = g1[rest], g2[at[rest]]
            ok = ~(shapely.is_missing(p) | shapely.is_missing(q))
            same[rest[ok]] = shapely.equals_identical(p[ok], q[ok])
    m2_first = np.full(len(g1), np.nan)
    m2_first[same] = m2_second[at[same]]
    todo = ~same
    if todo.any():
        m2_first[todo] = ellipsoidal_area_m2(first[todo])
    return m2_first, m2_second
