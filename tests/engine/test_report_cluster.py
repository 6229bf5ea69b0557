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
    led = _province_ledger(tmp_path)
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
    led = _spread_ledger()
    assert _report_dict(sliced, led) == _report_dict(full, led)


def _spread_ledger() -> pd.DataFrame:
    """The mini park's events on parcels spread over the synthetic development zones, each
    event on 2 000 m² (the synthetic parcels are smaller than the mini park's)."""
    ledger = mini_ledger()
    ids = sorted(ledger["parcel_id"].unique())
    ledger["parcel_id"] = ledger["parcel_id"].map(
        {p: f"P{i * 97 + 7:07d}" for i, p in enumerate(ids)})
    ledger["area_m2"] = 2000.0
    return ledger


def _province_ledger(tmp_path: Path) -> Path:
    """:func:`_spread_ledger` as a CSV file in ``tmp_path``."""
    led = tmp_path / "ledger.csv"
    _spread_ledger().to_csv(led, index=False)
    return led


def _whole_assessment(dataset: Path) -> gpd.GeoDataFrame:
    """Every zone assessed in this process and put together by parcel id: the one-machine
    reference of a dataset's report."""
    from landuse.engine import AssessJob, combine, plan_units, run_unit

    job = AssessJob(path=str(dataset), as_of=AS_OF)
    return combine([run_unit(job, u) for u in plan_units(dataset)])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_province_report_json_md_html_same_bytes_as_one_machine(
        small_province: Path, tmp_path: Path, workers: str) -> None:
    from landuse.io import read_ledger
    from landuse.report import build_report, write_report

    led = _province_ledger(tmp_path)
    data = build_report(_whole_assessment(small_province), read_ledger(led), "2023-01-01",
                        AS_OF)
    kinds = (".json", ".md", ".html")
    plain = [write_report(data, tmp_path / f"one{k}") for k in kinds]
    zoned = [tmp_path / "z" / f"r{k}" for k in kinds]
    _run("report", str(small_province), "--ledger", str(led), *PERIOD,
         *[a for p in zoned for a in ("-o", str(p))], "--workers", workers)
    for a, b in zip(plain, zoned, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    html = zoned[2].read_text(encoding="utf-8")
    assert html.count("<title>P") == 1600  # ≤ 20 000 parcels: every parcel on the map


def test_province_report_of_one_sub_park_same_as_one_machine(small_province: Path,
                                                             tmp_path: Path) -> None:
    from landuse.io import read_ledger
    from landuse.report import build_report, write_report

    led = _province_ledger(tmp_path)
    whole = _whole_assessment(small_province)
    zone = sorted(whole["zone"].dropna().astype(str).unique())[1]
    data = build_report(whole, read_ledger(led), "2023-01-01", AS_OF, zone=zone)
    plain = write_report(data, tmp_path / "one.json")
    out = tmp_path / "z.json"
    _run("report", str(small_province), "--ledger", str(led), *PERIOD, "--zone", zone,
         "-o", str(out), "--workers", "2")
    assert plain.read_bytes() == out.read_bytes()
    assert json.loads(out.read_text(encoding="utf-8"))["meta"]["parcels"] == \
        int((whole["zone"] == zone).sum())


def test_the_client_receives_the_listed_and_rated_parcels_not_every_parcel(small_province: Path,
                                                                 tmp_path: Path) -> None:
    from landuse.cli._common import AssessArgs, EngineArgs, ReadArgs
    from landuse.cli._province import report_parts
    from landuse.io import read_ledger
    from landuse.report.build import ledger_ids

    whole = _whole_assessment(small_province)
    ids = ledger_ids(read_ledger(_province_ledger(tmp_path)))
    # listed by hand: idle (not started / stalled), low-efficiency, any flag, or in the ledger
    listed = whole[whole["idle_type"].isin(["not_started", "stalled"])
                   | whole["low_efficiency"].fillna(False).astype(bool)
                   | whole["flags"].fillna("").astype(str).str.strip().ne("")
                   | whole["parcel_id"].isin(ids)]
    assert 0 < len(listed) < len(whole) / 4  # most parcels are listed nowhere
    rated = whole[whole["mujun_scheme"].notna()]
    part, failed = report_parts(str(small_province), ReadArgs(), AssessArgs(as_of=AS_OF),
                                EngineArgs(workers=2), ids, None, geometry=False)
    assert not failed and part.parcels == len(whole) == 1600
    assert list(part.listed["parcel_id"]) == sorted(listed["parcel_id"])
    # the rated parcels' few columns for the enterprise table
    assert list(part.rated["parcel_id"]) == sorted(rated["parcel_id"])
    assert len(part.rated.columns) <= 9 and len(part.listed.columns) <= 18
    assert part.map_rows is None and part.listed.geometry.isna().all()  # no HTML: no shapes
    # the sums by category stand for the others: 8 development zones, a few keys each
    assert sum(t.n for t in part.lifecycle.values()) == 1600
    assert len(part.by_zone) <= 8 * 4 and len(part.lifecycle) <= 7 and len(part.mujun) <= 7


def test_above_the_map_limit_the_map_draws_the_listed_parcels(
        small_province: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import landuse.report.build as build
    import landuse.report.partial as partial
    from landuse.io import read_ledger
    from landuse.report import build_report, write_report

    # the limit lowered for this process: the zones run here (no workers), as one machine
    monkeypatch.setattr(partial, "MAP_ALL_PARCELS", 500)
    monkeypatch.setattr(build, "MAP_ALL_PARCELS", 500)
    led = _province_ledger(tmp_path)
    whole = _whole_assessment(small_province)
    data = build_report(whole, read_ledger(led), "2023-01-01", AS_OF)
    plain = [write_report(data, tmp_path / f"one{k}") for k in (".json", ".html")]
    zoned = [tmp_path / "z" / f"r{k}" for k in (".json", ".html")]
    _run("report", str(small_province), "--ledger", str(led), *PERIOD,
         *[a for p in zoned for a in ("-o", str(p))])
    for a, b in zip(plain, zoned, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    drawn = data.map_frame
    assert len(drawn) < 1600 and (drawn["cat"] != "other").all()
    assert data.map_not_drawn == 1600 - len(drawn)
    assert list(drawn["parcel_id"]) == sorted(drawn["parcel_id"])
    assert any(f"其余 {data.map_not_drawn} 宗未绘制" in n for n in data.notes)
    assert f"其他宗地 ({data.map_not_drawn})" in zoned[1].read_text(encoding="utf-8")
