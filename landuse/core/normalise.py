"""Normalise the values of a frame already in the standard's names (pure, no I/O).

Readers rename headers with :func:`landuse.io.read.rename_to_standard`, then call
:func:`normalise_values`, which turns each standard field into the type the contract
promises:

* ``date``: pandas ``datetime64[ns]`` (NaT when missing). Accepted: ISO ``2023-05-08``,
  ``2023年5月8日``, ``2023/5/8``, ``2023.05.08``, ``20230508`` and Excel serial day numbers.
* ``number`` and ``area``: float; strings with thousands separators (``1,234.5``) are
  parsed; an ``area`` given in 亩 or 公顷 (the header's unit) is converted to m².
* ``int``: pandas nullable ``Int64``.
* ``bool``: pandas nullable ``boolean`` from 是/否, 有/无, true/false, 1/0, Y/N.
* ``code``: the standard's English code (str), Chinese words mapped; None when missing.
* ``text``: str (a numeric id such as ``1001.0`` becomes ``"1001"``).

Nothing is dropped: a cell that cannot be parsed becomes missing and is listed in the
returned problems (row, field, value, problem, fix). The common ISO case is parsed in one
vectorised call; slower paths only run on the cells the fast path could not read.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landuse.standard import Layer, get_standard

__all__ = [
    "CellProblems",
    "normalise_values",
    "parse_bools",
    "parse_codes",
    "parse_dates",
    "parse_numbers",
]

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_MIN, _SERIAL_MAX = 1.0, 109574.0  # 1900-01-01 .. 2199-12-31
_CN_DATE = re.compile(r"^\s*(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?\s*$")
_YMD8 = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")

_TRUE = {"是", "有", "true", "t", "yes", "y", "1", "1.0", "√", "✓", "对"}
_FALSE = {"否", "无", "没有", "false", "f", "no", "n", "0", "0.0", "×", "✗"}


@dataclass
class CellProblems:
    """Cells that could not be read, as parallel lists (cheap to keep in ``attrs``)."""

    row: list[int] = dataclasses.field(default_factory=list)
    field: list[str] = dataclasses.field(default_factory=list)
    value: list[str] = dataclasses.field(default_factory=list)
    problem: list[str] = dataclasses.field(default_factory=list)
    fix: list[str] = dataclasses.field(default_factory=list)

    def add(self, rows: np.ndarray, fld: str, values: Any, problem: str, fix: str) -> None:
        """Add one problem per position in ``rows`` (0-based positions)."""
        n = len(rows)
        if n == 0:
            return
        self.row.extend(int(r) for r in rows)
        self.field.extend([fld] * n)
        self.value.extend(str(v) for v in values)
        self.problem.extend([problem] * n)
        self.fix.extend([fix] * n)

    def as_dict(self) -> dict[str, list]:
        """Plain dict of lists (for ``attrs``)."""
        return {
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "problem": self.problem,
            "fix": self.fix,
        }

    def __len__(self) -> int:
        return len(self.row)


def _blank(s: pd.Series) -> np.ndarray:
    """True where a cell is missing or only whitespace."""
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
        res = pd.Series(_to_ns(out), index=s.index, dtype="datetime64[ns]")
        return res, np.flatnonzero(res.isna().to_numpy() & ~blank)
    blank = _blank(s)
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
    return out, bad


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
    blank = _blank(s)
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
    blank = _blank(s)
    txt = s.astype("string").str.normalize("NFKC").str.strip().str.lower()
    mapping = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
    out = txt.map(mapping).astype("boolean")
    bad = np.flatnonzero(out.isna().to_numpy() & ~blank)
    return pd.Series(out.to_numpy(), index=s.index, dtype="boolean"), bad


def parse_codes(s: pd.Series, list_name: str) -> tuple[pd.Series, np.ndarray]:
    """Map codes or Chinese code words onto the standard's codes; return (codes, bad).

    Each distinct value is looked up once, so this is fast on long columns.

    Examples
    --------
    >>> import pandas as pd
    >>> v, bad = parse_codes(pd.Series(["工业", "industrial", "商业", "月球"]), "land_use")
    >>> v.tolist(), bad.tolist()
    (['industrial', 'industrial', 'commercial', None], [3])
    """
    std = get_standard()
    blank = _blank(s)
    uniq = pd.unique(s[~blank])
    lookup = {u: std.code_for(list_name, u) for u in uniq}
    mapped = s.map(lookup)
    out = pd.Series(mapped.to_numpy(dtype=object), index=s.index, dtype=object)
    out[out.isna()] = None
    bad = np.flatnonzero(out.isna().to_numpy() & ~blank)
    return out, bad


def _parse_text(s: pd.Series) -> pd.Series:
    if s.dtype.kind == "f":
        vals = s.to_numpy()
        integral = np.isfinite(vals) & (vals == np.floor(vals))
        if integral[~np.isnan(vals)].all():
            out = pd.Series(
                [None if np.isnan(v) else str(int(v)) for v in vals], index=s.index, dtype=object
            )
            return out
    if s.dtype.kind in "iub":
        return s.astype(str).astype(object)
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        mask = s.notna()
        out = s.astype(object).copy()
        out[mask] = s[mask].map(lambda v: v if isinstance(v, str) else str(v))
        out[~mask] = None
        return out
    return s


_FIXES = {
    "date": "write the date as YYYY-MM-DD (2023-05-08); 2023年5月8日, 2023/5/8 and "
    "Excel dates are also read",
    "number": "write a plain number (1234.5); thousands separators are allowed",
    "area": "write a plain number in the unit of the header (m², or 亩/公顷 in brackets)",
    "int": "write a whole number",
    "bool": "write 是/否 (or true/false, 1/0, Y/N)",
}


def normalise_values(
    df: pd.DataFrame,
    layer: Layer = "parcels",
    units_m2: dict[str, float] | None = None,
    problems: CellProblems | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], CellProblems]:
    """Convert each standard field of ``df`` to the type of the standard.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame already in the standard's names (unknown columns are left untouched).
    layer : {"parcels", "ledger"}
        Which table of the standard the frame follows.
    units_m2 : dict, optional
        Area field -> size of its source unit in m² (e.g. ``{"registered_area_m2":
        666.67}`` for a header in 亩). Missing means the values are m² already.
    problems : CellProblems, optional
        Add to these problems instead of starting a new list.

    Returns
    -------
    (DataFrame, dict, CellProblems)
        The converted copy, a summary (``converted``: field -> what was done) and the
        cells that could not be read (0-based row positions).
    """
    std = get_standard()
    units_m2 = units_m2 or {}
    probs = problems if problems is not None else CellProblems()
    out = df.copy()
    summary: dict[str, str] = {}
    for f in std.fields[layer]:
        if f.name not in out.columns:
            continue
        s = out[f.name]
        if f.type == "date":
            new, bad = parse_dates(s)
            probs.add(bad, f.name, s.iloc[bad], "unparseable date 日期无法识别", _FIXES["date"])
        elif f.type in ("number", "area"):
            new, bad = parse_numbers(s)
            probs.add(bad, f.name, s.iloc[bad], "unparseable number 数值无法识别", _FIXES[f.type])
            if f.type == "area" and f.name in units_m2 and units_m2[f.name] != 1.0:
                new = new * units_m2[f.name]
                summary[f.name] = f"× {units_m2[f.name]:.6g} m² per source unit"
        elif f.type == "int":
            num, bad = parse_numbers(s)
            frac = np.flatnonzero(np.isfinite(num.to_numpy()) & (num.to_numpy() % 1 != 0))
            probs.add(bad, f.name, s.iloc[bad], "unparseable number 数值无法识别", _FIXES["int"])
            probs.add(frac, f.name, s.iloc[frac], "not a whole number 不是整数", _FIXES["int"])
            num.iloc[frac] = np.nan
            new = num.round().astype("Int64")
        elif f.type == "bool":
            new, bad = parse_bools(s)
            probs.add(
                bad, f.name, s.iloc[bad], "unreadable yes/no value 是否值无法识别", _FIXES["bool"]
            )
        elif f.type == "code":
            assert f.codes is not None
            new, bad = parse_codes(s, f.codes)
            allowed = ", ".join(
                f"{c} ({w[0]})" if w else c for c, w in std.codes[f.codes].items()
            )
            probs.add(
                bad,
                f.name,
                s.iloc[bad],
                f"unknown code 未知代码 ({f.codes})",
                f"use one of: {allowed}",
            )
        else:
            new = _parse_text(s)
        out[f.name] = new
    return out, {"converted": summary}, probs
