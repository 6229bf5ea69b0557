"""The sample park's Jan–Oct 2023 report reproduces the figures its generator was built with.

The expected figures come from ``data/geo/sample_park_expected.json``; the report is
written in every format in both languages and each file is read back and checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from landuse.report import build_report, write_report
from landuse.report.model import ReportData
from landuse.report.text import fmt1, label
from tests.support.browser import CHROMIUM_ARGS

FORMATS = ("json", "md", "xlsx", "docx", "html")
METHODS = ("lease_then_transfer", "agreement_transfer", "merger")


@pytest.fixture(scope="module")
def expected(root: Path) -> dict[str, Any]:
    return json.loads((root / "data" / "geo" / "sample_park_expected.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def written(sample_park: Path, expected: dict[str, Any],
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from landuse.cli.report import load_inputs

    start, end = expected["ledger"]["period"]
    parcels, led = load_inputs(sample_park, None, end, "zh")
    out = tmp_path_factory.mktemp("sample_report")
    files: dict[str, Any] = {}
    for lang in ("zh", "en"):
        data = build_report(parcels, led, start, end, lang=lang)
        files[lang] = {"data": data}
        for fmt in FORMATS:
            files[lang][fmt] = write_report(data, out / f"sample_{lang}.{fmt}")
    return files


def headline_parts(exp: dict[str, Any], lang: str) -> list[str]:
    """The headline's figures, phrased from the expected JSON."""
    e = exp["ledger"]
    by = e["disposed_mu_by_method"]
    st = {k: len(v) for k, v in e["idle_by_stage_in_headline"].items()}
    comp = e["auctions_completed_mu"]
    started = e["auctions_started_mu"]
    if lang == "zh":
        methods = "、".join(
            (f"通过{label('method', m)}方式盘活了{fmt1(by[m])}亩" if i == 0 else
             f"{label('method', m)}{fmt1(by[m])}亩") for i, m in enumerate(METHODS))
        return [
            f"清理僵尸企业{e['zombie_enterprises_cleared']}家",
            f"盘活闲置用地{fmt1(e['disposed_mu'])}亩，其中{methods}",
            f"新入驻企业{e['new_enterprises']}家",
            f"完成网上竞卖闲置资产{len(comp)}宗（{'、'.join(fmt1(a) + '亩' for a in comp)}）",
            f"启动网上竞卖{len(started)}宗（{'、'.join(fmt1(a) + '亩' for a in started)}）",
            f"{st['remedy_start_pending']}宗",
            "正在办理开工手续",
            f"{st['recovery_in_progress']}宗",
            "已进入清收程序",
            f"{st['investigating']}宗",
            "正在调查清收",
        ]
    return [
        f"cleared {e['zombie_enterprises_cleared']} zombie enterprises",
        f"brought {fmt1(e['disposed_mu'])} mu of idle land back into use: "
        f"{fmt1(by['lease_then_transfer'])} mu by lease-then-transfer, "
        f"{fmt1(by['agreement_transfer'])} mu by agreement transfer and "
        f"{fmt1(by['merger'])} mu by merger and restructuring",
        f"{e['new_enterprises']} new enterprises moved in",
        f"{len(comp)} online auctions of idle assets were completed "
        f"({', '.join(fmt1(a) + ' mu' for a in comp)})",
        f"{len(started)} was started ({', '.join(fmt1(a) + ' mu' for a in started)})",
        f"{st['remedy_start_pending']} parcels",
        "are obtaining construction permits",
        "are in the recovery procedure",
        "are under investigation",
    ]


def test_issue_wording_literally(written: dict[str, Any]) -> None:
    """The issue's own sentence, word for word, in the Chinese headline."""
    h = written["zh"]["data"].headline
    # both auctions are judicial_auction in the ledger: "通过司法程序" (issue 11 point 7)
    assert ("清理僵尸企业6家、盘活闲置用地175.8亩，其中通过先租后让方式盘活了67亩、协议转让52亩、"
            "兼并重组56.8亩；新入驻企业7家，预计可新增年产值5.94亿元；"
            "通过司法程序完成网上竞卖闲置资产2宗（146亩、26亩），启动网上竞卖1宗（170亩）") in h
    assert h.index("正在办理开工手续") < h.index("已进入清收程序") < h.index("正在调查清收")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_match_expected(written: dict[str, Any], expected: dict[str, Any],
                                lang: str) -> None:
    data: ReportData = written[lang]["data"]
    e = expected["ledger"]
    f = data.figures
    assert f["zombie_enterprises_cleared"] == e["zombie_enterprises_cleared"]
    assert f["reclaimed_mu"] == e["disposed_mu"]
    assert f["reclaimed_by_method_mu"] == e["disposed_mu_by_method"]
    assert f["new_enterprises"] == e["new_enterprises"]
    assert f["auctions_completed_mu"] == e["auctions_completed_mu"]
    assert f["auctions_started_mu"] == e["auctions_started_mu"]
    for stage in ("remedy_start_pending", "recovery_in_progress", "investigating"):
        assert sorted(f["idle_by_stage"][stage]["parcel_ids"]) == \
            sorted(e["idle_by_stage_in_headline"][stage])
        held = set(e["idle_by_stage_in_headline"][stage])
        assert sorted(f["idle_by_stage"][stage]["not_idle"]) == \
            sorted(p for p in e["parcels_by_latest_stage"][stage] if p not in held)
    for part in headline_parts(expected, lang):
        assert part in data.headline, (part, data.headline)
    assert f["expected_output_wan"] == e["expected_output_wan"]
    assert f["recovery_lead"]["parcels"] == e["recovery_lead_parcels"]
    enf = f["enforcement"]
    assert enf["low_efficiency"]["parcels"] == expected["assessment"]["low_efficiency"]
    assert enf["use_changed"]["parcels"] == expected["assessment"]["use_changed"]
    # the assessment's idle parcels all appear in the idle list
    idle = expected["assessment"]["idle_type"]
    assert len(data.table("idle_parcels").rows) == idle["not_started"] + idle["stalled"]
    assert len(data.table("low_efficiency").rows) == expected["assessment"]["low_efficiency"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_json_file(written: dict[str, Any], expected: dict[str, Any], lang: str) -> None:
    d = json.loads(written[lang]["json"].read_text("utf-8"))
    e = expected["ledger"]
    assert d["figures"]["reclaimed_mu"] == e["disposed_mu"]
    assert d["figures"]["reclaimed_by_method_mu"] == e["disposed_mu_by_method"]
    assert d["figures"]["auctions_completed_mu"] == e["auctions_completed_mu"]
    assert d["meta"]["period_from"] == e["period"][0] and d["meta"]["period_to"] == e["period"][1]
    for part in headline_parts(expected, lang):
        assert part in d["headline"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_md_file(written: dict[str, Any], expected: dict[str, Any], lang: str) -> None:
    md = written[lang]["md"].read_text("utf-8")
    for part in headline_parts(expected, lang):
        assert part in md


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_file(written: dict[str, Any], expected: dict[str, Any], lang: str) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(written[lang]["xlsx"], read_only=True)
    summary = {row[0]: (row[1] if len(row) > 1 else None)
               for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    e = expected["ledger"]
    assert summary["reclaimed_mu"] == e["disposed_mu"]
    assert summary["zombie_enterprises_cleared"] == e["zombie_enterprises_cleared"]
    assert summary["new_enterprises"] == e["new_enterprises"]
    for m, mu in e["disposed_mu_by_method"].items():
        assert summary[f"reclaimed_by_method_mu.{m}"] == mu
    head = summary["工作概述" if lang == "zh" else "Summary"]
    for part in headline_parts(expected, lang):
        assert part in head
    rows = list(wb.worksheets[1].iter_rows(values_only=True))
    by_method = {r[0]: r[2] for r in rows[1:]}
    for m, mu in e["disposed_mu_by_method"].items():
        assert by_method[label("method", m, lang)] == mu
    assert by_method["合计" if lang == "zh" else "Total"] == e["disposed_mu"]
    wb.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docx_file(written: dict[str, Any], expected: dict[str, Any], lang: str) -> None:
    import docx

    d = docx.Document(str(written[lang]["docx"]))
    text = "\n".join(p.text for p in d.paragraphs)
    for part in headline_parts(expected, lang):
        assert part in text
    t = d.tables[0]
    cells = {row.cells[0].text: row.cells[2].text for row in t.rows[1:]}
    for m, mu in expected["ledger"]["disposed_mu_by_method"].items():
        assert cells[label("method", m, lang)] == f"{mu:.1f}"


@pytest.mark.browser
def test_html_files_in_chromium(written: dict[str, Any], expected: dict[str, Any],
                                chromium_path: str, artifacts: Path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
        )
        ctx = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        for lang in ("zh", "en"):
            page = ctx.new_page()
            page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
            page.on("request", lambda r: None if r.url.startswith("file://")
                    else problems.append(f"request {r.url}"))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.goto(Path(written[lang]["html"]).as_uri())
            page.wait_for_load_state("load")
            headline = page.inner_text("#headline")
            for part in headline_parts(expected, lang):
                assert part in headline, (lang, part)
            assert page.locator("#overview-map svg path").count() == expected["parcel_count"]
            assert page.locator("figure[data-chart] svg").count() == 4
            first = page.inner_text("table[data-table=by_method] tbody tr:nth-child(1) "
                                    "td:nth-child(3)")
            assert first == f"{expected['ledger']['disposed_mu_by_method'][METHODS[0]]:.1f}"
            page.screenshot(path=str(artifacts / f"sample_park_report_{lang}.png"),
                            full_page=True)
        browser.close()
    assert problems == []


def test_calendar_year_counts_fb001_once(sample_park: Path) -> None:
    """FB-001 is disposed in March (先租后让) and again in December 2023 (转为出让)."""
    from landuse.cli.report import load_inputs

    parcels, led = load_inputs(sample_park, None, "2023-12-31", "zh")
    jan_oct = build_report(parcels, led, "2023-01-01", "2023-10-31")
    year = build_report(parcels, led, "2023-01-01", "2023-12-31")
    assert year.period_label == "2023年"
    assert year.figures["reclaimed_more_than_once"] == ["FB-001"]
    assert year.figures["reclaimed_mu"] == jan_oct.figures["reclaimed_mu"]  # not + 25 亩
    assert any("FB-001" in n and "面积只计 1 次" in n for n in year.notes)
    jan_sep = build_report(parcels, led, "2023-01-01", "2023-09-30")
    assert jan_sep.figures["reclaimed_mu"] == jan_oct.figures["reclaimed_mu"]  # none in Oct
    # DZ-010's November event is outside Jan–Oct: still under investigation then
    assert "DZ-010" in jan_oct.figures["idle_by_stage"]["investigating"]["parcel_ids"]
    assert "DZ-010" in year.figures["idle_by_stage"]["recovery_in_progress"]["parcel_ids"]


def test_demo_step_writes_both_languages_in_all_formats(sample_park: Path, tmp_path: Path) -> None:
    from landuse_demo.steps import STEPS, DemoContext

    step = next(fn for title, fn in STEPS if title.startswith("report"))
    ctx = DemoContext(sample=sample_park, out_dir=tmp_path, maps_dir=tmp_path)
    paths = step(ctx)
    assert sorted(p.suffix for p in paths) == sorted([".html", ".xlsx", ".docx", ".md",
                                                      ".json"] * 2)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    zh = json.loads(next(p for p in paths if p.name.endswith("_zh.json")).read_text("utf-8"))
    assert zh["figures"]["reclaimed_mu"] == 175.8
