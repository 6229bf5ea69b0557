"""``landuse load``: an area mismatch is a warning it reports and loads; unusable data refuses.

Two 100 m squares (10 000 m² measured each, EPSG:4527). P1 is registered as 10 400 m²:
+4 %, beyond the 1 % tolerance of validation. P2 of the bad register is a bow-tie polygon
(self-intersecting): an invalid geometry, an error that refuses the load.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import Polygon, box

from landuse.cli import cli
from landuse.store import open_store

X0, Y0 = 39500000, 3100000


def _register(tmp_path: Path, second: Polygon, name: str) -> Path:
    g = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], "registered_area_m2": [10400.0, 10000.0],
         "supply_date": ["2020-01-01", "2020-01-01"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), second],
        crs="EPSG:4527",
    )
    p = tmp_path / f"{name}.gpkg"
    g.to_file(p, layer="parcels", engine="pyogrio")
    return p


def test_a_four_percent_area_mismatch_loads_with_a_warning(tmp_path: Path) -> None:
    reg = _register(tmp_path, box(X0 + 200, Y0, X0 + 300, Y0 + 100), "reg")
    store = tmp_path / "park.gpkg"
    res = CliRunner().invoke(cli, ["load", str(reg), "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert "0 errors, 1 warnings" in res.output
    assert "警告 warning: P1 registered_area_m2" in res.output and "+4.0%" in res.output
    with open_store(store) as s:
        assert s.count("parcels") == 2


def test_unusable_data_still_refuses(tmp_path: Path) -> None:
    bow_tie = Polygon([(X0 + 200, Y0), (X0 + 300, Y0 + 100), (X0 + 300, Y0), (X0 + 200, Y0 + 100)])
    reg = _register(tmp_path, bow_tie, "bad")
    store = tmp_path / "park.gpkg"
    res = CliRunner().invoke(cli, ["load", str(reg), "--store", str(store)])
    assert res.exit_code == 2
    assert "validation errors" in res.output and "P2" in res.output
    assert not store.exists()


@pytest.mark.parametrize(("unit", "warned"), [("亩", False), ("mu", False), ("m2", True)])
def test_load_takes_the_unit_option(tmp_path: Path, unit: str, warned: bool) -> None:
    """用地面积 15 on a 10 000 m² square: as 亩 it is 10 000 m² (no mismatch); stated as m²
    it is 15 m², a -99.85 % mismatch that load reports and still loads."""
    g = gpd.GeoDataFrame({"宗地号": ["P1"], "用地面积": [15.0]},
                         geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs="EPSG:4527")
    reg = tmp_path / "mu.gpkg"
    g.to_file(reg, layer="parcels", engine="pyogrio")
    store = tmp_path / "park.gpkg"
    res = CliRunner().invoke(
        cli, ["load", str(reg), "--store", str(store), "--unit", f"registered_area_m2={unit}"]
    )
    assert res.exit_code == 0, res.output
    assert ("警告 warning: P1 registered_area_m2" in res.output) is warned
    with open_store(store) as s:
        assert s.count("parcels") == 1
