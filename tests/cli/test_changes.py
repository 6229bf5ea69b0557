"""``landuse changes``: two register files, every output format, bad input refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.io import read_parcels


@pytest.fixture
def two_registers(sample_park: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The sample park, and the same register with FB-002's holder changed."""
    later = read_parcels(sample_park)
    later.loc[later.parcel_id == "FB-002", "holder"] = "抚州新承接有限公司"
    path = tmp_path / "later.gpkg"
    pyogrio.write_dataframe(later, path, layer="parcels")
    return sample_park, path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".gpkg", ".parquet", ".geojson"])
def test_changes_of_two_files_in_every_format(two_registers: tuple[Path, Path],
                                              tmp_path: Path, suffix: str) -> None:
    first, later = two_registers
    out = tmp_path / f"c{suffix}"
    res = CliRunner().invoke(cli, ["changes", str(first), str(later), "--from", "2023-10-31",
                                   "--to", "2023-10-31", "-o", str(out)])
    assert res.exit_code == 0, res.output
    # the same date twice: only the holder change of FB-002 is a change
    if suffix == ".xlsx":
        got = pd.read_excel(out, sheet_name="changes")
    elif suffix == ".csv":
        got = pd.read_csv(out)
    elif suffix == ".parquet":
        got = pd.read_parquet(out)
    else:
        got = pyogrio.read_dataframe(out)
    assert got["parcel_id"].tolist() == ["FB-002"]
    assert got["transitions"].tolist() == ["holder_changed"]
    assert "权属变更: 1 宗" in res.output


def test_one_register_file_is_refused(sample_park: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["changes", str(sample_park), "--from", "2023-01-01",
                                   "--to", "2023-10-31", "-o", str(tmp_path / "c.csv")])
    assert res.exit_code == 2 and "one register file holds one date" in res.output
    res = CliRunner().invoke(cli, ["changes", str(sample_park), "--from", "2023-10-31",
                                   "--to", "2023-01-01", "-o", str(tmp_path / "c.csv")])
    assert res.exit_code == 2 and "before --from" in res.output


def test_registers_in_two_crs_are_refused(sample_park: Path, tmp_path: Path) -> None:
    """CRS mismatch is an error, never a silent reprojection: the message names both files,
    both CRSs and the fix."""
    later = read_parcels(sample_park).to_crs("EPSG:4490")
    path = tmp_path / "later_4490.gpkg"
    pyogrio.write_dataframe(later, path, layer="parcels")
    res = CliRunner().invoke(cli, ["changes", str(sample_park), str(path), "--from",
                                   "2023-01-01", "--to", "2023-10-31",
                                   "-o", str(tmp_path / "c.csv")])
    assert res.exit_code != 0
    assert "EPSG:4527" in res.output and "EPSG:4490" in res.output
    assert str(path) in res.output and "Fix:" in res.output
    assert not (tmp_path / "c.csv").exists()
