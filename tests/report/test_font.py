"""The charts' CJK font: system Noto/Source Han first, else the font package, else an error.

The system lookup and the package lookup are parameters of :func:`cjk_font`, so each case
is set up by passing a lookup, not by changing the machine.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from landuse.errors import DataSourceError
from landuse.report import build_report
from landuse.report.charts import (
    CJKFont,
    check_glyphs,
    cjk_font,
    packaged_cjk_font,
    render_chart,
)
from tests.builders import mini_ledger, mini_parcels

SYSTEM_NOTO = CJKFont("Noto Sans CJK SC", "/fonts/NotoSansCJK-Regular.ttc", 2)
SYSTEM_HAN = CJKFont("Source Han Sans SC", "/fonts/SourceHanSansSC-Regular.otf", 0)
SYSTEM_WQY = CJKFont("WenQuanYi Zen Hei", "/fonts/wqy-zenhei.ttc", 0)


def _none() -> list[CJKFont]:
    return []


def _must_not_be_called() -> CJKFont | None:
    raise AssertionError("the packaged font was looked up although a system font is preferred")


def test_package_font_when_the_system_has_none() -> None:
    font = cjk_font(system_fonts=_none)
    assert font.name == "Noto Sans CJK SC"
    assert Path(font.path).name == "NotoSansCJK-Regular.ttc"
    assert Path(font.path).parent.name == "noto_cjk_sans_otc"
    assert font == packaged_cjk_font()


def test_zh_report_charts_draw_in_the_package_font() -> None:
    from matplotlib.ft2font import FT2Font

    font = cjk_font(system_fonts=_none)
    ft = FT2Font(font.path, face_index=font.index)
    assert ft.family_name == "Noto Sans CJK SC"
    report = build_report(mini_parcels(), mini_ledger(), "2023-01-01", "2023-10-31", lang="zh")
    assert report.charts
    for chart in report.charts:
        chars = {c for t in (chart.title, chart.unit, *chart.categories) for c in t
                 if not c.isspace()}
        assert any("\u4e00" <= c <= "\u9fff" for c in chars)  # Chinese labels indeed
        assert [c for c in chars if ft.get_char_index(ord(c)) == 0] == [], chart.title
        check_glyphs([chart.title, chart.unit, *chart.categories], font)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph warns: fail on any warning
            svg = render_chart(chart, "svg", font=font)
            png = render_chart(chart, "png", font=font)
        assert svg.lstrip().startswith(b"<?xml") and png[:4] == b"\x89PNG"


@pytest.mark.parametrize(("system", "expected"), [([SYSTEM_NOTO], SYSTEM_NOTO),
                                                  ([SYSTEM_WQY, SYSTEM_HAN], SYSTEM_HAN)])
def test_system_noto_or_source_han_is_preferred(system: list[CJKFont],
                                                expected: CJKFont) -> None:
    chosen = cjk_font(system_fonts=lambda: system, packaged_font=_must_not_be_called)
    assert chosen == expected


def test_package_font_beats_other_system_fonts() -> None:
    assert cjk_font(system_fonts=lambda: [SYSTEM_WQY]) == packaged_cjk_font()
    assert cjk_font(system_fonts=lambda: [SYSTEM_WQY], packaged_font=lambda: None) == SYSTEM_WQY


def test_no_font_at_all_is_a_clear_error() -> None:
    with pytest.raises(DataSourceError) as e:
        cjk_font(system_fonts=_none, packaged_font=lambda: None)
    msg = str(e.value)
    assert "noto-cjk-sans-otc" in msg and "fonts-noto-cjk" in msg and "Fix:" in msg
    assert "中文字体" in msg
