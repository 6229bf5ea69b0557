"""Exact sums of float64 values that can be split, merged and rounded once (pure).

A float sum depends on the order of its terms (``(1e16 + 1.0) - 1e16`` is 0, ``(1e16 -
1e16) + 1.0`` is 1), so a report summed zone by zone and merged would differ from one summed
over the whole frame. :class:`ExactSum` holds the sum exactly: every finite float64 is an
integer multiple of 2**-1126 once split as ``mantissa * 2**exponent`` (:func:`numpy.frexp`,
53-bit mantissas), so the sum is one Python integer of such units. Partials add as integers
(any order, any split) and :attr:`ExactSum.value` rounds the exact total once, correctly
(Python's integer division is correctly rounded): the value ``math.fsum`` gives over all
the terms at once. Missing values (NaN) are skipped, as pandas' ``sum`` skips them; an
infinite term makes the sum infinite (NaN when both signs occur).

Every sum the report shows of parcels and events goes through :func:`exact_sum` or
:class:`ExactSum`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ExactSum", "Tally", "exact_sum", "merge_tallies", "tally"]

_SHIFT = 1126
"""Units of 2**-1126: the smallest subnormal's 53-bit mantissa (frexp gives exponent -1073)
is scaled by 2**-1126, so every finite float64 is a whole number of units."""
_HALF = 26
"""Mantissas are summed in two halves of at most 27 bits as float64 counts (exact while a
block holds fewer than 2**26 terms)."""
_BLOCK = 1 << 24


@dataclass(frozen=True)
class ExactSum:
    """The exact sum of some float64 values: ``units`` × 2**-1126, and the infinite terms.

    Examples
    --------
    >>> a, b = ExactSum.of([1e16, 1.0]), ExactSum.of([-1e16])
    >>> (a + b).value, sum([1e16, 1.0, -1e16])
    (1.0, 0.0)
    >>> ExactSum.of([0.1] * 10).value
    1.0
    """

    units: int = 0
    pos_inf: int = 0
    neg_inf: int = 0

    @classmethod
    def of(cls, values: Any) -> ExactSum:
        """The exact sum of ``values`` (array-like of numbers; NaN skipped)."""
        x = np.asarray(values, dtype=np.float64).ravel()
        x = x[~np.isnan(x)]
        pos_inf = int(np.count_nonzero(x == np.inf))
        neg_inf = int(np.count_nonzero(x == -np.inf))
        x = x[np.isfinite(x) & (x != 0.0)]
        units = 0
        for start in range(0, len(x), _BLOCK):
            units += _units(x[start:start + _BLOCK])
        return cls(units, pos_inf, neg_inf)

    def __add__(self, other: ExactSum) -> ExactSum:
        return ExactSum(self.units + other.units, self.pos_inf + other.pos_inf,
                        self.neg_inf + other.neg_inf)

    @classmethod
    def total(cls, parts: Iterable[ExactSum]) -> ExactSum:
        """The sum of several partial sums."""
        out = cls()
        for p in parts:
            out = out + p
        return out

    @property
    def value(self) -> float:
        """The exact sum rounded once to the nearest float64 (ties to even)."""
        if self.pos_inf and self.neg_inf:
            return float("nan")
        if self.pos_inf or self.neg_inf:
            return float("inf") if self.pos_inf else float("-inf")
        if self.units == 0:
            return 0.0
        try:
            return self.units / (1 << _SHIFT)
        except OverflowError:  # beyond the largest float64: infinite, as a float sum is
            return math.inf if self.units > 0 else -math.inf


def _units(x: np.ndarray) -> int:
    """The exact sum of the finite non-zero values ``x`` (fewer than 2**26) in units."""
    if not len(x):
        return 0
    if len(x) <= 16:  # a few terms (an enterprise's parcels): one by one is quicker
        total = 0
        for v in x.tolist():
            fm, fe = math.frexp(v)
            total += int(fm * (1 << 53)) << (fe - 53 + _SHIFT)
        return total
    m, e = np.frexp(x)
    mant = np.ldexp(np.abs(m), 53).astype(np.int64)  # < 2**53, exact
    sign = np.sign(m)
    shift = e.astype(np.int64) - 53 + _SHIFT
    hi = (mant >> _HALF).astype(np.float64) * sign
    lo = (mant & ((1 << _HALF) - 1)).astype(np.float64) * sign
    hi_sum = np.bincount(shift, weights=hi)  # one bin per exponent (about 2 100)
    lo_sum = np.bincount(shift, weights=lo)
    total = 0
    for k in np.flatnonzero((hi_sum != 0) | (lo_sum != 0)).tolist():
        total += (int(hi_sum[k]) << (k + _HALF)) + (int(lo_sum[k]) << k)
    return total


def exact_sum(values: Any) -> float:
    """The sum of ``values`` computed exactly and rounded once (NaN skipped; 0.0 when
    empty): independent of the order and grouping of the terms.

    Examples
    --------
    >>> exact_sum([1e16, 1.0, -1e16]), exact_sum([])
    (1.0, 0.0)
    """
    return ExactSum.of(values).value


@dataclass(frozen=True)
class Tally:
    """Parcels of one category: how many (``n``), the exact sum of each value column
    (``sums``) and how many of them have that value (``given``)."""

    n: int = 0
    sums: dict[str, ExactSum] = field(default_factory=dict)
    given: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: Tally) -> Tally:
        names = dict.fromkeys([*self.sums, *other.sums])
        return Tally(self.n + other.n,
                     {k: self.sums.get(k, ExactSum()) + other.sums.get(k, ExactSum())
                      for k in names},
                     {k: self.given.get(k, 0) + other.given.get(k, 0) for k in names})

    def value(self, name: str) -> float:
        """The sum of ``name`` over the category (0.0 when no parcel is in it)."""
        return self.sums.get(name, ExactSum()).value


def tally(keys: pd.Series, values: Mapping[str, pd.Series]) -> dict[Any, Tally]:
    """One :class:`Tally` per distinct key (a missing key is ``None``) of the parcels.

    ``values`` are numeric columns aligned with ``keys``; their missing values are skipped
    in the sums and not counted in ``given``.
    """
    k = keys.astype(object).where(keys.notna(), None)
    arrays = {n: pd.to_numeric(v, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
              for n, v in values.items()}
    out: dict[Any, Tally] = {}
    groups: dict[Any, Any] = dict(k.groupby(k.map(lambda v: (v is None, v)),
                                            sort=False).indices)
    for key, pos in groups.items():
        out[key[1]] = Tally(len(pos), {n: ExactSum.of(a[pos]) for n, a in arrays.items()},
                            {n: int(np.count_nonzero(~np.isnan(a[pos])))
                             for n, a in arrays.items()})
    return out


def merge_tallies(parts: Iterable[Mapping[Any, Tally]]) -> dict[Any, Tally]:
    """The tallies of several parts added key by key (keys in first-seen order)."""
    out: dict[Any, Tally] = {}
    for part in parts:
        for key, t in part.items():
            out[key] = out[key] + t if key in out else t
    return out
