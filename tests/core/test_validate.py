"""validate(): each check finds what it should, and nothing on a clean layer."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

from landuse.cli import cli
from landuse.core.validate import CHECKS, PROBLEM_COLUMNS, repair_geometries, validate
from landuse.errors import CRSError

X0, Y0 = 39_500_000.0, 3_100_000.0


def _layer(n: int = 4, crs: str | None = "EPSG:4527", **cols: list) -> gpd.GeoDataFrame:
    geoms = [box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(n)]
    data = {"parcel_id": [f"P{i}" for i in range(n)], **cols}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=crs)


def _problems(p: pd.DataFrame, word: str) -> pd.DataFrame:
    return p[p["problem"].str.contains(word, regex=False)]


def test_clean_layer_has_no_problems() -> None:
    p = validate(_layer(registered_area_m2=[10000.0] * 4))
    assert list(p.columns) == PROBLEM_COLUMNS and p.empty


def test_synthetic_benchmark_layer_is_clean() -> None:
    from bench.synth import make_parcels

    p = validate(make_parcels(2000, seed=3))
    assert p.empty, p.head()


def test_missing_crs_and_assume_crs() -> None:
    g = _layer(crs=None)
    p = validate(g)
    assert len(_problems(p, "no coordinate reference system")) == 1
    assert validate(g, assume_crs="EPSG:4527").empty
    with pytest.raises(CRSError):
        validate(g, assume_crs="EPSG:nonsense")


def test_lat_lon_swapped() -> None:
    g = gpd.GeoDataFrame({"parcel_id": ["A", "B"]},
                         geometry=[box(116.0, 28.0, 116.001, 28.001),
                                   box(28.0, 116.0, 28.001, 116.001)], crs="EPSG:4490")
    p = validate(g)
    sw = _problems(p, "swapped")
    assert sw["parcel_id"].tolist() == ["B"]


def test_swapped_within_china_area_of_use() -> None:
    g = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(28.0, 80.0, 28.001, 80.001)],
                         crs="EPSG:4490")
    assert len(_problems(validate(g), "swapped")) == 1


def test_metres_in_geographic_crs_suggests_gk_epsg() -> None:
    g = _layer(2, crs="EPSG:4490")
    p = _problems(validate(g), "metre values in a geographic CRS")
    assert len(p) == 2 and "EPSG:4527" in p["fix"].iloc[0]


def test_wrong_gauss_kruger_zone_prefix() -> None:
    g = _layer(2)
    g = g.set_crs("EPSG:4528", allow_override=True)  # declared zone 40, data zone 39
    p = _problems(validate(g), "zone prefix 39")
    assert len(p) == 2 and "EPSG:4527" in p["fix"].iloc[0]


def test_prefix_in_central_meridian_crs_and_missing_prefix() -> None:
    g = _layer(1).set_crs("EPSG:4548", allow_override=True)  # CM 117E, no prefix expected
    assert "EPSG:4527" in _problems(validate(g), "carries zone prefix")["fix"].iloc[0]
    g2 = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(500000, Y0, 500100, Y0 + 100)],
                          crs="EPSG:4527")
    assert len(_problems(validate(g2), "without the zone prefix")) == 1


def test_degrees_in_projected_crs() -> None:
    g = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(116.0, 28.0, 116.001, 28.001)],
                         crs="EPSG:4527")
    assert len(_problems(validate(g), "degree values in a projected CRS")) == 1


def test_invalid_empty_nonpolygon_missing() -> None:
    g = _layer(5)
    g.loc[1, "geometry"] = shapely.from_wkt(
        f"POLYGON (({X0} {Y0}, {X0 + 10} {Y0 + 10}, {X0 + 10} {Y0}, {X0} {Y0 + 10}, {X0} {Y0}))")
    g.loc[2, "geometry"] = shapely.Polygon()
    g.loc[3, "geometry"] = shapely.LineString([(X0, Y0), (X0 + 1, Y0 + 1)])
    g.loc[4, "geometry"] = None
    p = validate(g)
    inv = _problems(p, "invalid geometry")
    assert inv["parcel_id"].tolist() == ["P1"] and "Self-intersection" in inv["value"].iloc[0]
    assert _problems(p, "empty geometry")["row"].tolist() == [3]
    assert _problems(p, "not a polygon")["value"].tolist() == ["LineString"]
    assert _problems(p, "no geometry")["row"].tolist() == [5]


def test_duplicate_and_missing_ids() -> None:
    g = _layer(4)
    g.loc[2, "parcel_id"] = "P0"
    g.loc[3, "parcel_id"] = None
    p = validate(g)
    assert _problems(p, "duplicate")["row"].tolist() == [1, 3]
    assert _problems(p, "parcel id missing")["row"].tolist() == [4]
    assert len(_problems(validate(g.drop(columns="parcel_id")), "no parcel id column")) == 1


def test_overlaps_pairs_and_area() -> None:
    g = _layer(3)
    g.loc[1, "geometry"] = box(X0 + 50, Y0, X0 + 150, Y0 + 100)  # overlaps P0 by 50x100
    g.loc[2, "geometry"] = box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20)  # inside P0 (and P... no)
    p = _problems(validate(g), "overlaps")
    pairs = {(a, b.split(" ")[2]) for a, b in zip(p["parcel_id"], p["problem"], strict=False)}
    assert pairs == {("P0", "P1"), ("P0", "P2")}
    areas = sorted(float(v) for v in p["value"])
    assert areas[0] == pytest.approx(100, rel=1e-3)  # 10x10 contained
    assert areas[1] == pytest.approx(5000, rel=1e-3)


def test_touching_neighbours_do_not_overlap() -> None:
    g = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"]},
                         geometry=[box(X0, Y0, X0 + 100, Y0 + 100),
                                   box(X0 + 100, Y0, X0 + 200, Y0 + 100),
                                   shapely.Polygon([(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 100),
                                                    (X0 + 150, Y0 + 150)])], crs="EPSG:4527")
    assert _problems(validate(g), "overlaps").empty


def test_unparseable_values_and_unknown_codes_in_code_built_frame() -> None:
    g = _layer(3, supply_date=["2020-01-01", "someday", None],
               land_price_wan=["1,200", "lots", None], land_use=["industrial", "moon", None],
               mortgaged=["是", "maybe", None])
    p = validate(g)
    assert set(p["field"]) >= {"supply_date", "land_price_wan", "land_use", "mortgaged"}
    assert (p["row"] == 2).sum() == 4


def test_reader_problems_flow_into_validate(tmp_path: Path) -> None:
    g = _layer(2)
    g["供地日期"] = ["2020/1/1", "2020-13-45"]
    g["土地用途"] = ["工业", "火星"]
    src = tmp_path / "a.gpkg"
    g.to_file(src, layer="parcels")
    from landuse.io import read_parcels

    p = validate(read_parcels(src))
    assert sorted(p["field"]) == ["land_use", "supply_date"]
    assert p["row"].tolist() == [2, 2] and set(p["value"]) == {"2020-13-45", "火星"}


def test_area_tolerance() -> None:
    g = _layer(3, registered_area_m2=[10000.0, 10200.0, 10050.0])
    p = _problems(validate(g), "registered area")
    assert "+2.0%" in p["problem"].iloc[0]
    assert p["parcel_id"].tolist() == ["P1"]
    assert validate(g, area_tolerance=0.03).empty
    assert _problems(validate(g, area_tolerance=0.001), "registered area")["row"].tolist() == [2, 3]


def test_contradicting_dates_are_warnings() -> None:
    d = pd.to_datetime
    g = _layer(2, supply_date=d(["2020-05-01", "2020-05-01"]),
               start_date=d(["2020-01-01", "2020-06-01"]),
               completion_date=d(["2021-01-01", "2020-03-01"]))
    p = validate(g)
    assert set(p["severity"]) == {"warning"}
    assert _problems(p, "before the land was supplied")["parcel_id"].tolist() == ["P0"]
    assert _problems(p, "completed before construction")["parcel_id"].tolist() == ["P1"]


def test_checks_are_a_list_of_small_functions() -> None:
    def check_no_name(ctx):  # type: ignore[no-untyped-def]
        return ctx.frame(np.arange(ctx.n), "holder", [None] * ctx.n, "no holder", "add it",
                         "warning")

    p = validate(_layer(2), checks=[*CHECKS, check_no_name])
    assert p["problem"].tolist() == ["no holder", "no holder"]


def test_repair_geometries_and_cli_fix(tmp_path: Path) -> None:
    g = _layer(2)
    x = X0 + 200
    g.loc[1, "geometry"] = shapely.from_wkt(
        f"POLYGON (({x} {Y0}, {x + 10} {Y0 + 10}, {x + 10} {Y0}, {x} {Y0 + 10}, {x} {Y0}))")
    fixed, pos = repair_geometries(g)
    assert pos.tolist() == [1] and fixed.geometry.is_valid.all()
    assert not g.geometry.is_valid.all()  # the input is untouched
    src = tmp_path / "bad.gpkg"
    g.to_file(src, layer="parcels")
    before = src.read_bytes()
    out = tmp_path / "repaired.gpkg"
    r = CliRunner()
    res = r.invoke(cli, ["validate", str(src), "--fix", str(out)])
    assert res.exit_code == 1 and "repaired 1" in res.output
    assert src.read_bytes() == before
    assert r.invoke(cli, ["validate", str(out)]).exit_code == 0
    res = r.invoke(cli, ["validate", str(src), "--fix", str(src)])
    assert res.exit_code == 2 and "never modified in place" in res.output


def test_cli_report_csv_and_json(tmp_path: Path) -> None:
    g = _layer(2)
    g.loc[1, "parcel_id"] = "P0"
    src = tmp_path / "a.gpkg"
    g.to_file(src, layer="parcels")
    r = CliRunner()
    csv = tmp_path / "p.csv"
    res = r.invoke(cli, ["validate", str(src), "--report", str(csv)])
    assert res.exit_code == 1
    assert "duplicate parcel id" in res.output and "2 errors" in res.output
    df = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(df.columns) == PROBLEM_COLUMNS and len(df) == 2
    js = tmp_path / "p.json"
    assert r.invoke(cli, ["validate", str(src), "--report", str(js)]).exit_code == 1
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert doc["summary"] == {"errors": 2, "warnings": 0}
    bad = r.invoke(cli, ["validate", str(src), "--report", str(tmp_path / "p.txt")])
    assert bad.exit_code == 2


def test_overlap_check_progress_bar_on_large_layers(tmp_path: Path) -> None:
    from bench.synth import make_parcels

    src = tmp_path / "big.parquet"
    make_parcels(120_000).to_parquet(src)
    res = CliRunner().invoke(cli, ["validate", str(src)])
    assert res.exit_code == 0, res.output
    assert "overlaps" in res.stderr  # tqdm on stderr
