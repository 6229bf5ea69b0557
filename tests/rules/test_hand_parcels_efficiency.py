"""Hand-built parcels for issue 11 points 1, 2 and 4, read from the CSV beside this file.

Each row of ``hand_parcels_efficiency.csv`` is one parcel: a base from :mod:`tests.builders`
(``producing``: 15 亩 (10 000 m²) producing since 2015, industry 34 (2002: min FAR 0.7),
FAR 1.0, coverage 50 %, office 5 %, green 10 %, invested 6000 + land price 500 万元,
tax 600 万元, contract targets 300 万元/亩 and 30 万元/亩; ``supplied``: supplied
2020-01-01, land price 500), the fields it changes, an optional ruleset change, the
outcome worked out by hand and the rule sentence it comes from. Every parcel is assessed
alone as of 2023-10-31.

Expectations: ``field=value`` (equal, as text), ``field!=value``, ``field~text`` (the cell
contains the text), ``field!~text`` (does not); separated by `` | ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from landuse.rules import assess, default_ruleset
from tests.builders import hand_check, hand_pairs, hand_rows, hand_value, make, producing, supplied

AS_OF = "2023-10-31"
CSV = Path(__file__).with_name("hand_parcels_efficiency.csv")
TEXT_FIELDS = {"industry_code", "industry_code_edition", "land_use"}





def _parcel(row: dict[str, str]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    for pair in hand_pairs(row["inputs"]):
        k, v = pair.split("=", 1)
        kw[k] = hand_value(k, v, TEXT_FIELDS)
    return {"producing": producing, "supplied": supplied}[row["base"]](**kw)


def _ruleset(text: str) -> Any:
    rs = default_ruleset()
    for pair in hand_pairs(text):
        path, v = pair.split("=", 1)
        section, key = path.split(".", 1)
        rs = rs.override({section: {key: hand_value(key, v, TEXT_FIELDS)}})
    return rs


ROWS = hand_rows(CSV)


def test_at_least_fifteen_parcels_cover_the_three_points() -> None:
    assert len(ROWS) >= 15
    assert {r["point"].split()[0] for r in ROWS} == {"1", "2", "4"}
    assert len({r["parcel"] for r in ROWS}) == len(ROWS)
    assert all(r["rule"].strip() and r["expect"].strip() for r in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[r["parcel"] for r in ROWS])
def test_hand_parcel(row: dict[str, str]) -> None:
    g = make([_parcel(row)])
    r = assess(g, AS_OF, ruleset=_ruleset(row["ruleset"])).iloc[0]
    for expect in hand_pairs(row["expect"]):
        field = expect.split("~")[0].split("=")[0].rstrip("!")
        hand_check(r[field], expect)
