"""Industry codes and their GB/T 4754 editions: the division a control table row is read by.

The 2008 容积率 table is keyed by GB/T 4754-2002 divisions; registers mostly carry 2011 or
2017 codes, whose manufacturing divisions were renumbered (domain.md §3.1). A code's edition
is the parcel's ``industry_code_edition`` (e.g. ``2017``, ``GB/T 4754-2017``), else the
ruleset's ``control.industry_code_edition`` (``--industry-edition``); it is never guessed.
:func:`map_codes` turns each code into the table edition's division(s) through the
division-level concordance in ``landuse/data/industry_concordance.toml``. Pure: arrays in,
a dataclass of arrays out; no sentences.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["EDITIONS", "IndustryCodes", "concordance", "edition_of", "map_codes"]

EDITIONS: tuple[str, ...] = ("2002", "2011", "2017")
"""The GB/T 4754 editions a code may be declared in."""

_CODE = re.compile(r"^\s*[A-Za-z]?\s*(\d{2})(\d)?")
_EDITION = re.compile(r"(2002|2011|2017)")


@cache
def concordance() -> dict[str, Any]:
    """The packaged concordance (``landuse/data/industry_concordance.toml``), read once."""
    res = resources.files("landuse.data").joinpath("industry_concordance.toml")
    return tomllib.loads(res.read_text("utf-8"))


def edition_of(value: Any) -> str | None:
    """The edition named by a cell (``2017``, ``GB/T 4754-2017``, ``2017版``); None if none."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    m = _EDITION.search(str(value))
    return m.group(1) if m else None


@dataclass(frozen=True)
class IndustryCodes:
    """Each parcel's industry code read in the table's edition.

    ``division`` is the register's two-digit division (None: no code); ``edition`` the
    edition it was read in; ``targets`` the table-edition divisions it may stand for (a
    tuple; empty when none). The masks are the reasons a code cannot be read.
    """

    division: np.ndarray
    edition: np.ndarray
    targets: np.ndarray
    mapped: np.ndarray
    """The code was translated from another edition."""
    ambiguous: np.ndarray
    """More than one table-edition division, and the code's group does not decide."""
    unparsed: np.ndarray
    """A code is given but has no two-digit division (e.g. ``abc``)."""
    edition_unknown: np.ndarray
    """The parcel's edition cell names no known edition."""
    not_in_edition: np.ndarray
    """A manufacturing-range code (13-43) that is no division of its edition (2002's 38)."""
    no_counterpart: np.ndarray
    """A division with no manufacturing counterpart in the table's edition (2017's 43)."""
    no_concordance: np.ndarray
    """No concordance from the code's edition to the table's (e.g. 2002 into a 2017 table)."""


def _one(code: str, group: str | None, edition: str, table_edition: str) -> tuple[Any, ...]:
    """(targets, mapped, ambiguous, not_in_edition, no_counterpart, no_concordance)."""
    con = concordance()["editions"]
    if edition == "2011":
        edition = con["2011"]["same_as"]
    table = "2002" if table_edition.endswith("2002") else "2017"
    if edition == table:
        if table == "2002" and 13 <= int(code) <= 43 and code not in con["2002"]["divisions"]:
            return (), False, False, True, False, False
        return (code,), False, False, False, False, False
    if table != "2002":
        return (), False, False, False, False, True
    row = con[edition]["divisions"].get(code)
    if row is None:  # outside manufacturing: no 容积率 row in any edition
        return (code,), False, False, False, False, False
    to = tuple(row["to"])
    if not to:
        return (), True, False, False, True, False
    if len(to) > 1 and group is not None:
        g = code + group
        pick = row.get("groups", {}).get(g, row.get("other_groups"))
        if pick is not None:
            return (pick,), True, False, False, False, False
    return to, True, len(to) > 1, False, False, False


def map_codes(
    codes: np.ndarray, editions: np.ndarray, default_edition: str, table_edition: str
) -> IndustryCodes:
    """Read every parcel's industry code in the table's edition.

    Parameters
    ----------
    codes : ndarray of object
        ``industry_code`` (``C3911``, ``3911``, ``39``; None = missing).
    editions : ndarray of object
        ``industry_code_edition`` cells (None = use ``default_edition``).
    default_edition : {"2002", "2011", "2017"}
        The ruleset's ``control.industry_code_edition``.
    table_edition : str
        The 容积率 table's edition (``control.industry_edition``, e.g. ``GB/T 4754-2002``).
    """
    n = len(codes)
    division = np.full(n, None, dtype=object)
    edition = np.full(n, None, dtype=object)
    targets = np.empty(n, dtype=object)
    targets[:] = [()] * n
    masks = {k: np.zeros(n, dtype=bool) for k in (
        "mapped", "ambiguous", "unparsed", "edition_unknown", "not_in_edition",
        "no_counterpart", "no_concordance")}
    groups: dict[tuple[str, str], list[int]] = {}
    for j, (c, e) in enumerate(zip(codes, editions, strict=True)):
        groups.setdefault((str(c), str(e)), []).append(j)
    for idx in groups.values():
        i = np.asarray(idx)
        code, ed_cell = codes[i[0]], editions[i[0]]
        if code is None or (isinstance(code, float) and np.isnan(code)) or not str(code).strip():
            continue
        m = _CODE.match(str(code))
        if m is None:
            masks["unparsed"][i] = True
            continue
        division[i] = m.group(1)
        has_cell = ed_cell is not None and not (isinstance(ed_cell, float) and np.isnan(ed_cell))
        ed = edition_of(ed_cell) if has_cell and str(ed_cell).strip() else default_edition
        if ed is None:
            masks["edition_unknown"][i] = True
            continue
        edition[i] = ed
        t, *flags = _one(m.group(1), m.group(2), ed, table_edition)
        for j in i:
            targets[j] = t
        for name, v in zip(("mapped", "ambiguous", "not_in_edition", "no_counterpart",
                            "no_concordance"), flags, strict=True):
            masks[name][i] = v
    return IndustryCodes(division=division, edition=edition, targets=targets, **masks)
