"""The report's discrepancy list: records vs imagery from ``landuse evidence`` (issue 7 → 4).

Evidence is made as the demo step makes it: synthetic land cover for two dates and
synthetic footprints for the sample park, then :func:`landuse.evidence.run_evidence`. The
report is written in every format and read back (JSON, openpyxl, python-docx).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.errors import SchemaError
from landuse.report import build_report, write_report
from landuse.report.text import T, label
from landuse.units import M2_PER_MU

PERIOD = ("2023-01-01", "2023-10-31")
EXPECTED = {
    "DZ-001": ["built_but_recorded_unstarted"],
    "DZ-002": ["built_but_recorded_unstarted"],
    "DZ-003": ["bare_but_recorded_completed", "footprint_mismatch"],
}


@pytest.fixture(scope="module")
def ev_run(sample_park: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Rasters, buildings and evidence for the sample park, as the demo step makes them."""
    from landuse.evidence import run_evidence
    from landuse.io import read_parcels
    from landuse.io.evidence import write_evidence
    from landuse_demo.synthetic import (
        synthetic_buildings,
        synthetic_landcover,
        write_landcover,
    )

    out = tmp_path_factory.mktemp("evidence")
    parcels = read_parcels(sample_park)
    rasters = {}
    for name, date in (("before", "2021-10-31"), ("after", "2023-10-31")):
        arr, transform = synthetic_landcover(parcels, as_of=date, design_as_of="2023-10-31")
        rasters[name] = out / f"lc_{date}.tif"
        write_landcover(rasters[name], arr, transform, parcels.crs, date)
    res = run_evidence(parcels, raster=rasters["after"], before=rasters["before"],
                       after=rasters["after"], buildings=synthetic_buildings(parcels))
    gpkg = write_evidence(res, out / "evidence.gpkg")
    return {"res": res, "gpkg": gpkg, "dir": out}


@pytest.fixture(scope="module")
def inputs(sample_park: Path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    from landuse.cli.report import load_inputs

    return load_inputs(sample_park, None, PERIOD[1], "zh")


@pytest.fixture(scope="module")
def reports(ev_run: dict[str, Any], inputs: Any,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    from landuse.io.evidence import read_evidence

    ev, outside = read_evidence(ev_run["gpkg"])  # read back what `landuse evidence` wrote
    parcels, led = inputs
    out = tmp_path_factory.mktemp("reports")
    files: dict[str, dict[str, Any]] = {}
    for lang in ("zh", "en"):
        data = build_report(parcels, led, *PERIOD, lang=lang, evidence=ev,
                            outside_supply=outside)
        files[lang] = {"data": data}
        for fmt in ("json", "xlsx", "docx", "md", "html"):
            files[lang][fmt] = write_report(data, out / f"r_{lang}.{fmt}")
    return files


def _flag_labels(pid: str, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(label("records_disagree", f, lang)
                                                for f in EXPECTED[pid])


def _check_reason(reason: str, pid: str, lang: str) -> None:
    if lang == "zh":
        assert reason.startswith("台账记录") and "recorded" not in reason
        if "footprint_mismatch" in EXPECTED[pid]:
            assert "建筑基底面积台账" in reason
    else:
        assert reason.startswith("Recorded as") and "台账" not in reason
        if "footprint_mismatch" in EXPECTED[pid]:
            assert "Recorded footprint" in reason


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_json_lists_exactly_the_disagreeing_parcels(reports: Any, ev_run: Any, lang: str) -> None:
    d = json.loads(reports[lang]["json"].read_text("utf-8"))
    t = d["tables"]["records_disagree"]
    assert t["title"] == T[lang]["t_evidence"]
    rows = [dict(zip(t["keys"], r, strict=True)) for r in t["rows"]]
    assert [r["parcel_id"] for r in rows] == sorted(EXPECTED)
    ev = ev_run["res"].parcels.set_index("parcel_id")
    for r in rows:
        pid = r["parcel_id"]
        assert r["records_disagree"] == _flag_labels(pid, lang)
        _check_reason(r["reason"], pid, lang)
        assert r["evidence_date"] == "2023-10-31"
        assert r["builtup_share_pct"] == pytest.approx(ev.at[pid, "builtup_share"] * 100, abs=0.06)
        assert r["bare_share_pct"] == pytest.approx(ev.at[pid, "bare_share"] * 100, abs=0.06)
        assert r["footprint_observed_m2"] == pytest.approx(ev.at[pid, "observed_footprint_m2"],
                                                           abs=0.06)
    unstarted = label("recorded_state", "unstarted", lang)
    completed = label("recorded_state", "completed", lang)
    assert [r["recorded_state"] for r in rows] == [unstarted, unstarted, completed]
    dz3 = rows[2]
    assert dz3["footprint_recorded_m2"] > dz3["footprint_observed_m2"] > 0
    assert dz3["coverage_recorded_pct"] > dz3["coverage_observed_pct"] > 0
    assert dz3["bare_share_pct"] >= 50
    f = d["figures"]
    assert f["records_disagree_parcels"] == 3
    assert f["records_disagree_parcel_ids"] == sorted(EXPECTED)
    assert f["records_disagree_by_flag"] == {"built_but_recorded_unstarted": 2,
                                             "bare_but_recorded_completed": 1,
                                             "footprint_mismatch": 1}
    # the count in the summary paragraph and a sentence in the notes
    assert ("不符的宗地3宗" if lang == "zh" else "found 3 parcels") in d["headline"]
    note = next(n for n in d["notes"] if T[lang]["t_evidence"] in n
                or "Records vs imagery" in n)
    assert "3" in note and "302" in note
    # DZ-014's warning is a note, not a row
    assert any("DZ-014" in n for n in d["notes"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_outside_supply_buildings_with_area(reports: Any, ev_run: Any, lang: str) -> None:
    d = json.loads(reports[lang]["json"].read_text("utf-8"))
    t = d["tables"]["outside_supply"]
    rows = [dict(zip(t["keys"], r, strict=True)) for r in t["rows"]]
    assert [r["building_id"] for r in rows] == ["B-unsupplied"]
    m2 = float(ev_run["res"].outside_supply["building_area_m2"].iloc[0])
    assert rows[0]["area_m2"] == pytest.approx(m2, abs=0.06)
    assert rows[0]["area_mu"] == round(m2 / M2_PER_MU, 1)
    lon, lat = map(float, rows[0]["location"].split(","))
    assert 110 < lon < 125 and 20 < lat < 35
    assert d["figures"]["outside_supply_buildings"] == 1
    assert d["figures"]["outside_supply_mu"] == rows[0]["area_mu"]
    assert ("供地范围外建筑1栋" if lang == "zh" else "1 building") in d["headline"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_read_back(reports: Any, lang: str) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(reports[lang]["xlsx"], read_only=True)
    tx = T[lang]
    ws = wb[tx["t_evidence"]]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    assert head[0] == tx["c_parcel"] and tx["c_disagree"] in head and tx["c_reason"] in head
    body = [dict(zip(head, r, strict=True)) for r in rows[1:]]
    assert [r[tx["c_parcel"]] for r in body] == sorted(EXPECTED)
    for r in body:
        pid = r[tx["c_parcel"]]
        assert r[tx["c_disagree"]] == _flag_labels(pid, lang)
        _check_reason(r[tx["c_reason"]], pid, lang)
        assert isinstance(r[tx["c_builtup_share"]], float)  # numbers as numbers
    summary = {r[0]: r[1] for r in wb.worksheets[0].iter_rows(values_only=True) if len(r) > 1}
    assert summary["records_disagree_parcels"] == 3
    assert summary["outside_supply_buildings"] == 1
    out_sheet = next(s for s in wb.sheetnames if s.startswith(tx["t_outside"][:10]))
    orows = list(wb[out_sheet].iter_rows(values_only=True))
    assert orows[1][0] == "B-unsupplied" and isinstance(orows[1][2], float)
    wb.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docx_read_back(reports: Any, lang: str) -> None:
    from docx import Document

    doc = Document(str(reports[lang]["docx"]))
    tx = T[lang]
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert tx["t_evidence"] in headings and tx["t_outside"] in headings
    table = next(t for t in doc.tables
                 if [c.text for c in t.rows[0].cells][:4] ==
                 [tx["c_parcel"], tx["c_zone"], tx["c_holder"], tx["c_recorded_state"]])
    head = [c.text for c in table.rows[0].cells]
    body = [dict(zip(head, [c.text for c in r.cells], strict=True)) for r in table.rows[1:]]
    assert [r[tx["c_parcel"]] for r in body] == sorted(EXPECTED)
    for r in body:
        pid = r[tx["c_parcel"]]
        assert r[tx["c_disagree"]] == _flag_labels(pid, lang)
        _check_reason(r[tx["c_reason"]], pid, lang)
        assert r[tx["c_evidence_date"]] == "2023-10-31"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert ("不符的宗地3宗" if lang == "zh" else "found 3 parcels") in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_md_and_html_include_the_list(reports: Any, lang: str) -> None:
    md = reports[lang]["md"].read_text("utf-8")
    html = reports[lang]["html"].read_text("utf-8")
    assert f"### {T[lang]['t_evidence']}" in md
    assert 'data-table="records_disagree"' in html and 'data-table="outside_supply"' in html
    for pid in EXPECTED:
        assert f"| {pid} |" in md
        assert f"<td>{pid}</td>" in html
    if lang == "en":
        reasons = re.findall(r"\| (Recorded as[^|]*) \|", md)
        assert len(reasons) == 3 and not any("台账" in r for r in reasons)


def test_without_evidence_nothing_changes(inputs: Any, reports: Any, tmp_path: Path) -> None:
    parcels, led = inputs
    plain = build_report(parcels, led, *PERIOD, lang="zh")
    with_ev = reports["zh"]["data"]
    keys = [t.key for t in plain.tables]
    assert "records_disagree" not in keys and "outside_supply" not in keys
    assert not any(k.startswith(("records_disagree", "outside_supply", "evidence"))
                   for k in plain.figures)
    assert with_ev.headline.startswith(plain.headline[:-1])
    assert [t.key for t in with_ev.tables if t.key in keys] == keys
    from openpyxl import load_workbook

    x = write_report(plain, tmp_path / "plain.xlsx")
    wb = load_workbook(x, read_only=True)
    assert T["zh"]["t_evidence"] not in wb.sheetnames
    wb.close()


def test_zone_report_keeps_its_parcels_only(ev_run: Any, inputs: Any) -> None:
    from landuse.io.evidence import read_evidence

    ev, outside = read_evidence(ev_run["gpkg"])
    parcels, led = inputs
    zone = str(parcels.loc[parcels["parcel_id"] == "DZ-001", "zone"].iloc[0])
    other = sorted(set(parcels["zone"].dropna()) - {zone})[0]
    r = build_report(parcels, led, *PERIOD, zone=zone, lang="en", evidence=ev,
                     outside_supply=outside)
    assert [row[0] for row in r.table("records_disagree").rows] == sorted(EXPECTED)
    assert "outside_supply" not in [t.key for t in r.tables]
    r2 = build_report(parcels, led, *PERIOD, zone=other, lang="zh", evidence=ev)
    assert r2.table("records_disagree").rows == []
    assert r2.figures["records_disagree_parcels"] == 0


def test_unknown_evidence_parcel_is_refused(ev_run: Any, inputs: Any) -> None:
    parcels, led = inputs
    ev = ev_run["res"].parcels.copy()
    ev.loc[ev.index[0], "parcel_id"] = "XX-999"
    with pytest.raises(SchemaError, match="XX-999"):
        build_report(parcels, led, *PERIOD, evidence=ev)
    with pytest.raises(SchemaError, match="records_disagree"):
        build_report(parcels, led, *PERIOD, evidence=ev.drop(columns="records_disagree"))


def test_cli_report_with_evidence(ev_run: Any, sample_park: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["report", str(sample_park), "--from", PERIOD[0], "--to",
                                   PERIOD[1], "--lang", "en", "--evidence",
                                   str(ev_run["gpkg"]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text("utf-8"))
    assert [r[0] for r in d["tables"]["records_disagree"]["rows"]] == sorted(EXPECTED)
    assert d["tables"]["outside_supply"]["rows"][0][0] == "B-unsupplied"
    assert "found 3 parcels" in res.output  # the headline echoed


def test_cli_report_with_parquet_evidence(ev_run: Any, sample_park: Path, tmp_path: Path) -> None:
    from landuse.io.evidence import write_evidence

    pq = write_evidence(ev_run["res"], tmp_path / "ev.parquet")
    assert (tmp_path / "ev.parquet.discrepancies.csv").exists()
    out = tmp_path / "r.md"
    res = CliRunner().invoke(cli, ["report", str(sample_park), "--from", PERIOD[0], "--to",
                                   PERIOD[1], "--evidence", str(pq), "-o", str(out)])
    assert res.exit_code == 0, res.output
    md = out.read_text("utf-8")
    assert all(f"| {pid} |" in md for pid in EXPECTED)
    assert T["zh"]["t_outside"] not in md  # parquet evidence holds no outside-supply layer


def test_cli_bad_evidence_file(ev_run: Any, sample_park: Path, tmp_path: Path) -> None:
    ev = ev_run["res"].parcels.copy()
    ev.loc[ev["parcel_id"] == "DZ-001", "parcel_id"] = "XX-404"
    ev.loc[ev["parcel_id"] == "DZ-002", "parcel_id"] = "XX-405"
    bad = tmp_path / "bad.gpkg"
    ev.to_file(bad, layer="evidence", driver="GPKG", engine="pyogrio")
    base = ["report", str(sample_park), "--from", PERIOD[0], "--to", PERIOD[1]]
    for suffix in (".json", ".docx"):
        out = tmp_path / f"r{suffix}"
        res = CliRunner().invoke(cli, [*base, "--evidence", str(bad), "-o", str(out)])
        assert res.exit_code == 2, res.output
        assert "XX-404" in res.output and "XX-405" in res.output and str(bad) in res.output
        assert "Fix:" in res.output and "Traceback" not in res.output
        assert not out.exists()
        assert not list(tmp_path.glob("*.tmp*"))
    # a file that is not evidence at all, and one that is missing
    other = tmp_path / "other.gpkg"
    ev[["parcel_id", "geometry"]].to_file(other, layer="parcels", driver="GPKG")
    res = CliRunner().invoke(cli, [*base, "--evidence", str(other), "-o", str(tmp_path / "x.md")])
    assert res.exit_code == 2 and "'evidence' layer" in res.output
    res = CliRunner().invoke(cli, [*base, "--evidence", str(tmp_path / "nope.gpkg"), "-o",
                                   str(tmp_path / "x.md")])
    assert res.exit_code == 2 and "not found" in res.output
    assert not (tmp_path / "x.md").exists()


def test_demo_report_step_uses_the_evidence(sample_park: Path, tmp_path: Path) -> None:
    from landuse_demo.steps import STEPS, DemoContext

    titles = [t for t, _ in STEPS]
    ev_i = next(i for i, t in enumerate(titles) if t.startswith("evidence"))
    rep_i = next(i for i, t in enumerate(titles) if t.startswith("report"))
    assert ev_i < rep_i
    ctx = DemoContext(sample=sample_park, out_dir=tmp_path, maps_dir=tmp_path / "maps")
    STEPS[ev_i][1](ctx)
    paths = STEPS[rep_i][1](ctx)
    en = json.loads(next(p for p in paths if p.name.endswith("_en.json")).read_text("utf-8"))
    assert [r[0] for r in en["tables"]["records_disagree"]["rows"]] == sorted(EXPECTED)
    assert en["figures"]["reclaimed_mu"] == 175.8
