"""Summaries of an assessment: counts and 亩 per stage, idle type, indicator, class, sub-park."""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.rules.efficiency import INDICATORS
from landuse.rules.idle import IDLE_TYPES
from landuse.rules.lifecycle import LIFECYCLES
from landuse.rules.mujun import CLASSES

__all__ = ["DIMENSIONS", "summarise"]

DIMENSIONS: dict[str, tuple[str, str]] = {
    "lifecycle": ("五未阶段", "lifecycle stage"),
    "idle_type": ("闲置类型", "idle type"),
    "failed_indicators": ("低效指标", "low-efficiency indicator"),
    "mujun_class": ("亩均分类", "mu-average class"),
}
"""Dimensions of :func:`summarise`: column -> (Chinese heading, English heading)."""

_ORDER = {
    "lifecycle": LIFECYCLES,
    "idle_type": IDLE_TYPES,
    "failed_indicators": INDICATORS,
    "mujun_class": CLASSES,
}


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
                assessed["zone"].astype(object).where(assessed["zone"].notna(), "(无 none)")
                if "zone" in assessed.columns
                else "(无 none)"
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
