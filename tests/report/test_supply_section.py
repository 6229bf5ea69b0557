"""The report's 土地供应与储备 section, in every format, equals the sample park's expected
supply figures (data/geo/sample_supply_expected.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from landuse.io import read_ledger, read_parcels
from landuse.io.supply import read_supply
from landuse.report import build_report, write_report
from landuse.rules import assess
from landuse.supply.summary import summarise
from tests.builders import ROOT

GEO = ROOT / "data" / "geo"
EXP = json.loads((GEO / "sample_supply_expected.json").read_text("utf-8"))
PERIOD = ("2023-01-01", "2023-10-31")


@pytest.fixture(scope="module")
def reports() -> dict[str, object]:
    parcels = read_parcels(GEO / "sample_park.gpkg")
    ledger = read_ledger(GEO / "sample_park.gpkg")
    s = summarise(read_supply(GEO / "sample_park_supply.gpkg"), PERIOD[1], ledger=ledger,
                  parcels=parcels)
    out = {}
    for lang in ("zh", "en"):
        assessed = assess(parcels, PERIOD[1], lang=lang)
        out[lang] = build_report(assessed, ledger, *PERIOD, lang=lang, as_of=PERIOD[1],
                                 supply=s)
    return out


def test_the_seed_paragraph_carries_the_expected_figures(reports) -> None:  # type: ignore[no-untyped-def]
    sec = reports["zh"].to_dict()["sections"]["supply"]  # type: ignore[attr-defined]
    assert sec["title"] == "土地供应与储备"
    assert sec["paragraph"].startswith(
        "制定年度用地供应计划，依规及时为项目供地。至2023年10月31日已供应土地"
        f"{EXP['supplied_count']}宗，{EXP['supplied_mu']:,.2f}亩；为{EXP['mortgage_users']}户"
        f"用地单位办理了土地使用权他项权利登记，为企业融资{EXP['financed_yi']:.2f}亿元。")
    assert f"尚可供应土地{EXP['suppliable_mu']:g}亩" in sec["paragraph"]
    assert f"缺口{EXP['quota']['new_construction']['shortfall_mu']:g}亩" in sec["paragraph"]
    t = sec["tables"]
    total = t["supply_batches"]["rows"][-1]
    assert total[0] == "合计" and total[6] == EXP["unsupplied_mu"]
    assert [r[5] for r in t["supply_tasks"]["rows"]] == [x["rate_pct"] for x in EXP["tasks_2023"]]
    years = dict(t["supply_years"]["rows"])
    assert years["尚可供地年数（年）"] == EXP["years_left"]["years"]
    assert any(n.startswith("尚可供地年数 = ") for n in sec["notes"])


def test_every_format_shows_the_section(reports, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import docx
    import openpyxl

    for lang, title in (("zh", "土地供应与储备"), ("en", "Land supply and reserve")):
        r = reports[lang]
        md = write_report(r, tmp_path / f"r_{lang}.md").read_text("utf-8")  # type: ignore[arg-type]
        assert f"## {title}" in md
        html = write_report(r, tmp_path / f"r_{lang}.html").read_text("utf-8")  # type: ignore[arg-type]
        assert 'id="section-supply"' in html and title in html
        js = json.loads(write_report(r, tmp_path / f"r_{lang}.json").read_text("utf-8"))  # type: ignore[arg-type]
        assert js["sections"]["supply"]["figures"]["headline"]["supplied_count"] == \
            EXP["supplied_count"]
        wb = openpyxl.load_workbook(write_report(r, tmp_path / f"r_{lang}.xlsx"))  # type: ignore[arg-type]
        assert any(n.startswith(("报批批次", "Approval batches")) for n in wb.sheetnames)
        d = docx.Document(str(write_report(r, tmp_path / f"r_{lang}.docx")))  # type: ignore[arg-type]
        assert any(p.text == title for p in d.paragraphs)


def test_without_supply_records_there_is_no_section(reports) -> None:  # type: ignore[no-untyped-def]
    parcels = read_parcels(GEO / "sample_park.gpkg")
    r = build_report(assess(parcels, PERIOD[1]), read_ledger(GEO / "sample_park.gpkg"),
                     *PERIOD, as_of=PERIOD[1])
    assert "sections" not in r.to_dict()
