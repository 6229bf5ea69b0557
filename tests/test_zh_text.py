"""Chinese as a land office writes it: no English codes, field names or ISO dates in zh text.

Every Chinese output of the sample park that people read is scanned: the assessment's
reasons, the report (Markdown, HTML text and the JSON's prose: headline, paragraphs, notes,
category bases), the map's words (legend, popup labels, reasons) and the CLI summary with
``--lang zh``. An ASCII identifier (three or more Latin letters or underscores) or an ISO
date (2022-08-15) in that text fails the test, unless the word is on the short allow-list
below.

Left out on purpose, with the reason:

* free text a user typed into the ledger (``note``): the office's own words, shown as given;
* the ruleset's identifier and version (``cn-national 1.0.0``): the name of a data file, as a
  version string, not a sentence;
* tables' date columns keep ISO dates (they sort and paste into spreadsheets as dates); prose
  writes 2022年8月15日.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "geo" / "sample_park.gpkg"
AS_OF = "2023-10-31"
PERIOD = ("2023-01-01", "2023-10-31")

ALLOWED = {
    "GDP",  # gross domestic product, as Chinese statistics write it
    "NDVI",  # the vegetation index, written so in Chinese remote sensing
    "GCJ",  # GCJ-02, the name of the coordinate system of Chinese web maps
    "CGCS",  # CGCS2000, the national geodetic system
    "EPSG",  # EPSG codes name coordinate systems
    "OpenStreetMap",  # a basemap's name (its licence requires it shown)
    "Esri",  # a basemap's name and attribution
    "Leaflet",  # the map library's attribution, required by its licence
    "CARTO",  # a basemap's attribution
    "landuse",  # the program's own name, signing the report
    "JSON", "CSV", "XLSX", "GPKG", "GEOJSON",  # file formats, named so in Chinese too
}
"""Abbreviations and proper names Chinese text writes in Latin letters."""

IDENT = re.compile(r"[A-Za-z_]{3,}")
ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")


def offenders(text: str) -> list[str]:
    """The ASCII identifiers and ISO dates in ``text`` that are not allowed."""
    words = [w for w in IDENT.findall(text) if w not in ALLOWED]
    return words + ISO_DATE.findall(text)


def _check(where: str, texts: list[str]) -> None:
    bad = {t: offenders(t) for t in texts}
    bad = {t: w for t, w in bad.items() if w}
    shown = "\n".join(f"  {w}: {t[:160]}" for t, w in list(bad.items())[:15])
    assert not bad, f"{where}: {len(bad)} Chinese texts carry codes or ISO dates:\n{shown}"


def _sentences(reasons: list[str]) -> list[str]:
    """Reasons split into sentences."""
    return [s for r in reasons for s in filter(None, r.split("。"))]


class _Text(HTMLParser):
    """The text a reader sees in an HTML page (no script, style or attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


@pytest.fixture(scope="module")
def park() -> dict[str, Any]:
    from landuse.io import read_ledger, read_parcels
    from landuse.report import build_report
    from landuse.rules import assess

    assessed = assess(read_parcels(SAMPLE), AS_OF, lang="zh")
    ledger = read_ledger(SAMPLE)
    report = build_report(assessed, ledger, *PERIOD, lang="zh", as_of=AS_OF)
    notes = {str(n) for n in ledger["note"].dropna()} if "note" in ledger else set()
    return {"assessed": assessed, "ledger": ledger, "report": report, "notes": notes}


def test_the_scan_catches_what_it_is_for() -> None:
    assert offenders("存在低效指标(far;coverage)") == ["far", "coverage"]
    assert offenders("缺少floor_area_m2") == ["floor_area_m"]
    assert offenders("约定动工日期2022-08-15起") == ["2022-08-15"]
    assert offenders("亩均GDP 12万元，面积3 km²，2022年8月15日") == []


def test_reasons_zh(park: dict[str, Any]) -> None:
    sentences = _sentences(list(park["assessed"]["reasons"]))
    assert len(sentences) > 300
    assert any(x.startswith("亩均效益指标(") for x in sentences), "the 亩均 no-data sentence"
    _check("reasons", sentences)


def _prose(obj: Any, notes: set[str]) -> list[str]:
    """Every string of the report's JSON that carries Chinese, but not the ledger's notes."""
    out: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not k.endswith("_en"):
                out += _prose(v, notes)
    elif isinstance(obj, list):
        for v in obj:
            out += _prose(v, notes)
    elif isinstance(obj, str) and re.search(r"[\u4e00-\u9fff]", obj) and obj not in notes:
        out.append(obj)
    return out


def test_report_json_zh(park: dict[str, Any]) -> None:
    from landuse.report.model import ReportData

    data: ReportData = park["report"]
    texts = _prose(json.loads(json.dumps(data.to_dict(), default=str)), park["notes"])
    assert any("盘活" in t for t in texts)
    _check("report JSON", texts)


def _without_notes(text: str, notes: set[str]) -> str:
    for n in sorted(notes, key=len, reverse=True):
        text = text.replace(n, "")
    return text


def test_report_markdown_and_html_zh(park: dict[str, Any], tmp_path: Path) -> None:
    from landuse.report import write_report

    md = write_report(park["report"], tmp_path / "r.md").read_text("utf-8")
    md = _without_notes(md, park["notes"])
    lines = [ln for ln in md.splitlines() if re.search(r"[\u4e00-\u9fff]", ln)]
    # a table row's date column keeps ISO dates; prose lines (not table rows) must not
    prose = [ln for ln in lines if not ln.lstrip().startswith("|")]
    assert prose
    _check("report Markdown", prose)
    _check("report Markdown tables", [IDENT.sub(
        lambda m: "" if m.group() in ALLOWED else m.group(), ISO_DATE.sub("", ln))
        for ln in lines if ln.lstrip().startswith("|")])
    page = _Text()
    page.feed(write_report(park["report"], tmp_path / "r.html").read_text("utf-8"))
    texts = [_without_notes(t, park["notes"]) for t in page.parts]
    texts = [t for t in texts if re.search(r"[\u4e00-\u9fff]", t) and not ISO_DATE.fullmatch(t)]
    _check("report HTML", [ISO_DATE.sub("", t) if t.startswith("|") else t for t in texts])


def test_map_words_zh(park: dict[str, Any]) -> None:
    from landuse.webmap import make_map

    wm = make_map(park["assessed"], park["ledger"], lang="zh")
    words = [str(v) for v in wm.config["t"].values()]
    legend = [layer["title"] for layer in wm.config["layers"]]
    legend += [c["label"] for layer in wm.config["layers"] for c in layer["classes"]]
    assert "批而未供" in legend
    texts = [t for t in words + legend if re.search(r"[\u4e00-\u9fff]", t)]
    assert len(texts) > 20
    _check("map words", texts)
    ours = _sentences([r["r"] for r in wm.config["source"]["recs"] if r.get("r")])
    _check("map popups", ours)


def test_cli_summary_zh() -> None:
    from landuse.cli import cli

    res = CliRunner().invoke(cli, ["summary", str(SAMPLE), "--as-of", AS_OF, "--lang", "zh"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("评估基准日: 2023年10月31日")
    # the first line's ruleset identifier is a file's name and version (see module docstring)
    _check("CLI summary", [lines[0].split("规则集")[0], *lines[1:]])


def test_one_term_for_the_as_of_date(park: dict[str, Any], tmp_path: Path) -> None:
    from landuse.labels import label
    from landuse.report import write_report

    assert label("common", "as_of", "zh") == "评估基准日"
    md = write_report(park["report"], tmp_path / "r.md").read_text("utf-8")
    assert "评价基准日" not in md
    assert "评价基准日" not in "".join(park["assessed"]["reasons"])


def test_map_popups_zh(park: dict[str, Any]) -> None:
    """The popups' own values (stage, idle type, failed indicators, 亩均 class and scale,
    flags, reclaim method) are Chinese words; the labels are checked with the map words."""
    from landuse.webmap import make_map

    wm = make_map(park["assessed"], park["ledger"], lang="zh")
    recs = wm.config["source"]["recs"]
    texts = [str(r[k]) for r in recs for k in ("st", "it", "mjl", "ms", "rm") if r.get(k)]
    texts += [str(x) for r in recs for x in r.get("fi") or []]
    assert "B类" in texts and "规上" in texts
    _check("map popup values", texts)


def test_api_html_item_pages_zh(park: dict[str, Any], tmp_path: Path) -> None:
    """The API's HTML pages of the sample park's parcels (the GeoPackage store, in process):
    Chinese headers, Chinese code words, dates as 2023年5月8日, 是/否. Identifiers (宗地号,
    统一社会信用代码, 行业代码) and the free text the register holds are data, not words."""
    from fastapi.testclient import TestClient

    from landuse.io import read_parcels
    from landuse.store import open_store
    from landuse_api.main import create_app
    from landuse_api.settings import Settings

    store = open_store(str(tmp_path / "park.gpkg"), create=True)
    try:
        store.load(read_parcels(SAMPLE), park["ledger"])
        c = TestClient(create_app(Settings(as_of=AS_OF), store=store))  # type: ignore[call-arg]
        ids = list(park["assessed"]["parcel_id"])[:40]
        data_cols = {"parcel_id", "credit_code", "industry_code", "enterprise", "holder",
                     "extra", "ruleset"}
        texts: list[str] = []
        for pid in ids:
            r = c.get(f"/collections/parcels/items/{pid}?f=html")
            assert r.status_code == 200, r.text
            page = _Text()
            page.feed(r.text)
            row = c.get(f"/collections/parcels/items/{pid}").json()["properties"]
            skip = {str(row[k]) for k in data_cols if row.get(k) is not None}
            skip |= {pid, f"parcels {pid}", f"宗地 parcels {pid}"}
            texts += [t for t in page.parts if t not in skip]
        assert "五未阶段" in texts and "供地日期" in texts
        assert any(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", t) for t in texts)
        _check("API HTML item pages", [t for t in texts if not t.startswith(("宗地 ", "http"))])
    finally:
        store.close()
