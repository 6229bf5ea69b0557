"""The low-efficiency family: the control indicators of a completed or producing parcel.

Each indicator of the standard's ``failed_indicator`` list is compared with the ruleset's
control table (工业项目建设用地控制指标, domain.md §3.1) or the contract's own target
(标准地, §3.3): floor-area ratio by industry, building coverage (footprints and yards),
office share, green ratio, investment intensity and tax per 亩. A parcel failing any is of
low efficiency. An indicator that cannot be judged is recorded with what is missing.

Scope (issue 11): the indicators apply to the land uses of the ruleset's
``control.applies_to_land_use`` (default 工矿仓储: industrial and storage, as the 2008
standard covers 工业项目); a parcel of another recorded use is *not applicable*, neither
judged nor "cannot judge". A parcel without ``land_use`` is judged (and says so).

Contracts (§3.3): each minimum is the stricter of the national/ruleset value and the
contract's own (``target_far``, ``target_invest_intensity_wan_per_mu``,
``target_tax_per_mu_wan``); the result records which one applied. The performance targets
(investment intensity, tax per 亩) are judged only from the 达产复核 date: ``review_date``,
else ``production_date`` + ``control.review_after_production_years``; before it they are
not judged. Industry codes are read in the table's edition (:mod:`landuse.rules.industry`);
a code that may stand for several divisions is judged against the loosest of them.
Pure and vectorised: arrays in, a dataclass of masks and values out; no sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landuse.rules.columns import Codes, Columns, above, add_years, below, ok, ratio
from landuse.rules.industry import IndustryCodes, map_codes
from landuse.standard import get_standard

__all__ = ["INDICATORS", "Efficiency", "Indicator", "efficiency"]

INDICATORS: tuple[str, ...] = tuple(get_standard().codes["failed_indicator"])
"""Low-efficiency indicator codes, in the standard's order (its ``failed_indicator`` list)."""


@dataclass(frozen=True)
class Indicator:
    """One control indicator: its value, the threshold and the verdict per parcel."""

    value: np.ndarray
    threshold: np.ndarray
    failed: np.ndarray
    missing: dict[str, np.ndarray]
    """Why it could not be judged, by cause (e.g. ``floor_area_m2`` = that field missing)."""
    from_contract: np.ndarray | None = None
    """For targets that may come from the contract: True where the contract gave it."""


@dataclass(frozen=True)
class Efficiency:
    """The low-efficiency family's result."""

    judged: np.ndarray
    """Supplied, completed or producing, of a land use in scope: the parcels judged."""
    not_applicable: np.ndarray
    """Supplied, completed or producing, but of a land use the indicators do not apply to."""
    land_use: Codes
    land_use_unrecorded: np.ndarray
    """Judged without a recorded ``land_use``."""
    indicators: dict[str, Indicator]
    """By code of :data:`INDICATORS`, in that order."""
    industry: np.ndarray
    """Table-edition division(s) the 容积率 row was read by, ``、``-joined (None: none)."""
    industry_name: np.ndarray
    """Name of that row in the control table (None when not in it)."""
    codes: IndustryCodes
    """The industry codes read in the table's edition."""
    national_far: np.ndarray
    """The table's minimum 容积率 (NaN: no row), beside the contract's ``target_far``."""
    review: np.ndarray
    """The 达产复核 date (NaT: no date)."""
    before_review: np.ndarray
    """Judged parcels whose performance targets are not due yet (no review date or later)."""

    @property
    def low(self) -> np.ndarray:
        """Fails at least one indicator."""
        out = np.zeros(len(self.judged), dtype=bool)
        for ind in self.indicators.values():
            out |= ind.failed
        return out

    def failed(self) -> dict[str, np.ndarray]:
        """The failure mask of every indicator, by code."""
        return {code: ind.failed for code, ind in self.indicators.items()}


def _full(n: int, v: float) -> np.ndarray:
    return np.full(n, v)


def _industry(cols: Columns, control: dict[str, Any]) -> tuple[IndustryCodes, np.ndarray,
                                                                np.ndarray, np.ndarray]:
    """The codes in the table's edition, the table's minimum 容积率 and its row name.

    An ambiguous code takes the loosest (lowest) minimum of its candidate rows.
    """
    ic = map_codes(cols.text("industry_code"), cols.text("industry_code_edition"),
                   str(control["industry_code_edition"]), str(control["industry_edition"]))
    table = control["industries"]
    n = len(ic.targets)
    min_far = np.full(n, np.nan)
    ref = np.full(n, None, dtype=object)
    name = np.full(n, None, dtype=object)
    for i, t in enumerate(ic.targets):
        rows = [c for c in t if c in table]
        if rows and len(rows) == len(t):
            min_far[i] = min(float(table[c]["min_far"]) for c in rows)
            ref[i] = "、".join(rows)
            name[i] = "、".join(table[c]["name"] for c in rows)
        elif t:
            ref[i] = "、".join(t)
    return ic, min_far, ref, name


def efficiency(
    cols: Columns,
    base: np.ndarray,
    area_m2: np.ndarray,
    area_mu: np.ndarray,
    control: dict[str, Any],
    today: np.datetime64,
    production: np.ndarray,
) -> Efficiency:
    """Judge the control indicators of every parcel of ``base`` in the ruleset's scope.

    Parameters
    ----------
    cols : Columns
        The parcels (``land_use``, ``industry_code``, ``industry_code_edition``,
        ``floor_area_m2``, ``footprint_m2``, ``yard_area_m2``, ``admin_area_m2``,
        ``green_area_m2``, ``invested_wan``, ``land_price_wan``, ``tax_wan``,
        ``review_date`` and the contract targets).
    base : ndarray of bool
        The parcels the indicators may apply to (supplied, completed or producing).
    area_m2, area_mu : ndarray
        The parcel's area (NaN when unknown).
    control : dict
        The ruleset's ``control`` part.
    today : numpy.datetime64
        The as-of date.
    production : ndarray of datetime64
        ``production_date`` (the base of the review date when ``review_date`` is empty).
    """
    n = len(base)
    land_use = cols.codes("land_use", "land_use")
    lu_arr, lu_cats = land_use
    scope = np.array([c in control["applies_to_land_use"] for c in lu_cats] + [True])
    in_scope = scope[lu_arr]  # -1 (not recorded) takes the last slot: judged
    judged = base & in_scope
    ic, national, ind, ind_name = _industry(cols, control)
    floor = cols.num("floor_area_m2")
    far = ratio(floor, area_m2)
    t_far = cols.num("target_far")
    far_t, far_c = _stricter(t_far, national)
    no_far_t = ~np.isfinite(far_t)
    far_i = Indicator(
        far, far_t, judged & np.isfinite(far_t) & below(far, far_t),
        {
            "floor_area_m2": judged & ~np.isfinite(floor),
            "industry_code": judged & no_far_t & (pd.isna(ic.division) & ~ic.unparsed),
            "industry_unparsed": judged & no_far_t & ic.unparsed,
            "edition_unknown": judged & no_far_t & ic.edition_unknown,
            "not_in_edition": judged & no_far_t & ic.not_in_edition,
            "no_counterpart": judged & no_far_t & ic.no_counterpart,
            "no_concordance": judged & no_far_t & ic.no_concordance,
            "industry_unknown": judged & no_far_t & pd.notna(ic.division) & ~ic.edition_unknown
            & ~ic.not_in_edition & ~ic.no_counterpart & ~ic.no_concordance,
        },
        far_c,
    )

    fp = cols.num("footprint_m2")
    yd = cols.num("yard_area_m2")
    min_cov = float(control["min_coverage"])
    cov_fp = ratio(fp, area_m2)
    cov = ratio(fp + yd, area_m2)
    cov_pass_fp = np.isfinite(cov_fp) & ~below(cov_fp, min_cov)
    cov_i = Indicator(
        cov, _full(n, min_cov), judged & np.isfinite(cov) & below(cov, min_cov),
        {
            "footprint_m2": judged & ~np.isfinite(fp),
            "yard_area_m2": judged & np.isfinite(fp) & ~np.isfinite(yd) & ~cov_pass_fp,
        },
    )

    admin = ratio(cols.num("admin_area_m2"), area_m2)
    max_admin = float(control["max_admin_share"])
    admin_i = Indicator(
        admin, _full(n, max_admin), judged & np.isfinite(admin) & above(admin, max_admin),
        {"admin_area_m2": judged & ~np.isfinite(admin)},
    )
    green = ratio(cols.num("green_area_m2"), area_m2)
    max_green = float(control["max_green_ratio"])
    green_i = Indicator(
        green, _full(n, max_green), judged & np.isfinite(green) & above(green, max_green),
        {"green_area_m2": judged & ~np.isfinite(green)},
    )

    review = cols.date("review_date")
    review = np.where(ok(review), review,
                      add_years(production, int(control["review_after_production_years"])))
    reviewed = judged & ok(review) & (review <= today)
    invested = cols.num("invested_wan")
    price = cols.num("land_price_wan")
    inv_total = invested + (np.nan_to_num(price) if control["invest_includes_land_price"] else 0.0)
    intensity = ratio(inv_total, area_mu)
    inv_i = _target_indicator(
        cols, reviewed, intensity, "target_invest_intensity_wan_per_mu",
        control.get("min_invest_intensity_wan_per_mu"), "invested_wan",
    )
    tax_mu = ratio(cols.num("tax_wan"), area_mu)
    tax_i = _target_indicator(
        cols, reviewed, tax_mu, "target_tax_per_mu_wan", control.get("min_tax_per_mu_wan"),
        "tax_wan",
    )
    by_code = {
        "far": far_i,
        "coverage": cov_i,
        "admin_share": admin_i,
        "green_ratio": green_i,
        "invest_intensity": inv_i,
        "tax_per_mu": tax_i,
    }
    return Efficiency(
        judged=judged,
        not_applicable=base & ~in_scope,
        land_use=land_use,
        land_use_unrecorded=judged & (lu_arr < 0),
        indicators={code: by_code[code] for code in INDICATORS},
        industry=ind,
        industry_name=ind_name,
        codes=ic,
        national_far=national,
        review=review,
        before_review=judged & ~reviewed,
    )


def _stricter(contract: np.ndarray, ruleset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The higher of two minimums (NaN where neither), and True where the contract's applies.

    On a tie the contract's is named: it is the one the holder signed.
    """
    both = np.fmax(contract, ruleset)
    from_contract = np.isfinite(contract) & ~(ruleset > contract)
    return both, from_contract


def _target_indicator(
    cols: Columns,
    judged: np.ndarray,
    value: np.ndarray,
    contract_field: str,
    ruleset_target: Any,
    value_field: str,
) -> Indicator:
    """The stricter of the contract's minimum and the ruleset's (none when neither)."""
    t_c = cols.num(contract_field)
    t_r = np.full(len(judged), np.nan if ruleset_target is None else float(ruleset_target))
    t, from_contract = _stricter(t_c, t_r)
    return Indicator(
        value, t, judged & np.isfinite(value) & np.isfinite(t) & below(value, t),
        {value_field: judged & ~np.isfinite(value), "target": judged & ~np.isfinite(t)},
        from_contract,
    )
