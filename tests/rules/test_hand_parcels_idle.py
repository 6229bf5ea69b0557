"""Hand-built parcels for the idle-land clock (Order 53 of 2012), expectations from the articles.

Every row of ``hand_parcels_idle.csv`` carries its inputs, the idle type, fee and recovery
expected as of 2023-10-31, a phrase its reason must contain, the articles it rests on and
the derivation by hand (area 10 000 m², fee 20 % of the land price after one full year,
recovery after two, Art. 2, 8, 12, 14).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from landuse.rules import assess
from tests.builders import make

AS_OF = "2023-10-31"
CSV = Path(__file__).with_name("hand_parcels_idle.csv")
INPUTS = (
    "supply_date", "delivery_date", "contract_delivery_date", "agreed_start_date",
    "extension_until", "start_date", "start_evidence", "suspended_since", "completion_date",
    "production_date",
    "developed_area_m2", "invested_wan", "total_investment_wan", "land_price_wan",
    "delay_cause",
)  # fmt: skip
NUMBERS = ("developed_area_m2", "invested_wan", "total_investment_wan", "land_price_wan")


def _table() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype=str, keep_default_na=False)


def _parcels(t: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in t.itertuples():
        row: dict = {"parcel_id": r.parcel, "land_use": "industrial"}
        for c in INPUTS:
            v = getattr(r, c)
            if v == "":
                row[c] = None
            else:
                row[c] = float(v) if c in NUMBERS else v
        rows.append(row)
    return make(rows)


@pytest.fixture(scope="module")
def result() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    t = _table()
    g = _parcels(t)
    return t, assess(g, AS_OF).set_index("parcel_id"), assess(g, AS_OF, lang="en")


def test_the_table_covers_every_case() -> None:
    t = _table()
    assert len(t) >= 15
    assert t["parcel"].is_unique
    assert (t["article"] != "").all() and (t["derivation"] != "").all()


@pytest.mark.parametrize("pid", _table()["parcel"].tolist())
def test_hand_parcel(result, pid: str) -> None:
    t, r, _ = result
    e = t.set_index("parcel").loc[pid]
    got = r.loc[pid]
    assert got["idle_type"] == e["expected_idle_type"]
    assert got["idle_fee_wan"] == pytest.approx(float(e["expected_fee_wan"]))
    assert bool(got["recovery_candidate"]) == (e["expected_recovery"] == "true")
    assert e["expected_reason"] in got["reasons"], got["reasons"]


def test_reasons_cite_the_articles(result) -> None:
    t, r, en = result
    for pid, art in zip(t["parcel"], t["article"], strict=True):
        reasons = r.loc[pid, "reasons"]
        for a in art.split("、"):
            number = a if a.startswith("第") else "第" + a
            # 第八条第一项 is cited as such; the others by their article number
            assert number.split("第一项")[0] in reasons, (pid, a, reasons)
    assert "Order 53 (2012) Art. 8(1)" in en.set_index("parcel_id").loc["H06", "reasons"]


def test_former_holder_dates_are_named(result) -> None:
    _, r, en = result
    s = r.loc["H05", "reasons"]
    for field in ("实际动工日期2017年3月1日", "竣工日期2018年1月1日", "投产日期2018年6月1日"):
        assert field + "早于本次供地日期2020年1月1日" in s
    assert r.loc["H05", "lifecycle"] == "supplied_unused"
    e = en.set_index("parcel_id").loc["H03", "reasons"]
    assert "suspended_since 2016-01-01 is before the current supply date 2023-01-01" in e
