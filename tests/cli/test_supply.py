"""``landuse supply validate|summary`` on the sample park's supply records."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from landuse.cli import cli
from tests.builders import ROOT

GEO = ROOT / "data" / "geo"
RECORDS = str(GEO / "sample_park_supply.gpkg")
PARCELS = str(GEO / "sample_park.gpkg")
EXP = json.loads((GEO / "sample_supply_expected.json").read_text("utf-8"))


def test_validate_is_clean_with_quota_warnings() -> None:
    r = CliRunner().invoke(cli, ["supply", "validate", RECORDS, "--parcels", PARCELS])
    assert r.exit_code == 0, r.output
    assert "错误 errors: 0" in r.output and "指标使用超出余额" in r.output


def test_validate_exits_1_on_errors(tmp_path: Path) -> None:
    (tmp_path / "supply.csv").write_text(
        "电子监管号,宗地编号,供应方式,土地用途,供应面积(亩),合同签订日期\n"
        "S1,NO-SUCH,挂牌,工业用地,1,2020-05-01\n", encoding="utf-8")
    rep = tmp_path / "p.csv"
    r = CliRunner().invoke(cli, ["supply", "validate", str(tmp_path), "--parcels", PARCELS,
                                 "--report", str(rep)])
    assert r.exit_code == 1, r.output
    p = pd.read_csv(rep)
    assert p[["row", "field"]].values.tolist() == [[1, "parcel_id"]]


def test_summary_prints_the_sentences_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    r = CliRunner().invoke(cli, ["supply", "summary", RECORDS, "--parcels", PARCELS,
                                 "--as-of", EXP["as_of"], "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert (f"至2023年10月31日已供应土地{EXP['supplied_count']}宗，"
            f"{EXP['supplied_mu']:,.2f}亩。") in r.output
    doc = json.loads(out.read_text("utf-8"))
    assert doc["headline"]["financed_yi"] == EXP["financed_yi"]
    figs = {f["figure"]: f for f in doc["figures"] if not f["subject"]}
    assert figs["suppliable"]["value"] == EXP["suppliable_mu"]
    assert figs["unsupplied_total"]["value"] == EXP["unsupplied_mu"]
    # written again only with --overwrite
    r = CliRunner().invoke(cli, ["supply", "summary", RECORDS, "--as-of", EXP["as_of"],
                                 "-o", str(out)])
    assert r.exit_code == 2 and "--overwrite" in r.output


def test_summary_in_english_to_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "s.xlsx"
    r = CliRunner().invoke(cli, ["supply", "summary", RECORDS, "--as-of", EXP["as_of"],
                                 "--lang", "en", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "years of supply left" in r.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert {"figures", "batches", "tasks", "quota", "plan"} <= set(sheets)
    assert len(sheets["batches"]) == EXP["counts"]["batches"]


def test_import_into_a_store_all_or_nothing(tmp_path: Path) -> None:
    store = tmp_path / "park.gpkg"
    run = CliRunner().invoke
    assert run(cli, ["load", PARCELS, "--store", str(store)]).exit_code == 0
    r = run(cli, ["supply", "import", RECORDS, "--store", str(store)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["stored"] == sum(EXP["counts"].values())
    r = run(cli, ["supply", "import", RECORDS, "--store", str(store)])
    assert r.exit_code == 2 and "nothing was stored" in r.output
