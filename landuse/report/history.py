"""The report's comparison with earlier dates (pure): 较年初 and 同比 per 五未 stage, and the
parcels that changed in the period (:func:`landuse.rules.changes.changes`).

Made only when the report reads a store that holds the register's history (the CLI and
the API give the assessed registers of the earlier dates); a report of a register file
has no such section.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from landuse.labels import label
from landuse.report.cells import r1
from landuse.report.model import Table
from landuse.report.parcel_tables import LIFECYCLES
from landuse.report.sums import exact_sum
from landuse.report.text import T
from landuse.rules.changes import summarise_changes
from landuse.units import M2_PER_MU

__all__ = ["history_tables"]


def _mu_by_stage(parcels: pd.DataFrame | None) -> dict[str, float]:
    if parcels is None:
        return {}
    life = parcels["lifecycle"].fillna("unknown")
    area = pd.to_numeric(parcels["area_m2"], errors="coerce").fillna(0.0)
    return {lc: exact_sum(area[life == lc]) / M2_PER_MU for lc in LIFECYCLES}


def history_tables(now: pd.DataFrame, start: pd.DataFrame, year_ago: pd.DataFrame | None,
                   found: pd.DataFrame, lang: str) -> list[Table]:
    """The comparison tables.

    Parameters
    ----------
    now, start, year_ago : DataFrame
        The assessed register at the period's end, at its start and a year before its end
        (None when the store does not reach back that far).
    found : DataFrame
        :func:`landuse.rules.changes.changes` from the period's start to its end.
    """
    h = T[lang]
    a, b, y = _mu_by_stage(now), _mu_by_stage(start), _mu_by_stage(year_ago)
    rows: list[list[Any]] = []
    for lc in LIFECYCLES:
        rows.append([label("lifecycle", lc, lang), r1(a[lc]), r1(b[lc]), r1(a[lc] - b[lc]),
                     r1(y[lc]) if y else None, r1(a[lc] - y[lc]) if y else None])
    compare = Table(
        "lifecycle_compare", h["t_lifecycle_compare"],
        ["lifecycle", "now_mu", "start_mu", "vs_start_mu", "year_ago_mu", "vs_year_mu"],
        [h["c_lifecycle"], h["c_now_mu"], h["c_start_mu"], h["c_vs_start_mu"],
         h["c_year_ago_mu"], h["c_vs_year_mu"]], rows)
    summary: list[dict[Any, Any]] = summarise_changes(found, lang).to_dict("records")
    transitions = Table(
        "transitions", h["t_transitions"], ["transition", "parcels", "area_mu"],
        [h["c_transition"], h["c_parcels"], h["c_area_mu"]],
        [[r["label"], int(r["parcels"]), r1(float(r["area_mu"]))]
         for r in summary if r["parcels"]])
    sep = "、" if lang == "zh" else "; "
    rows_changed: list[dict[Any, Any]] = pd.DataFrame(found).to_dict("records")
    changed = Table(
        "changed_parcels", h["t_changed_parcels"],
        ["parcel_id", "transitions", "area_mu", "reasons"],
        [h["c_parcel"], h["c_transition"], h["c_area_mu"], h["c_change_reason"]],
        [[r["parcel_id"],
          sep.join(label("transition", t, lang) for t in str(r["transitions"]).split(";")),
          r1(float(r["area_mu"])), r["reasons"]] for r in rows_changed])
    return [compare, transitions, changed]
