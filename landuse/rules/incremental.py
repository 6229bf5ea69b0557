"""Incremental re-assessment: the rows a write touches, without assessing the whole zone.

After a ledger event or a parcel edit only the parcels it touches can change, with one
exception: the 亩均 family rates the enterprise (domain.md §4.1: all parcels of one 统一社会
信用代码, else of one 用地单位) and ranks it among all rated enterprises of its scheme (in
the whole layer or per zone, §4.3). :func:`reassess` therefore

* assesses the touched parcels together with every parcel of their enterprises (the
  *context*) with :func:`landuse.rules.assess`, so every parcel-level field and the
  enterprise's figures, area and rating conditions come out as a full assessment gives
  them;
* takes a context row as it is where its enterprise is not rated (T or N: the class and
  its sentence depend on the enterprise alone, never on the others);
* keeps the previous row of a parcel whose enterprise is rated in the context run (its
  rank, class and the sentence naming them depend on every other enterprise of the
  scheme): it is listed in :attr:`Reassessed.held`;
* reports :attr:`Reassessed.ranks_stale` when some context enterprise is rated now or was
  rated before: the ranks and classes of the zone may have moved, so the caller recomputes
  the whole assessment later (lazily) and says meanwhile that the 亩均 classes are stale.

Pure: frames in, frames out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.rules.assess import assess_languages
from landuse.rules.ruleset import Ruleset
from landuse.standard import ASSESSMENT_COLUMNS

__all__ = ["Reassessed", "context_ids", "enterprise_keys", "reassess", "reassess_languages"]


@dataclass
class Reassessed:
    """What :func:`reassess` found."""

    rows: gpd.GeoDataFrame
    """The context rows (touched parcels and their enterprises' parcels) as the patch
    gives them: the parcels' columns, then the §3 fields; in the order of ``parcels``."""
    held: list[str] = field(default_factory=list)
    """Parcels whose previous row was kept (their enterprise is rated: its rank and class
    wait for the full recompute)."""
    ranks_stale: bool = False
    """Some enterprise of the context is rated now or was rated before: the zone's 亩均
    ranks and classes may have moved until the whole assessment is made again."""


def _clean(values: Any) -> np.ndarray:
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), "").astype(str).str.strip().to_numpy(dtype=object)


def enterprise_keys(parcels: pd.DataFrame) -> np.ndarray:
    """The enterprise each parcel is rated with (as :func:`landuse.rules.mujun.enterprises`
    groups them): ``c:<credit code>`` when recorded, else ``h:<holder>``, else
    ``p:<parcel_id>`` (a parcel rated alone)."""
    n = len(parcels)
    cc = _clean(parcels["credit_code"]) if "credit_code" in parcels else np.full(n, "", object)
    holder = _clean(parcels["holder"]) if "holder" in parcels else np.full(n, "", object)
    pid = parcels["parcel_id"].astype(str).to_numpy(dtype=object)
    return np.where(cc != "", "c:" + cc, np.where(holder != "", "h:" + holder, "p:" + pid))


def context_ids(parcels: pd.DataFrame, parcel_ids: Iterable[str]) -> list[str]:
    """The touched parcels and every parcel of their enterprises, in register order.

    Raises
    ------
    KeyError
        A touched id is not in ``parcels``.
    """
    ids = pd.Series(parcels["parcel_id"].astype(str).to_numpy(dtype=object))
    wanted = {str(i) for i in parcel_ids}
    touched = ids.isin(wanted).to_numpy()
    unknown = wanted - set(ids[touched])
    if unknown:
        raise KeyError(f"parcels not in the register: {', '.join(sorted(unknown)[:5])}")
    keys = pd.Series(enterprise_keys(parcels), dtype=object)
    return ids[keys.isin(set(keys[touched])).to_numpy()].tolist()


def _rated(score: Any) -> np.ndarray:
    return np.isfinite(pd.to_numeric(pd.Series(score), errors="coerce").to_numpy(float))


def reassess(
    assessed: pd.DataFrame,
    parcels: gpd.GeoDataFrame,
    parcel_ids: Iterable[str],
    as_of: Any,
    ruleset: Ruleset | str | None = None,
    lang: str = "zh",
) -> Reassessed:
    """Re-assess the parcels a write touched; return the rows that replace theirs.

    Parameters
    ----------
    assessed : pandas.DataFrame
        The previous assessment: ``parcel_id`` and the §3 fields (:data:`ASSESSMENT_COLUMNS`)
        for the same date, ruleset and language, at least for the context parcels.
    parcels : geopandas.GeoDataFrame
        The register after the write: the whole register, or at least the touched parcels
        and every parcel of their enterprises (:func:`context_ids` picks those).
    parcel_ids : iterable of str
        The parcels the write touched (a ledger event's parcel, an edited parcel).
    as_of, ruleset, lang
        As for :func:`landuse.rules.assess`.

    Returns
    -------
    Reassessed
        ``rows``: for every context parcel, the row a full assessment gives, except the
        parcels of rated enterprises, whose previous §3 fields are kept (``held``); and
        ``ranks_stale``.

    Raises
    ------
    KeyError
        A touched id is not in ``parcels``, or a held parcel has no previous row.
    """
    return reassess_languages({lang: assessed}, parcels, parcel_ids, as_of, ruleset)[lang]


def reassess_languages(
    assessed: dict[str, pd.DataFrame],
    parcels: gpd.GeoDataFrame,
    parcel_ids: Iterable[str],
    as_of: Any,
    ruleset: Ruleset | str | None = None,
) -> dict[str, Reassessed]:
    """:func:`reassess` in the languages of ``assessed`` (``{lang: previous}``) at once:
    the rules run once for the context."""
    ctx_ids = context_ids(parcels, parcel_ids)
    pid = parcels["parcel_id"].astype(str)
    ctx = parcels[pid.isin(ctx_ids).to_numpy()]
    made = assess_languages(ctx, as_of, ruleset=ruleset, langs=tuple(assessed))
    return {lang: _hold(made[lang], assessed[lang]) for lang in assessed}


def _hold(rows: gpd.GeoDataFrame, assessed: pd.DataFrame) -> Reassessed:
    """Keep the previous rows of the parcels of rated enterprises; say if ranks are stale."""
    ids = rows["parcel_id"].astype(str).to_numpy(dtype=object)
    prev_ids = pd.Series(assessed["parcel_id"].astype(str).to_numpy(dtype=object))
    mine = prev_ids.isin(set(ids)).to_numpy()  # only the context's previous rows
    prev = pd.DataFrame(assessed.loc[mine, [c for c in assessed.columns if c != "parcel_id"]])
    prev.index = pd.Index(prev_ids[mine].to_numpy(), name="parcel_id")
    rated_now = _rated(rows["mujun_score"])
    known = pd.Series(ids, dtype=object).isin(set(prev.index)).to_numpy()
    before = np.zeros(len(ids), dtype=bool)
    before[known] = _rated(prev.loc[ids[known], "mujun_score"])
    held = ids[rated_now]
    missing = [i for i in held if i not in prev.index]
    if missing:
        raise KeyError(f"no previous assessment of {', '.join(missing[:5])}")
    if len(held):
        old = prev.loc[held, list(ASSESSMENT_COLUMNS)]
        for c in ASSESSMENT_COLUMNS:
            col = rows[c].copy()
            col.loc[rated_now] = old[c].astype(col.dtype).to_numpy()
            rows[c] = col
    return Reassessed(rows=rows, held=[str(i) for i in held],
                      ranks_stale=bool(rated_now.any() or before.any()))
