"""Bar charts of the report, drawn with matplotlib in a CJK font (no missing glyphs).

:func:`cjk_font` picks the font: a system Noto Sans CJK / Source Han Sans face when one is
installed (Debian package ``fonts-noto-cjk``), else the Noto Sans CJK font of the PyPI package
``noto-cjk-sans-otc`` (SIL OFL 1.1; part of the ``report`` extra), else another system CJK
font; with none of them it fails with an error saying what to install. Before drawing, every
character of every label is checked against the font's character map, so a label can never
render as empty boxes.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from landuse.errors import DataSourceError
from landuse.report.model import Chart

__all__ = [
    "CJKFont",
    "check_glyphs",
    "cjk_font",
    "packaged_cjk_font",
    "render_chart",
    "system_cjk_fonts",
]

_PREFERRED = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Source Han Sans SC",
              "Source Han Sans CN", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
              "WenQuanYi Micro Hei")
_FIRST_CHOICE = ("Noto Sans CJK", "Source Han Sans")
"""Families preferred to the packaged font; other system CJK fonts come after it."""
_PACKAGED_FILE = "NotoSansCJK-Regular.ttc"
_PACKAGED_FACE = "Noto Sans CJK SC"
_COLORS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#718096")


@dataclass(frozen=True)
class CJKFont:
    """A CJK font face: its family name, file and face index inside a .ttc."""

    name: str
    path: str
    index: int


def system_cjk_fonts() -> list[CJKFont]:
    """The system's CJK fonts that matplotlib can use, best first.

    Regular faces matplotlib's font manager knows, in the order of ``_PREFERRED``; when it
    knows none, the first Chinese font ``fc-list`` reports (added to the font manager).

    Returns
    -------
    list of CJKFont
        Possibly empty.
    """
    from matplotlib import font_manager

    entries = {e.name: e for e in font_manager.fontManager.ttflist if e.weight in (400, "normal")}
    found = [CJKFont(entries[n].name, entries[n].fname, int(getattr(entries[n], "index", 0) or 0))
             for n in _PREFERRED if n in entries]
    if found or not shutil.which("fc-list"):
        return found
    out = subprocess.run(["fc-list", ":lang=zh", "family", "file", "index"],
                         capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        if ":" in line:
            path = line.split(":", 1)[0].strip()
            font_manager.fontManager.addfont(path)
            fams = [e for e in font_manager.fontManager.ttflist if e.fname == path]
            if fams:
                return [CJKFont(fams[0].name, path, int(getattr(fams[0], "index", 0) or 0))]
    return []


def packaged_cjk_font() -> CJKFont | None:
    """Noto Sans CJK SC from the ``noto-cjk-sans-otc`` package, or None when not installed."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(noto_cjk_sans_otc.__file__).resolve().parent / _PACKAGED_FILE
    if not path.is_file():
        return None
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    index = 0
    for i in range(FT2Font(str(path)).num_faces):
        if FT2Font(str(path), face_index=i).family_name == _PACKAGED_FACE:
            index = i
            break
    font = CJKFont(FT2Font(str(path), face_index=index).family_name, str(path), index)
    if not any(e.fname == font.path for e in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(font.path)
    return font


@cache
def cjk_font(system_fonts: Callable[[], list[CJKFont]] = system_cjk_fonts,
             packaged_font: Callable[[], CJKFont | None] = packaged_cjk_font) -> CJKFont:
    """The CJK font of the charts.

    Parameters
    ----------
    system_fonts
        Lists the system's CJK fonts, best first (:func:`system_cjk_fonts`).
    packaged_font
        The font of the ``noto-cjk-sans-otc`` package, or None (:func:`packaged_cjk_font`).

    Returns
    -------
    CJKFont
        A system Noto Sans CJK / Source Han Sans face if present, else the packaged font,
        else any other system CJK font.

    Raises
    ------
    DataSourceError
        When there is no CJK font at all, saying what to install.
    """
    system = system_fonts()
    first = [f for f in system if f.name.startswith(_FIRST_CHOICE)]
    font = first[0] if first else packaged_font() or (system[0] if system else None)
    if font is None:
        raise DataSourceError(
            "No CJK (Chinese) font is available, so the report's charts cannot be drawn. "
            "没有可用的中文字体，无法绘制报告图表。Fix: pip install 'landuse[report]' (it brings "
            "the font package noto-cjk-sans-otc), or install the Debian package fonts-noto-cjk "
            "and delete matplotlib's font cache (~/.cache/matplotlib)."
        )
    return font


def check_glyphs(texts: list[str], font: CJKFont | None = None) -> None:
    """Raise DataSourceError naming any character the font has no glyph for."""
    from matplotlib.ft2font import FT2Font

    f = font or cjk_font()
    ft = FT2Font(f.path, face_index=f.index)
    missing = sorted({c for t in texts for c in t if not c.isspace() and
                      ft.get_char_index(ord(c)) == 0})
    if missing:
        raise DataSourceError(
            f"The font {f.name} ({f.path}) has no glyph for: {' '.join(missing)}. "
            "Fix: install fonts-noto-cjk or remove these characters from the labels."
        )


def _font_properties(font: CJKFont) -> Any:
    """Matplotlib font properties of exactly this file and face."""
    from matplotlib import font_manager

    font_path = getattr(font_manager, "FontPath", None)  # matplotlib >= 3.10: face of a .ttc
    if font_path is not None:
        return font_manager.FontProperties(fname=font_path(font.path, font.index))
    return font_manager.FontProperties(family=font.name)


def render_chart(chart: Chart, fmt: str = "svg", width_in: float = 6.4,
                 height_in: float = 3.2, font: CJKFont | None = None) -> bytes:
    """Draw ``chart`` as a horizontal bar chart; return SVG (text as paths) or PNG bytes.

    Matplotlib's "Glyph ... missing from font" warnings are turned into errors. ``font``
    defaults to :func:`cjk_font`.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    font = font or cjk_font()
    fp = _font_properties(font)
    labels = [str(c) for c in chart.categories]
    values = [float(v or 0.0) for v in chart.values]
    check_glyphs([chart.title, chart.unit, *labels], font)
    with rc_context({"font.family": [font.name], "axes.unicode_minus": False,
                     "svg.fonttype": "path", "svg.hashsalt": "landuse"}), \
            warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        n = max(len(labels), 1)
        fig = Figure(figsize=(width_in, max(height_in, 0.35 * n + 1.0)), dpi=110)
        ax = fig.add_subplot()
        ys = list(range(len(labels)))[::-1]
        bars = ax.barh(ys, values, color=[_COLORS[i % len(_COLORS)] for i in range(len(ys))])
        ax.set_yticks(ys, labels, fontproperties=fp)
        ax.set_title(chart.title, fontproperties=fp, fontsize=11)
        ax.set_xlabel(chart.unit, fontproperties=fp)
        top = max(values) if values and max(values) > 0 else 1.0
        ax.set_xlim(0, top * 1.18)
        for b, v in zip(bars, values, strict=True):
            txt = f"{v:.1f}".removesuffix(".0")
            ax.text(b.get_width() + top * 0.01, b.get_y() + b.get_height() / 2, txt,
                    va="center", fontproperties=fp, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()
