"""Words of the report in Chinese and English: labels, headers, period names, numbers.

The words are data (``landuse/data/words.toml``, group ``report``, and the standard for
codes and assessment fields); this module only picks them through :mod:`landuse.labels`.
"""

from __future__ import annotations

import calendar

import pandas as pd

from landuse import labels
from landuse.labels import header
from landuse.standard import get_standard

__all__ = ["T", "day_text", "fmt1", "label", "period_label", "word"]

_LONG = frozenset({"mujun_class"})
"""Code lists the report names by their long label (``A类（优先发展）``)."""


def label(kind: str, code: object, lang: str = "zh") -> str:
    """Label of a code for people, in ``lang``; a missing code gives "未注明"/"not recorded".

    The words come from the standard (:func:`landuse.labels.label`); the report shows
    the 亩均 classes by their long label. A code (or list) the standard does not know is
    shown as it is: the value comes from data, and the report shows what it holds.

    Examples
    --------
    >>> label("method", "merger"), label("method", "merger", "en")
    ('兼并重组', 'merger and restructuring')
    >>> label("mujun_class", "A")
    'A类（优先发展）'
    """
    if code is None or (isinstance(code, float) and pd.isna(code)) or code == "":
        return word("not_recorded", lang)
    c = str(code)
    labels.check_lang(lang)
    if kind not in get_standard().codes or not labels.has_label(kind, c):
        return c if lang == "zh" else c.replace("_", " ")
    return labels.label(kind, c, lang, long=kind in _LONG)


def fmt1(x: float) -> str:
    """One decimal, as the source reports write it: ``67``, ``56.8``, ``175.8``.

    Examples
    --------
    >>> fmt1(67.0), fmt1(56.8), fmt1(175.84)
    ('67', '56.8', '175.8')
    """
    s = f"{round(float(x) + 0.0, 1):.1f}"
    return s[:-2] if s.endswith(".0") else s


def period_label(start: pd.Timestamp, end: pd.Timestamp, lang: str = "zh") -> str:
    """Name a period the way a work report does.

    Examples
    --------
    >>> ts = pd.Timestamp
    >>> period_label(ts("2023-01-01"), ts("2023-10-31"))
    '2023年1—10月'
    >>> period_label(ts("2023-01-01"), ts("2023-12-31"), "en")
    '2023'
    >>> period_label(ts("2023-01-01"), ts("2023-09-30"), "en")
    'January–September 2023'
    """
    month_start = start.day == 1
    month_end = end.day == calendar.monthrange(end.year, end.month)[1]
    if start.year == end.year and month_start and month_end:
        if start.month == 1 and end.month == 12:
            return f"{start.year}年" if lang == "zh" else f"{start.year}"
        if start.month == end.month:
            if lang == "zh":
                return f"{start.year}年{start.month}月"
            return f"{calendar.month_name[start.month]} {start.year}"
        if lang == "zh":
            return f"{start.year}年{start.month}—{end.month}月"
        return (
            f"{calendar.month_name[start.month]}–{calendar.month_name[end.month]} {start.year}"
        )
    if lang == "zh":
        return (
            f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
        )
    return f"{start.day} {calendar.month_name[start.month]} {start.year} to " \
        f"{end.day} {calendar.month_name[end.month]} {end.year}"


def day_text(day: pd.Timestamp, lang: str = "zh") -> str:
    """A day in prose: 2022年8月15日 in Chinese (as a land office writes it), ISO in English.

    Examples
    --------
    >>> day_text(pd.Timestamp("2022-08-05")), day_text(pd.Timestamp("2022-08-05"), "en")
    ('2022年8月5日', '2022-08-05')
    """
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.date().isoformat()


_FIELD_HEADERS: dict[str, str] = {
    "c_area_mu": "area_mu",
    "c_area_ha": "area_ha",
    "c_lifecycle": "lifecycle",
    "c_idle_type": "idle_type",
    "c_overdue": "overdue_days",
    "c_fee": "idle_fee_wan",
    "c_recovery": "recovery_candidate",
    "c_failed": "failed_indicators",
    "c_mujun_score": "mujun_score",
    "c_mujun": "mujun_class",
    "c_flags": "flags",
    "c_mujun_rank": "mujun_rank",
    "c_scheme": "mujun_scheme",
}
"""Report column keys that show an assessment field: the field's header (label and unit)."""

_COMMON = ("not_recorded", "as_of", "total", "yes", "no", "parcels_n")
"""Report keys whose words are shared with other outputs (group ``common``)."""


def word(key: str, lang: str = "zh") -> str:
    """A fixed word of the report in ``lang``, through :func:`landuse.labels.label`.

    Report words are in the ``report`` group; column headers of assessment fields are
    the fields' headers (:func:`landuse.labels.header`) and a few words are shared
    (``common``). An unknown key or language is a :class:`~landuse.errors.SchemaError`.

    Examples
    --------
    >>> word("c_mujun_score"), word("c_method", "en")
    ('亩均效益得分(分)', 'Method')
    """
    if key in _FIELD_HEADERS:
        return header(_FIELD_HEADERS[key], lang)
    return labels.label("common" if key in _COMMON else "report", key, lang)


def _all_words() -> dict[str, dict[str, str]]:
    keys = [k for _, k in _report_keys()] + list(_FIELD_HEADERS) + list(_COMMON)
    return {lang: {k: word(k, lang) for k in keys} for lang in labels.LANGS}


def _report_keys() -> list[tuple[str, str]]:
    return [(kind, key) for kind, key, _zh, _en in labels.entries() if kind == "report"]


T: dict[str, dict[str, str]] = _all_words()
"""All fixed words of the report, by language: a view of :func:`word` for the modules
that still index it (``T[lang][key]``)."""
