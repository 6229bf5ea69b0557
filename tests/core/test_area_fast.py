"""The vectorised area path agrees with per-polygon Geod to 1e-6 relative."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from landuse.core.area import ellipsoidal_area_m2


def _rel(g: gpd.GeoSeries) -> float:
    """Largest relative difference fast vs Geod over polygons of 1000 m² or more; below
    that, Geod's own rounding floor (~1e-4 m² absolute: its area is a difference of
    Earth-sized terms) dominates, so small polygons are held to 1e-3 m² absolute."""
    fast = ellipsoidal_area_m2(g)
    ref = ellipsoidal_area_m2(g, method="geod")
    assert np.array_equal(np.isfinite(fast), np.isfinite(ref))
    ok = np.isfinite(ref) & (ref > 0)
    small = ok & (ref < 1000)
    assert np.all(np.abs(fast[small] - ref[small]) < 1e-3)
    big = ok & ~small
    return float(np.max(np.abs(fast[big] - ref[big]) / ref[big]))


def test_synthetic_gauss_kruger() -> None:
    from bench.synth import make_parcels

    assert _rel(make_parcels(20_000, seed=1).geometry) < 1e-6


@pytest.mark.parametrize("crs", ["EPSG:4490", "EPSG:32650"])
def test_random_irregular_polygons(crs: str) -> None:
    rng = np.random.default_rng(0)
    if crs == "EPSG:4490":
        cx, cy, scale = rng.uniform(115, 118, 500), rng.uniform(27, 30, 500), 0.003
    else:
        cx, cy, scale = rng.uniform(2e5, 8e5, 500), rng.uniform(3.0e6, 3.4e6, 500), 300.0
    polys = []
    for x, y in zip(cx, cy, strict=False):
        ang = np.sort(rng.uniform(0, 2 * np.pi, 12))
        r = rng.uniform(0.3, 1.0, 12) * scale
        polys.append(shapely.Polygon(np.column_stack([x + r * np.cos(ang), y + r * np.sin(ang)])))
    assert _rel(gpd.GeoSeries(polys, crs=crs)) < 1e-6


def test_real_layers(shared_data: Path) -> None:
    for rel in ("hangzhou-osm-landuse/hangzhou_osm_landuse.gpkg",
                "cambridge-landcover/RECREATION_OpenSpace.topojson"):
        g = gpd.read_file(shared_data / rel).geometry
        g = g.set_crs("EPSG:4326", allow_override=True) if g.crs is None else g
        g = g[g.is_valid]
        assert _rel(g) < 1e-6, rel


def test_missing_and_empty_give_nan() -> None:
    g = gpd.GeoSeries([None, shapely.Polygon(), shapely.box(5e5, 3e6, 5e5 + 1, 3e6 + 1)],
                      crs="EPSG:32650")
    a = ellipsoidal_area_m2(g)
    assert np.isnan(a[:2]).all() and a[2] == pytest.approx(1.0, rel=1e-3)


def test_area_does_not_depend_on_the_rest_of_the_layer() -> None:
    """A parcel measured alone, in its zone, or in a province spanning several degrees
    gets the same bytes: the projection is chosen from the parcel, not the layer."""
    from bench.synth import make_parcels

    zone = make_parcels(500, seed=3)
    far = zone.geometry.translate(xoff=300_000.0, yoff=-250_000.0)
    province = gpd.GeoSeries(list(zone.geometry) + list(far), crs=zone.crs)
    alone = np.array([ellipsoidal_area_m2(zone.geometry.iloc[[i]])[0] for i in range(20)])
    in_zone = ellipsoidal_area_m2(zone.geometry)
    in_province = ellipsoidal_area_m2(province)
    assert np.array_equal(in_zone[:20], alone)
    assert np.array_equal(in_province[: len(zone)], in_zone)
    assert np.all(np.isfinite(in_province))


def test_transformers_are_made_once_and_areas_unchanged() -> None:
    """A write measures a few parcels: the projections and transformers are made once
    per CRS and cell, and the bytes are those of a first measure."""
    from shapely.geometry import box

    from landuse.core import area

    s = gpd.GeoSeries([box(39500000, 3100000, 39500100, 3100100)], crs="EPSG:4527")
    first = ellipsoidal_area_m2(s).tobytes()
    made = area._transformer.cache_info().misses
    again = gpd.GeoSeries(list(s), crs="EPSG:4527")  # another CRS object, the same CRS
    assert ellipsoidal_area_m2(again).tobytes() == first
    assert area._transformer.cache_info().misses == made
