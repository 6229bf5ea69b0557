"""Bad input, each through the CLI: a clear message naming the file (and row), an exit
code, never a traceback, and never a partial output file."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner, Result
from shapely.geometry import Point, box

from landuse.cli import cli
from landuse.io import guards


def _parcels(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"宗地号": [f"FB-{i:03d}" for i in range(n)], "用地单位": ["抚州示例铜业有限公司"] * n},
        geometry=[box(39500000 + 200 * i, 3100000, 39500100 + 200 * i, 3100100)
                  for i in range(n)],
        crs="EPSG:4527",
    )


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, catch_exceptions=True)


def _assert_clean_failure(res: Result, code: int, *needles: str) -> None:
    assert res.exit_code == code, res.output
    # a handled error exits via SystemExit; an unhandled one would be the exception
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    for n in needles:
        assert n in res.output, (n, res.output)


def _convert_leaves_nothing(tmp_path: Path, src: Path, *extra: str) -> Result:
    out = tmp_path / "out" / "converted.gpkg"
    res = _run(["convert", str(src), str(out), *extra])
    assert not out.exists()
    leftovers = list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    assert leftovers == [], leftovers
    return res


def test_truncated_geopackage(tmp_path: Path) -> None:
    src = tmp_path / "p.gpkg"
    _parcels(200).to_file(src, layer="parcels")
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 3])
    res = _convert_leaves_nothing(tmp_path, src)
    _assert_clean_failure(res, 2, "p.gpkg", "Fix")


def test_corrupt_geojson(tmp_path: Path) -> None:
    src = tmp_path / "p.geojson"
    _parcels().to_file(src, driver="GeoJSON")
    src.write_text(src.read_text()[:-40])
    res = _run(["validate", str(src)])
    _assert_clean_failure(res, 2, "p.geojson")
    _convert_leaves_nothing(tmp_path, src)


def test_corrupt_parquet(tmp_path: Path) -> None:
    src = tmp_path / "p.parquet"
    src.write_bytes(b"PAR1 this is not parquet at all")
    res = _convert_leaves_nothing(tmp_path, src)
    _assert_clean_failure(res, 2, "p.parquet", "GeoParquet")


def test_truncated_shapefile_names_the_record(tmp_path: Path) -> None:
    src = tmp_path / "p.shp"
    _parcels(10).to_file(src, encoding="UTF-8")
    data = src.read_bytes()
    src.write_bytes(data[:-150])
    res = _convert_leaves_nothing(tmp_path, src)
    _assert_clean_failure(res, 2, "p.shp", "truncated", "record")


def test_truncated_dbf_names_the_record(tmp_path: Path) -> None:
    src = tmp_path / "p.shp"
    _parcels(10).to_file(src, encoding="UTF-8")
    dbf = src.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:-100])
    res = _run(["info", str(src)])
    _assert_clean_failure(res, 2, "p.dbf", "truncated", "record")


def test_empty_file(tmp_path: Path) -> None:
    for name in ("empty.gpkg", "empty.shp", "empty.csv", "empty.geojson"):
        src = tmp_path / name
        src.write_bytes(b"")
        res = _convert_leaves_nothing(tmp_path, src)
        _assert_clean_failure(res, 2, name, "empty")


def test_shapefile_without_prj(tmp_path: Path) -> None:
    src = tmp_path / "p.shp"
    _parcels().to_file(src, encoding="UTF-8")
    src.with_suffix(".prj").unlink()
    res = _run(["validate", str(src)])
    _assert_clean_failure(res, 1, "no coordinate reference system", "--assume-crs")
    res = _convert_leaves_nothing(tmp_path, src)
    _assert_clean_failure(res, 2, "p.shp", "--assume-crs")
    assert _run(["validate", str(src), "--assume-crs", "EPSG:4527"]).exit_code == 0


def test_shapefile_without_dbf(tmp_path: Path) -> None:
    src = tmp_path / "p.shp"
    _parcels().to_file(src, encoding="UTF-8")
    src.with_suffix(".dbf").unlink()
    res = _convert_leaves_nothing(tmp_path, src)
    _assert_clean_failure(res, 2, "p.shp", ".dbf", "missing")


def test_gbk_shapefile_without_cpg(tmp_path: Path) -> None:
    src = tmp_path / "p.shp"
    pyogrio.write_dataframe(_parcels(), src, encoding="GBK")
    src.with_suffix(".cpg").unlink()
    res = _run(["validate", str(src)])
    assert res.exit_code == 0, res.output
    assert "gb18030" in res.output  # which encoding was used is reported
    res = _run(["info", str(src), "--json"])
    gdf = gpd.read_file(src, encoding="gb18030")
    assert gdf["用地单位"].iloc[0] == "抚州示例铜业有限公司"


def test_mixed_geometry_layer(tmp_path: Path) -> None:
    gdf = _parcels(3)
    gdf.loc[1, "geometry"] = Point(39500250, 3100050)
    src = tmp_path / "mixed.gpkg"
    gdf.to_file(src, layer="parcels")
    res = _run(["validate", str(src)])
    _assert_clean_failure(res, 1, "FB-001", "not a polygon")
    assert "   2 " in res.output  # the row


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_and_inf_coordinates(tmp_path: Path) -> None:
    gdf = _parcels(3)
    gdf.loc[1, "geometry"] = shapely.Polygon(
        [(39500200, 3100000), (math.nan, 3100100), (39500300, 3100000)])
    gdf.loc[2, "geometry"] = shapely.Polygon(
        [(39500400, 3100000), (math.inf, 3100100), (39500500, 3100000)])
    src = tmp_path / "nan.gpkg"
    gdf.to_file(src, layer="parcels")
    res = _run(["validate", str(src)])
    _assert_clean_failure(res, 1, "FB-001", "FB-002", "NaN or infinite")


def test_absurd_attribute_string_in_csv(tmp_path: Path) -> None:
    """A realistic "2 GB attribute": a CSV cell with no separator for megabytes. The guard
    refuses more than MAX_CELL_BYTES without allocating the cell; here a 9 MiB cell."""
    src = tmp_path / "huge.csv"
    with src.open("w", encoding="utf-8") as f:
        f.write("宗地号,wkt,备注\n")
        f.write('A,"POLYGON ((0 0, 1 0, 1 1, 0 0))",ok\n')
        f.write('B,"POLYGON ((0 0, 1 0, 1 1, 0 0))",' + "x" * (guards.MAX_CELL_BYTES + 1024**2)
                + "\n")
    res = _convert_leaves_nothing(tmp_path, src, "--assume-crs", "EPSG:4527")
    _assert_clean_failure(res, 2, "huge.csv", "line 3", "MiB")


def test_absurd_dbf_record_size(tmp_path: Path) -> None:
    src = tmp_path / "p.shp"
    _parcels().to_file(src, encoding="UTF-8")
    dbf = src.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[10:12] = (65535).to_bytes(2, "little")  # declared record length
    dbf.write_bytes(bytes(data))
    res = _convert_leaves_nothing(tmp_path, src)
    _assert_clean_failure(res, 2, "p.dbf")


def test_duplicated_ids(tmp_path: Path) -> None:
    gdf = _parcels(3)
    gdf.loc[2, "宗地号"] = "FB-000"
    src = tmp_path / "dup.gpkg"
    gdf.to_file(src, layer="parcels")
    res = _run(["validate", str(src)])
    _assert_clean_failure(res, 1, "duplicate parcel id", "FB-000", "rows 1, 3")


def test_csv_with_bom(tmp_path: Path) -> None:
    src = tmp_path / "bom.csv"
    df = pd.DataFrame({"宗地号": ["A", "B"], "经度": [116.1, 116.2], "纬度": [28.1, 28.2],
                       "供地日期": ["2020/1/2", "2021年3月4日"]})
    df.to_csv(src, index=False, encoding="utf-8-sig")
    assert src.read_bytes().startswith(b"\xef\xbb\xbf")
    res = _run(["info", str(src), "--assume-crs", "EPSG:4490", "--json"])
    assert res.exit_code == 0, res.output
    assert '"宗地号": "parcel_id"' in res.output  # the BOM did not glue onto the header
    res = _run(["validate", str(src), "--assume-crs", "EPSG:4490"])
    _assert_clean_failure(res, 1, "not a polygon")


def test_xlsx_with_merged_header_cells(tmp_path: Path) -> None:
    src = tmp_path / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["宗地号", "面积", None, "wkt"])
    ws.append([None, "亩", "公顷", None])
    ws.append(["A", 15, 1, "POLYGON ((0 0, 1 0, 1 1, 0 0))"])
    ws.merge_cells("B1:C1")
    wb.save(src)
    res = _convert_leaves_nothing(tmp_path, src, "--assume-crs", "EPSG:4527")
    _assert_clean_failure(res, 2, "merged.xlsx", "merged cells B1:C1", "row 1")


def test_corrupt_xlsx(tmp_path: Path) -> None:
    src = tmp_path / "broken.xlsx"
    src.write_bytes(b"PK\x03\x04 not really a zip")
    res = _convert_leaves_nothing(tmp_path, src, "--assume-crs", "EPSG:4527")
    _assert_clean_failure(res, 2, "broken.xlsx")


def test_missing_file_and_unknown_layer(tmp_path: Path) -> None:
    _assert_clean_failure(_run(["info", str(tmp_path / "nope.gpkg")]), 2, "not found")
    src = tmp_path / "p.gpkg"
    _parcels().to_file(src, layer="parcels")
    _assert_clean_failure(_run(["info", str(src), "--layer", "x"]), 2, "no layer 'x'", "parcels")


def test_output_never_overwritten_without_flag(tmp_path: Path) -> None:
    src = tmp_path / "p.gpkg"
    _parcels().to_file(src, layer="parcels")
    out = tmp_path / "o.gpkg"
    out.write_bytes(b"keep me")
    _assert_clean_failure(_run(["convert", str(src), str(out)]), 2, "--overwrite")
    assert out.read_bytes() == b"keep me"
    rep = tmp_path / "r.csv"
    rep.write_text("keep")
    _assert_clean_failure(_run(["validate", str(src), "--report", str(rep)]), 2, "--overwrite")
    assert rep.read_text() == "keep"
    assert _run(["convert", str(src), str(out), "--overwrite"]).exit_code == 0
    assert gpd.read_file(out)["parcel_id"].tolist() == ["FB-000", "FB-001", "FB-002"]
