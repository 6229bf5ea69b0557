"""One value parser: the register, the ledger and the store read the same cell the same way.

Expected values come from the accepted vocabulary in ``landuse.core.values``' docstring:
a cell that one path accepts and the other refuses (有, ✓ used to be refused by the ledger)
is a failure here.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from landuse.core.normalise import normalise_values
from landuse.core.values import (
    FALSE_WORDS,
    TRUE_WORDS,
    parse_bool,
    parse_date,
    parse_number,
)
from landuse.errors import SchemaError
from landuse.ledger import normalise_ledger
from landuse.store import prepare_parcels

# cell -> expected value, by the vocabulary (None: missing)
BOOLS = [("是", True), ("有", True), ("对", True), ("✓", True), ("√", True), ("Y", True),
         ("yes", True), ("TRUE", True), ("1", True), (1, True), (True, True),
         ("否", False), ("无", False), ("没有", False), ("×", False), ("✗", False),
         ("n", False), ("false", False), ("0", False), (0.0, False), (False, False),
         ("", None), (None, None), (np.nan, None)]
DATES = [("2023-05-08", "2023-05-08"), ("2023-05-08T10:30", "2023-05-08"),
         ("2023年5月8日", "2023-05-08"), ("2023/5/8", "2023-05-08"),
         ("2023.05.08", "2023-05-08"), ("20230508", "2023-05-08"), (20230508, "2023-05-08"),
         (45054, "2023-05-08"),  # Excel: 1899-12-30 + 45054 days
         (45054.75, "2023-05-08"), (dt.date(2023, 5, 8), "2023-05-08"),
         (pd.Timestamp("2023-05-08 17:00"), "2023-05-08"), ("", None), (None, None)]
NUMBERS = [("1,234.5", 1234.5), ("1，234", 1234.0), ("２０", 20.0), (" 7 ", 7.0), (3, 3.0),
           ("", None), (None, None)]
BAD_BOOLS = ["maybe", "可能", "2"]
BAD_DATES = ["soon", "2023-02-30", "2023年13月1日"]


def _register(col: str, cells: list[object]) -> pd.Series:
    df = pd.DataFrame({"parcel_id": [f"P{i}" for i in range(len(cells))],
                       col: pd.Series(cells, dtype=object)})
    out, _, problems = normalise_values(df, "parcels")
    assert len(problems) == 0, problems.as_dict()
    return out[col]


def _ledger(col: str, cells: list[object]) -> pd.Series:
    df = pd.DataFrame({"event_id": [f"E{i}" for i in range(len(cells))],
                       col: pd.Series(cells, dtype=object)})
    out, problems = normalise_ledger(df)
    assert problems.empty, problems.to_dict("records")
    return out[col]


def _plain(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, np.generic):
        return v.item()
    return v


def test_vocabulary_is_one_set_each_and_they_do_not_overlap() -> None:
    assert {"有", "✓", "是", "√"} <= TRUE_WORDS
    assert {"无", "×", "否", "没有"} <= FALSE_WORDS
    assert not TRUE_WORDS & FALSE_WORDS


def test_yes_no_cells_mean_the_same_in_register_ledger_and_store() -> None:
    cells = [c for c, _ in BOOLS]
    want = [w for _, w in BOOLS]
    assert [_plain(v) for v in _register("above_scale", cells)] == want
    assert [_plain(v) for v in _ledger("zombie_cleared", cells)] == want
    assert [parse_bool(c) for c in cells] == want
    reg = gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(len(cells))],
                            "mortgaged": pd.Series(cells, dtype=object)},
                           geometry=[shapely.box(i, 0, i + 0.001, 0.001)
                                     for i in range(len(cells))], crs=4490)
    assert [_plain(v) for v in prepare_parcels(reg)["mortgaged"]] == want


def test_date_cells_mean_the_same_in_register_ledger_and_store() -> None:
    cells = [c for c, _ in DATES]
    want = [w for _, w in DATES]
    assert [_plain(v) for v in _register("supply_date", cells)] == want
    assert [_plain(v) for v in _ledger("event_date", cells)] == want
    assert [_plain(parse_date(c)) for c in cells] == want
    reg = gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(len(cells))],
                            "supply_date": pd.Series(cells, dtype=object)},
                           geometry=[shapely.box(i, 0, i + 0.001, 0.001)
                                     for i in range(len(cells))], crs=4490)
    assert [_plain(v) for v in prepare_parcels(reg)["supply_date"]] == want


def test_number_cells_mean_the_same_in_register_and_ledger() -> None:
    cells = [c for c, _ in NUMBERS]
    want = [w for _, w in NUMBERS]
    assert [_plain(v) for v in _register("land_price_wan", cells)] == want
    assert [_plain(v) for v in _ledger("expected_output_wan", cells)] == want
    assert [parse_number(c) for c in cells] == want


@pytest.mark.parametrize("cell", BAD_BOOLS)
def test_a_cell_that_is_not_yes_no_is_refused_on_both_paths(cell: str) -> None:
    df = pd.DataFrame({"parcel_id": ["P1"], "above_scale": [cell]})
    _, _, problems = normalise_values(df, "parcels")
    assert problems.field == ["above_scale"] and problems.value == [cell]
    _, lp = normalise_ledger(pd.DataFrame({"event_id": ["E1"], "zombie_cleared": [cell]}))
    assert lp["field"].tolist() == ["zombie_cleared"] and lp["value"].tolist() == [cell]
    with pytest.raises(ValueError, match="yes/no"):
        parse_bool(cell)
    reg = gpd.GeoDataFrame({"parcel_id": ["P1"], "mortgaged": [cell]},
                           geometry=[shapely.box(0, 0, 0.001, 0.001)], crs=4490)
    with pytest.raises(SchemaError, match=r"mortgaged.*P1.*Fix"):
        prepare_parcels(reg)


@pytest.mark.parametrize("cell", BAD_DATES)
def test_a_cell_that_is_not_a_date_is_refused_on_both_paths(cell: str) -> None:
    df = pd.DataFrame({"parcel_id": ["P1"], "supply_date": [cell]})
    _, _, problems = normalise_values(df, "parcels")
    assert problems.field == ["supply_date"]
    _, lp = normalise_ledger(pd.DataFrame({"event_id": ["E1"], "event_date": [cell]}))
    assert lp["field"].tolist() == ["event_date"] and lp["row"].tolist() == [1]
    with pytest.raises(ValueError, match="not a date"):
        parse_date(cell)
