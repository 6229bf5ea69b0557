"""Write a :class:`~landuse.report.model.ReportData` as HTML, XLSX, DOCX, Markdown or JSON.

Every writer lays out the one serialisation of the report,
:meth:`~landuse.report.model.ReportData.to_dict` (the JSON file is that dict; the Word
template context, Markdown, HTML, XLSX and DOCX read it), so all formats show the same
values; only the overview map reads the report's geometries. The format follows the
file's suffix. Every file is written through
:func:`landuse.io.write.atomic_path`: on any error no partial file is left behind and an
existing file is only replaced on success (and only with ``overwrite``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.errors import DataSourceError, SchemaError
from landuse.io.write import atomic_path
from landuse.report.model import Chart, ReportData
from landuse.report.text import T, day_text

__all__ = ["FORMATS", "map_href_for", "report_context", "write_report"]

FORMATS = (".html", ".xlsx", ".docx", ".md", ".json")


Doc = dict[str, Any]
"""A report as :meth:`~landuse.report.model.ReportData.to_dict` gives it."""


def _cell_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".") if abs(v - round(v, 1)) > 1e-9 else f"{v:.1f}"
    return str(v)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


# --------------------------------------------------------------------------- JSON / MD

def _write_json(d: Doc, path: Path) -> None:
    path.write_text(json.dumps(d, ensure_ascii=False, indent=2), encoding="utf-8")


def _md_escape(v: Any) -> str:
    return _cell_text(v).replace("|", "\\|").replace("\n", " ")


def _md_table(t: dict[str, Any]) -> str:
    lines = [f"### {t['title']}", ""]
    rows, headers = t["rows"], t["headers"]
    if not rows:
        lines.append("—")
        return "\n".join(lines)
    lines.append("| " + " | ".join(_md_escape(h) for h in headers) + " |")
    lines.append("|" + "|".join("---:" if any(_is_num(r[i]) for r in rows) else "---"
                                for i in range(len(headers))) + "|")
    for r in rows:
        lines.append("| " + " | ".join(_md_escape(v) for v in r) + " |")
    return "\n".join(lines)


def _day(value: Any, lang: str) -> str:
    """A meta date as prose writes it (2023年10月31日 in Chinese, ISO in English)."""
    return "" if value in (None, "") else day_text(pd.Timestamp(str(value)[:10]), lang)


def _period_text(m: dict[str, Any]) -> str:
    """The period: its label and its first and last day."""
    lang = m["lang"]
    a, b = _day(m["period_from"], lang), _day(m["period_to"], lang)
    return f"{m['period_label']}（{a}至{b}）" if lang == "zh" else \
        f"{m['period_label']} ({a} – {b})"


def _meta_lines(m: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of the report's period, sub-park, assessment date and parcel count."""
    tx = T[m["lang"]]
    return [(tx["period"], _period_text(m)),
            (tx["zone"], m["zone_label"]), (tx["as_of"], _day(m["as_of"], m["lang"])),
            (tx["parcels_n"], str(m.get("parcels")))]


def _write_md(d: Doc, path: Path) -> None:
    m = d["meta"]
    tx = T[m["lang"]]
    out = [f"# {m['title']}", "", *[f"- {k}: {v}" for k, v in _meta_lines(m)], "",
           f"## {tx['headline']}", "", d["headline"], ""]
    for sec in d.get("sections", {}).values():
        out += [f"## {sec['title']}", "", sec["paragraph"], ""]
        out += [x for t in sec["tables"].values() for x in (_md_table(t), "")]
    out += [f"## {tx['tables']}", ""]
    for t in d["tables"].values():
        out += [_md_table(t), ""]
    out += [f"## {tx['notes']}", ""] + [f"- {n}" for n in _all_notes(d)] + [
        "", f"_{tx['generated_by']}_", ""]
    path.write_text("\n".join(out), encoding="utf-8")


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:2em auto;max-width:1100px;color:#1a202c;line-height:1.6;padding:0 1em}
h1{font-size:1.6em;border-bottom:3px solid #2b6cb0;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:1.8em;color:#2c5282}h3{font-size:1.05em;margin-top:1.4em}
a.parcel-link{color:#2b6cb0;text-decoration:none;border-bottom:1px dotted #2b6cb0}
a.parcel-link:hover{background:#ebf8ff}.maplink{margin:.3em 0}
.meta{color:#4a5568}.headline{background:#ebf8ff;border-left:4px solid #2b6cb0;
padding:.8em 1em;font-size:1.05em;text-indent:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #cbd5e0;padding:.25em .6em;vertical-align:top}
th{background:#edf2f7;position:sticky;top:0}td.n{text-align:right;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts figure{margin:0}
.wrap{max-height:32em;overflow:auto}footer{color:#718096;font-size:.85em;margin-top:2em}
"""


def map_href_for(map_path: str | Path, report_path: str | Path) -> str:
    """The relative link from a report file to a map file, for ``write_report(map_href=)``.

    >>> map_href_for("maps/sample_park.html", "out/demo/report.html")
    '../../maps/sample_park.html'
    """
    start = Path(os.path.abspath(report_path)).parent
    rel = os.path.relpath(os.path.abspath(map_path), start)
    return quote(Path(rel).as_posix())


def _parcel_link(map_href: str | None, ids: set[str]) -> Callable[[Any], str] | None:
    """Cell renderer linking a parcel id to ``{map_href}#parcel={id}`` (None: no map)."""
    if not map_href:
        return None

    def cell(v: Any) -> str:
        text = _cell_text(v)
        if text not in ids:
            return f"<td>{escape(text)}</td>"
        href = f"{map_href}#parcel={quote(text, safe='')}"
        return (f'<td><a class="parcel-link" data-parcel="{escape(text)}" '
                f'href="{escape(href)}">{escape(text)}</a></td>')

    return cell


def _html_table(key: str, t: dict[str, Any], link: Callable[[Any], str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t["headers"])
    body = []
    linked = {j for j, k in enumerate(t["keys"]) if k == "parcel_id"} if link else set()
    for r in t["rows"]:
        cells = "".join(
            link(v) if link and j in linked
            else f'<td class="n">{escape(_cell_text(v))}</td>' if _is_num(v)
            else f"<td>{escape(_cell_text(v))}</td>" for j, v in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    wrap = ' class="wrap"' if len(t["rows"]) > 30 else ""
    return (f'<h3 id="t-{key}">{escape(t["title"])}</h3><div{wrap}>'
            f'<table data-table="{key}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _all_notes(d: Doc) -> list[str]:
    """The report's notes, then those of its sections (e.g. the supply figures' 口径)."""
    return [*d["notes"], *(n for sec in d.get("sections", {}).values() for n in sec["notes"])]


def _html_sections(d: Doc, link: Callable[[Any], str] | None) -> str:
    out = []
    for key, sec in d.get("sections", {}).items():
        out.append(f'<section id="section-{escape(key)}"><h2>{escape(sec["title"])}</h2>'
                   f'<p class="headline">{escape(sec["paragraph"])}</p>'
                   + "".join(_html_table(k, t, link) for k, t in sec["tables"].items())
                   + "</section>")
    return "".join(out)


def _charts(d: Doc) -> list[Chart]:
    """The report's charts, read back from the serialised report."""
    return [Chart(key=k, **c) for k, c in d["charts"].items()]


def _write_html(d: Doc, map_frame: gpd.GeoDataFrame, path: Path,
                map_href: str | None = None, not_drawn: int = 0) -> None:
    from landuse.report.charts import render_chart
    from landuse.report.overview import overview_svg

    m = d["meta"]
    lang = m["lang"]
    tx = T[lang]
    charts = []
    for c in _charts(d):
        svg = render_chart(c, "svg").decode("utf-8")
        svg = re.sub(r"<metadata>.*?</metadata>", "", svg[svg.index("<svg"):], flags=re.S)
        charts.append(f'<figure data-chart="{c.key}">{svg}</figure>')
    figures_json = json.dumps(d["figures"], ensure_ascii=False).replace("</", "<\\/")
    ids = set(map_frame["parcel_id"].astype(str)) if map_href else set()
    link = _parcel_link(map_href, ids)
    overview = overview_svg(map_frame, lang, not_drawn=not_drawn)
    map_line = ""
    if map_href:
        words = ("在交互地图中查看（点击表中宗地号可在地图上定位该宗地）" if lang == "zh"
                 else "Open the interactive map (click a parcel id in a table to show it there)")
        map_line = (f'<p class="maplink"><a id="map-link" href="{escape(map_href)}">'
                    f"{escape(words)}</a></p>")
    html = f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(m['title'])} · {escape(m['period_label'])}</title>
<style>{_CSS}</style></head><body>
<h1>{escape(m['title'])}</h1>
<p class="meta">{escape(tx['period'])}: {escape(_period_text(m))} · {escape(tx['zone'])}:
{escape(m['zone_label'])} · {escape(tx['as_of'])}: {escape(_day(m['as_of'], lang))} ·
{escape(tx['parcels_n'])}: {m.get('parcels')}</p>{map_line}
<h2>{escape(tx['headline'])}</h2>
<p class="headline" id="headline">{escape(d['headline'])}</p>
{_html_sections(d, link)}
<h2>{escape(tx['charts'])}</h2><div class="charts">{''.join(charts)}</div>
<h2>{escape(tx['map'])}</h2><figure id="overview-map">{overview}</figure>
<h2>{escape(tx['tables'])}</h2>
{''.join(_html_table(k, t, link) for k, t in d['tables'].items())}
<h2>{escape(tx['notes'])}</h2><ul>{''.join(f'<li>{escape(n)}</li>' for n in _all_notes(d))}</ul>
<footer>{escape(tx['generated_by'])}</footer>
<script type="application/json" id="report-figures">{figures_json}</script>
</body></html>
"""
    path.write_text(html, encoding="utf-8")


# --------------------------------------------------------------------------- XLSX

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("", title)[:28] or "sheet"
    name, i = base, 2
    while name.lower() in used:
        name = f"{base[:26]}_{i}"
        i += 1
    used.add(name.lower())
    return name


def _write_xlsx(d: Doc, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    m = d["meta"]
    lang = m["lang"]
    tx = T[lang]
    wb = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)

    def header(ws: Any, labels: list[str]) -> list[Any]:
        cells = []
        for h in labels:
            c = WriteOnlyCell(ws, value=h)
            c.font = bold
            c.alignment = Alignment(wrap_text=True, vertical="top")
            cells.append(c)
        return cells

    ws = wb.create_sheet(_sheet_name("摘要" if lang == "zh" else "Summary", used))
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100
    ws.append(header(ws, [tx["c_indicator"], tx["c_value"]]))
    ws.append([m["title"], None])
    ws.append([tx["period"], _period_text(m)])
    ws.append([tx["zone"], m["zone_label"]])
    ws.append([tx["as_of"], _day(m["as_of"], lang)])
    ws.append([tx["parcels_n"], m.get("parcels")])
    hl = WriteOnlyCell(ws, value=d["headline"])
    hl.alignment = Alignment(wrap_text=True, vertical="top")
    ws.append([tx["headline"], hl])
    figures = d["figures"]
    for k, v in figures.items():
        if isinstance(v, int | float) and not isinstance(v, bool):
            ws.append([k, v])
        elif isinstance(v, list) and all(isinstance(x, int | float) for x in v):
            ws.append([k, ", ".join(f"{x:g}" for x in v)])
        elif isinstance(v, dict) and all(isinstance(x, int | float) for x in v.values()):
            for kk, vv in v.items():
                ws.append([f"{k}.{kk}", vv])
    for s, st in figures["idle_by_stage"].items():
        ws.append([f"idle_by_stage.{s}.parcels", st["parcels"]])
        ws.append([f"idle_by_stage.{s}.area_mu", st["area_mu"]])
    for sec in d.get("sections", {}).values():
        c = WriteOnlyCell(ws, value=sec["paragraph"])
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([sec["title"], c])
    for n in _all_notes(d):
        c = WriteOnlyCell(ws, value=n)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([tx["notes"], c])

    section_tables = [t for sec in d.get("sections", {}).values()
                      for t in sec["tables"].values()]
    for t in [*section_tables, *d["tables"].values()]:
        ws = wb.create_sheet(_sheet_name(t["title"], used))
        ws.freeze_panes = "A2"
        for i, h in enumerate(t["headers"]):
            col = _col_letter(i)
            width = max(len(h) * (2 if lang == "zh" else 1.1), 10)
            ws.column_dimensions[col].width = min(width, 60)
        ws.append(header(ws, t["headers"]))
        for r in t["rows"]:
            ws.append([_xlsx_value(ws, v) for v in r])
    wb.save(path)


def _xlsx_value(ws: Any, v: Any) -> Any:
    """A value for a write-only row: floats keep one decimal on screen (0.0 / 0.00)."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(v, float) and not np.isnan(v):
        c = WriteOnlyCell(ws, value=v)
        c.number_format = "0.0" if abs(v - round(v, 1)) < 1e-9 else "0.00"
        return c
    if isinstance(v, float):
        return None
    return v


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


# --------------------------------------------------------------------------- DOCX

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _xml_text(v: Any) -> str:
    return escape(_cell_text(v), quote=False)


def _table_xml(t: dict[str, Any]) -> str:
    """A Word table as WordprocessingML text (fast for tens of thousands of rows)."""
    def cell(v: Any, head: bool = False) -> str:
        jc = '<w:jc w:val="right"/>' if _is_num(v) and not head else ""
        b = "<w:rPr><w:b/></w:rPr>" if head else ""
        return (f"<w:tc><w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"0\"/>{jc}</w:pPr>"
                f"<w:r>{b}<w:t xml:space=\"preserve\">{_xml_text(v)}</w:t></w:r></w:p></w:tc>")

    grid = "".join("<w:gridCol/>" for _ in t["headers"])
    head = ("<w:tr><w:trPr><w:tblHeader/></w:trPr>"
            + "".join(cell(h, True) for h in t["headers"]) + "</w:tr>")
    rows = "".join("<w:tr>" + "".join(cell(v) for v in r) + "</w:tr>" for r in t["rows"])
    return (f'<w:tbl xmlns:w="{_W}"><w:tblPr><w:tblStyle w:val="TableGrid"/>'
            f'<w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
            f"{head}{rows}</w:tbl>")


def _set_fonts(doc: Any) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        st = doc.styles[name]
        st.font.name = "Times New Roman"
        rpr = st.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), "宋体")
    doc.styles["Normal"].font.size = Pt(10.5)


def _write_docx_default(d: Doc, path: Path) -> None:
    from docx import Document
    from docx.oxml import parse_xml
    from docx.shared import Cm

    from landuse.report.charts import render_chart

    m = d["meta"]
    tx = T[m["lang"]]
    doc = Document()
    _set_fonts(doc)
    doc.add_heading(m["title"], level=0)
    doc.add_paragraph("    ".join(f"{k}: {v}" for k, v in _meta_lines(m)))
    doc.add_heading(tx["headline"], level=1)
    p = doc.add_paragraph(d["headline"])
    p.paragraph_format.first_line_indent = Cm(0.74)
    for sec in d.get("sections", {}).values():
        doc.add_heading(sec["title"], level=1)
        sp = doc.add_paragraph(sec["paragraph"])
        sp.paragraph_format.first_line_indent = Cm(0.74)
        for t in sec["tables"].values():
            doc.add_heading(t["title"], level=2)
            anchor = doc.add_paragraph()
            anchor._p.addprevious(parse_xml(_table_xml(t)))
    doc.add_heading(tx["charts"], level=1)
    for c in _charts(d):
        doc.add_picture(io.BytesIO(render_chart(c, "png")), width=Cm(15))
    doc.add_heading(tx["tables"], level=1)
    for t in d["tables"].values():
        doc.add_heading(t["title"], level=2)
        anchor = doc.add_paragraph()
        anchor._p.addprevious(parse_xml(_table_xml(t)))
    doc.add_heading(tx["notes"], level=1)
    for n in _all_notes(d):
        doc.add_paragraph(n, style="List Bullet")
    doc.add_paragraph(tx["generated_by"])
    doc.core_properties.title = m["title"]
    doc.core_properties.created = dt.datetime(2000, 1, 1)
    doc.save(str(path))


def report_context(report: ReportData | Doc) -> dict[str, Any]:
    """The placeholders a Word template (docxtpl / Jinja2) may use, from the serialised report.

    ``figures``, ``tables``, ``charts``, ``headline``, ``notes`` and ``meta`` are those of
    :meth:`~landuse.report.model.ReportData.to_dict` (the JSON file), value for value:
    ``figures.reclaimed_mu``, ``tables.by_method.headers`` / ``.rows`` / ``.title`` /
    ``.keys``. For convenience: ``title``, ``period`` (label), ``period_from``,
    ``period_to``, ``as_of``, ``zone`` (label) and ``lang``; ``indicators`` is a list of
    dicts (key, name, value, unit, formula, computed, basis) in the report's language. In a
    template, ``charts`` (``charts.by_method`` etc.) are the chart images, and values print
    as in the other formats (missing as nothing, decimals as in the tables). ``sections``
    (e.g. ``sections.supply.paragraph``, ``sections.supply.tables``) when the report has
    further sections.
    """
    d = report.to_dict() if isinstance(report, ReportData) else report
    m = d["meta"]
    lang = m["lang"]
    return {
        "title": m["title"],
        "period": m["period_label"],
        "period_from": m["period_from"],
        "period_to": m["period_to"],
        "as_of": m["as_of"],
        "zone": m["zone_label"],
        "lang": lang,
        "meta": m,
        "headline": d["headline"],
        "figures": d["figures"],
        "tables": d["tables"],
        "charts": d["charts"],
        "indicators": [
            {"key": r["key"], "name": r[f"name_{lang}"], "value": r["value"],
             "unit": r["unit"], "formula": r["formula"], "computed": r["computed"],
             "basis": r[f"basis_{lang}"]}
            for r in d["indicators"]
        ],
        "notes": d["notes"],
        "sections": d.get("sections", {}),
    }


def _template_text(v: Any) -> Any:
    """How a template prints a value: missing as nothing, decimals as in the tables."""
    return _cell_text(v) if v is None or isinstance(v, float) else v


def _write_docx_template(d: Doc, path: Path, template: Path) -> None:
    import jinja2
    from docx.shared import Cm
    from docxtpl import DocxTemplate, InlineImage

    from landuse.report.charts import render_chart

    if not template.exists():
        raise DataSourceError(f"{template}: template not found. Fix: check the path.")
    try:
        tpl = DocxTemplate(str(template))
        tpl.init_docx()
    except Exception as e:  # docx/zip errors of a damaged file
        raise DataSourceError(f"{template}: not a readable .docx template ({e}).") from e
    ctx = report_context(d)
    ctx["charts"] = {c.key: InlineImage(tpl, io.BytesIO(render_chart(c, "png")), width=Cm(14))
                     for c in _charts(d)}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                             finalize=_template_text)
    try:
        unknown = sorted(tpl.get_undeclared_template_variables(jinja_env=env, context=ctx))
    except jinja2.TemplateSyntaxError as e:
        raise SchemaError(f"{template}: template syntax error on line {e.lineno}: {e.message}. "
                          "Fix: correct the {{ }} / {% %} tags.") from e
    if unknown:
        raise SchemaError(
            f"{template}: unknown placeholder(s) {', '.join('{{ ' + u + ' }}' for u in unknown)}."
            f" Fix: use only {', '.join(sorted(ctx))} (see 'landuse report --help')."
        )
    try:
        tpl.render(ctx, jinja_env=env)
    except jinja2.UndefinedError as e:
        raise SchemaError(f"{template}: unknown placeholder: {e.message}. Fix: use only the "
                          f"fields listed by 'landuse report --help'.") from e
    except jinja2.TemplateError as e:
        raise SchemaError(f"{template}: the template cannot be rendered: {e}.") from e
    tpl.save(str(path))


# --------------------------------------------------------------------------- dispatch

def write_report(
    report: ReportData,
    path: str | Path,
    overwrite: bool = False,
    template: str | Path | None = None,
    map_href: str | None = None,
) -> Path:
    """Write ``report`` to ``path``; the format follows the suffix (:data:`FORMATS`).

    Parameters
    ----------
    report : ReportData
        From :func:`landuse.report.build_report`.
    path : str or Path
        Output file: ``.html``, ``.xlsx``, ``.docx``, ``.md`` or ``.json``.
    overwrite : bool
        Replace an existing file.
    template : str or Path, optional
        A ``.docx`` with docxtpl placeholders (only for ``.docx`` output).
    map_href : str, optional
        Link to the parcel map (HTML output only): every parcel id in the report's
        tables links to ``{map_href}#parcel={id}``, which opens that parcel's popup on the
        map. Relative to the report; :func:`map_href_for` computes it from two paths.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise SchemaError(f"{p}: unknown report format '{suffix}'. Fix: use one of "
                          f"{', '.join(FORMATS)}.")
    if template is not None and suffix != ".docx":
        raise SchemaError(f"--template is for .docx output, not {suffix}. Fix: write a .docx.")
    d = report.to_dict()
    with atomic_path(p, overwrite=overwrite) as tmp:
        if suffix == ".json":
            _write_json(d, tmp)
        elif suffix == ".md":
            _write_md(d, tmp)
        elif suffix == ".html":
            _write_html(d, report.map_frame, tmp, map_href, report.map_not_drawn)
        elif suffix == ".xlsx":
            _write_xlsx(d, tmp)
        elif template is not None:
            _write_docx_template(d, tmp, Path(template))
        else:
            _write_docx_default(d, tmp)
    return p
