"""The flags family (§3 ``flags``) and the records that contradict each other.

* ``use_changed``: the observed use differs from the registered use (擅自改变用途?);
* ``mortgaged_idle``: idle land under a mortgage (the mortgagee must be told);
* ``outside_supply``: an unsupplied parcel carrying a building outside supply
  (:func:`landuse.core.buildings.outside_supply`, the one definition);
* ``overdue_completion`` (逾期竣工): a supplied parcel past its contract's
  ``agreed_completion_date`` and not completed (nor producing) as of the date, or completed
  after it (a breach of the land contract's completion term, domain.md §8 contract terms).

:func:`contradictions` finds dates in the wrong order and other records that cannot all be
true. Pure and vectorised: arrays in, a dataclass of masks and values out; no sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from landuse.core.buildings import OutsideSupply, outside_supply
from landuse.core.discrepancy import load_thresholds
from landuse.rules.columns import Codes, Columns, ok
from landuse.rules.lifecycle import Progress
from landuse.standard import get_standard

__all__ = [
    "DATE_ORDER",
    "FLAGS",
    "Contradictions",
    "Flags",
    "contradictions",
    "flags",
    "outside_supply_flag",
]

FLAGS: tuple[str, ...] = tuple(get_standard().codes["flag"])
"""The standard's flag codes (its ``flag`` list)."""

DATE_ORDER: tuple[tuple[str, str], ...] = (
    ("start_date", "supply_date"),
    ("completion_date", "start_date"),
    ("production_date", "completion_date"),
    ("supply_date", "approval_date"),
)
"""Pairs (later, earlier) of dates that must not be the other way round."""


@dataclass(frozen=True)
class Flags:
    """The flags family's result (masks per parcel, by flag code, in :data:`FLAGS` order)."""

    masks: dict[str, np.ndarray]
    land_use: Codes
    observed_use: Codes
    outside_count: np.ndarray
    """Outside-supply buildings on the parcel (0 without buildings)."""
    outside_area_m2: np.ndarray
    outside_meta: dict[str, Any]
    """For ``attrs["assessment"]``: buildings outside supply, and those on no parcel."""
    agreed_completion: np.ndarray
    """``agreed_completion_date``."""
    completion_late_days: np.ndarray
    """Days past the agreed completion date: to the completion date when completed late,
    else to the as-of date (NaN where not overdue)."""
    completed_late: np.ndarray
    """Flagged parcels that were completed, but after the agreed date."""


def outside_supply_flag(
    parcels: gpd.GeoDataFrame, supplied: np.ndarray, buildings: gpd.GeoDataFrame | None
) -> tuple[OutsideSupply | None, dict[str, Any]]:
    """The ``outside_supply`` finding of the assessment, with the evidence's threshold.

    The share is the packaged ``outside_supply_max_share`` of the evidence thresholds, so
    the flag and the evidence run agree on every building.
    """
    if buildings is None:
        return None, {}
    o = outside_supply(parcels, buildings, supplied, load_thresholds().outside_supply_max_share)
    meta = {
        "buildings_outside_supply": int(o.outside.sum()),
        "buildings_on_no_parcel": [int(i) for i in o.on_no_parcel],
    }
    return o, meta


def flags(
    cols: Columns,
    idle: np.ndarray,
    outside: OutsideSupply | None = None,
    outside_meta: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> Flags:
    """The §3 flags of every parcel.

    Parameters
    ----------
    cols : Columns
        The parcels (``land_use``, ``observed_use``, ``mortgaged``).
    idle : ndarray of bool
        Idle of either kind (:func:`landuse.rules.idle.idle`).
    outside : OutsideSupply, optional
        From :func:`outside_supply_flag`; without it no parcel is flagged.
    progress : Progress, optional
        The dates as of the assessment date, for ``overdue_completion`` (without it no
        parcel is flagged).
    """
    n = cols.n
    land_use = cols.codes("land_use", "land_use")
    observed = cols.codes("observed_use", "land_use")
    use_changed = (land_use[0] >= 0) & (observed[0] >= 0) & (land_use[0] != observed[0])
    mortgaged_idle = idle & cols.boolean("mortgaged")
    if outside is None:
        count, area = np.zeros(n), np.zeros(n)
    else:
        count, area = outside.parcel_count, outside.parcel_area_m2
    overdue, late_days, late = _overdue_completion(cols, progress)
    by_code = {
        "use_changed": use_changed,
        "mortgaged_idle": mortgaged_idle,
        "outside_supply": count > 0,
        "overdue_completion": overdue,
    }
    return Flags(
        masks={code: by_code[code] for code in FLAGS},
        land_use=land_use,
        observed_use=observed,
        outside_count=count,
        outside_area_m2=area,
        outside_meta=dict(outside_meta or {}),
        agreed_completion=cols.date("agreed_completion_date"),
        completion_late_days=late_days,
        completed_late=late,
    )


def _overdue_completion(
    cols: Columns, p: Progress | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """逾期竣工: (flag, days overdue, completed late) of every supplied parcel.

    Not done (neither completed nor producing) with the agreed completion date before the
    as-of date: overdue by as-of − agreed days. Completed after the agreed date: overdue by
    completion − agreed days. A producing parcel without a completion date counts as done.
    """
    n = cols.n
    if p is None:
        return np.zeros(n, dtype=bool), np.full(n, np.nan), np.zeros(n, dtype=bool)
    agreed = cols.date("agreed_completion_date")
    has = p.supplied & ok(agreed)
    done = p.completed | p.producing
    open_late = has & ~done & (agreed < p.today)
    late = has & p.completed & (p.completion > agreed)
    day = np.timedelta64(1, "D")
    days = np.full(n, np.nan)
    days[open_late] = (p.today - agreed[open_late]) / day
    days[late] = (p.completion[late] - agreed[late]) / day
    return open_late | late, days, late


@dataclass(frozen=True)
class Contradictions:
    """Records that cannot all be true (each is a note in ``reasons``, not a flag)."""

    date_order: dict[tuple[str, str], np.ndarray]
    """By (later, earlier) of :data:`DATE_ORDER`: both recorded, later before earlier."""
    none_but_done: np.ndarray
    """``start_evidence`` is ``none`` but a completion or production date has passed."""
    started_unsupplied: np.ndarray
    """Started (by date or evidence) without a supply date: use before supply?"""


def contradictions(p: Progress) -> Contradictions:
    """Find the contradicting records of every parcel."""
    dates = {
        "start_date": p.start,
        "supply_date": p.supply,
        "completion_date": p.completion,
        "production_date": p.production,
        "approval_date": p.approval,
    }
    order = {}
    for later, earlier in DATE_ORDER:
        a, b = dates[later], dates[earlier]
        order[(later, earlier)] = ok(a) & ok(b) & (a < b)
    return Contradictions(
        date_order=order,
        none_but_done=p.ev_none & (p.completed | p.producing),
        started_unsupplied=~p.supplied & ~p.supply_future & (p.start_by_date | p.ev_started),
    )
