"""The assessment names whom each parcel's 亩均 was rated for, by which scheme, at which rank.

A small layer built by hand (every parcel 10 000 m² = 15 亩, the same figures per 亩 but
tax, example scheme: A to rank share 0.20, B to 0.60, C to 0.95, D above; tax per 亩 capped
at 1.5 x 24.097 = 36.1 万元):

* 91A (甲, credit code), tax 450 -> 30 万元/亩; 乙 (no code), 300 -> 20; 91C (丙, two parcels),
  150 + 150 over 30 亩 -> 10; a parcel with neither code nor holder, 60 -> 4. All 规上:
  ranks 1, 2, 3, 4 of 4 -> shares 0.25 B, 0.5 B, 0.75 C, 1.0 D.
* 丁 is 规下: ranked alone among 规下 firms, 1 of 1 -> share 1.0, D.
* 戊 holds commercial land: N, no scheme, no rank. 己 is not producing: T, no scheme, no rank.
"""

from __future__ import annotations

import pandas as pd
import pytest

from landuse.rules import assess
from tests.builders import make, mujun_enterprise_rows

AS_OF = "2023-10-31"

EXPECTED = {
    # parcel: (enterprise, scheme, rank, class)
    "E1": ("91A", "above", 1, "B"),
    "E2": ("乙", "above", 2, "B"),
    "E3a": ("91C", "above", 3, "C"),
    "E3b": ("91C", "above", 3, "C"),
    "E4": ("丁", "below", 1, "D"),
    "E5": (None, "above", 4, "D"),
    "E6": ("戊", None, None, "N"),
    "E7": ("己", None, None, "T"),
}


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    rows = mujun_enterprise_rows()
    return assess(make(rows), AS_OF).set_index("parcel_id")


@pytest.mark.parametrize("pid", list(EXPECTED))
def test_enterprise_scheme_rank(result: pd.DataFrame, pid: str) -> None:
    ent, scheme, rank, cls = EXPECTED[pid]
    got = result.loc[pid]
    assert (None if pd.isna(got["enterprise"]) else got["enterprise"]) == ent
    assert (None if pd.isna(got["mujun_scheme"]) else got["mujun_scheme"]) == scheme
    assert (None if pd.isna(got["mujun_rank"]) else int(got["mujun_rank"])) == rank
    assert got["mujun_class"] == cls


def test_the_columns_are_the_standards_in_its_order(result: pd.DataFrame) -> None:
    from landuse.rules import ASSESSMENT_COLUMNS

    tail = list(result.columns[-len(ASSESSMENT_COLUMNS) - 1:])
    assert [c for c in tail if c != "geometry"] == list(ASSESSMENT_COLUMNS)
