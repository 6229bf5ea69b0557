"""Summaries of an assessment: counts and 亩 per stage, idle type, indicator, class, sub-park."""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.labels import both, label
from landuse.standard import get_standard

__all__ = ["DIMENSIONS", "summarise"]

_COLUMNS = ("lifecycle", "idle_type", "failed_indicators", "mujun_class")

DIMENSIONS: dict[str, tuple[str, str]] = {
    c: (label("field", c, "zh"), label("field", c, "en")) for c in _COLUMNS
}
"""Dimensions of :func:`summarise`: column -> (Chinese heading, English heading), the
assessment fields' labels from the standard."""


def _order(column: str) -> tuple[str, ...]:
    """Codes of a dimension in the order of its code list in the standard."""
    std = get_standard()
    codes = std.field("assessment", column).codes
    assert codes is not None, column
    return tuple(std.codes[codes])


_ORDER = {c: _order(c) for c in _COLUMNS}
_NO_ZONE = f"({both('common', 'none')})"


def summarise(assessed: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Count parcels and sum 亩 per value of each dimension, overall and by sub-park.

    ``failed_indicators`` is exploded: a parcel failing two indicators counts under both.

    Returns
    -------
    dict
        Dimension column -> DataFrame indexed by code, with columns ``("all", "parcels")``,
        ``("all", "mu")`` and the same pair for each value of ``zone`` (when present).

    Examples
    --------
    >>> df = pd.DataFrame({"lifecycle": ["in_use", "in_use", "supplied_unused"],
    ...                    "idle_type": ["none"] * 3, "failed_indicators": ["", "far", ""],
    ...                    "mujun_class": ["A", "T", "T"], "area_mu": [10.0, 5.0, 2.5],
    ...                    "zone": ["东区", "西区", "东区"]})
    >>> t = summarise(df)["lifecycle"]
    >>> int(t.loc["in_use", ("all", "parcels")]), float(t.loc["in_use", ("东区", "mu")])
    (2, 10.0)
    """
    out: dict[str, pd.DataFrame] = {}
    base = pd.DataFrame(
        {
            "mu": pd.to_numeric(assessed["area_mu"], errors="coerce").fillna(0.0),
            "zone": (
                assessed["zone"].astype(object).where(assessed["zone"].notna(), _NO_ZONE)
                if "zone" in assessed.columns
                else _NO_ZONE
            ),
        },
        index=assessed.index,
    )
    zones = sorted(base["zone"].unique(), key=str) if "zone" in assessed.columns else []
    for col in DIMENSIONS:
        if col not in assessed.columns:
            continue
        values = assessed[col].astype(object).where(assessed[col].notna(), "")
        if col == "failed_indicators":
            values = values.str.split(";")
        frame = base.assign(value=values)
        if col == "failed_indicators":
            frame = frame.explode("value")
            frame = frame[frame["value"] != ""]
        parts = {}
        g = frame.groupby("value")
        parts[("all", "parcels")] = g.size()
        parts[("all", "mu")] = g["mu"].sum()
        for z in zones:
            gz = frame[frame["zone"] == z].groupby("value")
            parts[(str(z), "parcels")] = gz.size()
            parts[(str(z), "mu")] = gz["mu"].sum()
        table = pd.DataFrame(parts)
        table.columns = pd.MultiIndex.from_tuples([tuple(c) for c in table.columns])
        counts = [c for c in table.columns if c[1] == "parcels"]
        table[counts] = table[counts].fillna(0).astype(np.int64)
        table = table.fillna(0.0)
        order = [c for c in _ORDER[col] if c not in table.index]
        if order:
            table = pd.concat([table, pd.DataFrame(0, index=order, columns=table.columns)])
        known = [c for c in _ORDER[col] if c in table.index]
        table = table.loc[known + [c for c in table.index if c not in _ORDER[col]]]
        counts = [c for c in table.columns if c[1] == "parcels"]
        table[counts] = table[counts].astype(np.int64)
        out[col] = table
    return out
