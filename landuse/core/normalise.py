"""Normalise the values of a frame already in the standard's names (pure, no I/O).

Readers rename headers with :func:`landuse.io.read.rename_to_standard`, then call
:func:`normalise_values`, which turns each standard field into the type the contract
promises:

* ``date``, ``number``, ``bool``: by the one value parser of register and ledger,
  :mod:`landuse.core.values` (its docstring lists the accepted forms); an ``area`` given
  in 亩 or 公顷 (the header's unit) is converted to m².
* ``int``: pandas nullable ``Int64``.
* ``code``: the standard's English code (str), Chinese words mapped; None when missing.
* ``text``: str (a numeric id such as ``1001.0`` becomes ``"1001"``).

Nothing is dropped: a cell that cannot be parsed becomes missing and is listed in the
returned problems (row, field, value, problem, fix). The common ISO case is parsed in one
vectorised call; slower paths only run on the cells the fast path could not read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landuse.core.values import blank_cells, parse_bools, parse_dates, parse_numbers
from landuse.standard import Layer, get_standard

__all__ = [
    "CellProblems",
    "normalise_values",
    "parse_codes",
]

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
    blank = blank_cells(s)
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
