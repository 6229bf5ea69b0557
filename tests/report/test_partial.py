"""A report from parts: the parts of any split of the parcels, merged, give the report of
all of them (the section code is the same; sums are exact)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from landuse.io import read_ledger, read_parcels
from landuse.report import build_report
from landuse.report.build import ENTERPRISE_COLUMNS, ledger_ids, prepare_parcels, report_from_part
from landuse.report.parcel_tables import enterprise_part
from landuse.report.partial import merge_parts, report_part
from landuse.rules import assess

AS_OF = "2023-10-31"


def _by_id(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    out = frame.sort_values("parcel_id", kind="stable", key=lambda s: s.astype(str))
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=frame.crs)


@pytest.fixture(scope="module")
def park(sample_park: Path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    return _by_id(assess(read_parcels(sample_park), AS_OF)), read_ledger(sample_park)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("zone", [None, "抚北工业园"])
def test_merged_parts_of_any_split_give_the_whole_report(
        park: tuple[gpd.GeoDataFrame, pd.DataFrame], seed: int, zone: str | None) -> None:
    parcels, ledger = park
    # a random split in three (each part in parcel-id order, as a zone's task makes it)
    want = build_report(parcels, ledger, "2023-01-01", AS_OF, zone=zone)
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 3, len(parcels))
    ids = ledger_ids(ledger)
    cols = [c for c in ENTERPRISE_COLUMNS if c in parcels]
    parts = [report_part(prepare_parcels(parcels[groups == g]), ids, zone, cols)
             for g in range(3)]
    got = report_from_part(merge_parts(parts), ledger, "2023-01-01", AS_OF, zone=zone)
    assert got.to_dict() == want.to_dict()
    assert got.map_frame.reset_index(drop=True).equals(want.map_frame.reset_index(drop=True))


def test_parts_of_an_enterprise_on_several_zones_merge_as_one(
        park: tuple[gpd.GeoDataFrame, pd.DataFrame]) -> None:
    parcels, ledger = park
    parcels = parcels.copy()
    rated = parcels.index[parcels["mujun_scheme"].notna()]
    one = rated[[0, 3, 5]]  # three rated parcels made one enterprise, the first unnamed
    parcels.loc[one, "enterprise"] = "E-TEST"
    parcels.loc[one[0], "holder"] = None
    pids = list(parcels.loc[one, "parcel_id"])
    split = parcels["parcel_id"].isin(pids[1:])  # its first parcel apart from the others
    ids = ledger_ids(ledger)
    cols = [c for c in ENTERPRISE_COLUMNS if c in parcels]
    parts = [report_part(prepare_parcels(parcels[s]), ids, None, cols)
             for s in (split, ~split)]
    merged = enterprise_part(merge_parts(parts).rated)["E-TEST"]
    assert merged.n == 3 and merged.first_pid == pids[0]
    assert merged.holder_pid == pids[1] and merged.holder == parcels.loc[one[1], "holder"]
    whole = enterprise_part(prepare_parcels(parcels))["E-TEST"]
    assert merged == whole


def test_a_listed_parcel_in_two_zones_is_an_error(
        park: tuple[gpd.GeoDataFrame, pd.DataFrame]) -> None:
    from landuse.errors import SchemaError

    parcels, ledger = park
    ids = ledger_ids(ledger)
    first = sorted(ids)[0]
    both = parcels[parcels["parcel_id"] == first]
    parts = [report_part(prepare_parcels(both), ids) for _ in range(2)]
    with pytest.raises(SchemaError, match=f"'{first}' appears in more than one"):
        merge_parts(parts)


def test_a_sub_park_where_nothing_is_listed() -> None:
    from tests.builders import make_ledger, make_register

    parcels = assess(make_register(), "2023-12-31")
    in_zone = parcels["zone"] == "东区"
    # the register of the builders: no parcel of 东区 is idle or low-efficiency
    assert not (parcels.loc[in_zone, "idle_type"].isin(["not_started", "stalled"]).any()
                or parcels.loc[in_zone, "low_efficiency"].fillna(False).astype(bool).any())
    r = build_report(parcels, make_ledger(), "2023-01-01", "2023-12-31", zone="东区")
    assert r.meta["parcels"] == int(in_zone.sum())
    assert r.figures["enforcement"]["use_changed"] == {"parcels": 0, "area_mu": 0.0,
                                                       "parcel_ids": []}
    assert r.table("idle_parcels").rows == [] and r.table("flagged_parcels").rows == []
