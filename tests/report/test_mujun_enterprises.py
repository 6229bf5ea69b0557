"""The report's 亩均 table by enterprise (参评企业), in every format, expectations by hand.

The layer is :func:`tests.builders.mujun_enterprise_rows` (15 亩 a parcel). Example scheme:
规上 score = 30 x min(tax/亩 / 24.097, 1.5) + 20 x (200 / 136.16) + 20 x (3 / 2.694)
+ 10 x min(30 / 18.14, 1.5) + 10 x (0.02 / 0.0302) = tax part + 29.377 + 22.272 + 15
+ 6.623 = tax part + 73.272:

* 91A 甲: 30 万元/亩 -> 37.349 -> 110.6, rank 1 of 4, share 0.25 -> B;
* 乙: 20 -> 24.899 -> 98.2, rank 2, share 0.5 -> B;
* 91C 丙 (2 parcels, 30 亩): 10 -> 12.450 -> 85.7, rank 3, 0.75 -> C;
* the parcel with neither code nor holder: 4 -> 4.980 -> 78.3 (78.252), rank 4, 1.0 -> D.

规下 丁: 50 x min(40 / 24.097, 1.5) + 50 x min(0.6 / 0.477, 1.5) = 75 + 62.893 = 137.9,
rank 1 of 1, share 1.0 -> D. 戊 (N) and 己 (T) are not rated: not listed. Sorted by class,
then score: 甲, 乙, 丙, 丁 (137.9), the nameless parcel (78.3).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from landuse.report import build_report, write_report
from landuse.report.model import ReportData
from landuse.rules import assess
from tests.builders import make, mujun_enterprise_rows

ZH_ROWS = [
    ["甲", "91A", 1, 15.0, 110.6, "B类（支持发展）", 1, "规上"],
    ["乙", None, 1, 15.0, 98.2, "B类（支持发展）", 2, "规上"],
    ["丙", "91C", 2, 30.0, 85.7, "C类（提升发展）", 3, "规上"],
    ["丁", None, 1, 15.0, 137.9, "D类（限制发展）", 1, "规下"],
    [None, None, 1, 15.0, 78.3, "D类（限制发展）", 4, "规上"],
]
ZH_HEADERS = ["企业名称", "统一社会信用代码", "参评宗地数(宗)", "面积(亩)", "亩均效益得分(分)",
              "亩均效益分类", "亩均排名", "企业规模"]


@pytest.fixture(scope="module")
def reports() -> dict[str, ReportData]:
    g = assess(make(mujun_enterprise_rows()), "2023-10-31")
    led = _empty_ledger()
    return {lang: build_report(g, led, "2023-01-01", "2023-10-31", lang=lang)
            for lang in ("zh", "en")}


def _empty_ledger():  # type: ignore[no-untyped-def]
    from tests.builders import mini_ledger

    return mini_ledger().iloc[0:0]


def _table(r: ReportData):  # type: ignore[no-untyped-def]
    return next(t for t in r.tables if t.key == "mujun_enterprises")


def test_rows_and_headers_zh(reports: dict[str, ReportData]) -> None:
    t = _table(reports["zh"])
    assert t.title == "亩均效益评价参评企业名单"
    assert t.headers == ZH_HEADERS
    assert t.rows == ZH_ROWS


def test_rows_and_headers_en(reports: dict[str, ReportData]) -> None:
    t = _table(reports["en"])
    assert t.headers[:3] == ["Enterprise", "Unified social credit code", "Parcels rated (n)"]
    assert [r[7] for r in t.rows] == ["above scale"] * 3 + ["below scale", "above scale"]
    assert [r[:5] for r in t.rows] == [r[:5] for r in ZH_ROWS]


def test_every_format_carries_it(reports: dict[str, ReportData], tmp_path: Path) -> None:
    import docx
    from openpyxl import load_workbook

    r = reports["zh"]
    data = json.loads(write_report(r, tmp_path / "r.json").read_text("utf-8"))
    assert data["tables"]["mujun_enterprises"]["rows"] == ZH_ROWS
    md = write_report(r, tmp_path / "r.md").read_text("utf-8")
    assert "亩均效益评价参评企业名单" in md and "91C" in md
    html = write_report(r, tmp_path / "r.html").read_text("utf-8")
    assert "亩均效益评价参评企业名单" in html and "C类（提升发展）" in html
    wb = load_workbook(write_report(r, tmp_path / "r.xlsx"))
    ws = next(w for w in wb.worksheets if w.title.startswith("亩均效益评价参评企业"))
    assert [c.value for c in ws[1]] == ZH_HEADERS
    assert [c.value for c in ws[4]] == ["丙", "91C", 2, 30.0, 85.7, "C类（提升发展）", 3, "规上"]
    d = docx.Document(str(write_report(r, tmp_path / "r.docx")))
    cells = [[c.text for c in row.cells] for t in d.tables for row in t.rows]
    assert ["丙", "91C", "2", "30.0", "85.7", "C类（提升发展）", "3", "规上"] in cells


def test_an_older_assessment_lists_no_enterprise_and_says_why() -> None:
    g = assess(make(mujun_enterprise_rows()), "2023-10-31")
    old = g.drop(columns=["enterprise", "mujun_scheme", "mujun_rank"])
    r = build_report(old, _empty_ledger(), "2023-01-01", "2023-10-31")
    assert _table(r).rows == []
    assert any("亩均参评企业名单为空" in n for n in r.notes)


def _by_groups(parcels, lang):  # type: ignore[no-untyped-def]
    """The table's rows as first defined, one pandas group per enterprise (the reference
    the column-by-column build is compared with)."""
    import pandas as pd

    from landuse.report.cells import r1, text
    from landuse.report.text import label

    rated = parcels[parcels["mujun_scheme"].notna()]
    key = rated["enterprise"].where(rated["enterprise"].notna(), "parcel:" + rated["parcel_id"])
    cc = rated["credit_code"] if "credit_code" in rated else pd.Series(None, index=rated.index)
    rows = []
    for _, g in rated.groupby(key, sort=False):
        first = g.iloc[0]
        holders = g["holder"].dropna()
        codes = {str(c).strip() for c in cc[g.index].dropna()}
        by_code = text(first["enterprise"]) in codes
        rows.append([
            text(holders.iloc[0]) if len(holders) else None,
            text(first["enterprise"]) if by_code else None,
            len(g), r1(g["area_mu"].sum()),
            None if pd.isna(first["mujun_score"]) else r1(first["mujun_score"]),
            label("mujun_class", first["mujun_class"], lang),
            None if pd.isna(first["mujun_rank"]) else int(first["mujun_rank"]),
            label("mujun_scheme", first["mujun_scheme"], lang),
            str(first["mujun_class"]), float(first["mujun_score"]),
        ])
    from landuse.report.parcel_tables import MUJUN_CLASSES

    order = {c: i for i, c in enumerate(MUJUN_CLASSES)}
    rows.sort(key=lambda r: (order.get(r[8], len(order)), -r[9], r[0] or "", r[1] or ""))
    return [r[:8] for r in rows]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rows_equal_the_group_by_group_definition(seed: int) -> None:
    """On random registers (shared and missing holders and credit codes, enterprises of
    up to 20 parcels, areas with many decimals): the same rows in the same order."""
    import numpy as np
    import pandas as pd

    from landuse.report.parcel_tables import MUJUN_CLASSES, mujun_enterprise_table

    rng = np.random.default_rng(seed)
    n = 3000
    ent = rng.integers(0, 400, n)
    holder = np.where(rng.random(n) < 0.1, None,
                      np.array([f"企业{i % 300}" for i in rng.integers(0, 600, n)], dtype=object))
    code = np.where(rng.random(n) < 0.4, None,
                    np.array([f"91{e:04d}" for e in ent], dtype=object))
    enterprise = np.where(code != None, code, holder)  # noqa: E711
    scheme = np.where(rng.random(n) < 0.2, None, rng.choice(["above", "below"], n))
    frame = pd.DataFrame({
        "parcel_id": [f"P{i}" for i in range(n)], "holder": holder, "credit_code": code,
        "enterprise": enterprise, "mujun_scheme": scheme,
        "area_mu": np.where(rng.random(n) < 0.05, np.nan, rng.random(n) * 50),
        "mujun_score": np.round(rng.random(n) * 120, 3),
        "mujun_class": rng.choice([*MUJUN_CLASSES, None], n),
        "mujun_rank": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(1, 99, n)),
                               dtype="Int64"),
    })
    for lang in ("zh", "en"):
        assert mujun_enterprise_table(frame, lang).rows == _by_groups(frame, lang)
