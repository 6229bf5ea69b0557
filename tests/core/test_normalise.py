"""Value normalisation: dates, numbers, bools, codes, area units, Chinese headers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from landuse.core.normalise import parse_codes
from landuse.core.values import parse_bools, parse_dates, parse_numbers
from landuse.io import read_ledger, read_parcels
from landuse.standard import get_standard
from landuse.units import M2_PER_HA, M2_PER_MU


@pytest.mark.parametrize(
    "value",
    ["2023-05-08", "2023年5月8日", "2023/5/8", "2023.05.08", "2023年05月08日", 45054, "45054",
     20230508, "20230508", "2023-05-08T00:00:00"],
)
def test_each_date_format(value: object) -> None:
    out, bad = parse_dates(pd.Series([value], dtype=object))
    assert bad.tolist() == []
    assert out.iloc[0] == pd.Timestamp("2023-05-08")


def test_dates_bad_and_blank_cells() -> None:
    s = pd.Series(["2023-02-30", "soon", "", None, "2023-01-01"])
    out, bad = parse_dates(s)
    assert out.dtype == "datetime64[ns]"
    assert bad.tolist() == [0, 1]  # blank cells are missing, not problems
    assert out.isna().tolist() == [True, True, True, True, False]


def test_dates_iso_fast_path_is_vectorised() -> None:
    s = pd.Series(pd.date_range("1950-01-01", periods=30_000).strftime("%Y-%m-%d"))
    s = pd.concat([s] * 7, ignore_index=True)
    out, bad = parse_dates(s)
    assert len(bad) == 0 and out.iloc[29_999] == pd.Timestamp("1950-01-01") + pd.Timedelta(
        days=29_999)


def test_dates_out_of_range_are_reported_not_crashing() -> None:
    out, bad = parse_dates(pd.Series(["9999-12-31", "2023-01-01"]))
    assert bad.tolist() == [0] and out.iloc[1] == pd.Timestamp("2023-01-01")


def test_numbers_with_separators() -> None:
    out, bad = parse_numbers(pd.Series(["1,234.5", "12 345", "7", "abc", None, "１２"]))
    assert out.iloc[:3].tolist() == [1234.5, 12345.0, 7.0]
    assert out.iloc[5] == 12.0
    assert bad.tolist() == [3]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("是", True), ("否", False), ("有", True), ("无", False), ("true", True),
     ("FALSE", False), ("1", True), (0, False), ("Y", True), ("n", False)],
)
def test_bools(value: object, expected: bool) -> None:
    out, bad = parse_bools(pd.Series([value], dtype=object))
    assert bad.tolist() == [] and bool(out.iloc[0]) is expected


def test_codes_from_chinese_words() -> None:
    out, bad = parse_codes(pd.Series(["先租后让", "出让", "划拨", "lease", "拍卖?"]),
                           "supply_method")
    assert out.tolist()[:4] == ["lease_then_transfer", "transfer", "allocation", "lease"]
    assert bad.tolist() == [4]


@pytest.mark.parametrize(
    ("header", "factor"),
    [("登记面积(亩)", M2_PER_MU), ("宗地面积（公顷）", M2_PER_HA), ("用地面积(平方米)", 1.0),
     ("registered_area_m2", 1.0)],
)
def test_area_units_converted_on_read(tmp_path: Path, header: str, factor: float) -> None:
    gdf = gpd.GeoDataFrame({"宗地号": ["A"], header: ["1,5"]},
                           geometry=[box(0, 0, 1, 1)], crs="EPSG:4527")
    gdf[header] = ["15"]
    p = tmp_path / "a.gpkg"
    gdf.to_file(p, layer="parcels")
    out = read_parcels(p)
    assert out["registered_area_m2"].iloc[0] == pytest.approx(15 * factor)


@pytest.mark.parametrize(
    ("header", "field"),
    [("宗地号", "parcel_id"), ("DKBH", "parcel_id"), ("用地单位", "holder"),
     ("约定动工日期", "agreed_start_date"), ("约定动工日", "agreed_start_date"),
     ("行政办公及", None), ("土地使用权", "holder"), ("统一社会信", "credit_code"),
     (" 企业 名称 ", "holder"), ("Parcel_ID", "parcel_id")],
)
def test_chinese_aliases_and_cut_headers(header: str, field: str | None) -> None:
    m = get_standard().match_header(header, "parcels")
    if field is None:  # a cut area header: matched but flagged, unit unknown
        assert m is not None and m.truncated and m.unit is None
    else:
        assert m is not None and m.field.name == field


def test_unknown_columns_kept_untouched(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"宗地号": [1001, 1002], "备用字段": ["x", "2023/1/1"]},
                           geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)], crs="EPSG:4527")
    p = tmp_path / "a.gpkg"
    gdf.to_file(p, layer="parcels")
    out = read_parcels(p)
    assert out["parcel_id"].tolist() == ["1001", "1002"]
    assert out["备用字段"].tolist() == ["x", "2023/1/1"]
    assert out.attrs["landuse"]["unrecognised"] == ["备用字段"]


def test_read_ledger_normalises(tmp_path: Path) -> None:
    df = pd.DataFrame({
        "事件编号": ["E1", "E2"], "宗地号": ["A", "B"], "日期": ["2023年3月1日", "2023/10/8"],
        "阶段": ["已盘活", "启动网上竞卖"], "处置方式": ["先租后让", "司法拍卖"],
        "面积(亩)": ["67", "170"], "清理僵尸企业": ["是", "否"],
    })
    p = tmp_path / "ledger.csv"
    df.to_csv(p, index=False, encoding="utf-8-sig")
    out = read_ledger(p)
    assert out["event_date"].tolist() == [pd.Timestamp("2023-03-01"), pd.Timestamp("2023-10-08")]
    assert out["stage"].tolist() == ["disposed", "auction_started"]
    assert out["method"].tolist() == ["lease_then_transfer", "judicial_auction"]
    assert np.allclose(out["area_m2"], [67 * M2_PER_MU, 170 * M2_PER_MU])
    assert out["zombie_cleared"].tolist() == [True, False]
