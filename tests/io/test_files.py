"""io's writers and readers of the side files: building footprints and problem reports."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from landuse.errors import DataSourceError, OutputExistsError
from landuse.io.buildings import read_buildings
from landuse.io.problems import write_problems


def test_buildings_are_read_or_refused_with_the_file_and_the_fix(tmp_path: Path) -> None:
    assert read_buildings(None) is None
    p = tmp_path / "b.gpkg"
    gpd.GeoDataFrame({"id": [1, 2]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)],
                     crs=4490).to_file(p, layer="footprints")
    got = read_buildings(p, layer="footprints")
    assert got is not None and len(got) == 2 and got.crs.to_epsg() == 4490
    with pytest.raises(DataSourceError, match=r"nope\.gpkg: buildings file not found.*Fix"):
        read_buildings(tmp_path / "nope.gpkg")
    bad = tmp_path / "bad.geojson"
    bad.write_text("not geojson", "utf-8")
    with pytest.raises(DataSourceError, match=r"bad\.geojson: buildings cannot be read.*Fix"):
        read_buildings(bad)


def test_problem_report_csv_opens_in_excel_and_json_has_a_summary(tmp_path: Path) -> None:
    problems = pd.DataFrame([
        {"row": 3, "parcel_id": "P1", "field": "supply_date", "value": "soon",
         "problem": "unparseable date 日期无法识别", "fix": "write YYYY-MM-DD",
         "severity": "error"}])
    csv = write_problems(problems, tmp_path / "p.csv", "register.xlsx")
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese as UTF-8
    assert "日期无法识别" in raw.decode("utf-8-sig")
    js = json.loads(write_problems(problems, tmp_path / "p.json", "register.xlsx")
                    .read_text("utf-8"))
    assert js["file"] == "register.xlsx" and js["problems"][0]["parcel_id"] == "P1"
    assert "summary" in js
    with pytest.raises(OutputExistsError):
        write_problems(problems, tmp_path / "p.csv", "register.xlsx")
    write_problems(problems, tmp_path / "p.csv", "register.xlsx", overwrite=True)
