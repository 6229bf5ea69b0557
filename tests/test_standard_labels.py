"""The standard is the one home of the labels people read, and there is one lookup.

Every code and every assessment field (§3) has zh and en words; the §3 columns and their
labels come from the standard wherever they are shown (rules, report, map, store, files,
terminal); an unknown key is an error naming it; no module of the package keeps its own
table of words.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from landuse import labels
from landuse.errors import LanduseError, SchemaError
from landuse.labels import both, header, label
from landuse.report.text import T, word
from landuse.report.text import label as report_label
from landuse.standard import ASSESSMENT_COLUMNS, code_label, get_standard

PACKAGE = Path(labels.__file__).resolve().parent

SECTION_3 = (
    "area_m2", "area_mu", "area_ha", "lifecycle", "idle_type", "overdue_days",
    "idle_fee_wan", "recovery_candidate", "low_efficiency", "failed_indicators",
    "mujun_score", "mujun_class", "flags", "reasons", "ruleset",
    "enterprise", "mujun_scheme", "mujun_rank",
)
"""§3 of the parcel standard, in its order, plus ``ruleset`` (written out from the text),
then issue 11's 亩均 enterprise, scheme (规上/规下) and rank."""


# ------------------------------------------------------------------ completeness


def test_every_code_has_zh_and_en_words() -> None:
    std = get_standard()
    assert std.codes, "no code lists loaded"
    for list_name, codes in std.codes.items():
        en = std.labels_en.get(list_name, {})
        assert set(en) == set(codes), f"[labels_en.{list_name}] does not match [codes.{list_name}]"
        for code, words in codes.items():
            zh_word, en_word = label(list_name, code, "zh"), label(list_name, code, "en")
            assert zh_word.strip() and en_word.strip(), (list_name, code)
            assert zh_word == words[0]  # the first Chinese word is the one shown
            assert en_word == en[code]
            assert code_label(list_name, code, "en") == en_word
    for list_name, longs in std.labels_long.items():
        assert set(longs) <= set(std.codes[list_name])


def test_every_section_3_field_has_words_in_both_languages() -> None:
    assert ASSESSMENT_COLUMNS == SECTION_3
    std = get_standard()
    for name in SECTION_3:
        f = std.field("assessment", name)
        for lang in labels.LANGS:
            assert label("field", name, lang).strip(), (name, lang)
            assert header(name, lang).startswith(label("field", name, lang))
        if f.unit is not None:
            assert label("unit", f.unit, "zh").strip() and label("unit", f.unit, "en").strip()
        if f.codes is not None:
            assert f.codes in std.codes, f"{name}: code list '{f.codes}' is not in the standard"


def test_every_entry_of_the_lookup_has_both_words() -> None:
    seen = 0
    for kind, key, zh, en in labels.entries():
        assert zh.strip() and en.strip(), (kind, key)
        seen += 1
    codes = sum(len(c) for c in get_standard().codes.values())
    assert seen > codes + len(SECTION_3)  # codes, fields, and the fixed words besides


def test_rules_add_the_columns_the_standard_lists() -> None:
    from landuse.rules import ASSESSMENT_COLUMNS as rules_columns

    assert tuple(rules_columns) == ASSESSMENT_COLUMNS


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("kind", "key", "lang", "named"),
    [
        ("lifecycle", "half_used", "zh", "half_used"),
        ("field", "mujun_percentile", "en", "mujun_percentile"),
        ("report", "c_no_such_column", "zh", "c_no_such_column"),
        ("no_such_list", "x", "zh", "no_such_list"),
        ("method", "merger", "fr", "fr"),
    ],
)
def test_an_unknown_key_kind_or_language_is_an_error_naming_it(
    kind: str, key: str, lang: str, named: str
) -> None:
    with pytest.raises(SchemaError) as e:
        label(kind, key, lang)
    assert f"'{named}'" in str(e.value)
    assert "Fix:" in str(e.value)
    assert isinstance(e.value, LanduseError)


def test_old_entry_points_still_answer() -> None:
    assert code_label("mujun_class", "T") == "T类"
    assert code_label("mujun_class", "T", long=True) == "T类（暂不评价）"
    assert code_label("mujun_class", "T", "en", long=True) == "T (not rated)"
    assert code_label("lifecycle", "in_use", long=True) == "正常使用"  # no long variant
    assert code_label("method", "not_a_code", "en") == "not a code"  # data shown as it is
    with pytest.raises(SchemaError, match="no_such_list"):
        code_label("no_such_list", "x")
    assert report_label("mujun_class", "B", "en") == "B (support)"
    assert report_label("method", "not_a_code", "en") == "not a code"
    assert report_label("method", None) == "未注明"
    assert T["en"]["c_method"] == word("c_method", "en") == "Method"
    # readers still match the Chinese words
    assert get_standard().code_for("failed_indicator", "容积率") == "far"
    assert get_standard().code_for("idle_type", "未动工闲置") == "not_started"


@pytest.mark.parametrize(
    ("kind", "code", "zh", "en"),
    [
        ("failed_indicator", "admin_share", "行政办公及生活服务设施用地比例",
         "office/service land share"),
        ("flag", "outside_supply", "未供先用（供地范围外）", "built outside supplied land"),
        ("records_disagree", "footprint_mismatch", "建筑基底面积与台账不符",
         "footprint differs from the record"),
        ("lifecycle", "supplied_unused", "供而未用", "supplied, not used"),
    ],
)
def test_report_and_lookup_give_the_standard_words(kind: str, code: str, zh: str, en: str) -> None:
    assert label(kind, code, "zh") == report_label(kind, code, "zh") == zh
    assert label(kind, code, "en") == report_label(kind, code, "en") == en


# ------------------------------------------------------------------ one label everywhere


def test_a_field_reads_the_same_in_report_map_store_summary_and_files(tmp_path: Path) -> None:
    from landuse.io.assessment import write_assessment
    from landuse.rules.summary import DIMENSIONS
    from landuse.store.schema import ASSESSMENT
    from landuse.webmap.build import page_words

    # the words chosen for the fields that had several (see standard.toml [[assessment]])
    assert header("mujun_score", "zh") == "亩均效益得分(分)"
    assert header("mujun_score", "en") == "Per-mu score (points)"
    assert label("field", "flags", "zh") == "执法线索"
    assert header("overdue_days", "zh") == "逾期天数(天)"

    store = {c.name: c.title for c in ASSESSMENT}
    assert store["mujun_score"] == T["zh"]["c_mujun_score"] == "亩均效益得分(分)"
    assert store["flags"] == T["zh"]["c_flags"] == page_words("zh")["flags"] == "执法线索"
    assert store["mujun_class"] == T["zh"]["c_mujun"] == page_words("zh")["mujun"]
    assert DIMENSIONS["mujun_class"] == ("亩均效益分类", "Per-mu class")
    assert DIMENSIONS["lifecycle"][0] == store["lifecycle"] == page_words("zh")["stage"]
    assert page_words("en")["flags"] == T["en"]["c_flags"] == "Enforcement flags"

    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["P1"], "mujun_score": [61.5], "flags": ["use_changed"]},
        geometry=[shapely.box(116.0, 28.0, 116.001, 28.001)], crs=4490,
    )
    out = write_assessment(gdf, tmp_path / "a.xlsx")
    sheet = pd.read_excel(out, sheet_name="fields 字段")
    rows = {r[0]: (r[1], r[2]) for r in sheet.itertuples(index=False)}
    assert rows == {
        "mujun_score": ("亩均效益得分(分)", "Per-mu score (points)"),
        "flags": ("执法线索", "Enforcement flags"),
    }
    about = pd.read_excel(out, sheet_name="about 说明")
    assert "评估基准日 Assessed as of" in set(about.iloc[:, 0])


def test_summary_and_map_use_the_same_words() -> None:
    from landuse.cli.summary import _row_label
    from landuse.webmap.classes import _indicator_label

    assert _row_label("failed_indicators", "admin_share") == (
        "行政办公及生活服务设施用地比例 admin_share")
    assert _row_label("mujun_class", "A") == "A类（优先发展） A"
    assert _row_label("lifecycle", "oddity") == "oddity oddity"
    assert _indicator_label("admin_share", "zh") == label("failed_indicator", "admin_share")
    assert _indicator_label("admin_share", "en") == "office/service land share"
    assert both("common", "parcels") == "宗地 parcels"


def test_store_titles_come_from_the_lookup() -> None:
    from landuse.store.schema import COLLECTIONS

    assert COLLECTIONS["parcels"].title == "宗地 Parcels"
    assert COLLECTIONS["ledger"].title == "处置台账 Disposal ledger"
    assert COLLECTIONS["ledger"].column("recorded_by").title == "记录人"


def test_a_shared_word_has_one_home() -> None:
    groups: dict[str, set[str]] = {}
    for kind, key, _zh, _en in labels.entries():
        if kind in ("common", "report", "map", "store"):
            groups.setdefault(kind, set()).add(key)
    assert groups["common"], "no common words"
    for g in ("report", "map", "store"):
        both_places = groups["common"] & groups[g]
        assert not both_places, f"{sorted(both_places)} are in [common] and in [{g}]"


# ------------------------------------------------------------------ no label tables in code

_CJK = re.compile(r"^[\W\d_]*[\u4e00-\u9fff]")
"""Text that begins with Chinese (an English sentence quoting a Chinese example is not a
label)."""

_NOT_YET = {
    "report/indicators.py": "definitions and notes of the zone indicators (sentences)",
}
"""Modules that still hold a table of words, and why; each goes when its part is moved."""


def _is_cjk(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) \
        and bool(_CJK.search(node.value))


def _is_word(node: ast.AST | None) -> bool:
    """A Chinese word, a (Chinese, English) pair or a {"zh": …, "en": …} table."""
    if node is None:
        return False
    if _is_cjk(node):
        return True
    if isinstance(node, ast.Tuple) and len(node.elts) == 2:
        return _is_cjk(node.elts[0])
    if isinstance(node, ast.Dict):
        keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
        return {"zh", "en"} <= keys
    return False


def _label_tables(tree: ast.AST) -> list[int]:
    """Lines of dict literals mapping three or more keys to words."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and len(node.keys) >= 3:
            if sum(_is_word(v) for v in node.values) >= 3:
                found.append(node.lineno)
        if isinstance(node, ast.List | ast.Tuple) and len(node.elts) >= 3:
            pairs = [e for e in node.elts if isinstance(e, ast.Tuple) and len(e.elts) >= 2
                     and isinstance(e.elts[0], ast.Constant) and _is_cjk(e.elts[1])]
            if len(pairs) >= 3:
                found.append(node.lineno)
    return found


def test_the_scan_finds_a_label_table() -> None:
    src = 'A = {"x": ("甲", "a"), "y": ("乙", "b"), "z": ("丙", "c")}\nB = {"p": 1}\n'
    assert _label_tables(ast.parse(src)) == [1]
    src = 'F = [("area", "面积", "area"), ("fee", "闲置费", "fee"), ("x", "某", "x")]\n'
    assert _label_tables(ast.parse(src)) == [1]


def test_no_module_keeps_its_own_table_of_words() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        lines = _label_tables(ast.parse(path.read_text("utf-8")))
        if lines and rel not in _NOT_YET:
            offenders[rel] = lines
    assert not offenders, (
        f"tables of words in code: {offenders}. Fix: put the words in landuse/data "
        f"(standard.toml or words.toml) and read them with landuse.labels.label."
    )
    for rel in _NOT_YET:
        path = PACKAGE / rel
        assert path.exists() and _label_tables(ast.parse(path.read_text("utf-8"))), (
            f"{rel} has no table of words left: remove it from _NOT_YET")
