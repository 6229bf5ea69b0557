"""Checks of the bundled sample park, ``data/geo/sample_park.gpkg``.

Independent of the ``landuse`` package: the data set is read with geopandas/pyogrio
and the figures are recomputed here from the rows.
"""

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import CRS, Transformer

from tests.builders import ROOT

GEO_DIR = ROOT / "data" / "geo"
GPKG = GEO_DIR / "sample_park.gpkg"
EXPECTED = GEO_DIR / "sample_park_expected.json"
SCRIPT = GEO_DIR / "make_sample_park.py"
M2_TO_MU = 0.0015
PERIOD = (pd.Timestamp("2023-01-01"), pd.Timestamp("2023-10-31"))

PARCEL_FIELDS = [
    "parcel_id", "zone", "registered_area_m2", "land_use", "approval_date",
    "supply_date", "supply_method", "land_price_wan", "delivery_date", "holder",
    "credit_code", "industry_code", "enterprise_status", "above_scale",
    "agreed_start_date", "agreed_completion_date", "total_investment_wan",
    "target_far", "target_invest_intensity_wan_per_mu", "target_tax_per_mu_wan",
    "permit_date", "start_date", "start_evidence", "developed_area_m2",
    "invested_wan", "suspended_since", "completion_date", "production_date",
    "footprint_m2", "yard_area_m2", "floor_area_m2", "admin_area_m2",
    "green_area_m2", "delay_cause", "extension_until", "observed_use", "mortgaged",
    "stat_year", "tax_wan", "output_wan", "revenue_wan", "value_added_wan",
    "energy_tce", "employees", "rd_wan",
]  # fmt: skip
LEDGER_FIELDS = [
    "event_id", "parcel_id", "event_date", "stage", "method", "area_m2",
    "new_holder", "expected_output_wan", "zombie_cleared", "corrects", "note",
]  # fmt: skip
CODES = {
    "land_use": {"industrial", "storage", "commercial", "residential", "public",
                 "road", "green", "other"},
    "observed_use": {"industrial", "storage", "commercial", "residential", "public",
                     "road", "green", "other"},
    "supply_method": {"transfer", "allocation", "lease", "lease_then_transfer"},
    "enterprise_status": {"operating", "stopped", "zombie", "bankrupt"},
    "start_evidence": {"pit_done", "piles_done", "foundation_third", "none"},
    "delay_cause": {"holder", "government", "force_majeure", "unknown"},
}  # fmt: skip
STAGES = {"investigating", "recovery_in_progress", "remedy_start_pending",
          "auction_started", "auction_completed", "disposed"}  # fmt: skip
METHODS = {"lease_then_transfer", "agreement_transfer", "merger", "judicial_auction",
           "negotiated_buyback", "free_recovery", "extend_start", "change_use",
           "temporary_use", "swap", "idle_fee"}  # fmt: skip


@pytest.fixture(scope="module")
def parcels():
    return gpd.read_file(GPKG, layer="parcels")


@pytest.fixture(scope="module")
def ledger():
    return pyogrio.read_dataframe(GPKG, layer="ledger")


@pytest.fixture(scope="module")
def expected():
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def ellipsoidal_areas(gdf):
    geod = CRS("EPSG:4490").get_geod()
    lonlat = gdf.to_crs("EPSG:4490").geometry
    return np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in lonlat])


def live_events(ledger):
    """Drop the rows that a correction replaces."""
    replaced = set(ledger["corrects"].dropna())
    return ledger[~ledger["event_id"].isin(replaced)]


def test_layers_and_crs(parcels):
    layers = dict(pyogrio.list_layers(GPKG).tolist())
    assert layers == {"parcels": "Polygon", "ledger": None}
    assert parcels.crs.to_epsg() == 4527
    assert pyogrio.read_info(GPKG, layer="parcels")["crs"] == "EPSG:4527"


def test_coordinates_are_plausible(parcels):
    minx, miny, maxx, maxy = parcels.total_bounds
    assert 39_000_000 < minx < maxx < 40_000_000  # zone 39 prefix
    assert 3_000_000 < miny < maxy < 3_200_000
    to_ll = Transformer.from_crs("EPSG:4527", "EPSG:4490", always_xy=True)
    lon, lat = to_ll.transform((minx + maxx) / 2, (miny + maxy) / 2)
    assert abs(lon - 116.35) < 0.05
    assert abs(lat - 28.0) < 0.05


def test_all_standard_fields_present(parcels, ledger):
    assert set(PARCEL_FIELDS) <= set(parcels.columns)
    assert set(LEDGER_FIELDS) <= set(ledger.columns)


def test_dates_are_date_columns(parcels, ledger):
    for col in [c for c in PARCEL_FIELDS if c.endswith("_date")]:
        assert pd.api.types.is_datetime64_any_dtype(parcels[col]), col
    assert pd.api.types.is_datetime64_any_dtype(ledger["event_date"])


def test_codes_are_standard(parcels, ledger):
    for col, allowed in CODES.items():
        assert set(parcels[col].dropna()) <= allowed, col
    assert set(ledger["stage"]) <= STAGES
    assert set(ledger["method"].dropna()) <= METHODS
    assert parcels["industry_code"].dropna().str.fullmatch(r"\d\d").all()


def test_ids_unique_and_linked(parcels, ledger):
    assert parcels["parcel_id"].is_unique
    assert ledger["event_id"].is_unique
    assert ledger["event_id"].str.fullmatch(r"E\d{4}-\d{3}").all()
    assert set(ledger["parcel_id"]) <= set(parcels["parcel_id"])
    assert set(ledger["corrects"].dropna()) <= set(ledger["event_id"])


def test_size_and_zones(parcels, expected):
    assert len(parcels) == expected["parcel_count"]
    assert 250 <= len(parcels) <= 350
    assert {
        "抚北工业园",
        "有色金属新材料产业园",
        "电子信息产业园",
        "化工产业园",
    } <= set(parcels["zone"])
    mu = ellipsoidal_areas(parcels) * M2_TO_MU
    assert np.mean((mu >= 10) & (mu <= 150)) > 0.9


def test_geometries_valid_and_not_overlapping(parcels):
    geoms = parcels.geometry
    assert geoms.is_valid.all()
    assert not geoms.is_empty.any()
    assert set(geoms.geom_type) == {"Polygon"}
    left, right = parcels.sindex.query(geoms, predicate="intersects")
    pairs = left < right
    overlap = geoms.iloc[left[pairs]].intersection(geoms.iloc[right[pairs]], align=False)
    assert overlap.area.sum() < 1e-6


def test_registered_area_matches_except_two(parcels, expected):
    rel = parcels["registered_area_m2"].to_numpy() / ellipsoidal_areas(parcels) - 1
    off = set(parcels.loc[np.abs(rel) > 0.005, "parcel_id"])
    assert off == set(expected["area_mismatch_parcels"])
    assert len(off) == 2
    bad = np.abs(rel[parcels["parcel_id"].isin(off).to_numpy()])
    assert ((bad >= 0.03) & (bad <= 0.05)).all()


def test_ledger_figures_jan_oct_2023(ledger, expected):
    ev = live_events(ledger)
    ev = ev[(ev["event_date"] >= PERIOD[0]) & (ev["event_date"] <= PERIOD[1])]
    disp = ev[ev["stage"] == "disposed"]
    want = expected["ledger"]
    zombies = disp.loc[disp["zombie_cleared"].astype(bool), "parcel_id"].nunique()
    assert zombies == want["zombie_enterprises_cleared"] == 6
    assert round(disp["area_m2"].sum() * M2_TO_MU, 6) == want["disposed_mu"] == 175.8
    by_method = (disp.groupby("method")["area_m2"].sum() * M2_TO_MU).round(6)
    assert by_method.to_dict() == want["disposed_mu_by_method"]
    assert by_method.to_dict() == {
        "lease_then_transfer": 67.0,
        "agreement_transfer": 52.0,
        "merger": 56.8,
    }
    assert disp["new_holder"].dropna().nunique() == want["new_enterprises"] == 7
    auctions = ev[ev["method"] == "judicial_auction"].sort_values(["event_date", "event_id"])
    state = auctions.groupby("parcel_id").tail(1)
    done = state.loc[state["stage"] == "auction_completed", "area_m2"] * M2_TO_MU
    started = state.loc[state["stage"] == "auction_started", "area_m2"] * M2_TO_MU
    assert sorted(done.round(6), reverse=True) == want["auctions_completed_mu"]
    assert sorted(done.round(6)) == [26.0, 146.0]
    assert sorted(started.round(6)) == want["auctions_started_mu"] == [170.0]


def test_ledger_latest_stages(ledger, expected):
    ev = live_events(ledger)
    ev = ev[ev["event_date"] <= PERIOD[1]].sort_values(["event_date", "event_id"])
    latest = ev.groupby("parcel_id")["stage"].last()
    want = expected["ledger"]["parcels_by_latest_stage"]
    got = {s: sorted(latest[latest == s].index) for s in sorted(set(latest))}
    assert got == want
    for stage in ("remedy_start_pending", "recovery_in_progress", "investigating"):
        assert len(got[stage]) >= 2


def test_ledger_noise_present(ledger):
    dates = ledger["event_date"]
    assert (dates.dt.year == 2022).any()
    assert ((dates.dt.year == 2023) & (dates.dt.month >= 11)).any()
    assert ledger["corrects"].notna().sum() >= 1
    disp23 = ledger[(ledger["stage"] == "disposed") & (dates.dt.year == 2023)]
    twice = disp23.groupby("parcel_id").size()
    assert (twice >= 2).any()


def test_corrections_change_the_figure(ledger):
    """Ignoring the correction would give another total: the test above is real."""
    ev = ledger[(ledger["event_date"] >= PERIOD[0]) & (ledger["event_date"] <= PERIOD[1])]
    naive = ev.loc[ev["stage"] == "disposed", "area_m2"].sum() * M2_TO_MU
    assert round(naive, 6) != 175.8


def test_disposed_area_not_larger_than_parcel(parcels, ledger):
    area = pd.Series(ellipsoidal_areas(parcels), index=parcels["parcel_id"])
    ev = live_events(ledger).dropna(subset=["area_m2"])
    assert (ev["area_m2"].to_numpy() <= area[ev["parcel_id"]].to_numpy() + 1e-6).all()


def test_expected_json_consistent(parcels, expected):
    design = expected["parcels"]
    assert set(design) == set(parcels["parcel_id"])
    lifecycle = pd.Series([r["lifecycle"] for r in design.values()]).value_counts()
    assert lifecycle.to_dict() == expected["assessment"]["lifecycle"]
    stages = {
        "approved_unsupplied", "supplied_unused", "used_incomplete",
        "built_not_producing", "producing_below_target", "in_use",
    }  # fmt: skip
    assert stages <= set(lifecycle.index)
    assert set(expected["special_cases"].values()) <= set(design)


def test_regeneration_is_identical(tmp_path, parcels, ledger, expected):
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out-dir", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    new_gpkg = tmp_path / "sample_park.gpkg"
    new_parcels = gpd.read_file(new_gpkg, layer="parcels")
    pd.testing.assert_frame_equal(
        pd.DataFrame(new_parcels.drop(columns="geometry")),
        pd.DataFrame(parcels.drop(columns="geometry")),
    )
    assert (new_parcels.geometry.to_wkb() == parcels.geometry.to_wkb()).all()
    pd.testing.assert_frame_equal(pyogrio.read_dataframe(new_gpkg, layer="ledger"), ledger)
    new_expected = json.loads((tmp_path / "sample_park_expected.json").read_text())
    assert new_expected == expected


def test_issue_11_scope_and_overdue_completion_on_the_sample_park(parcels):
    """Issue 11 on the sample park, each figure derived from the raw fields by the rule text.

    逾期竣工: supplied by 2023-10-31 with an agreed completion date, and either neither
    completed nor producing by then with the agreed date passed (31 parcels) or completed
    after the agreed date (48): 79. Not applicable (亩均 class N): the 26 parcels whose
    land use is neither industrial nor storage (commercial 10, green 9, public 6, other 1);
    none of them fails a control indicator.
    """
    from landuse.io import read_parcels
    from landuse.rules import assess

    t = pd.Timestamp("2023-10-31")

    def d(c):
        return pd.to_datetime(parcels[c])

    supplied = d("supply_date") <= t
    done = (d("completion_date") <= t) | (d("production_date") <= t)
    agreed = d("agreed_completion_date")
    open_late = supplied & agreed.notna() & ~done & (agreed < t)
    done_late = supplied & agreed.notna() & (d("completion_date") <= t) & (
        d("completion_date") > agreed)
    assert (int(open_late.sum()), int(done_late.sum())) == (31, 48)
    other_use = ~parcels["land_use"].isin(["industrial", "storage"])
    assert int(other_use.sum()) == 26

    r = assess(read_parcels(GPKG), "2023-10-31").set_index("parcel_id")
    flagged = r["flags"].str.contains("overdue_completion")
    assert set(r.index[flagged]) == set(parcels["parcel_id"][open_late | done_late])
    na = r["mujun_class"] == "N"
    assert set(r.index[na]) == set(parcels["parcel_id"][other_use])
    assert not r.loc[na, "low_efficiency"].any()
    assert (r.loc[na, "failed_indicators"] == "").all()
