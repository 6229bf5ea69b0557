"""The ledger's dates for the map's date slider: each parcel's ledger-derived state by date.

Pure: the effective ledger (:func:`landuse.webmap.classes.effective_ledger`) and the map's
layers in, a small JSON-ready structure out. The state of a parcel on a date is what
:func:`landuse.webmap.classes.classify_layers` would give with the ledger as it stood on that
date (:func:`landuse.webmap.classes.ledger_as_of`): events dated later are left out, and a
correction dated later does not yet supersede the event it corrects.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse.standard import code_label
from landuse.webmap.classes import LayerSpec

__all__ = ["ledger_timeline"]


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def ledger_timeline(
    gdf: pd.DataFrame,
    effective: pd.DataFrame | None,
    specs: list[LayerSpec],
    period_of: Any,
    methods: list[str],
    lang: str = "zh",
) -> dict[str, Any] | None:
    """Each ledger parcel's "reclaimed" classes at every ledger date where they change.

    Parameters
    ----------
    gdf : DataFrame
        The map's parcels (feature ``i`` is row ``i``), with ``parcel_id`` and ``area_mu``.
    effective : DataFrame or None
        The effective ledger (sorted by parcel, date, event id), None without a ledger.
    specs : list of LayerSpec
        The map's layers; the classes of ``reclaim`` and ``reclaim_date`` are indexed.
    period_of : callable
        Date -> class code of the "reclaimed by date" layer
        (:func:`landuse.webmap.classes.date_classes`).
    methods : list of str
        The disposal method codes that have a class of their own.
    lang : {"zh", "en"}
        Language of the method labels.

    Returns
    -------
    dict or None
        ``{"dates": [YYYY-MM-DD, ...], "p": [[feature, 亩, steps], ...]}`` with ``dates`` the
        ledger's distinct event dates in order and ``steps`` a list of
        ``[date index, reclaim class, date class, disposal date, method label]`` from that
        date on (class -1: not drawn; date and method only for disposed parcels). The date
        classes are the map's own (chosen from the disposals on the map's date); a disposal
        shown only on an earlier date (re-opened since) whose date falls outside them is
        drawn in "reclaimed (method)" but not in "reclaimed by date". None without ledger
        events.
    """
    if effective is None or not len(effective):
        return None
    rec = {c.code: i for i, c in enumerate(_spec(specs, "reclaim").classes)}
    per = {c.code: i for i, c in enumerate(_spec(specs, "reclaim_date").classes)}
    pos = {pid: i for i, pid in enumerate(gdf["parcel_id"].astype(str))}
    mu = pd.to_numeric(gdf["area_mu"], errors="coerce").fillna(0.0).to_numpy()
    days = pd.to_datetime(effective["event_date"]).to_list()
    ids = effective["event_id"].astype(str).to_list()
    corrects = (effective["corrects"].to_list() if "corrects" in effective.columns
                else [None] * len(ids))
    # an event is superseded from the date of the first event correcting it
    sup_from: dict[str, pd.Timestamp] = {}
    for target, day in zip(corrects, days, strict=True):
        t = _text(target)
        if t is not None:
            sup_from[t] = min(sup_from.get(t, day), day)
    dates = sorted(set(days))
    index = {d: i for i, d in enumerate(dates)}
    stages = effective["stage"].astype(str).to_list()
    meth = (effective["method"].to_list() if "method" in effective.columns
            else [None] * len(ids))
    rows: dict[str, list[int]] = {}
    for k, pid in enumerate(effective["parcel_id"].astype(str)):
        rows.setdefault(pid, []).append(k)
    out = []
    for pid, ks in rows.items():
        own = {days[k] for k in ks}
        points = sorted(own | {sup_from[ids[k]] for k in ks if ids[k] in sup_from})
        steps = []
        for d in points:
            live = [k for k in ks if days[k] <= d and not (ids[k] in sup_from
                                                          and sup_from[ids[k]] <= d)]
            steps.append([index[d], *_state(live, stages, meth, days, rec, per, period_of,
                                              methods, lang)])
        out.append([pos[pid], round(float(mu[pos[pid]]), 4), steps])
    return {"dates": [d.strftime("%Y-%m-%d") for d in dates], "p": out}


def _spec(specs: list[LayerSpec], key: str) -> LayerSpec:
    return next(s for s in specs if s.key == key)


def _state(live: list[int], stages: list[str], meth: list[Any], days: list[pd.Timestamp],
           rec: dict[str, int], per: dict[str, int], period_of: Any, methods: list[str],
           lang: str) -> list[Any]:
    """Classes of a parcel whose effective events are ``live`` (in ledger order)."""
    if not live:
        return [-1, -1, None, None]
    last = live[-1]
    if stages[last] != "disposed":
        return [rec["in_progress"], -1, None, None]
    m = _text(meth[last])
    code = m if m in methods else "no_method"
    # a disposal later re-opened may fall outside the map's date classes: not drawn there
    return [rec[code], per.get(period_of(days[last]), -1), days[last].strftime("%Y-%m-%d"),
            code_label("method", m, lang) if m else None]
