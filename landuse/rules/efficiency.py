"""The low-efficiency family: the control indicators of a completed or producing parcel.

Each indicator of the standard's ``failed_indicator`` list is compared with the ruleset's
control table (工业项目建设用地控制指标, domain.md §3.1) or the contract's own target
(标准地, §3.3): floor-area ratio by industry, building coverage (footprints and yards),
office share, green ratio, investment intensity and tax per 亩. A parcel failing any is of
low efficiency. An indicator that cannot be judged is recorded with what is missing.
Pure and vectorised: arrays in, a dataclass of masks and values out; no sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landuse.rules.columns import Columns, above, below, industry2, ratio
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
    """Supplied and completed or producing: the parcels the indicators apply to."""
    indicators: dict[str, Indicator]
    """By code of :data:`INDICATORS`, in that order."""
    industry: np.ndarray
    """Two-digit industry division (None when unknown)."""
    industry_name: np.ndarray
    """Name of the division in the control table (None when not in it)."""

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


def efficiency(
    cols: Columns,
    judged: np.ndarray,
    area_m2: np.ndarray,
    area_mu: np.ndarray,
    control: dict[str, Any],
) -> Efficiency:
    """Judge the control indicators of every parcel in ``judged``.

    Parameters
    ----------
    cols : Columns
        The parcels (``industry_code``, ``floor_area_m2``, ``footprint_m2``,
        ``yard_area_m2``, ``admin_area_m2``, ``green_area_m2``, ``invested_wan``,
        ``land_price_wan``, ``tax_wan`` and the contract targets).
    judged : ndarray of bool
        The parcels to judge (supplied, completed or producing).
    area_m2, area_mu : ndarray
        The parcel's area (NaN when unknown).
    control : dict
        The ruleset's ``control`` part.
    """
    n = len(judged)
    ind = industry2(cols.text("industry_code"))
    table = control["industries"]
    min_far = (
        pd.Series(ind, dtype=object)
        .map({c: float(v["min_far"]) for c, v in table.items()})
        .to_numpy(dtype="float64", na_value=np.nan)
    )
    ind_name = pd.Series(ind, dtype=object).map({c: v["name"] for c, v in table.items()})
    floor = cols.num("floor_area_m2")
    far = ratio(floor, area_m2)
    far_i = Indicator(
        far, min_far, judged & np.isfinite(min_far) & below(far, min_far),
        {
            "floor_area_m2": judged & ~np.isfinite(floor),
            "industry_code": judged & pd.isna(ind),
            "industry_unknown": judged & pd.notna(ind) & ~np.isfinite(min_far),
        },
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

    invested = cols.num("invested_wan")
    price = cols.num("land_price_wan")
    inv_total = invested + (np.nan_to_num(price) if control["invest_includes_land_price"] else 0.0)
    intensity = ratio(inv_total, area_mu)
    inv_i = _target_indicator(
        cols, judged, intensity, "target_invest_intensity_wan_per_mu",
        control.get("min_invest_intensity_wan_per_mu"), "invested_wan",
    )
    tax_mu = ratio(cols.num("tax_wan"), area_mu)
    tax_i = _target_indicator(
        cols, judged, tax_mu, "target_tax_per_mu_wan", control.get("min_tax_per_mu_wan"),
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
        indicators={code: by_code[code] for code in INDICATORS},
        industry=ind,
        industry_name=np.asarray(ind_name, dtype=object),
    )


def _target_indicator(
    cols: Columns,
    judged: np.ndarray,
    value: np.ndarray,
    contract_field: str,
    ruleset_target: Any,
    value_field: str,
) -> Indicator:
    """A minimum from the contract's field, else from the ruleset (none when neither)."""
    t_c = cols.num(contract_field)
    from_contract = np.isfinite(t_c)
    t = np.where(from_contract, t_c, np.nan if ruleset_target is None else float(ruleset_target))
    return Indicator(
        value, t, judged & np.isfinite(value) & np.isfinite(t) & below(value, t),
        {value_field: judged & ~np.isfinite(value), "target": judged & ~np.isfinite(t)},
        from_contract,
    )
