"""The report model: tables, charts and :class:`ReportData`, serialised once.

:meth:`ReportData.to_dict` is the one serialisation of a report: plain JSON values
(``int``, ``float``, ``str``, ``bool``, ``None``, lists and dicts; dates as ISO text).
The JSON writer writes it; the Word template context, the Markdown, HTML, XLSX and DOCX
writers read it, so every output shows the same values.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["Chart", "ReportData", "Table", "plain"]


def plain(value: Any) -> Any:
    """``value`` with numpy scalars, timestamps and containers turned into JSON values.

    Dates become ISO text; numpy numbers become ``int``/``float``/``bool``; tuples become
    lists; a missing value (NaN, infinity, ``NaT``, ``pd.NA``) becomes ``None`` (JSON has
    no NaN).

    Examples
    --------
    >>> plain({"n": np.int64(3), "d": pd.Timestamp("2023-01-02"), "t": (np.float64(1.5),)})
    {'n': 3, 'd': '2023-01-02T00:00:00', 't': [1.5]}
    >>> plain([float("nan"), pd.NaT, pd.NA])
    [None, None, None]
    """
    if isinstance(value, dict):
        return {(k.item() if isinstance(k, np.generic) else k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date):  # also pd.Timestamp and datetime
        return value.isoformat()
    return value


@dataclass
class Table:
    """One table: machine keys, human headers (with units) and the rows."""

    key: str
    title: str
    keys: list[str]
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""

    @property
    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the human headers."""
        return pd.DataFrame(self.rows, columns=self.headers)

    def to_dict(self) -> dict[str, Any]:
        """``title``, ``keys``, ``headers``, ``rows`` and ``note`` as JSON values."""
        return {"title": self.title, "keys": list(self.keys), "headers": list(self.headers),
                "rows": plain(self.rows), "note": self.note}


@dataclass
class Chart:
    """A bar chart: one value per category."""

    key: str
    title: str
    categories: list[str]
    values: list[float]
    unit: str

    def to_dict(self) -> dict[str, Any]:
        """``title``, ``categories``, ``values`` and ``unit`` as JSON values."""
        return {"title": self.title, "categories": plain(self.categories),
                "values": plain(self.values), "unit": self.unit}


@dataclass
class ReportData:
    """Everything a report shows, computed once, language-specific where people read."""

    lang: str
    title: str
    period_from: pd.Timestamp
    period_to: pd.Timestamp
    as_of: pd.Timestamp
    zone: str | None
    period_label: str
    zone_label: str
    figures: dict[str, Any]
    headline: str
    tables: list[Table]
    charts: list[Chart]
    indicators: pd.DataFrame
    notes: list[str]
    map_frame: gpd.GeoDataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    sections: list[Any] = field(default_factory=list)
    """Further sections, each with ``key``, ``title``, ``paragraph``, ``tables``, ``notes``
    and ``to_dict()`` (the land supply section, :mod:`landuse.report.supply`)."""
    map_not_drawn: int = 0
    """Parcels of the category ``other`` the overview map counts but does not draw (a
    report over more than :data:`~landuse.report.partial.MAP_ALL_PARCELS` parcels)."""

    def table(self, key: str) -> Table:
        """The table named ``key``."""
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON values: meta, figures, headline, tables, charts, indicators,
        notes, and ``sections`` (by key) when the report has further sections.

        ``tables`` and ``charts`` are keyed by their ``key`` in the report's order;
        ``indicators`` is one dict per indicator (:func:`~landuse.report.zone_indicators`
        columns, NaN as ``None``).
        """
        return {
            "meta": plain({
                "title": self.title,
                "lang": self.lang,
                "period_from": self.period_from.date(),
                "period_to": self.period_to.date(),
                "as_of": self.as_of.date(),
                "period_label": self.period_label,
                "zone": self.zone,
                "zone_label": self.zone_label,
                **self.meta,
            }),
            "figures": plain(self.figures),
            "headline": self.headline,
            "tables": {t.key: t.to_dict() for t in self.tables},
            "charts": {c.key: c.to_dict() for c in self.charts},
            "indicators": plain(self.indicators.to_dict("records")),
            "notes": list(self.notes),
            **({"sections": {sec.key: plain(sec.to_dict()) for sec in self.sections}}
               if self.sections else {}),
        }
