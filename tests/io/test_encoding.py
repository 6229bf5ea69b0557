"""Shapefile attribute encoding: .cpg, the DBF language byte, detection, override."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from landuse.io import read_parcels
from landuse.io.shapefile import detect_encoding

HOLDER = "抚州示例铜业有限公司"


def _write(tmp_path: Path, encoding: str, name: str = "p") -> Path:
    gdf = gpd.GeoDataFrame(
        {"宗地号": ["FB-001", "FB-002"], "用地单位": [HOLDER, "赣东示例电子"],
         "土地用途": ["工业", "仓储"]},
        geometry=[box(39500000, 3100000, 39500100, 3100100),
                  box(39500200, 3100000, 39500300, 3100100)],
        crs="EPSG:4527",
    )
    path = tmp_path / f"{name}.shp"
    pyogrio.write_dataframe(gdf, path, encoding=encoding)
    return path


def _set_ldid(path: Path, ldid: int) -> None:
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = ldid
    dbf.write_bytes(bytes(data))


def _check(gdf: gpd.GeoDataFrame) -> None:
    assert list(gdf["parcel_id"]) == ["FB-001", "FB-002"]
    assert gdf["holder"].iloc[0] == HOLDER
    assert list(gdf["land_use"]) == ["industrial", "storage"]


def test_gbk_with_cpg(tmp_path: Path) -> None:
    shp = _write(tmp_path, "GBK")
    assert shp.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    gdf = read_parcels(shp)
    _check(gdf)
    assert gdf.attrs["landuse"]["encoding_source"].startswith("cpg")


def test_gbk_ldid_0x4d_without_cpg(tmp_path: Path) -> None:
    shp = _write(tmp_path, "GBK")
    shp.with_suffix(".cpg").unlink()
    _set_ldid(shp, 0x4D)
    enc = detect_encoding(shp)
    assert enc.source == "ldid: 0x4D"
    gdf = read_parcels(shp)
    _check(gdf)


def test_gbk_without_cpg_or_ldid_falls_back_to_gb18030(tmp_path: Path) -> None:
    shp = _write(tmp_path, "GBK")
    shp.with_suffix(".cpg").unlink()
    _set_ldid(shp, 0)
    gdf = read_parcels(shp)
    _check(gdf)
    meta = gdf.attrs["landuse"]
    assert meta["encoding"] == "gb18030"
    assert "not UTF-8" in meta["encoding_source"]
    # GDAL alone would have produced mojibake (domain.md §6.5): prove the trap is real
    raw = pyogrio.read_dataframe(shp)
    assert HOLDER not in set(raw.iloc[:, 1])


def test_utf8_without_cpg_detected(tmp_path: Path) -> None:
    shp = _write(tmp_path, "UTF-8")
    shp.with_suffix(".cpg").unlink()
    _set_ldid(shp, 0)
    gdf = read_parcels(shp)
    _check(gdf)
    assert gdf.attrs["landuse"]["encoding"] == "utf-8"
    assert "UTF-8" in gdf.attrs["landuse"]["encoding_source"]


def test_user_encoding_overrides_cpg(tmp_path: Path) -> None:
    shp = _write(tmp_path, "GBK")
    shp.with_suffix(".cpg").write_text("UTF-8")  # a wrong .cpg
    gdf = read_parcels(shp, encoding="GBK")
    _check(gdf)
    assert gdf.attrs["landuse"]["encoding_source"] == "user"


def test_unknown_user_encoding_is_a_clear_error(tmp_path: Path) -> None:
    from landuse.errors import DataSourceError

    shp = _write(tmp_path, "GBK")
    with pytest.raises(DataSourceError, match="not an encoding"):
        read_parcels(shp, encoding="klingon")


def test_cut_headers_in_gbk_shapefile(tmp_path: Path) -> None:
    """A shapefile cuts 约定动工日期 (12 bytes in GBK) to 10 bytes; it is still matched, and
    a cut area header that lost its unit gets the one unit its value makes plausible: 15
    on a 10 000 m² parcel is 15 亩 (ratio 1.0), not 15 m² (0.0015) nor 15 公顷 (15)."""
    gdf = gpd.GeoDataFrame(
        {"宗地号": ["A"], "约定动工日期": ["2021-03-01"], "登记面积(亩)": [15.0]},
        geometry=[box(39500000, 3100000, 39500100, 3100100)], crs="EPSG:4527",
    )
    shp = tmp_path / "cut.shp"
    with pytest.warns(RuntimeWarning):
        pyogrio.write_dataframe(gdf, shp, encoding="GBK")
    out = read_parcels(shp)
    meta = out.attrs["landuse"]
    assert "agreed_start_date" in out.columns
    assert str(out["agreed_start_date"].iloc[0].date()) == "2021-03-01"
    assert meta["truncated"]
    assert meta["units_inferred"]["registered_area_m2"]["unit"] == "亩"
    assert out["registered_area_m2"].iloc[0] == pytest.approx(10000.0)
    assert any("read as 亩" in p["problem"] for p in meta["problems"])
