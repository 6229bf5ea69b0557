"""One report model serialised once: JSON file and Word template context carry the same values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from landuse.report import build_report, report_context, write_report
from landuse.report.model import ReportData, plain
from tests.builders import mini_ledger, mini_parcels


@pytest.fixture(scope="module")
def reports() -> dict[str, ReportData]:
    p = mini_parcels().drop(columns=["floor_area_m2"])  # one indicator not computed (None)
    return {lang: build_report(p, mini_ledger(), "2023-01-01", "2023-10-31", lang=lang)
            for lang in ("zh", "en")}


def _json_values(obj: Any) -> bool:
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _json_values(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_json_values(v) for v in obj)
    return obj is None or type(obj) in (str, int, float, bool)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_to_dict_holds_plain_json_values(reports: dict[str, ReportData], lang: str) -> None:
    d = reports[lang].to_dict()
    assert _json_values(d)
    assert list(d["tables"]) == [t.key for t in reports[lang].tables]
    assert d["meta"]["period_from"] == "2023-01-01" and d["meta"]["as_of"] == "2023-10-31"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_context_and_json_carry_the_same_values(reports: dict[str, ReportData],
                                                         tmp_path: Path, lang: str) -> None:
    r = reports[lang]
    js = json.loads(write_report(r, tmp_path / "r.json").read_text("utf-8"))
    ctx = report_context(r)
    assert set(ctx["tables"]) == set(js["tables"]) == {t.key for t in r.tables}
    for key, t in js["tables"].items():
        for part in ("title", "keys", "headers", "rows", "note"):
            assert ctx["tables"][key][part] == t[part], (key, part)
    assert ctx["figures"] == js["figures"]
    assert ctx["charts"] == js["charts"]
    assert (ctx["headline"], ctx["notes"], ctx["meta"]) == \
        (js["headline"], js["notes"], js["meta"])
    by_key = {i["key"]: i for i in js["indicators"]}
    assert [i["key"] for i in ctx["indicators"]] == list(by_key)
    for i in ctx["indicators"]:
        j = by_key[i["key"]]
        assert (i["value"], i["unit"], i["computed"]) == (j["value"], j["unit"], j["computed"])
        assert (i["name"], i["basis"]) == (j[f"name_{lang}"], j[f"basis_{lang}"])
    assert any(i["value"] is None for i in ctx["indicators"])  # NaN is not JSON: null
    assert ctx["period"] == js["meta"]["period_label"] and ctx["zone"] == js["meta"]["zone_label"]


def test_template_prints_values_as_the_tables_do(reports: dict[str, ReportData],
                                                tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    for p in ("盘活={{ figures.reclaimed_mu }}",
              "{% for i in indicators %}{% if not i.computed %}[{{ i.value }}]{% endif %}"
              "{% endfor %}",
              "{% for r in tables.by_month.rows %}{{ r[3] }};{% endfor %}"):
        d.add_paragraph(p)
    d.save(str(tmp_path / "t.docx"))
    out = write_report(reports["zh"], tmp_path / "o.docx", template=tmp_path / "t.docx")
    text = [p.text for p in docx.Document(str(out)).paragraphs]
    assert text[0] == "盘活=175.8"
    # without floor areas the two floor-area ratios (overall, industrial) are not computed;
    # their missing values print as nothing, not "None" or "nan"
    assert text[1] == "[][]"
    # Jan–Oct: 0, 0, 40 (P01), 0, 27 (P02), 30 (P03), 0, 22 (P04), 36.8 (P05), 20 (P06)
    months = "0.0;0.0;40.0;0.0;27.0;30.0;0.0;22.0;36.8;20.0;175.8;"
    assert text[2] == months


def test_plain_turns_numpy_and_dates_into_json() -> None:
    import numpy as np

    v = plain({"a": [np.int64(2), np.float64(0.5), np.bool_(True)],
               "d": pd.Timestamp("2023-05-08").date(), np.int64(1): (None, "x")})
    assert v == {"a": [2, 0.5, True], "d": "2023-05-08", 1: [None, "x"]}
    assert [type(x) for x in v["a"]] == [int, float, bool]
