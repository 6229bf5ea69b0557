"""Readers: every format, layers, tables with WKT or lon/lat, the attribute join."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from landuse.cli import cli
from landuse.errors import CRSError
from landuse.io import read_parcels, write_layer

X0, Y0 = 39_500_000.0, 3_100_000.0


def _src() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"宗地号": ["A", "B", "C"], "供地日期": ["2020/1/2", "2021年3月4日", "44197"],
         "登记面积(亩)": ["15", "15.0", "1,5"], "是否抵押": ["是", "否", None],
         "备注X": ["x", "y", "z"]},
        geometry=[box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(3)],
        crs="EPSG:4527",
    )


def _check(gdf: gpd.GeoDataFrame, crs: bool = True) -> None:
    assert gdf["parcel_id"].tolist() == ["A", "B", "C"]
    assert gdf["supply_date"].tolist() == [pd.Timestamp("2020-01-02"),
                                           pd.Timestamp("2021-03-04"),
                                           pd.Timestamp("2021-01-01")]
    assert gdf["registered_area_m2"].iloc[0] == pytest.approx(10000)
    assert gdf["mortgaged"].tolist()[:2] == [True, False]
    assert gdf["备注X"].tolist() == ["x", "y", "z"]
    assert list(gdf.index) == [0, 1, 2]
    if crs:
        assert gdf.crs.to_epsg() == 4527


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet", ".shp"])
def test_vector_formats(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"a{suffix}"
    g = _src()
    if suffix == ".parquet":
        g.to_parquet(p)
    elif suffix == ".shp":
        g = g.rename(columns={"登记面积(亩)": "面积亩"})  # 10-byte names
        g.to_file(p, encoding="UTF-8")
    else:
        g.to_file(p)
    gdf = read_parcels(p)
    if suffix == ".shp":
        assert gdf["面积亩"].tolist()[0] in ("15", 15)  # unknown header kept as is
        gdf["registered_area_m2"] = 10000.0
    _check(gdf)


def test_geopackage_layers(tmp_path: Path) -> None:
    p = tmp_path / "multi.gpkg"
    _src().to_file(p, layer="roads")
    _src().iloc[:2].to_file(p, layer="parcels")
    assert len(read_parcels(p)) == 2  # parcels preferred
    assert len(read_parcels(p, layer="roads")) == 3
    res = CliRunner().invoke(cli, ["info", str(p), "--layer", "roads"])
    assert res.exit_code == 0 and "roads (Polygon)" in res.output and "parcels" in res.output


def test_csv_with_wkt(tmp_path: Path) -> None:
    g = _src()
    df = pd.DataFrame(g.drop(columns="geometry"))
    df["WKT"] = g.geometry.to_wkt()
    p = tmp_path / "a.csv"
    df.to_csv(p, index=False)
    gdf = read_parcels(p, assume_crs="EPSG:4527")
    _check(gdf)
    assert gdf.attrs["landuse"]["geometry_from"] == {"wkt": "WKT"}
    assert read_parcels(p).crs is None  # never guessed


def test_xlsx_with_wkt_and_dates_as_excel_cells(tmp_path: Path) -> None:
    g = _src()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["地块编号", "供地日期", "登记面积(亩)", "是否抵押", "备注X", "geometry"])
    import datetime as dt

    dates = [dt.datetime(2020, 1, 2), "2021年3月4日", 44197]
    for i in range(3):
        ws.append([g["宗地号"][i], dates[i], g["登记面积(亩)"][i], g["是否抵押"][i],
                   g["备注X"][i], g.geometry[i].wkt])
    p = tmp_path / "a.xlsx"
    wb.save(p)
    _check(read_parcels(p, assume_crs="EPSG:4527"))


def test_csv_lon_lat_chinese_headers_gbk(tmp_path: Path) -> None:
    p = tmp_path / "pts.csv"
    pd.DataFrame({"宗地号": ["A", "B"], "经度": ["116.35", "116.36"],
                  "纬度": ["27.95", "27.96"]}).to_csv(p, index=False, encoding="gbk")
    gdf = read_parcels(p, assume_crs="EPSG:4490")
    assert gdf.geometry.x.tolist() == [116.35, 116.36]
    assert gdf.attrs["landuse"]["encoding"] == "gb18030"


def test_assume_crs_never_overrides_declared(tmp_path: Path) -> None:
    p = tmp_path / "a.gpkg"
    _src().to_file(p)
    with pytest.raises(CRSError, match="never overridden"):
        read_parcels(p, assume_crs="EPSG:4490")
    assert read_parcels(p, assume_crs="EPSG:4527").crs.to_epsg() == 4527


def test_attribute_join_reports_unmatched_both_sides(tmp_path: Path) -> None:
    shp = tmp_path / "a.gpkg"
    g = _src()[["宗地号", "geometry"]]
    g.to_file(shp)
    attrs = tmp_path / "台账.xlsx"
    pd.DataFrame({"宗地号": ["A", "B", "Z", "B"], "用地单位": ["甲公司", "乙公司", "丙", "乙2"],
                  "约定动工日期": ["2021/1/1", "坏日期", "2021/1/1", "2021/1/1"]}
                 ).to_excel(attrs, index=False)
    gdf = read_parcels(shp, attributes=attrs)
    assert gdf["holder"].tolist()[:2] == ["甲公司", "乙公司"] and pd.isna(gdf["holder"].iloc[2])
    a = gdf.attrs["landuse"]["attributes"]
    assert a["matched"] == 2
    assert a["parcels_without_attributes"] == ["C"]
    assert a["attribute_ids_without_parcel"] == ["Z"]
    res = CliRunner().invoke(cli, ["validate", str(shp), "--attributes", str(attrs)])
    out = res.output
    assert res.exit_code == 1  # the bad date in the attribute table is an error
    assert "no row in the attribute table" in out and "台账.xlsx row 3" in out
    assert "appears more than once" in out and "坏日期" in out


def test_convert_writes_standard_names_atomically(tmp_path: Path) -> None:
    p = tmp_path / "a.gpkg"
    _src().to_file(p)
    for suffix in (".gpkg", ".parquet", ".geojson"):
        out = tmp_path / f"out{suffix}"
        res = CliRunner().invoke(cli, ["convert", str(p), str(out)])
        assert res.exit_code == 0, res.output
        back = read_parcels(out)
        assert "parcel_id" in back.columns and "registered_area_m2" in back.columns
        assert back["registered_area_m2"].iloc[0] == pytest.approx(10000)
        assert back["mortgaged"].tolist()[:2] == [True, False]


def test_write_layer_failure_leaves_nothing(tmp_path: Path) -> None:
    g = _src()
    g["bad"] = [object(), object(), object()]  # not writable
    out = tmp_path / "x.gpkg"
    with pytest.raises(Exception):  # noqa: B017 - any writer error
        write_layer(g, out)
    assert list(tmp_path.iterdir()) == []
