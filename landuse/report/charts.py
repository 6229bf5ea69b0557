"""Bar charts of the report, drawn with matplotlib in a CJK font (no missing glyphs).

The font is the Noto Sans CJK SC face that the system setup installs (Debian package
``fonts-noto-cjk``). :func:`cjk_font` finds it through matplotlib's font manager (then
``fc-list``) and fails with an error naming the package when none is installed. Before
drawing, every character of every label is checked against the font's character map, so
a label can never render as empty boxes.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from functools import cache

from landuse.errors import DataSourceError
from landuse.report.build import Chart

__all__ = ["CJKFont", "check_glyphs", "cjk_font", "render_chart"]

_PREFERRED = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Serif CJK SC",
              "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Source Han Sans SC")
_COLORS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#718096")


@dataclass(frozen=True)
class CJKFont:
    """A CJK font face: its family name, file and face index inside a .ttc."""

    name: str
    path: str
    index: int


@cache
def cjk_font() -> CJKFont:
    """Find an installed CJK font (Noto Sans CJK SC preferred).

    Raises
    ------
    DataSourceError
        When no CJK font is installed, naming the package to install.
    """
    from matplotlib import font_manager

    entries = {e.name: e for e in font_manager.fontManager.ttflist if e.weight in (400, "normal")}
    for name in _PREFERRED:
        if name in entries:
            e = entries[name]
            return CJKFont(e.name, e.fname, int(getattr(e, "index", 0) or 0))
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "family", "file", "index"],
                             capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if ":" in line:
                path = line.split(":", 1)[0].strip()
                font_manager.fontManager.addfont(path)
                fams = [e for e in font_manager.fontManager.ttflist if e.fname == path]
                if fams:
                    return CJKFont(fams[0].name, path, int(getattr(fams[0], "index", 0) or 0))
    raise DataSourceError(
        "No CJK (Chinese) font is installed, so the report's charts cannot be drawn. "
        "Fix: install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk, "
        "or 'make system'), then delete matplotlib's font cache (~/.cache/matplotlib)."
    )


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


def render_chart(chart: Chart, fmt: str = "svg", width_in: float = 6.4,
                 height_in: float = 3.2) -> bytes:
    """Draw ``chart`` as a horizontal bar chart; return SVG (text as paths) or PNG bytes.

    Matplotlib's "Glyph ... missing from font" warnings are turned into errors.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    font = cjk_font()
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
        ax.set_yticks(ys, labels)
        ax.set_title(chart.title, fontsize=11)
        ax.set_xlabel(chart.unit)
        top = max(values) if values and max(values) > 0 else 1.0
        ax.set_xlim(0, top * 1.18)
        for b, v in zip(bars, values, strict=True):
            txt = f"{v:.1f}".removesuffix(".0")
            ax.text(b.get_width() + top * 0.01, b.get_y() + b.get_height() / 2, txt,
                    va="center", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()
