"""The report's period: parsing, which events fall in it, its months (pure).

An event counts when ``start <= event_date <= end`` (both days included). Events are
taken in date order; events of the same day keep the ledger's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landuse.core.values import parse_date
from landuse.errors import SchemaError
from landuse.report.text import period_label

__all__ = ["Period", "by_date", "parse_day"]


def parse_day(value: Any, name: str) -> pd.Timestamp:
    """``value`` as a day; :class:`~landuse.errors.SchemaError` naming ``name`` if it is not.

    Examples
    --------
    >>> parse_day("2023年5月8日", "--from")
    Timestamp('2023-05-08 00:00:00')
    """
    try:
        ts = parse_date(value)
    except ValueError:
        ts = None
    if ts is None:
        raise SchemaError(f"{name} '{value}' is not a date. Fix: write it as YYYY-MM-DD.")
    return ts


def by_date(events: pd.DataFrame) -> pd.DataFrame:
    """``events`` sorted by ``event_date``; events of one day keep their order."""
    return (events.assign(_order=np.arange(len(events)))
            .sort_values(["event_date", "_order"], kind="stable"))


@dataclass(frozen=True)
class Period:
    """A report period, both days included."""

    start: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def parse(cls, date_from: Any, date_to: Any) -> Period:
        """The period from ``--from``/``--to`` values; refuses bad dates and a reversed period.

        Examples
        --------
        >>> Period.parse("2023-01-01", "2023-10-31").label("zh")
        '2023年1—10月'
        """
        start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
        if start > end:
            raise SchemaError(
                f"the period starts ({start.date()}) after it ends ({end.date()}). "
                "Fix: swap --from and --to."
            )
        return cls(start, end)

    def contains(self, dates: pd.Series) -> pd.Series:
        """True for the dates inside the period (both ends included)."""
        return (dates >= self.start) & (dates <= self.end)

    def split(self, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The events in the period (in date order) and those outside it (ledger order)."""
        inside = self.contains(events["event_date"])
        return by_date(events[inside]), events[~inside]

    def until_end(self, events: pd.DataFrame) -> pd.DataFrame:
        """The events on or before the period's last day, in date order."""
        return by_date(events[events["event_date"] <= self.end])

    def months(self) -> pd.PeriodIndex:
        """Every calendar month the period touches.

        Examples
        --------
        >>> [str(m) for m in Period.parse("2022-12-15", "2023-02-01").months()]
        ['2022-12', '2023-01', '2023-02']
        """
        return pd.period_range(self.start.to_period("M"), self.end.to_period("M"), freq="M")

    def label(self, lang: str) -> str:
        """The period named as a work report names it (``2023年1—10月``)."""
        return period_label(self.start, self.end, lang)
