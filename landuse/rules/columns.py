"""The assessment's inputs as numpy columns, and the vectorised helpers the rule families share.

:class:`Columns` reads every standard field of the parcels as a typed numpy array (a field
the layer lacks reads as all-missing and is recorded in :attr:`Columns.absent`); a value
of the wrong type is a :class:`~landuse.errors.SchemaError` naming the parcel, the field
and the fix. The helpers compare with the rules' tolerance and count calendar years as
民法典 Art. 202 does (29 Feb -> 28 Feb).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from landuse.errors import SchemaError
from landuse.standard import get_standard

__all__ = [
    "EPS",
    "Codes",
    "Columns",
    "above",
    "add_years",
    "below",
    "code_is",
    "industry2",
    "missing_field_warnings",
    "ok",
    "ratio",
]

EPS = 1e-9
"""Relative tolerance of the "below"/"above" comparisons."""
_NAT = np.datetime64("NaT", "D")

Codes = tuple[np.ndarray, tuple[str, ...]]
"""Integer codes (-1 = missing) and the code list they index."""


class Columns:
    """Typed column access: every standard field as a numpy array, absent = all missing.

    Parameters
    ----------
    df : pandas.DataFrame
        The parcels, with ``parcel_id``.

    Examples
    --------
    >>> c = Columns(pd.DataFrame({"parcel_id": ["a"], "tax_wan": ["12.5"]}))
    >>> c.num("tax_wan"), c.num("rd_wan"), sorted(c.absent)
    (array([12.5]), array([nan]), ['rd_wan'])
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.n = len(df)
        self.absent: set[str] = set()
        self.ids = np.asarray(df["parcel_id"].astype(object))

    def _bad(self, name: str, mask: np.ndarray, values: Any, want: str) -> SchemaError:
        i = int(np.flatnonzero(mask)[0])
        return SchemaError(
            f"parcel {self.ids[i]!r}, field '{name}': value {values[i]!r} is not {want} "
            f"({int(mask.sum())} parcels like this). Fix: correct the value or read the file "
            "with landuse.io.read_parcels, which converts it."
        )

    def has(self, name: str) -> bool:
        """Whether the layer has the field."""
        return name in self.df.columns

    def date(self, name: str) -> np.ndarray:
        """A date field as ``datetime64[D]`` (NaT = missing)."""
        if name not in self.df.columns:
            self.absent.add(name)
            return np.full(self.n, _NAT)
        s = self.df[name]
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            raw = np.asarray(s.astype(object))
            conv = pd.to_datetime(s, errors="coerce", format="ISO8601")
            bad = pd.notna(raw) & conv.isna().to_numpy()
            if bad.any():
                raise self._bad(name, bad, raw, "a date (YYYY-MM-DD)")
            s = conv
        if getattr(s.dtype, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return np.asarray(s.to_numpy(dtype="datetime64[ns]")).astype("datetime64[D]")

    def num(self, name: str) -> np.ndarray:
        """A number field as float64 (NaN = missing)."""
        if name not in self.df.columns:
            self.absent.add(name)
            return np.full(self.n, np.nan)
        s = self.df[name]
        if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            raw = np.asarray(s.astype(object))
            conv = pd.to_numeric(s, errors="coerce")
            bad = pd.notna(raw) & np.asarray(pd.isna(conv))
            if bad.any():
                raise self._bad(name, bad, raw, "a number")
            s = conv
        return np.asarray(s.astype("float64").to_numpy(na_value=np.nan), dtype="float64")

    def boolean(self, name: str) -> np.ndarray:
        """True where the value is true; missing counts as false (the caller says so)."""
        if name not in self.df.columns:
            self.absent.add(name)
            return np.zeros(self.n, dtype=bool)
        s = self.df[name]
        if pd.api.types.is_bool_dtype(s.dtype):
            return np.asarray(s.astype("boolean").fillna(False), dtype=bool)
        raw = s.astype(object)
        uniq = pd.unique(raw[raw.notna()])
        truth: dict[Any, bool] = {True: True, False: False, "1": True, "0": False}
        words = {"true": True, "false": False, "是": True, "否": False, "有": True, "无": False}
        mapping: dict[Any, bool] = {}
        for u in uniq:
            if u in truth:
                mapping[u] = truth[u]
            elif isinstance(u, str) and u.strip().lower() in words:
                mapping[u] = words[u.strip().lower()]
            else:
                rawv = np.asarray(raw)
                raise self._bad(name, np.asarray(raw == u), rawv, "true/false")
        return np.asarray(raw.map(mapping).fillna(False), dtype=bool)

    def codes(self, name: str, list_name: str) -> Codes:
        """Integer codes (-1 = missing) into the code list ``list_name``."""
        cats = tuple(get_standard().codes[list_name])
        if name not in self.df.columns:
            self.absent.add(name)
            return np.full(self.n, -1, dtype=np.int16), cats
        codes, uniq = pd.factorize(self.df[name], use_na_sentinel=True)
        std = get_standard()
        lookup = np.empty(len(uniq) + 1, dtype=np.int16)
        lookup[-1] = -1  # factorize's NA sentinel (-1) indexes the last slot
        for i, u in enumerate(uniq):
            code = u if u in cats else std.code_for(list_name, u)
            if code is None:
                raw = np.asarray(self.df[name].astype(object))
                raise self._bad(name, codes == i, raw, "one of the codes " + ", ".join(cats))
            lookup[i] = cats.index(code)
        return lookup[codes], cats

    def text(self, name: str) -> np.ndarray:
        """A text field as an object array (None = missing)."""
        if name not in self.df.columns:
            self.absent.add(name)
            return np.full(self.n, None, dtype=object)
        s = self.df[name].astype(object)
        return np.asarray(s.where(s.notna(), None), dtype=object)


def code_is(codes: Codes, *names: str) -> np.ndarray:
    """True where the code is one of ``names``."""
    arr, cats = codes
    out = np.zeros(len(arr), dtype=bool)
    for nm in names:
        out |= arr == cats.index(nm)
    return out


def add_years(d: np.ndarray, years: int) -> np.ndarray:
    """``d`` + ``years`` calendar years; 29 Feb goes to 28 Feb. NaT stays NaT.

    Examples
    --------
    >>> add_years(np.array(["2020-02-29"], dtype="datetime64[D]"), 1)
    array(['2021-02-28'], dtype='datetime64[D]')
    """
    if years == 0:
        return d
    idx = pd.DatetimeIndex(d.astype("datetime64[ns]"))
    return np.asarray((idx + pd.DateOffset(years=years)).to_numpy()).astype("datetime64[D]")


def ok(d: np.ndarray) -> np.ndarray:
    """True where the date is recorded."""
    return ~np.isnat(d)


def below(v: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``v`` strictly below ``t`` beyond floating-point noise (NaN is never below)."""
    with np.errstate(invalid="ignore"):
        return v < np.asarray(t) * (1 - EPS) - EPS * 1e-3


def above(v: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``v`` strictly above ``t`` beyond floating-point noise (NaN is never above)."""
    with np.errstate(invalid="ignore"):
        return v > np.asarray(t) * (1 + EPS) + EPS * 1e-3


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b``; NaN where it is not finite or ``b`` is not positive."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = a / b
    r[~np.isfinite(r) | ~(b > 0)] = np.nan
    return r


def industry2(values: np.ndarray) -> np.ndarray:
    """Two-digit GB/T 4754 division of each industry code ('C3411' -> '34'); None if none."""
    s = pd.Series(values, dtype=object)
    uniq = pd.unique(s[s.notna()])
    mapping: dict[Any, Any] = {}
    for u in uniq:
        m = re.match(r"^\s*[A-Za-z]?\s*(\d{2})", str(u))
        mapping[u] = m.group(1) if m else None
    return np.asarray(s.map(mapping), dtype=object) if mapping else np.asarray(s, dtype=object)


def missing_field_warnings(absent: list[str], source: dict[str, Any]) -> list[dict[str, str]]:
    """Warnings naming the fields a rule needs that the input lacks while it kept columns
    it did not recognise (what the reader learnt, ``attrs["landuse"]``).

    A cut area header whose unit could not be inferred (``units_unknown``) is named with
    its field and the ``--unit`` fix; when other columns were not recognised, the missing
    fields are listed with them, since one of them may be such a field under an unknown
    header. Nothing is said when every column was recognised: the fields are simply absent.
    """
    out: list[dict[str, str]] = []
    need = set(absent)
    unknown: dict[str, str] = dict(source.get("units_unknown", {}))
    for header, field in unknown.items():
        if field in need:
            need.discard(field)
            out.append({
                "field": field,
                "header": header,
                "message": (
                    f"{field} is needed by the rules but not recognised: column '{header}' is "
                    f"{field} cut at 10 bytes and its area unit could not be inferred "
                    f"规则所需字段未识别(表头被截断, 面积单位不明). Fix: read it with "
                    f"--unit {field}=亩 (or m2, 公顷), or rename the column."
                ),
            })
    others = [h for h in source.get("unrecognised", []) if h not in unknown]
    if need and others:
        names = ", ".join(sorted(need))
        out.append({
            "field": ";".join(sorted(need)),
            "header": ";".join(map(str, others)),
            "message": (
                f"fields needed by the rules are missing ({names}) while columns were not "
                f"recognised ({', '.join(map(str, others[:10]))}) "
                "规则所需字段缺失, 另有未识别的列. "
                "Fix: if one of these columns is such a field, rename it to the field's name "
                "or a Chinese alias of the standard."
            ),
        })
    return out
