"""``report`` on a partitioned dataset: one zone per task, here or on Dask, and the report
equals the single-machine report of the same parcels."""

from __future__ import annotations

import json
from pathlib import Path

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
