"""Supply records: read from CSV/XLSX/GPKG with Chinese headers, checked before use."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from landuse.errors import SchemaError
from landuse.io.supply import read_records, read_supply
from landuse.supply import SupplyData, check_supply, supply_problems

MU = 10000.0 / 15.0


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    _csv(tmp_path / "batches.csv",
         "批次编号,电子监管号,批准日期,批次类型,批准面积(亩),wkt\n"
         "B1,3400001000000000001,2019-03-01,城市批次,100,"
         "\"POLYGON ((0 0, 100 0, 100 100, 0 100, 0 0))\"\n"
         "B2,3400001000000000002,2021年6月1日,单独选址,50,\n")
    _csv(tmp_path / "supply.csv",
         "电子监管号,宗地编号,批次编号,供应方式,土地用途,供应面积(亩),合同签订日期,约定动工日期\n"
         "3400002000000000001,P1,B1,挂牌,工业用地,40,2020-05-01,2021-05-01\n"
         "3400002000000000002,P2,B1,划拨,公共管理与公共服务用地,30,2020-08-01,\n")
    _csv(tmp_path / "quota_events.csv",
         "事件编号,日期,指标类型,事项,指标面积(亩)\n"
         "Q1,2023-01-10,新增建设用地计划指标,下达,10\n"
         "Q2,2023-06-01,新增建设用地计划指标,使用,12\n")
    return tmp_path


def test_a_folder_is_read_in_the_standard_names_and_units(folder: Path) -> None:
    d = read_supply(folder)
    assert d.counts() == {"batches": 2, "reductions": 0, "supply": 2, "reserve": 0,
                          "quota_events": 2, "supply_plan": 0, "disposal_tasks": 0,
                          "mortgages": 0}
    assert isinstance(d.batches, gpd.GeoDataFrame)
    assert d.batches["approved_area_m2"].tolist() == pytest.approx([100 * MU, 50 * MU])
    assert d.batches["batch_type"].tolist() == ["urban", "single_site"]
    assert d.batches["approval_date"].iloc[1] == pd.Timestamp("2021-06-01")
    assert d.supply["supply_way"].tolist() == ["listing", "allocation"]
    assert d.supply["use"].tolist() == ["industrial_storage", "public"]
    warnings = check_supply(d, parcel_ids=["P1", "P2"])
    # 10 亩 granted, 12 亩 used: the use is a warning, not an error
    assert warnings["problem"].str.contains("beyond its balance").tolist() == [True]
    assert warnings["record"].tolist() == ["Q2"]


def test_a_gpkg_with_one_layer_per_kind(folder: Path, tmp_path: Path) -> None:
    d = read_supply(folder)
    out = tmp_path / "s.gpkg"
    b = d.batches.set_crs("EPSG:4527")
    b.to_file(out, layer="batches")
    sup = d.supply.copy()
    sup["contract_date"] = sup["contract_date"].dt.strftime("%Y-%m-%d")
    sup = sup.drop(columns=["agreed_start_date"]).rename(columns={"use": "用途"})
    gpd.GeoDataFrame(sup, geometry=[None] * len(sup), crs="EPSG:4527").to_file(
        out, layer="supply")
    e = read_supply(out)
    assert len(e.batches) == 2 and e.batches.crs.to_epsg() == 4527
    assert e.supply["use"].tolist() == ["industrial_storage", "public"]
    assert len(e.mortgages) == 0 and "mortgage_id" in e.mortgages.columns


def test_an_xlsx_with_one_sheet_per_kind(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.xlsx"
    with pd.ExcelWriter(out) as w:
        pd.read_csv(folder / "supply.csv", dtype=str).to_excel(w, sheet_name="supply",
                                                                index=False)
        pd.DataFrame({"年度": [2024], "用途": ["商服"], "计划供应面积(公顷)": [2]}).to_excel(
            w, sheet_name="supply_plan", index=False)
    d = read_supply(out)
    assert len(d.supply) == 2
    assert d.supply_plan["planned_area_m2"].tolist() == [20000.0]


def _problems(d: SupplyData, pids: list[str] | None = None) -> list[tuple[str, int, str]]:
    p = supply_problems(d, pids)
    p = p[p["severity"] == "error"]
    return list(zip(p["problem"].str.split(" ").str[0], p["row"], p["field"], strict=True))


def test_unknown_parcel_and_batch_are_errors(folder: Path) -> None:
    (folder / "supply.csv").write_text(
        "电子监管号,宗地编号,批次编号,供应方式,土地用途,供应面积(亩),合同签订日期\n"
        "S1,P1,B9,挂牌,工业用地,1,2020-05-01\nS2,P9,B1,挂牌,工业用地,1,2020-05-01\n",
        encoding="utf-8")
    d = read_supply(folder)
    assert _problems(d, ["P1"]) == [("unknown", 1, "batch_id"), ("unknown", 2, "parcel_id")]
    with pytest.raises(SchemaError) as e:
        check_supply(d, ["P1"])
    msg = str(e.value)
    assert "supply.csv, row 1 (S1), field batch_id = 'B9': unknown batch" in msg
    assert "nothing was stored" in msg and "Fix:" in msg
    assert len(e.value.problems) == 2


def test_supply_beyond_the_batch_is_an_error_on_the_record_that_crosses(folder: Path) -> None:
    # B1: 100 亩 approved; 40 + 30 supplied; a third record of 30 亩 uses it exactly
    # (no error), a fourth of 0.1 亩 crosses it
    with (folder / "supply.csv").open("a", encoding="utf-8") as fh:
        fh.write("S3,P3,B1,拍卖,商服用地,30,2021-01-01,\n")
    assert _problems(read_supply(folder)) == []
    with (folder / "supply.csv").open("a", encoding="utf-8") as fh:
        fh.write("S4,P4,B1,拍卖,商服用地,0.1,2021-02-01,\n")
    assert _problems(read_supply(folder)) == [("beyond", 4, "area_m2")]


def test_duplicate_supervision_numbers(folder: Path) -> None:
    with (folder / "supply.csv").open("a", encoding="utf-8") as fh:
        fh.write("3400002000000000001,P3,B2,协议,工业用地,1,2022-01-01,\n")
        fh.write("3400001000000000001,P3,B2,协议,工业用地,1,2022-01-01,\n")
    assert _problems(read_supply(folder)) == [
        ("duplicate", 3, "supervision_no"), ("duplicate", 4, "supervision_no")]


def test_dates_out_of_order(folder: Path) -> None:
    (folder / "supply.csv").write_text(
        "电子监管号,宗地编号,批次编号,供应方式,土地用途,供应面积(亩),合同签订日期,约定动工日期\n"
        "S1,P1,B1,挂牌,工业用地,1,2020-05-01,2020-04-01\n"
        "S2,P1,B2,挂牌,工业用地,1,2020-05-01,\n", encoding="utf-8")
    # S1 starts before its contract; S2 is supplied before B2 was approved (2021-06-01)
    assert _problems(read_supply(folder)) == [("date", 1, "agreed_start_date"),
                                              ("date", 2, "contract_date")]


def test_unknown_use_and_method_words(folder: Path) -> None:
    (folder / "supply.csv").write_text(
        "电子监管号,宗地编号,批次编号,供应方式,土地用途,供应面积(亩),合同签订日期\n"
        "S1,P1,B1,赠与,工业用地,1,2020-05-01\nS2,P1,B1,挂牌,月球用地,1,2020-05-01\n",
        encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        check_supply(read_supply(folder))
    msg = str(e.value)
    assert "row 1 (S1), field supply_way = '赠与': unknown code" in msg
    assert "row 2 (S2), field use = '月球用地': unknown code" in msg
    assert "挂牌" in msg  # the fix lists the words that are understood


def test_a_missing_required_column_names_its_headers(tmp_path: Path) -> None:
    p = _csv(tmp_path / "m.csv", "他项权证号,宗地编号,登记日期\nM1,P1,2022-01-01\n")
    with pytest.raises(SchemaError, match=r"amount_wan \(融资金额/抵押金额"):
        read_records(p, "mortgages")


def test_a_quota_used_exactly_up_is_no_warning(folder: Path) -> None:
    (folder / "quota_events.csv").write_text(
        "事件编号,日期,指标类型,事项,指标面积(亩)\n"
        "Q1,2023-06-01,新增建设用地计划指标,使用,12\n"
        "Q2,2023-06-01,新增建设用地计划指标,下达,12\n", encoding="utf-8")
    assert check_supply(read_supply(folder)).empty


def test_a_batch_geometry_keeps_its_wkt(folder: Path) -> None:
    d = read_supply(folder)
    assert shapely.area(d.batches.geometry.iloc[0]) == 10000.0
    assert d.batches.geometry.iloc[1] is None


def test_a_shapefile_of_batches_with_chinese_headers(tmp_path: Path) -> None:
    # a GIS office's export: GBK attributes, headers as the office writes them
    shp = tmp_path / "批次.shp"
    gpd.GeoDataFrame(
        {"批次编号": ["B1"], "批准日期": ["2019-03-01"], "批次类型": ["单独选址"],
         "批准面积": [66666.67]},
        geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:4527",
    ).to_file(shp, encoding="gbk")
    b = read_records(shp, "batches")
    assert b.crs.to_epsg() == 4527 and b["batch_id"].tolist() == ["B1"]
    assert b["batch_type"].tolist() == ["single_site"]
    assert b["approved_area_m2"].tolist() == [66666.67]  # no unit in the header: m²
    assert b.attrs["landuse"]["units_assumed"] == ["approved_area_m2"]


def test_an_area_without_unit_is_a_warning(tmp_path: Path) -> None:
    _csv(tmp_path / "supply_plan.csv", "年度,用途,计划供应面积\n2024,商服,20000\n")
    w = check_supply(read_supply(tmp_path))
    assert w[["field", "severity"]].values.tolist() == [["planned_area_m2", "warning"]]
    assert "read as m²" in w["problem"].iloc[0]


def test_a_supply_record_names_its_parcels_batch(folder: Path) -> None:
    # the register puts P2 in B2; its supply record says B1
    p = supply_problems(read_supply(folder), ["P1", "P2"], {"P1": "B1", "P2": "B2"})
    assert p.loc[p["severity"] == "error", ["row", "field"]].values.tolist() == [
        [2, "batch_id"]]
    assert supply_problems(read_supply(folder), None, {"P1": "B1", "P2": None}).query(
        "severity == 'error'").empty
