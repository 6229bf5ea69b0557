"""``evidence -o`` accepts the formats ``assess -o`` does (one writer, landuse.io.write).

Two supplied parcels, 100 m squares; a 40 m x 40 m building (1 600 m²) stands on P1, whose
register records a footprint of 5 000 m²: the evidence flags P1 (footprint_mismatch); P2
records no footprint and has no building: nothing to flag.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from landuse.cli import cli
from landuse.io.write import TABLE_FORMATS

X0, Y0 = 39500000, 3100000


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ev")
    reg = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], "supply_date": ["2015-01-01", "2015-01-01"],
         "start_date": ["2016-01-01", "2016-01-01"],
         "completion_date": ["2017-01-01", "2017-01-01"], "footprint_m2": [5000.0, None]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 200, Y0, X0 + 300, Y0 + 100)],
        crs="EPSG:4527",
    )
    reg.to_file(d / "reg.gpkg", layer="parcels", engine="pyogrio")
    b = gpd.GeoDataFrame(geometry=[box(X0 + 30, Y0 + 30, X0 + 70, Y0 + 70)], crs="EPSG:4527")
    b.to_file(d / "b.gpkg", engine="pyogrio")
    return {"reg": d / "reg.gpkg", "b": d / "b.gpkg"}


def _run(files: dict[str, Path], out: Path) -> None:
    res = CliRunner().invoke(
        cli, ["evidence", str(files["reg"]), "--buildings", str(files["b"]), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output


def _read(p: Path) -> pd.DataFrame:
    s = p.suffix
    if s == ".gpkg":
        return pd.DataFrame(gpd.read_file(p, layer="evidence"))
    if s == ".parquet":
        return pd.DataFrame(gpd.read_parquet(p))
    if s == ".geojson":
        return pd.DataFrame(gpd.read_file(p))
    if s == ".csv":
        return pd.read_csv(p, encoding="utf-8-sig", dtype={"parcel_id": str})
    return pd.read_excel(p, sheet_name="evidence", dtype={"parcel_id": str})


def test_every_table_format_is_written_with_the_same_findings(
    files: dict[str, Path], tmp_path: Path
) -> None:
    assert TABLE_FORMATS == (".gpkg", ".parquet", ".geojson", ".csv", ".xlsx")
    seen = {}
    for suffix in TABLE_FORMATS:
        out = tmp_path / f"ev{suffix}"
        _run(files, out)
        df = _read(out)
        seen[suffix] = dict(zip(df["parcel_id"], df["records_disagree"].fillna(""), strict=True))
    assert len({tuple(sorted(v.items())) for v in seen.values()}) == 1
    assert seen[".csv"] == {"P1": "footprint_mismatch", "P2": ""}


def test_csv_carries_wkt_and_the_discrepancies_beside_it(
    files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "x.csv"
    _run(files, out)
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert df["geometry_wkt"].str.startswith("POLYGON").all()
    disc = pd.read_csv(tmp_path / "x.csv.discrepancies.csv", encoding="utf-8-sig")
    assert set(disc["parcel_id"]) == {"P1"}


def test_xlsx_has_the_evidence_and_discrepancy_sheets(
    files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "x.xlsx"
    _run(files, out)
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["evidence", "discrepancies"]
    assert set(sheets["discrepancies"]["parcel_id"]) == {"P1"}


def test_an_unknown_format_is_refused_naming_the_formats(
    files: dict[str, Path], tmp_path: Path
) -> None:
    res = CliRunner().invoke(
        cli, ["evidence", str(files["reg"]), "--buildings", str(files["b"]),
              "-o", str(tmp_path / "x.kml")]
    )
    assert res.exit_code == 2 and ".csv" in res.output and ".xlsx" in res.output
