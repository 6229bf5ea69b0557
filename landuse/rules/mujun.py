"""The 亩均 family (亩均论英雄, domain.md §4): weighted score, rank and A/B/C/D/T class.

The enterprise is rated, not the parcel (§4.1): parcels of one 统一社会信用代码, else of
one 用地单位, are one enterprise, whose figures and area are summed over its parcels. An
enterprise producing for at least ``min_years_producing`` years on at least ``min_area_mu``
亩 with at least one performance figure is rated: each indicator (numerator / denominator)
is divided by its base, capped, weighted and summed; 规上 and 规下 enterprises are scored by
their own scheme and ranked among their own kind (in the whole layer or per zone), and
classed by rank share. A veto moves an A or B to ``veto_class``. An enterprise all of whose
parcels are of a recorded land use outside ``applies_to_land_use`` (default 工矿仓储) is N
(not applicable); everything else is T (not rated). Each parcel carries its enterprise's
result. Pure and vectorised; no sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from landuse.rules.columns import EPS, Columns, add_years, ratio
from landuse.standard import get_standard

__all__ = ["CLASSES", "MissingFigure", "Mujun", "enterprises", "mujun"]

CLASSES: tuple[str, ...] = tuple(get_standard().codes["mujun_class"])
"""The standard's 亩均 classes (``mujun_class``): A, B, C, D, T (not rated) and N (not
applicable to the land use)."""
CL: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}


@dataclass(frozen=True)
class MissingFigure:
    """Parcels of rated enterprises lacking one field of one indicator (``missing_value``)."""

    mask: np.ndarray
    label_zh: str
    label_en: str
    field: str


@dataclass(frozen=True)
class Mujun:
    """The 亩均 family's result, per parcel (each parcel carries its enterprise's result)."""

    min_years: int
    long_enough: np.ndarray
    """The enterprise has a parcel producing for at least ``min_years_producing`` years."""
    big_enough: np.ndarray
    no_data: np.ndarray
    """Would be rated but has no performance figure at all (T)."""
    rated: np.ndarray
    score: np.ndarray
    """NaN where not rated."""
    rank: np.ndarray
    count: np.ndarray
    """How many enterprises were ranked together (of the same scheme)."""
    class_code: np.ndarray
    """Position in :data:`CLASSES` (int8)."""
    class_before_veto: np.ndarray
    vetoed: np.ndarray
    veto_checked: bool
    """False when the ruleset names veto columns but the layer has none of them."""
    not_applicable: np.ndarray
    """All the enterprise's parcels are of a land use the scheme does not rate (class N)."""
    enterprise: np.ndarray
    """The enterprise's holder name, else its credit code (None: the parcel alone)."""
    enterprise_by: np.ndarray
    """0 = by credit code, 1 = by holder, 2 = rated alone (neither recorded)."""
    enterprise_id: np.ndarray
    """What the enterprise is keyed by: its credit code, else its holder (None: the parcel
    alone)."""
    parcels: np.ndarray
    """How many parcels the enterprise's figures combine."""
    enterprise_area_mu: np.ndarray
    below_scale: np.ndarray
    """Scored by the 规下 scheme."""
    scale_recorded: np.ndarray
    """Some parcel of the enterprise records ``above_scale`` (else ``scale_unknown`` chose)."""
    parcel_long_enough: np.ndarray
    """This parcel (of a rated land use) has produced for ``min_years_producing`` years."""
    missing: list[MissingFigure] = field(default_factory=list)


def enterprises(cols: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which enterprise each parcel belongs to (domain.md §4: the enterprise is rated).

    An enterprise is its 统一社会信用代码 (``credit_code``) when recorded, else its
    用地单位 (``holder``) name; a parcel with neither is an enterprise of its own.

    Returns
    -------
    group : ndarray of int
        The enterprise's number (0..k-1) for each parcel.
    name : ndarray of object
        The enterprise's name: the first holder recorded on its parcels, else its credit
        code (None for a parcel alone).
    by : ndarray of int8
        0 = keyed by credit code, 1 = by holder, 2 = neither (rated alone).
    """
    def clean(name: str) -> np.ndarray:
        v = pd.Series(cols.text(name), dtype=object)
        v = v.where(v.notna(), "").astype(str).str.strip()
        return v.to_numpy(dtype=object)

    cc, holder = clean("credit_code"), clean("holder")
    by = np.where(cc != "", 0, np.where(holder != "", 1, 2)).astype(np.int8)
    key = np.where(by == 0, "c:" + cc, np.where(by == 1, "h:" + holder, ""))
    alone = by == 2
    key[alone] = [f"p:{i}" for i in np.flatnonzero(alone)]
    group, _ = pd.factorize(pd.Series(key, dtype=object))
    group = np.asarray(group, dtype=np.int64)
    # the enterprise is named by the first holder recorded on its parcels, else its code
    named = pd.Series(list(holder)).replace("", None)
    first = named.groupby(group).first().reindex(range(int(group.max()) + 1 if len(group) else 0))
    name = np.asarray(first.to_numpy(dtype=object)[group], dtype=object)
    no_holder = np.asarray(pd.isna(name), dtype=bool)
    name[no_holder] = cc[no_holder]
    name[alone] = None
    return group, name, by


def _enterprise_id(cols: Columns, by: np.ndarray) -> np.ndarray:
    """The key of each parcel's enterprise: credit code, else holder, else None (alone)."""
    def clean(name: str) -> np.ndarray:
        v = pd.Series(cols.text(name), dtype=object)
        return v.where(v.notna(), "").astype(str).str.strip().to_numpy(dtype=object)

    out = np.where(by == 0, clean("credit_code"), clean("holder")).astype(object)
    out[by == 2] = None
    return out


def _any(group: np.ndarray, k: int, mask: np.ndarray) -> np.ndarray:
    return np.bincount(group, weights=mask.astype("float64"), minlength=k) > 0


def _sum(group: np.ndarray, k: int, v: np.ndarray) -> np.ndarray:
    """Per enterprise sum of the recorded values; NaN when no parcel records one."""
    fin = np.isfinite(v)
    tot = np.bincount(group, weights=np.where(fin, v, 0.0), minlength=k)
    return np.where(_any(group, k, fin), tot, np.nan)


def mujun(
    cols: Columns,
    producing: np.ndarray,
    production: np.ndarray,
    area_mu: np.ndarray,
    today: np.datetime64,
    rules: dict[str, Any],
) -> Mujun:
    """Score, rank and class every enterprise, and give each parcel its enterprise's result.

    The enterprise's figures and area are the sums over all its parcels (§4.1: the land
    it holds). It is N only when every parcel is of a land use the scheme does not rate;
    it is rated when one of its rated-use parcels has produced for ``min_years_producing``
    years, its parcels total ``min_area_mu`` 亩 and it has a performance figure (else T).
    规上 firms (``above_scale``) are scored by the ``[mujun]`` scheme and 规下 firms by
    ``[mujun.below_scale]``, each ranked among its own kind. A veto on any parcel vetoes
    the enterprise.
    """
    group, ent_name, ent_by = enterprises(cols)
    k = int(group.max()) + 1 if len(group) else 0
    lu_arr, lu_cats = cols.codes("land_use", "land_use")
    scope = np.array([c in rules["applies_to_land_use"] for c in lu_cats] + [True])
    parcel_na = ~scope[lu_arr]
    prod_years = int(rules["min_years_producing"])
    p_long = producing & ~parcel_na & (today >= add_years(production, prod_years))
    e_na = ~_any(group, k, ~parcel_na)
    e_long = _any(group, k, p_long)
    e_area = _sum(group, k, area_mu)
    e_big = e_area >= float(rules["min_area_mu"])
    e_parcels = np.bincount(group, minlength=k)
    above = cols.boolean("above_scale")
    said = ~pd.isna(pd.Series(cols.text("above_scale"), dtype=object)).to_numpy()
    e_said = _any(group, k, said)
    e_below = ~_any(group, k, above) & (e_said | (rules["scale_unknown"] == "below"))
    schemes = {False: rules, True: rules["below_scale"]}

    def figure(name: str) -> np.ndarray:
        return e_area if name == "area_mu" else _sum(group, k, cols.num(name))

    has_data = np.zeros(k, dtype=bool)
    for below, sch in schemes.items():
        in_s = e_below == below
        for spec in sch["indicators"].values():
            if spec["numerator"] != "area_mu":
                has_data |= in_s & np.isfinite(figure(spec["numerator"]))
    e_ok = ~e_na & e_long & e_big
    e_rated = e_ok & has_data
    score = np.zeros(k)
    missing: list[MissingFigure] = []
    for below, sch in schemes.items():
        in_s = e_rated & (e_below == below)
        for spec in sch["indicators"].values():
            _indicator(spec, figure, in_s, score, rules["missing_value"], group, missing)
    score[~e_rated] = np.nan
    cls = np.full(k, CL["T"], dtype=np.int8)
    rank = np.full(k, np.nan)
    count = np.full(k, np.nan)
    zone = pd.Series(cols.text("zone"), dtype=object).fillna("").to_numpy(dtype=object)
    e_zone = np.empty(k, dtype=object)
    e_zone[group[::-1]] = zone[::-1]  # the zone of the enterprise's first parcel
    for below, sch in schemes.items():
        in_s = e_rated & (e_below == below)
        _classes(e_zone, score, in_s, rules["rank_scope"], sch["classes"], cls, rank, count)
    veto = np.zeros(cols.n, dtype=bool)
    veto_cols = [c for c in rules["veto_columns"] if cols.has(c)]
    for c in veto_cols:
        veto |= cols.boolean(c)
    vetoed = _any(group, k, veto) & (cls <= CL["B"])
    before = cls.copy()
    cls[vetoed] = CL[rules["veto_class"]]
    cls[e_na] = CL["N"]
    g = group
    return Mujun(
        min_years=prod_years,
        long_enough=e_long[g],
        big_enough=e_big[g],
        no_data=e_ok[g] & ~has_data[g],
        rated=e_rated[g],
        score=score[g],
        rank=rank[g],
        count=count[g],
        class_code=cls[g],
        class_before_veto=before[g],
        vetoed=vetoed[g],
        veto_checked=bool(veto_cols) or not rules["veto_columns"],
        missing=missing,
        not_applicable=e_na[g],
        enterprise=ent_name,
        enterprise_by=ent_by,
        enterprise_id=_enterprise_id(cols, ent_by),
        parcels=e_parcels[g],
        enterprise_area_mu=e_area[g],
        below_scale=e_below[g],
        scale_recorded=e_said[g],
        parcel_long_enough=p_long,
    )


def _indicator(
    spec: dict[str, Any],
    figure: Any,
    in_s: np.ndarray,
    score: np.ndarray,
    missing_value: str,
    group: np.ndarray,
    missing: list[MissingFigure],
) -> None:
    """Add one indicator's capped, weighted sub-score to the enterprises in ``in_s``."""
    num_v = figure(spec["numerator"])
    den_name = spec["denominator"]
    sub = ratio(num_v, figure(den_name)) / float(spec["base"])
    if spec.get("cap") is not None:
        sub = np.minimum(sub, float(spec["cap"]))
    sub = sub * float(spec["weight"])
    fin = in_s & np.isfinite(sub)
    fill = float(np.mean(sub[fin])) if missing_value == "mean" and fin.any() else 0.0
    score[in_s] += np.where(np.isfinite(sub), sub, fill)[in_s]
    miss = in_s & ~np.isfinite(sub)
    num_ok = np.isfinite(num_v)
    for m_f, f_name in ((miss & ~num_ok, spec["numerator"]), (miss & num_ok, den_name)):
        if m_f.any():
            missing.append(MissingFigure(m_f[group], spec["label_zh"], spec["label_en"], f_name))


def _classes(
    zone: np.ndarray,
    score: np.ndarray,
    rated: np.ndarray,
    scope: str,
    cut: dict[str, float],
    cls: np.ndarray,
    rank: np.ndarray,
    count: np.ndarray,
) -> None:
    """Rank the rated enterprises (best = 1, ties share the best rank), class by rank share."""
    if not rated.any():
        return
    sc = pd.Series(score[rated])
    if scope == "zone":
        grp = sc.groupby(zone[rated])
        r = grp.rank(ascending=False, method="min").to_numpy()
        c = grp.transform("count").to_numpy(dtype="float64")
    else:
        r = sc.rank(ascending=False, method="min").to_numpy()
        c = np.full(len(sc), float(len(sc)))
    rank[rated], count[rated] = r, c
    share = r / c
    k = np.where(
        share <= cut["A"] + EPS,
        CL["A"],
        np.where(share <= cut["B"] + EPS, CL["B"], np.where(share <= cut["C"] + EPS,
                                                            CL["C"], CL["D"])),
    )
    cls[rated] = k
