"""Two dates of one register: an outline identical on both is measured once, and both
layers' areas are the bytes each layer measured alone gives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

import landuse.core.area as area
from landuse.core.area import ellipsoidal_area_m2, shared_areas_m2


def _layers() -> tuple[gpd.GeoSeries, gpd.GeoSeries, pd.Index, pd.Index]:
    x0, y0 = 39_500_000.0, 3_100_000.0
    same = box(x0, y0, x0 + 100, y0 + 100)  # one object on both dates
    copy1 = box(x0 + 200, y0, x0 + 330, y0 + 70)  # equal coordinates, two objects
    copy2 = shapely.from_wkb(shapely.to_wkb(copy1))
    moved1 = box(x0 + 400, y0, x0 + 500, y0 + 100)  # the outline changed
    moved2 = box(x0 + 400, y0, x0 + 450, y0 + 100)
    reordered2 = shapely.Polygon([(x0 + 100, y0 + 200), (x0, y0 + 200), (x0, y0 + 300),
                                  (x0 + 100, y0 + 300)])  # same ring, other start vertex
    reordered1 = shapely.Polygon([(x0, y0 + 200), (x0, y0 + 300), (x0 + 100, y0 + 300),
                                  (x0 + 100, y0 + 200)])
    retired = box(x0 + 600, y0, x0 + 700, y0 + 100)
    added = box(x0 + 800, y0, x0 + 850, y0 + 50)
    first = gpd.GeoSeries([same, copy1, moved1, reordered1, retired, None], crs="EPSG:4527")
    second = gpd.GeoSeries([added, reordered2, None, moved2, copy2, same], crs="EPSG:4527")
    ids1 = pd.Index(["A", "B", "C", "D", "E", "F"], dtype=object)
    ids2 = pd.Index(["G", "D", "F", "C", "B", "A"], dtype=object)
    return first, second, ids1, ids2


def test_shared_areas_are_the_bytes_of_each_layer_measured_alone() -> None:
    first, second, ids1, ids2 = _layers()
    m1, m2 = shared_areas_m2(first, second, ids1, ids2)
    alone1, alone2 = ellipsoidal_area_m2(first), ellipsoidal_area_m2(second)
    assert m1.tobytes() == alone1.tobytes()
    assert m2.tobytes() == alone2.tobytes()
    # by hand: 100 m x 100 m, 130 m x 70 m, 50 m x 100 m near the central meridian
    assert m2[5] == pytest.approx(10_000, rel=1e-3)
    assert m1[1] == pytest.approx(9_100, rel=1e-3)
    assert m2[3] == pytest.approx(5_000, rel=1e-3)
    assert np.isnan(m1[5]) and np.isnan(m2[2])


def test_identical_outlines_are_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, ids1, ids2 = _layers()
    measured: list[int] = []
    real = area.ellipsoidal_area_m2

    def counting(geoms: gpd.GeoSeries, method: str = "auto") -> np.ndarray:
        measured.append(len(geoms))
        return real(geoms, method)

    monkeypatch.setattr(area, "ellipsoidal_area_m2", counting)
    shared_areas_m2(first, second, ids1, ids2)
    # the second layer whole (6), then of the first only what is not identical there:
    # C (moved), D (other vertex order), E (retired) -> 3; A (one object), B (equal
    # coordinates) and F (no outline on either date) are not measured again
    assert measured == [6, 3]


def test_nothing_shared_across_crs_or_duplicate_ids() -> None:
    first, second, ids1, ids2 = _layers()
    other = second.to_crs("EPSG:4490")
    m1, m2 = shared_areas_m2(first, other, ids1, ids2)
    assert m1.tobytes() == ellipsoidal_area_m2(first).tobytes()
    assert m2.tobytes() == ellipsoidal_area_m2(other).tobytes()
    dup = pd.Index(["A", "A", "C", "D", "E", "F"], dtype=object)
    m1, m2 = shared_areas_m2(first, second, dup, ids2)
    assert m1.tobytes() == ellipsoidal_area_m2(first).tobytes()
