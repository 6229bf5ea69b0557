"""Report files: written atomically, read back (JSON, MD, XLSX, DOCX, HTML in Chromium)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from landuse.errors import OutputExistsError, SchemaError
from landuse.report import build_report, write_report
from landuse.report.model import ReportData
from tests.builders import mini_ledger, mini_parcels, write_mini_gpkg
from tests.report.test_build import EN_HEADLINE_PARTS, ZH_HEADLINE_PARTS
from tests.support.browser import CHROMIUM_ARGS

PARTS = {"zh": ZH_HEADLINE_PARTS, "en": EN_HEADLINE_PARTS}
METHOD_AREAS = [67.0, 52.0, 56.8, 175.8]


@pytest.fixture(scope="module")
def reports() -> dict[str, ReportData]:
    p = mini_parcels()
    return {lang: build_report(p, mini_ledger(), "2023-01-01", "2023-10-31", lang=lang)
            for lang in ("zh", "en")}


def _only(folder: Path) -> list[str]:
    return sorted(x.name for x in folder.iterdir())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_json_and_md(reports: dict[str, ReportData], tmp_path: Path, lang: str) -> None:
    r = reports[lang]
    j = write_report(r, tmp_path / "r.json")
    data = json.loads(j.read_text("utf-8"))
    f = data["figures"]
    assert (f["zombie_enterprises_cleared"], f["reclaimed_mu"], f["new_enterprises"]) == \
        (6, 175.8, 7)
    assert f["reclaimed_by_method_mu"] == {"lease_then_transfer": 67.0,
                                           "agreement_transfer": 52.0, "merger": 56.8}
    assert f["auctions_completed_mu"] == [146.0, 26.0] and f["auctions_started_mu"] == [170.0]
    assert [row[2] for row in data["tables"]["by_method"]["rows"]] == METHOD_AREAS
    assert len(data["indicators"]) == 12
    md = write_report(r, tmp_path / "r.md").read_text("utf-8")
    for part in PARTS[lang]:
        assert part in md
    assert "| 67.0 |" in md.replace("  ", " ")
    assert _only(tmp_path) == ["r.json", "r.md"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_read_back(reports: dict[str, ReportData], tmp_path: Path, lang: str) -> None:
    from openpyxl import load_workbook

    path = write_report(reports[lang], tmp_path / "r.xlsx")
    wb = load_workbook(path)
    summary = wb.worksheets[0]
    texts = [str(c.value) for row in summary.iter_rows() for c in row if c.value is not None]
    headline = next(t for t in texts if PARTS[lang][1] in t)
    for part in PARTS[lang]:
        assert part in headline
    assert len(wb.worksheets) == 1 + len(reports[lang].tables)
    bm = wb.worksheets[1]
    assert bm.freeze_panes == "A2"
    header = [c.value for c in bm[1]]
    assert header[2] == ("面积(亩)" if lang == "zh" else "Area (mu)")
    areas = [row[2] for row in bm.iter_rows(min_row=2, values_only=True)]
    assert areas == METHOD_AREAS and all(isinstance(a, int | float) for a in areas)
    assert [c.number_format for c in bm["C"][1:]] == ["0.0"] * 4
    counts = [row[1] for row in bm.iter_rows(min_row=2, values_only=True)]
    assert counts == [2, 2, 2, 6] and all(isinstance(c, int) for c in counts)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
    ind = next(ws for ws in wb.worksheets if ws.title.startswith(("开发区", "Zone land")))
    vals = [row[1] for row in ind.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docx_read_back(reports: dict[str, ReportData], tmp_path: Path, lang: str) -> None:
    import docx

    path = write_report(reports[lang], tmp_path / "r.docx")
    d = docx.Document(str(path))
    text = "\n".join(p.text for p in d.paragraphs)
    for part in PARTS[lang]:
        assert part in text
    t = d.tables[0]
    col = [row.cells[2].text for row in t.rows]
    assert col[1:] == ["67.0", "52.0", "56.8", "175.8"]
    assert len(d.tables) == len(reports[lang].tables)
    assert len(d.inline_shapes) == len(reports[lang].charts)


def _template(path: Path, *paragraphs: str) -> Path:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    d.save(str(path))
    return path


def test_docx_template(reports: dict[str, ReportData], tmp_path: Path) -> None:
    import docx

    tpl = _template(
        tmp_path / "bureau.docx",
        "XX开发区管委会 {{ period }} 土地工作报告",
        "{{ headline }}",
        "盘活合计：{{ figures.reclaimed_mu }} 亩",
        "{% for r in tables.by_method.rows %}{{ r[0] }}={{ r[2] }}；{% endfor %}",
        "{{ charts.by_method }}",
    )
    out = write_report(reports["zh"], tmp_path / "out.docx", template=tpl)
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "XX开发区管委会 2023年1—10月 土地工作报告" in text
    assert "盘活合计：175.8 亩" in text
    assert "先租后让=67.0；协议转让=52.0；兼并重组=56.8；合计=175.8；" in text
    for part in ZH_HEADLINE_PARTS:
        assert part in text
    assert len(docx.Document(str(out)).inline_shapes) == 1


@pytest.mark.parametrize(
    ("para", "name"),
    [("{{ bureau_name }}", "bureau_name"), ("{{ figures.zombies_total }}", "zombies_total")],
)
def test_template_unknown_placeholder(reports: dict[str, ReportData], tmp_path: Path,
                                      para: str, name: str) -> None:
    tpl = _template(tmp_path / "t.docx", "{{ headline }}", para)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(SchemaError, match=rf"t\.docx: unknown placeholder.*{name}"):
        write_report(reports["zh"], out_dir / "r.docx", template=tpl)
    assert _only(out_dir) == []  # no half-written report


def test_no_overwrite_and_failure_leaves_old_file(reports: dict[str, ReportData],
                                                  tmp_path: Path) -> None:
    path = tmp_path / "r.docx"
    path.write_bytes(b"old")
    with pytest.raises(OutputExistsError):
        write_report(reports["zh"], path)
    tpl = _template(tmp_path / "t.docx", "{{ nope }}")
    with pytest.raises(SchemaError):
        write_report(reports["zh"], path, overwrite=True, template=tpl)
    assert path.read_bytes() == b"old"
    assert _only(tmp_path) == ["r.docx", "t.docx"]
    with pytest.raises(SchemaError, match=r"unknown report format '\.pdf'"):
        write_report(reports["zh"], tmp_path / "r.pdf")


def test_charts_have_every_glyph(reports: dict[str, ReportData]) -> None:
    """Every label character is in the CJK font, and matplotlib warns of no missing glyph."""
    from matplotlib.ft2font import FT2Font

    from landuse.report.charts import check_glyphs, cjk_font, render_chart

    font = cjk_font()
    assert "CJK" in font.name
    ft = FT2Font(font.path, face_index=font.index)
    for r in reports.values():
        for c in r.charts:
            chars = {ch for t in [c.title, c.unit, *c.categories] for ch in t if not ch.isspace()}
            assert all(ft.get_char_index(ord(ch)) for ch in chars), c.title
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                svg = render_chart(c, "svg")
                png = render_chart(c, "png")
            assert svg.lstrip().startswith(b"<?xml") and png[:4] == b"\x89PNG"
    from landuse.errors import DataSourceError

    with pytest.raises(DataSourceError, match="no glyph for: 𠀀"):
        check_glyphs(["盘活𠀀"], font)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_offline_in_chromium(reports: dict[str, ReportData], tmp_path: Path, lang: str,
                                  chromium_path: str, artifacts: Path) -> None:
    from playwright.sync_api import sync_playwright

    path = write_report(reports[lang], tmp_path / f"report_{lang}.html")
    html = path.read_text("utf-8")
    # nothing to fetch: no external src/href/url()/@import
    external = r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import"""
    assert not re.search(external, html)
    assert "https://" not in html
    failed: list[str] = []
    console_errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
        )
        ctx = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        page = ctx.new_page()
        page.on("requestfailed", lambda req: failed.append(req.url))
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        headline = page.inner_text("#headline")
        n_charts = page.locator("figure[data-chart] svg").count()
        map_paths = page.locator("#overview-map svg path").count()
        cell = page.inner_text("table[data-table=by_method] tbody tr:nth-child(1) td:nth-child(3)")
        figures = json.loads(page.inner_text("#report-figures"))
        page.screenshot(path=str(artifacts / f"report_{lang}.png"), full_page=True)
        browser.close()
    assert failed == [] and console_errors == []
    assert all(u.startswith("file://") for u in requests)
    for part in PARTS[lang]:
        assert part in headline
    assert n_charts == 4
    assert map_paths == len(mini_parcels())
    assert cell == "67.0"
    assert figures["reclaimed_mu"] == 175.8


def test_cli_report_all_formats(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from landuse.cli import cli

    park = tmp_path / "park.gpkg"
    write_mini_gpkg(park)
    outs = [tmp_path / "out" / f"r.{e}" for e in ("html", "xlsx", "docx", "md", "json")]
    args = ["report", str(park), "--from", "2023-01-01", "--to", "2023-10-31", "--lang", "en"]
    for o in outs:
        args += ["-o", str(o)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert all(o.exists() for o in outs)
    assert "175.8 mu" in res.output
    data = json.loads(outs[-1].read_text("utf-8"))
    assert data["figures"]["reclaimed_mu"] == 175.8
    # exists -> refused before anything is computed or written
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "--overwrite" in res.output
    # a bad ledger: clear error naming the row, and no report file
    import pandas as pd

    csv = tmp_path / "bad.csv"
    led = mini_ledger()
    led.loc[7, "event_id"] = "E03"
    led.to_csv(csv, index=False)
    bad_out = tmp_path / "bad" / "r.html"
    res = CliRunner().invoke(cli, ["report", str(park), "--from", "2023-01-01", "--to",
                                   "2023-10-31", "--ledger", str(csv), "-o", str(bad_out)])
    assert res.exit_code == 2
    assert "row 8 (event E03), field event_id = 'E03': duplicated event id" in res.output
    assert not bad_out.exists()
    assert not bad_out.parent.exists() or list(bad_out.parent.iterdir()) == []
    assert isinstance(pd.read_csv(csv), pd.DataFrame)
