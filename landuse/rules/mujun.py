"""The 亩均 family (亩均论英雄, domain.md §4): weighted score, rank and A/B/C/D/T class.

A parcel producing for at least ``min_years_producing`` years on at least ``min_area_mu``
亩 with at least one performance figure is rated: each indicator (numerator / denominator)
is divided by its base, capped, weighted and summed; the parcels are ranked (in the whole
layer or per zone) and classed by rank share. A veto moves an A or B to ``veto_class``.
A parcel of a recorded land use outside ``applies_to_land_use`` (default 工矿仓储) is N
(not applicable); everything else is T (not rated). Pure and vectorised; no sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from landuse.rules.columns import EPS, Columns, add_years, ratio
from landuse.standard import get_standard

__all__ = ["CLASSES", "MissingFigure", "Mujun", "mujun"]

CLASSES: tuple[str, ...] = tuple(get_standard().codes["mujun_class"])
"""The standard's 亩均 classes (``mujun_class``): A, B, C, D, T (not rated) and N (not
applicable to the land use)."""
CL: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}


@dataclass(frozen=True)
class MissingFigure:
    """Rated parcels lacking one field of one indicator (scored by ``missing_value``)."""

    mask: np.ndarray
    label_zh: str
    label_en: str
    field: str


@dataclass(frozen=True)
class Mujun:
    """The 亩均 family's result."""

    min_years: int
    long_enough: np.ndarray
    """Producing for at least ``min_years_producing`` years."""
    big_enough: np.ndarray
    no_data: np.ndarray
    """Would be rated but has no performance figure at all (T)."""
    rated: np.ndarray
    score: np.ndarray
    """NaN where not rated."""
    rank: np.ndarray
    count: np.ndarray
    """How many parcels were ranked together."""
    class_code: np.ndarray
    """Position in :data:`CLASSES` (int8)."""
    class_before_veto: np.ndarray
    vetoed: np.ndarray
    veto_checked: bool
    """False when the ruleset names veto columns but the layer has none of them."""
    not_applicable: np.ndarray
    """Of a recorded land use the scheme does not rate (class N)."""
    missing: list[MissingFigure] = field(default_factory=list)


def mujun(
    cols: Columns,
    producing: np.ndarray,
    production: np.ndarray,
    area_mu: np.ndarray,
    today: np.datetime64,
    rules: dict[str, Any],
) -> Mujun:
    """Score, rank and class every parcel (the ruleset's ``mujun`` part)."""
    n = len(producing)
    lu_arr, lu_cats = cols.codes("land_use", "land_use")
    scope = np.array([c in rules["applies_to_land_use"] for c in lu_cats] + [True])
    not_applicable = ~scope[lu_arr]
    producing = producing & ~not_applicable
    prod_years = int(rules["min_years_producing"])
    long_enough = producing & (today >= add_years(production, prod_years))
    big_enough = area_mu >= float(rules["min_area_mu"])
    specs = list(rules["indicators"].values())

    def figure(name: str) -> np.ndarray:
        return area_mu if name == "area_mu" else cols.num(name)

    has_data = np.zeros(n, dtype=bool)
    for spec in specs:
        if spec["numerator"] != "area_mu":
            has_data |= np.isfinite(cols.num(spec["numerator"]))
    # a parcel with no performance figure at all cannot be ranked: T, not a score of 0
    no_data = long_enough & big_enough & ~has_data
    rated = long_enough & big_enough & has_data
    score = np.zeros(n)
    missing: list[MissingFigure] = []
    for spec in specs:
        num_v = figure(spec["numerator"])
        den_name = spec["denominator"]
        sub = ratio(num_v, figure(den_name)) / float(spec["base"])
        if spec.get("cap") is not None:
            sub = np.minimum(sub, float(spec["cap"]))
        sub = sub * float(spec["weight"])
        miss = rated & ~np.isfinite(sub)
        num_ok = np.isfinite(num_v)
        if rules["missing_value"] == "mean" and (rated & np.isfinite(sub)).any():
            fill = float(np.nanmean(sub[rated & np.isfinite(sub)]))
        else:
            fill = 0.0
        score += np.where(np.isfinite(sub), sub, fill)
        for m_f, f_name in ((miss & ~num_ok, spec["numerator"]), (miss & num_ok, den_name)):
            if m_f.any():
                missing.append(MissingFigure(m_f, spec["label_zh"], spec["label_en"], f_name))
    score[~rated] = np.nan
    cls, rank, count = _classes(cols, score, rated, rules)
    veto = np.zeros(n, dtype=bool)
    veto_cols = [c for c in rules["veto_columns"] if cols.has(c)]
    for c in veto_cols:
        veto |= cols.boolean(c)
    vetoed = veto & (cls <= CL["B"])
    before = cls.copy()
    cls[vetoed] = CL[rules["veto_class"]]
    cls[not_applicable] = CL["N"]
    return Mujun(
        min_years=prod_years,
        long_enough=long_enough,
        big_enough=big_enough,
        no_data=no_data,
        rated=rated,
        score=score,
        rank=rank,
        count=count,
        class_code=cls,
        class_before_veto=before,
        vetoed=vetoed,
        veto_checked=bool(veto_cols) or not rules["veto_columns"],
        missing=missing,
        not_applicable=not_applicable,
    )


def _classes(
    cols: Columns, score: np.ndarray, rated: np.ndarray, rules: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank the rated parcels (best = 1, ties share the best rank) and class by rank share."""
    n = len(score)
    cls = np.full(n, CL["T"], dtype=np.int8)
    rank = np.full(n, np.nan)
    count = np.full(n, np.nan)
    if rated.any():
        sc = pd.Series(score[rated])
        if rules["rank_scope"] == "zone":
            zone = pd.Series(cols.text("zone")[rated], dtype=object).fillna("")
            grp = sc.groupby(zone.to_numpy())
            r = grp.rank(ascending=False, method="min").to_numpy()
            c = grp.transform("count").to_numpy(dtype="float64")
        else:
            r = sc.rank(ascending=False, method="min").to_numpy()
            c = np.full(len(sc), float(len(sc)))
        rank[rated], count[rated] = r, c
        share = r / c
        cut = rules["classes"]
        k = np.where(
            share <= cut["A"] + EPS,
            CL["A"],
            np.where(share <= cut["B"] + EPS, CL["B"], np.where(share <= cut["C"] + EPS,
                                                                CL["C"], CL["D"])),
        )
        cls[rated] = k
    return cls, rank, count
