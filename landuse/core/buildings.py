"""Building footprints per parcel: observed footprint area and coverage (建筑系数).

Pure: GeoDataFrames in, frames out. A building that straddles parcels is apportioned by the
area of its intersection with each; areas are ellipsoidal (:mod:`landuse.core.area`).
Buildings that lie on no supplied parcel are returned separately: they are the evidence
behind the ``outside_supply`` flag (construction on land that was never supplied).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.core.area import ellipsoidal_area_m2
from landuse.errors import CRSError

__all__ = ["footprint_by_parcel", "require_same_crs", "supplied_mask"]


def require_same_crs(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, what: str = "buildings") -> None:
    """Raise :class:`CRSError` unless both layers have the same CRS (nothing is reprojected)."""
    if a.crs is None or b.crs is None:
        missing = "parcels" if a.crs is None else what
        raise CRSError(
            f"The {missing} have no CRS. Fix: assign the real CRS (e.g. EPSG:4490) first."
        )
    if not a.crs.equals(b.crs):
        raise CRSError(
            f"CRS mismatch: parcels are {a.crs.to_string()}, {what} are {b.crs.to_string()}. "
            f"Fix: reproject the {what} to the parcels' CRS (e.g. ogr2ogr -t_srs "
            f"{a.crs.to_string()}) (坐标系不一致)."
        )


def supplied_mask(parcels: pd.DataFrame) -> np.ndarray:
    """True for parcels recorded as supplied (a ``supply_date``); all True without the field."""
    if "supply_date" not in parcels.columns:
        return np.ones(len(parcels), dtype=bool)
    d = pd.to_datetime(parcels["supply_date"], errors="coerce")
    return d.notna().to_numpy()


def _valid(arr: np.ndarray) -> np.ndarray:
    out = arr.copy()
    bad = ~shapely.is_valid(out) & ~shapely.is_missing(out)
    if bad.any():
        out[bad] = shapely.make_valid(out[bad])
    return out


def footprint_by_parcel(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    outside_max_share: float = 0.05,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Footprint area per parcel and the buildings that stand on no supplied parcel.

    Parameters
    ----------
    parcels, buildings : GeoDataFrame
        In the same CRS (else :class:`CRSError`).
    outside_max_share : float
        A building with at most this share of its area on supplied parcels counts as
        outside supply (tolerates digitising slivers).

    Returns
    -------
    (DataFrame, GeoDataFrame)
        Per parcel (parcels' index): ``observed_footprint_m2``, ``observed_coverage``,
        ``building_count``. Then the outside-supply buildings with ``building_area_m2``,
        ``share_on_parcels`` and ``share_on_supplied``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"parcel_id": ["a", "b"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:32650")
    >>> b = gpd.GeoDataFrame(geometry=[box(90, 10, 110, 30)], crs="EPSG:32650")
    >>> per, out = footprint_by_parcel(p, b)
    >>> [round(v) for v in per["observed_footprint_m2"]], len(out)
    ([200, 200], 0)
    """
    require_same_crs(parcels, buildings)
    pg = _valid(np.asarray(parcels.geometry.values, dtype=object))
    bg = _valid(np.asarray(buildings.geometry.values, dtype=object))
    n, m = len(pg), len(bg)
    tree = shapely.STRtree(bg)
    pi, bi = tree.query(pg, predicate="intersects")
    inter = shapely.intersection(pg[pi], bg[bi])
    a = ellipsoidal_area_m2(gpd.GeoSeries(inter, crs=parcels.crs))
    a = np.nan_to_num(a)
    fp = np.bincount(pi, weights=a, minlength=n)
    parea = ellipsoidal_area_m2(gpd.GeoSeries(pg, crs=parcels.crs))
    per = pd.DataFrame(index=parcels.index)
    per["observed_footprint_m2"] = fp
    with np.errstate(invalid="ignore", divide="ignore"):
        per["observed_coverage"] = np.where(parea > 0, fp / parea, np.nan)
    per["building_count"] = np.bincount(pi[a > 0], minlength=n)
    barea = np.nan_to_num(ellipsoidal_area_m2(gpd.GeoSeries(bg, crs=buildings.crs)))
    supplied = supplied_mask(parcels)
    on_any = np.bincount(bi, weights=a, minlength=m)
    on_sup = np.bincount(bi, weights=np.where(supplied[pi], a, 0.0), minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_any = np.where(barea > 0, on_any / barea, 0.0)
        share_sup = np.where(barea > 0, on_sup / barea, 0.0)
    outside = (share_sup <= outside_max_share) & (barea > 0)
    out = buildings.loc[outside].copy()
    out["building_area_m2"] = barea[outside]
    out["share_on_parcels"] = share_any[outside]
    out["share_on_supplied"] = share_sup[outside]
    return per, out
