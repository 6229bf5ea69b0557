"""Ellipsoidal areas against parcels of known area in several CRSs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Polygon, box

from landuse import M2_PER_MU, CRSError, add_areas, ellipsoidal_area_m2

GRS80 = Geod(ellps="GRS80")


def _geodesic_square(lon: float, lat: float, side: float) -> Polygon:
    """A near-square with sides of ``side`` metres, built on the ellipsoid."""
    lon1, lat1, _ = GRS80.fwd(lon, lat, 90, side)
    lon2, lat2, _ = GRS80.fwd(lon1, lat1, 0, side)
    lon3, lat3, _ = GRS80.fwd(lon, lat, 0, side)
    return Polygon([(lon, lat), (lon1, lat1), (lon2, lat2), (lon3, lat3)])


@pytest.mark.parametrize("crs", ["EPSG:4490", "EPSG:4527", "EPSG:32650", "EPSG:4547"])
def test_known_area_any_crs(crs: str) -> None:
    square = _geodesic_square(116.35, 28.0, 200.0)
    expected = abs(GRS80.geometry_area_perimeter(square)[0])
    assert expected == pytest.approx(40000.0, rel=2e-3)
    g = gpd.GeoSeries([square], crs="EPSG:4490").to_crs(crs)
    got = ellipsoidal_area_m2(g)[0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_not_planar_degrees_nor_web_mercator() -> None:
    square = _geodesic_square(116.35, 28.0, 100.0)
    g4490 = gpd.GeoSeries([square], crs="EPSG:4490")
    merc = g4490.to_crs("EPSG:3857")
    a = ellipsoidal_area_m2(merc)[0]
    assert a == pytest.approx(10000, rel=2e-3)
    # Web Mercator's planar area is ~28 % too large at 28°N: we must not return it
    assert merc.area.iloc[0] / a > 1.25


def test_gauss_kruger_box_in_mu() -> None:
    g = gpd.GeoDataFrame(geometry=[box(39500000, 3100000, 39500100, 3100150)], crs="EPSG:4527")
    out = add_areas(g)
    assert out["area_mu"].iloc[0] == pytest.approx(15000 / M2_PER_MU, rel=1e-5)
    assert out["area_ha"].iloc[0] == pytest.approx(1.5, rel=1e-5)
    assert "area_m2" not in g.columns  # input untouched


def test_missing_crs_is_an_error() -> None:
    with pytest.raises(CRSError, match="--assume-crs"):
        ellipsoidal_area_m2(gpd.GeoSeries([box(0, 0, 1, 1)]))


def test_empty_and_missing_give_nan() -> None:
    g = gpd.GeoSeries([Polygon(), None, box(116, 28, 116.001, 28.001)], crs="EPSG:4490")
    a = ellipsoidal_area_m2(g)
    assert np.isnan(a[0]) and np.isnan(a[1]) and a[2] > 0


def test_utm_agrees_with_transformer_roundtrip() -> None:
    t = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    x, y = t.transform(117.0, 31.0)
    g = gpd.GeoSeries([box(x, y, x + 300, y + 300)], crs="EPSG:32650")
    # UTM scale factor 0.9996 on the central meridian: true area is larger than planar
    assert ellipsoidal_area_m2(g)[0] == pytest.approx(90000 / 0.9996**2, rel=1e-4)
