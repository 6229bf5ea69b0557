"""Small value helpers shared by the report's sections: rounding, 亩, code lists, masks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse.units import M2_PER_MU

__all__ = ["IDLE_TYPES", "idle_mask", "low_mask", "mu", "r1", "split_codes", "text", "truthy"]

IDLE_TYPES: tuple[str, ...] = ("not_started", "stalled")
"""The ``idle_type`` codes of idle land (闲置土地)."""


def r1(x: float) -> float:
    """One decimal, never ``-0.0``.

    Examples
    --------
    >>> r1(175.84), r1(-0.04)
    (175.8, 0.0)
    """
    return round(float(x), 1) + 0.0


def mu(m2: Any) -> float:
    """m² as 亩 with one decimal; a missing area gives 0.

    Examples
    --------
    >>> mu(20000), mu(None)
    (30.0, 0.0)
    """
    return r1(float(m2) / M2_PER_MU) if m2 is not None and not pd.isna(m2) else 0.0


def split_codes(s: Any) -> list[str]:
    """The codes of a ``;``-separated cell (``flags``, ``failed_indicators``).

    Examples
    --------
    >>> split_codes("far; tax_per_mu;"), split_codes(None)
    (['far', 'tax_per_mu'], [])
    """
    if s is None or (isinstance(s, float) and np.isnan(s)) or s is pd.NA:
        return []
    return [p.strip() for p in str(s).split(";") if p.strip()]


def truthy(v: Any) -> bool:
    """A yes/no cell as bool; missing is no."""
    return False if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) \
        else bool(v)


def text(v: Any) -> str | None:
    """A cell as text, ``None`` when missing."""
    return None if pd.isna(v) else str(v)


def idle_mask(parcels: pd.DataFrame) -> pd.Series:
    """True for idle parcels (``idle_type`` not started or stalled)."""
    return parcels["idle_type"].isin(list(IDLE_TYPES))


def low_mask(parcels: pd.DataFrame) -> pd.Series:
    """True for low-efficiency parcels (``low_efficiency``; missing is no)."""
    return parcels["low_efficiency"].fillna(False).astype(bool)
