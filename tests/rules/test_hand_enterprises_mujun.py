"""Hand-built enterprises for issue 11 point 5 (亩均 by enterprise), from the CSV beside this.

Each row of ``hand_enterprises_mujun.csv`` is one parcel; the parcels of one ``case`` are
assessed together as of 2023-10-31 with the default ruleset. Every parcel starts from a
base of :mod:`tests.builders` (``producing``: 15 亩 producing since 2015; ``supplied``: not
started) with only the 亩均税收 figure (``tax_wan``) recorded, so a 规上 score is
``min(tax per 亩 / 24.097, 1.5) x 30`` and a 规下 one ``min(tax per 亩 / 24.097, 1.5) x 50``
plus ``min(tax / energy_tce / 0.477, 1.5) x 50``. The expected scores and classes were
worked out by hand from that scheme and the class shares A <= 0.2 < B <= 0.6 < C <= 0.95 < D.

Expectations: ``field=value`` (equal, as text), ``field≈number`` (within 0.01),
``field~text`` (the cell contains the text), ``field!~text`` (does not); separated by
`` | ``.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from landuse.rules import assess
from tests.builders import hand_check, hand_pairs, hand_rows, hand_value, make, producing, supplied

AS_OF = "2023-10-31"
CSV = Path(__file__).with_name("hand_enterprises_mujun.csv")
TEXT_FIELDS = {"credit_code", "holder", "land_use"}
ONLY_TAX = {"value_added_wan": None, "energy_tce": None, "employees": None, "rd_wan": None,
            "revenue_wan": None}
DEFAULTS = {"credit_code": None, "holder": None, "above_scale": True,
            "registered_area_m2": 10000.0, "safety_veto": False}





def _parcel(row: dict[str, str]) -> dict[str, Any]:
    kw: dict[str, Any] = {**DEFAULTS, "parcel_id": row["parcel"]}
    if row["base"] == "producing":
        kw.update(ONLY_TAX)
    for pair in hand_pairs(row["inputs"]):
        k, v = pair.split("=", 1)
        kw[k] = hand_value(k, v, TEXT_FIELDS)
    return {"producing": producing, "supplied": supplied}[row["base"]](**kw)


ROWS = hand_rows(CSV)
CASES = {k: list(g) for k, g in groupby(ROWS, key=lambda r: r["case"])}


def test_at_least_ten_cases_written_by_hand() -> None:
    assert len(CASES) >= 10
    assert len({r["parcel"] for r in ROWS}) == len(ROWS)
    assert len(CASES) == len({r["case"] for r in ROWS})  # each case's rows are together
    assert all(r["rule"].strip() and r["expect"].strip() for r in ROWS)


@pytest.mark.parametrize("case", list(CASES), ids=[c.split()[0] for c in CASES])
def test_hand_enterprises(case: str) -> None:
    rows = CASES[case]
    g = make([_parcel(r) for r in rows])
    out = assess(g, AS_OF).set_index("parcel_id")
    for row in rows:
        r: pd.Series = out.loc[row["parcel"]]
        for expect in hand_pairs(row["expect"]):
            field = expect.split("~")[0].split("=")[0].split("≈")[0].rstrip("!")
            try:
                hand_check(r[field], expect)
            except AssertionError as e:
                raise AssertionError(f"{row['parcel']}: {e}\n{r['reasons']}") from e
