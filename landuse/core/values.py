"""The one value parser of register and ledger: dates, numbers and yes/no (pure, no I/O).

The register reader (:func:`landuse.core.normalise.normalise_values`), the ledger rules
(:func:`landuse.ledger.normalise_ledger`) and the store read cells through these functions,
so the same cell means the same value wherever it is written. Accepted vocabulary:

* **Missing**: None, NaN, NaT, NA, an empty or blank cell. Missing is never a problem
  here (whether a field is required is the validator's business).
* **Dates** (to ``datetime64[ns]``, the day; a time of day is dropped): ISO ``2023-05-08``
  (also with a time, ``2023-05-08T10:00``), ``2023年5月8日``, ``2023/5/8``, ``2023.5.8``,
  ``2023-5-8``; ``20230508`` (number or text); Excel serial day numbers (1900 system,
  1 … 109574, i.e. 1900-01-01 … 2199-12-31; a fraction of a day is dropped); date and
  datetime values. Impossible dates (2023-02-30) and years outside 1678–2261 are
  problems.
* **Numbers** (to float): plain numbers, full-width digits (``２０``), thousands
  separators (``1,234.5``, ``1，234``, ``1 234``, ``1'234``, ``1_234``).
* **Yes/no** (to pandas nullable boolean): :data:`TRUE_WORDS` and :data:`FALSE_WORDS`
  (是/否, 有/无/没有, 对, true/false, t/f, yes/no, y/n, 1/0, √ ✓ / × ✗), after NFKC
  normalisation, trimming and lower case; booleans as they are.

Anything else is a problem: the vectorised parsers return it as missing and list its
position; the one-cell parsers (:func:`parse_date`, :func:`parse_bool`) raise ValueError.

Examples
--------
>>> parse_bool("有"), parse_bool("✓"), parse_bool("否")
(True, True, False)
>>> parse_date("2023年5月8日") == parse_date(45054) == parse_date("2023/5/8")
True
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "blank_cells",
    "is_missing",
    "parse_bool",
    "parse_bools",
    "parse_date",
    "parse_dates",
    "parse_number",
    "parse_numbers",
    "parse_parent_ids",
]

_SERIAL_MIN, _SERIAL_MAX = 1.0, 109574.0  # 1900-01-01 .. 2199-12-31
_CN_DATE = re.compile(r"^\s*(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?\s*$")

TRUE_WORDS: frozenset[str] = frozenset(
    {"是", "有", "对", "true", "t", "yes", "y", "1", "1.0", "√", "✓"})
"""Cells read as yes (after NFKC, trimming and lower case)."""
FALSE_WORDS: frozenset[str] = frozenset(
    {"否", "无", "没有", "false", "f", "no", "n", "0", "0.0", "×", "✗"})
"""Cells read as no (after NFKC, trimming and lower case)."""


def blank_cells(s: pd.Series) -> np.ndarray:
    """True where a cell is missing (None, NaN, NaT, NA) or only whitespace."""
    na = s.isna().to_numpy()
    if s.dtype.kind in "biufcmM":
        return na
    txt = s.astype("string").str.strip()
    return na | (txt == "").fillna(True).to_numpy(dtype=bool)


def parse_dates(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse a column of dates; return (datetime64[ns] series, positions unparseable).

    Examples
    --------
    >>> import pandas as pd
    >>> d, bad = parse_dates(pd.Series(["2023-05-08", "2023年5月8日", "2023/5/8",
    ...                                 "2023.05.08", 45054, "soon"]))
    >>> [str(x.date()) if pd.notna(x) else None for x in d]
    ['2023-05-08', '2023-05-08', '2023-05-08', '2023-05-08', '2023-05-08', None]
    >>> bad.tolist()
    [5]
    """
    if s.dtype.kind == "M":
        out = s
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        blank = out.isna().to_numpy()
        res = pd.Series(_to_ns(out), index=s.index, dtype="datetime64[ns]").dt.normalize()
        return res, np.flatnonzero(res.isna().to_numpy() & ~blank)
    blank = blank_cells(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if s.dtype.kind in "iuf":
        num = s.to_numpy(dtype=float)
        out[:] = _from_numbers(num)
    else:
        # fast path: ISO (and the separators pandas' ISO parser accepts), vectorised
        fast = s.where(~blank)
        if s.dtype == object:  # Excel: numbers (serials) among text and datetimes
            isnum = s.map(lambda v: isinstance(v, (int, float, np.number))).to_numpy(bool)
            fast = fast.where(~isnum).astype(object)
        iso = pd.to_datetime(fast, errors="coerce", format="ISO8601")
        if getattr(iso.dt, "tz", None) is not None:
            iso = iso.dt.tz_convert(None)
        out[:] = _to_ns(iso)
        todo = np.flatnonzero(out.isna().to_numpy() & ~blank)
        if len(todo):
            rest = s.iloc[todo]
            txt = rest.astype("string").str.strip()
            got = np.full(len(todo), np.datetime64("NaT"), dtype="datetime64[ns]")
            # 2023年5月8日, 2023/5/8, 2023.5.8
            ymd = txt.str.extract(_CN_DATE)
            ok = ymd[0].notna().to_numpy()
            if ok.any():
                parts = ymd[ok].astype(int).to_numpy()
                got[ok] = _ymd(parts[:, 0], parts[:, 1], parts[:, 2])
            # numbers in text: 20230508 or an Excel serial
            num = pd.to_numeric(txt, errors="coerce").to_numpy(dtype=float)
            numeric = np.isfinite(num) & np.isnat(got)
            if numeric.any():
                got[numeric] = _from_numbers(num[numeric])
            out.iloc[todo] = got
    bad = np.flatnonzero(out.isna().to_numpy() & ~blank)
    return out.dt.normalize(), bad


_NS_MIN, _NS_MAX = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")


def _to_ns(s: pd.Series) -> np.ndarray:
    """datetime64[ns] values; dates outside 1678–2261 (e.g. 9999-12-31) become NaT."""
    inside = ((s >= _NS_MIN) & (s <= _NS_MAX)).fillna(False).to_numpy(dtype=bool)
    res = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    if inside.any():
        res[inside] = s[inside].to_numpy().astype("datetime64[ns]")
    return res


def _ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Vectorised calendar dates; impossible dates (2023-02-30) and years outside
    1678–2261 become NaT."""
    y, m, d = (np.asarray(a, dtype=np.int64) for a in (y, m, d))
    res = np.full(len(y), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = (y >= 1678) & (y <= 2261) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    if ok.any():
        first = (y[ok] - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m[ok] - 1)
        day = first.astype("datetime64[D]") + (d[ok] - 1)
        same_month = day.astype("datetime64[M]") == first
        vals = np.where(same_month, day, np.datetime64("NaT"))
        res[ok] = vals.astype("datetime64[ns]")
    return res


def _from_numbers(num: np.ndarray) -> np.ndarray:
    """Excel serials (1900 system) or yyyymmdd integers to datetime64[ns]; else NaT."""
    res = np.full(len(num), np.datetime64("NaT"), dtype="datetime64[ns]")
    fin = np.isfinite(num)
    ymd = fin & (num >= 19000101) & (num <= 21991231) & (num == np.floor(num))
    if ymd.any():
        v = num[ymd].astype(np.int64)
        res[ymd] = _ymd(v // 10000, v // 100 % 100, v % 100)
    serial = fin & ~ymd & (num >= _SERIAL_MIN) & (num <= _SERIAL_MAX)
    if serial.any():
        days = np.floor(num[serial]).astype("timedelta64[D]")
        res[serial] = (np.datetime64("1899-12-30") + days).astype("datetime64[ns]")
    return res


def parse_numbers(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse numbers, also from text with thousands separators; return (float, bad).

    Examples
    --------
    >>> import pandas as pd
    >>> v, bad = parse_numbers(pd.Series(["1,234.5", "２０", " 7 ", "n/a", None]))
    >>> v.tolist()[:3], bad.tolist()
    ([1234.5, 20.0, 7.0], [3])
    """
    if s.dtype.kind in "biuf":
        return s.astype(float), np.array([], dtype=np.int64)
    blank = blank_cells(s)
    txt = s.astype("string").str.normalize("NFKC").str.strip()
    txt = txt.str.replace(r"(?<=\d)[,，\s'_](?=\d{3})", "", regex=True)
    out = pd.to_numeric(txt, errors="coerce").astype(float)
    bad = np.flatnonzero(out.isna().to_numpy() & ~blank)
    return pd.Series(out.to_numpy(dtype=float), index=s.index), bad


def parse_bools(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse 是/否, 有/无, true/false, 1/0, Y/N into pandas nullable booleans.

    Examples
    --------
    >>> import pandas as pd
    >>> v, bad = parse_bools(pd.Series(["是", "否", "Y", 0, "maybe", None]))
    >>> v.tolist(), bad.tolist()
    ([True, False, True, False, <NA>, <NA>], [4])
    """
    if s.dtype == "boolean" or s.dtype.kind == "b":
        return s.astype("boolean"), np.array([], dtype=np.int64)
    blank = blank_cells(s)
    txt = s.astype("string").str.normalize("NFKC").str.strip().str.lower()
    mapping = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    out = txt.map(mapping).astype("boolean")
    bad = np.flatnonzero(out.isna().to_numpy() & ~blank)
    return pd.Series(out.to_numpy(), index=s.index, dtype="boolean"), bad


def is_missing(value: Any) -> bool:
    """True for a missing cell: None, NaN, NaT, NA, or text that is empty or blank."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _one(value: Any) -> pd.Series:
    return pd.Series([value], dtype=object)


def parse_date(value: Any) -> pd.Timestamp | None:
    """One cell as a date (:func:`parse_dates`): None when missing, ValueError when not a date.

    Examples
    --------
    >>> parse_date("2023.05.08") == parse_date("2023/5/8") == parse_date(20230508)
    True
    >>> parse_date(None) is None
    True
    """
    out, bad = parse_dates(_one(value))
    if len(bad):
        raise ValueError(f"'{value}' is not a date")
    v = out.iloc[0]
    return None if pd.isna(v) else pd.Timestamp(v)


def parse_number(value: Any) -> float | None:
    """One cell as a number (:func:`parse_numbers`): None when missing, ValueError if not."""
    out, bad = parse_numbers(_one(value))
    if len(bad):
        raise ValueError(f"'{value}' is not a number")
    v = float(out.iloc[0])
    return None if np.isnan(v) else v


def parse_bool(value: Any) -> bool | None:
    """One cell as yes/no (:func:`parse_bools`): None when missing, ValueError if neither."""
    out, bad = parse_bools(_one(value))
    if len(bad):
        raise ValueError(f"'{value}' is not yes/no")
    v = out.iloc[0]
    return None if v is pd.NA else bool(v)


_PARENT_SEP = re.compile(r"[;,，、；\s]+")


def parse_parent_ids(value: Any) -> list[str]:
    """The parcel ids of a ``parent_ids`` cell (原宗地编号), separated by ``;`` ``,`` ``、``
    or spaces; an empty cell has none.

    Examples
    --------
    >>> parse_parent_ids("FB-001；FB-002")
    ['FB-001', 'FB-002']
    >>> parse_parent_ids(None)
    []
    """
    if is_missing(value):
        return []
    return [p for p in _PARENT_SEP.split(str(value).strip()) if p]
