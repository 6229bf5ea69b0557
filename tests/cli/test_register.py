"""CLI surface of the register: help with examples, the demo step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse_demo.steps import STEPS, DemoContext


@pytest.mark.parametrize("cmd", ["info", "validate", "convert"])
def test_help_has_examples(cmd: str) -> None:
    res = CliRunner().invoke(cli, [cmd, "--help"])
    assert res.exit_code == 0
    assert "Examples:" in res.output and f"landuse {cmd}" in res.output
    for opt in ("--layer", "--encoding", "--attributes", "--assume-crs"):
        assert opt in res.output


@pytest.mark.parametrize("cmd", ["info", "validate", "convert", "demo", "assess", "summary",
                                 "report", "evidence", "load", "serve", "map"])
def test_every_command_help_shows_an_example(cmd: str) -> None:
    res = CliRunner().invoke(cli, [cmd, "--help"])
    assert res.exit_code == 0
    assert "Example" in res.output and f"landuse {cmd} " in res.output


def test_demo_validate_step_writes_report(tmp_path: Path) -> None:
    from bench.synth import write_parcels

    sample = write_parcels(50, tmp_path / "sample.gpkg")
    ctx = DemoContext(sample=sample, out_dir=tmp_path / "out", maps_dir=tmp_path / "maps")
    ctx.out_dir.mkdir()
    step = dict(STEPS)["register: validate the sample park (problems report)"]
    paths = step(ctx)
    assert [p.name for p in paths] == ["validation.csv", "validation.json"]
    doc = json.loads(paths[1].read_text(encoding="utf-8"))
    assert doc["summary"] == {"errors": 0, "warnings": 0}


@pytest.mark.slow
def test_demo_on_the_sample_park(sample_park: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "o"),
                                   "--maps", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "validation.csv").exists()
    assert {p.name for p in (tmp_path / "m").iterdir()} >= {"sample_park.html",
                                                           "sample_park_en.html"}


@pytest.mark.slow
def test_demo_out_holds_the_maps_too(sample_park: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``--out D`` alone: reports in D, maps in D/maps, nothing in the working folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = CliRunner().invoke(cli, ["demo", "--out", "D"])
    assert res.exit_code == 0, res.output
    assert (work / "D" / "report_2023-01_2023-10_zh.html").exists()
    assert {p.name for p in (work / "D" / "maps").glob("*.html")} == {
        "sample_park.html", "sample_park_en.html"}
    assert sorted(p.name for p in work.iterdir()) == ["D"]


def test_validate_finds_the_seeded_sample_park_problems(sample_park: Path) -> None:
    """data/geo/README.md seeds two area mismatches (YS-079 +4.2 %, HG-075 -3.6 %)."""
    from landuse.core.validate import validate
    from landuse.io import read_ledger, read_parcels

    p = validate(read_parcels(sample_park))
    assert sorted(p["parcel_id"]) == ["HG-075", "YS-079"]
    assert set(p["field"]) == {"registered_area_m2"}
    ledger = read_ledger(sample_park)
    assert ledger["event_date"].dtype.kind == "M" and ledger.attrs["landuse"]["cells"]["row"] == []
    assert set(p["severity"]) == {"warning"}  # an area mismatch does not make data unusable
    res = CliRunner().invoke(cli, ["validate", str(sample_park)])
    assert res.exit_code == 0 and "+4.2%" in res.output and "2 warnings" in res.output
