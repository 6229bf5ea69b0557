"""The standard is the one home of the labels people read: every code has zh and en words."""

from __future__ import annotations

import pytest

from landuse.report.text import label
from landuse.standard import code_label, get_standard


def test_every_code_has_an_english_label() -> None:
    std = get_standard()
    for list_name, codes in std.codes.items():
        en = std.labels_en.get(list_name, {})
        assert set(en) == set(codes), f"[labels_en.{list_name}] does not match [codes.{list_name}]"
        for code in codes:
            assert code_label(list_name, code, "zh") == codes[code][0]
            assert code_label(list_name, code, "en") == en[code]
    for list_name, longs in std.labels_long.items():
        assert set(longs) <= set(std.codes[list_name])


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
def test_labels_come_from_the_standard(kind: str, code: str, zh: str, en: str) -> None:
    assert code_label(kind, code, "zh") == label(kind, code, "zh") == zh
    assert code_label(kind, code, "en") == label(kind, code, "en") == en


def test_long_labels_and_fallbacks() -> None:
    assert code_label("mujun_class", "T") == "T类"
    assert code_label("mujun_class", "T", long=True) == "T类（暂不评价）"
    assert code_label("mujun_class", "T", "en", long=True) == "T (not rated)"
    assert code_label("lifecycle", "in_use", long=True) == "正常使用"  # no long variant
    assert label("mujun_class", "B", "en") == "B (support)"
    assert label("method", "not_a_code", "en") == "not a code"
    assert label("method", None) == "未注明"
    # readers still match the Chinese words
    assert get_standard().code_for("failed_indicator", "容积率") == "far"
    assert get_standard().code_for("idle_type", "未动工闲置") == "not_started"
    with pytest.raises(KeyError):
        code_label("no_such_list", "x")


def test_summary_and_map_use_the_same_words() -> None:
    from landuse.cli.summary import _row_label
    from landuse.webmap.classes import _indicator_label

    assert _row_label("failed_indicators", "admin_share") == (
        "行政办公及生活服务设施用地比例 admin_share")
    assert _row_label("mujun_class", "A") == "A类（优先发展） A"
    assert _indicator_label("admin_share", "zh") == label("failed_indicator", "admin_share")
    assert _indicator_label("admin_share", "en") == "office/service land share"
    assert label("flag", "use_changed") == "擅自改变用途"
