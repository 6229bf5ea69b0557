"""Area columns whose unit a register does not state: cut shapefile headers, bare aliases.

Three 100 m squares in EPSG:4527 (10 000 m² = 15 亩 = 1 公顷 each, measured
ellipsoidally within 0.1 %). The figures are chosen by hand so that exactly one unit is
plausible against the standard's ranges (share of the parcel: footprint 0.05–1, FAR
0.1–8, admin 0.005–0.5, yard 0.005–1):

* m²: footprint 5000 (0.5), floor 12000 (FAR 1.2), admin 500 (0.05), yard 1000 (0.1); as
  亩 each is 666.7 times larger: implausible.
* 亩: footprint 7.5, floor 18, admin 0.75, yard 1.5 (the same areas); as m² 666.7 times
  smaller (e.g. footprint 0.00075) and as 公顷 15 times larger (footprint 7.5): implausible.
* 公顷: footprint 0.5, floor 1.2, admin 0.05 are plausible only as 公顷 (as 亩 0.033, 0.08,
  0.0033: below the ranges); yard 0.1 公顷 is 0.1 as 公顷 and 0.0067 as 亩, both within
  0.005–1: two plausible units, so it stays unknown and is reported.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from landuse.cli import cli
from landuse.errors import SchemaError
from landuse.io import read_parcels
from landuse.io.units import parse_unit_overrides
from landuse.rules import assess

CUT = {
    "建筑基底面积": "footprint_m2",  # GBK 12 bytes -> 建筑基底面
    "计容建筑面积": "floor_area_m2",  # -> 计容建筑面
    "行政办公及生活服务设施用地面积": "admin_area_m2",  # -> 行政办公及
    "露天堆场面积": "yard_area_m2",  # -> 露天堆场面
}
M2 = {"footprint_m2": 5000.0, "floor_area_m2": 12000.0, "admin_area_m2": 500.0,
      "yard_area_m2": 1000.0}  # fmt: skip


def _shp(tmp_path: Path, factor: float, name: str = "reg", **extra: list) -> Path:
    """A GBK shapefile with the four long area headers, values = m² / factor."""
    cols: dict[str, list] = {"宗地号": ["A", "B", "C"], "供地日期": ["2015-01-01"] * 3,
                             "竣工日期": ["2017-01-01"] * 3, "行业代码": ["34"] * 3}
    for header, field in CUT.items():
        cols[header] = [M2[field] / factor] * 3
    cols.update(extra)
    gdf = gpd.GeoDataFrame(
        cols,
        geometry=[box(39500000 + i * 200, 3100000, 39500100 + i * 200, 3100100)
                  for i in range(3)],
        crs="EPSG:4527",
    )
    path = tmp_path / f"{name}.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL: names cut to 10 bytes
        pyogrio.write_dataframe(gdf, path, encoding="GBK")
    return path


def test_the_shapefile_really_has_cut_headers(tmp_path: Path) -> None:
    info = pyogrio.read_info(_shp(tmp_path, 1.0), encoding="GBK")
    assert {"建筑基底面", "计容建筑面", "行政办公及", "露天堆场面"} <= set(info["fields"])


def test_cut_headers_in_m2_are_recognised(tmp_path: Path) -> None:
    out = read_parcels(_shp(tmp_path, 1.0))
    meta = out.attrs["landuse"]
    for field, v in M2.items():
        assert out[field].tolist() == pytest.approx([v] * 3)
        assert meta["units_inferred"][field]["unit"] == "m2"
    assert meta["recognised"]["建筑基底面"] == "footprint_m2"
    assert not meta["units_unknown"]
    # the rules now see the fields: none is reported absent
    r = assess(out, "2023-10-31")
    absent = r.attrs["assessment"]["absent_fields"]
    assert not set(M2) & set(absent)


def test_cut_headers_in_mu_are_converted(tmp_path: Path) -> None:
    out = read_parcels(_shp(tmp_path, 10000 / 15))
    meta = out.attrs["landuse"]
    for field, v in M2.items():
        assert out[field].tolist() == pytest.approx([v] * 3)
        assert meta["units_inferred"][field]["unit"] == "亩"
    warn = [p for p in meta["problems"] if p["field"] == "建筑基底面"]
    assert warn and warn[0]["severity"] == "warning" and "亩" in warn[0]["problem"]


def test_hectares_and_an_ambiguous_column_that_stays_unknown(tmp_path: Path) -> None:
    out = read_parcels(_shp(tmp_path, 10000.0))
    meta = out.attrs["landuse"]
    for field in ("footprint_m2", "floor_area_m2", "admin_area_m2"):
        assert meta["units_inferred"][field]["unit"] == "公顷"
        assert out[field].tolist() == pytest.approx([M2[field]] * 3)
    # yard: 0.1 as 公顷 and 0.0067 as 亩 are both plausible: not guessed
    assert "yard_area_m2" not in out.columns
    assert out["露天堆场面"].tolist() == pytest.approx([0.1] * 3)
    assert meta["units_unknown"] == {"露天堆场面": "yard_area_m2"}
    prob = next(p for p in meta["problems"] if p["field"] == "露天堆场面")
    assert "both" in prob["problem"] and "--unit yard_area_m2" in prob["fix"]


def test_implausible_values_stay_unknown_and_are_reported(tmp_path: Path) -> None:
    # 2e6 on a 10 000 m² parcel: 200 as m², 133 333 as 亩, 2e6 as 公顷: no unit fits
    p = _shp(tmp_path, 1.0, 建筑基底面积=[2e6] * 3)
    out = read_parcels(p)
    meta = out.attrs["landuse"]
    assert "footprint_m2" not in out.columns and "建筑基底面" in out.columns
    assert meta["units_unknown"]["建筑基底面"] == "footprint_m2"
    assert "建筑基底面" in meta["unrecognised"]
    prob = next(p for p in meta["problems"] if p["field"] == "建筑基底面")
    assert "no unit is plausible" in prob["problem"]


def test_unit_override_by_header_or_field(tmp_path: Path) -> None:
    p = _shp(tmp_path, 10000.0)
    out = read_parcels(p, units={"露天堆场面": "公顷"})
    assert out["yard_area_m2"].tolist() == pytest.approx([1000.0] * 3)
    assert out.attrs["landuse"]["units_given"] == {"yard_area_m2": "公顷"}
    out = read_parcels(p, units=parse_unit_overrides(["yard_area_m2=ha"]))
    assert out["yard_area_m2"].tolist() == pytest.approx([1000.0] * 3)
    with pytest.raises(SchemaError, match="no area column"):
        read_parcels(p, units={"绿地面积": "亩"})
    with pytest.raises(SchemaError, match="unknown area unit"):
        parse_unit_overrides(["yard_area_m2=acre"])
    with pytest.raises(SchemaError, match="FIELD=UNIT"):
        parse_unit_overrides(["yard_area_m2"])


def test_a_bare_alias_in_mu_is_converted_and_one_in_m2_kept(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame(
        {"宗地号": ["A", "B"], "用地面积": [15.0, 15.0], "绿地面积": [1000.0, 1500.0]},
        geometry=[box(39500000, 3100000, 39500100, 3100100),
                  box(39500200, 3100000, 39500300, 3100100)],
        crs="EPSG:4527",
    )
    g.to_file(tmp_path / "a.gpkg", layer="parcels")
    out = read_parcels(tmp_path / "a.gpkg")
    meta = out.attrs["landuse"]
    assert out["registered_area_m2"].tolist() == pytest.approx([10000.0] * 2)  # 15 亩
    assert meta["units_inferred"]["registered_area_m2"]["unit"] == "亩"
    assert out["green_area_m2"].tolist() == [1000.0, 1500.0]  # plausible as m²: kept
    assert "green_area_m2" not in meta["units_inferred"]


def test_info_and_validate_report_units(tmp_path: Path) -> None:
    p = _shp(tmp_path, 10000.0)
    run = CliRunner().invoke(cli, ["info", str(p)])
    assert run.exit_code == 0, run.output
    assert "面积单位推断 unit inferred: 建筑基底面 -> footprint_m2 = 公顷" in run.output
    assert "面积单位不明 unit unknown: 露天堆场面" in run.output
    run = CliRunner().invoke(cli, ["info", str(p), "--unit", "露天堆场面=公顷"])
    assert "面积单位指定 unit given: yard_area_m2 = 公顷" in run.output
    assert "unit unknown" not in run.output
    rep = tmp_path / "problems.csv"
    run = CliRunner().invoke(cli, ["validate", str(p), "--report", str(rep)])
    text = rep.read_text("utf-8-sig")
    assert "露天堆场面" in text and "建筑基底面" in text


def test_a_needed_field_left_unrecognised_is_named_in_the_assessment(tmp_path: Path) -> None:
    # 建筑基底面 at 2e6: no plausible unit, so footprint_m2 (needed by the coverage rule)
    # stays unrecognised; the assessment names it with the --unit fix, in attrs and CLI
    p = _shp(tmp_path, 1.0, 建筑基底面积=[2e6] * 3, 备注=["x"] * 3)
    r = assess(read_parcels(p), "2023-10-31")
    warns = r.attrs["assessment"]["warnings"]
    cut = next(w for w in warns if w["header"] == "建筑基底面")
    assert cut["field"] == "footprint_m2" and "--unit footprint_m2=亩" in cut["message"]
    other = next(w for w in warns if w["header"] == "备注")
    assert "footprint_m2" not in other["field"]  # named once, by its own warning
    out = tmp_path / "a.csv"
    run = CliRunner().invoke(cli, ["assess", str(p), "--as-of", "2023-10-31", "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert "警告 warning: footprint_m2 is needed by the rules but not recognised" in run.output
    # every column recognised: no warning, however many fields are absent
    ok = assess(read_parcels(_shp(tmp_path, 1.0, name="ok")), "2023-10-31")
    assert ok.attrs["assessment"]["warnings"] == []
