"""Sub-park outlines stay bounded in size whatever the parcels' spacing (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from landuse.webmap import make_map, write_map
from landuse.webmap.build import ZONE_VERTICES_MAX, _zones
from tests.builders import fake_assess, synthetic_parcels


def _spread(n: int, gap_m: float) -> gpd.GeoDataFrame:
    g = synthetic_parcels(n, size_m=60.0, gap_m=gap_m)
    g["area_mu"] = 5.4
    return g


def _vertices(fc: dict) -> int:
    return sum(shapely.get_num_coordinates(shapely.geometry.shape(f["geometry"]))
               for f in fc["features"])


@pytest.mark.parametrize("gap_m", [20.0, 100.0, 400.0])
def test_outlines_bounded_whatever_the_spacing(gap_m: float) -> None:
    g = _spread(20000, gap_m)
    fc = _zones(g, g)
    assert [f["properties"]["name"] for f in fc["features"]] == ["片区1", "片区2", "片区3"]
    assert _vertices(fc) <= ZONE_VERTICES_MAX
    assert len(json.dumps(fc)) < 600_000
    # each outline still covers its zone: nearly every parcel centre lies inside it
    for f in fc["features"]:
        shape = shapely.geometry.shape(f["geometry"]).buffer(1e-4)
        pts = shapely.centroid(g[g["zone"] == f["properties"]["name"]].geometry.to_numpy())
        assert np.mean(shapely.contains(shape, pts)) > 0.95, gap_m


def test_adjacent_parcels_keep_the_exact_outline() -> None:
    """Parcels 20 m apart (roads): one polygon per zone, the union closed over the roads,
    its area that of the zone's block (not a grid's)."""
    g = _spread(900, 20.0)
    fc = _zones(g, g)
    for f in fc["features"]:
        shape = shapely.geometry.shape(f["geometry"])
        assert shape.geom_type == "Polygon"
        members = g[g["zone"] == f["properties"]["name"]]
        # the block's bounding box, in degrees: the outline fills it (roads closed)
        minx, miny, maxx, maxy = members.total_bounds
        assert shape.area == pytest.approx((maxx - minx) * (maxy - miny), rel=0.02)


@pytest.mark.slow
def test_50k_spread_out_page_under_5_mb(tmp_path: Path) -> None:
    parcels = fake_assess(synthetic_parcels(50000, size_m=60.0, gap_m=100.0))
    out = tmp_path / "m.html"
    write_map(make_map(parcels), out)
    assert out.stat().st_size < 5_000_000
