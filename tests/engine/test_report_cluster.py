"""``report`` on a partitioned dataset: one zone per task, here or on Dask, and the report
equals the single-machine report of the same parcels."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from bench.synth import make_province
from landuse.cli import cli
from tests.builders import mini_ledger
from tests.engine.conftest import AS_OF

PERIOD = ["--from", "2023-01-01", "--to", AS_OF]


def _run(*args: str, code: int = 0) -> str:
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == code, r.output
    return r.output


def test_sample_park_report_same_on_two_workers(sample_park: Path, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    _run("convert", str(sample_park), str(ds), "--partition-by", "zone")
    plain = [tmp_path / "plain.json", tmp_path / "plain.md"]
    two = [tmp_path / "two.json", tmp_path / "two.md"]
    _run("report", str(sample_park), *PERIOD, "-o", str(plain[0]), "-o", str(plain[1]))
    out = _run("report", str(ds), "--ledger", str(sample_park), *PERIOD, "-o", str(two[0]),
               "-o", str(two[1]), "--workers", "2")
    assert "dashboard: http://" in out
    assert plain[0].read_bytes() == two[0].read_bytes()
    assert plain[1].read_bytes() == two[1].read_bytes()


def test_province_report_same_here_on_two_workers_and_from_one_file(
        small_province: Path, tmp_path: Path) -> None:
    ledger = mini_ledger()
    ids = sorted(ledger["parcel_id"].unique())
    # the mini park's events on parcels spread over the development zones, each event on
    # 2 000 m² (the synthetic parcels are smaller than the mini park's)
    ledger["parcel_id"] = ledger["parcel_id"].map(
        {p: f"P{i * 97 + 7:07d}" for i, p in enumerate(ids)})
    ledger["area_m2"] = 2000.0
    led = tmp_path / "ledger.csv"
    ledger.to_csv(led, index=False)
    one_file = tmp_path / "province.gpkg"
    make_province(1600, 8).to_file(one_file, layer="parcels")
    outs = {k: tmp_path / f"{k}.json" for k in ("file", "here", "two")}
    _run("report", str(one_file), "--ledger", str(led), *PERIOD, "-o", str(outs["file"]))
    _run("report", str(small_province), "--ledger", str(led), *PERIOD, "-o", str(outs["here"]))
    _run("report", str(small_province), "--ledger", str(led), *PERIOD, "-o", str(outs["two"]),
         "--workers", "2")
    assert outs["here"].read_bytes() == outs["two"].read_bytes()
    # the one-file run ranks the enterprises of all eight development zones together; the
    # dataset ranks each development zone by itself (units.py, the 亩均 ranking's scope):
    # only the 亩均 tables and chart may differ, every other table and figure is the same
    one, here = (json.loads(outs[k].read_text(encoding="utf-8")) for k in ("file", "here"))
    assert one["figures"] == here["figures"]
    differ = {k for k in one["tables"] if one["tables"][k] != here["tables"][k]}
    assert differ <= {"mujun", "mujun_enterprises"}
    assert {k for k in one["charts"] if one["charts"][k] != here["charts"][k]} <= {"mujun"}
    assert '"reclaimed_mu"' in outs["here"].read_text(encoding="utf-8")


def test_dataset_report_needs_a_ledger(small_province: Path, tmp_path: Path) -> None:
    out = _run("report", str(small_province), *PERIOD, "-o", str(tmp_path / "r.json"), code=2)
    assert "--ledger" in out


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sample_park_report_json_md_html_same_bytes_on_workers(sample_park: Path,
                                                               tmp_path: Path,
                                                               workers: str) -> None:
    from landuse.cli.report import load_inputs
    from landuse.engine import sort_by_id
    from landuse.report import build_report, write_report

    # the tasks return only the report's columns (with the geometry: the HTML map); the
    # reference is the whole assessment of the plain file in parcel-id order (the order of
    # a dataset's parcels: the overview map draws them in it)
    ds = tmp_path / "ds"
    _run("convert", str(sample_park), str(ds), "--partition-by", "zone")
    parcels, ledger = load_inputs(sample_park, None, AS_OF, "zh")
    parcels = gpd.GeoDataFrame(sort_by_id(parcels), geometry="geometry", crs=parcels.crs)
    data = build_report(parcels, ledger, "2023-01-01", AS_OF)
    kinds = (".json", ".md", ".html")
    plain = [write_report(data, tmp_path / f"r{k}") for k in kinds]
    zoned = [tmp_path / "z" / f"r{k}" for k in kinds]
    _run("report", str(ds), "--ledger", str(sample_park), *PERIOD,
         *[a for p in zoned for a in ("-o", str(p))], "--workers", workers)
    for a, b in zip(plain, zoned, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def _report_dict(parcels: gpd.GeoDataFrame, ledger: pd.DataFrame) -> dict:
    from landuse.report import build_report

    return build_report(parcels, ledger, "2023-01-01", AS_OF).to_dict()


def test_report_from_its_columns_equals_report_from_whole_assessment(
        sample_park: Path, small_province: Path) -> None:
    from landuse.engine import AssessJob, SliceJob, combine, plan_units, run_unit
    from landuse.io import read_ledger, read_parcels
    from landuse.report.build import REPORT_COLUMNS
    from landuse.rules import assess

    whole = assess(read_parcels(sample_park), AS_OF)
    ledger = read_ledger(sample_park)
    cols = [c for c in whole.columns if c in REPORT_COLUMNS or c == "geometry"]
    assert len(cols) < len(whole.columns) and "reasons" not in cols  # far less travels
    assert _report_dict(whole[cols], ledger) == _report_dict(whole, ledger)
    # a province's slices without geometry give the same figures and tables
    job = AssessJob(path=str(small_province), as_of=AS_OF)
    units = plan_units(small_province)
    full = combine([run_unit(job, u) for u in units])
    sliced = combine([run_unit(SliceJob(job, REPORT_COLUMNS, geometry=False), u)
                      for u in units])
    assert sliced.geometry.isna().all() and len(sliced) == len(full) == 1600
    led = mini_ledger()
    led["parcel_id"] = led["parcel_id"].map(
        {p: f"P{i * 97 + 7:07d}" for i, p in enumerate(sorted(led["parcel_id"].unique()))})
    led["area_m2"] = 2000.0
    assert _report_dict(sliced, led) == _report_dict(full, led)
