"""The sample park's supply records give the figures of sample_supply_expected.json
(worked out by the generator with plain sums over its design tables, not by landuse)."""

from __future__ import annotations

import json

import pytest

from landuse.io import read_ledger, read_parcels
from landuse.io.supply import read_supply
from landuse.supply import check_supply
from landuse.supply.summary import summarise
from tests.builders import ROOT

GEO = ROOT / "data" / "geo"
EXP = json.loads((GEO / "sample_supply_expected.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def summary():  # type: ignore[no-untyped-def]
    parcels = read_parcels(GEO / "sample_park.gpkg")
    d = read_supply(GEO / "sample_park_supply.gpkg")
    warnings = check_supply(d, parcels["parcel_id"])
    # quota used beyond its balance is a warning only: the shortfall is shown
    assert set(warnings["problem"].str.split(" ").str[-1]) == {"指标使用超出余额"}
    return d, summarise(d, EXP["as_of"], ledger=read_ledger(GEO / "sample_park.gpkg"),
                        parcels=parcels)


def test_counts(summary) -> None:  # type: ignore[no-untyped-def]
    d, _ = summary
    assert d.counts() == EXP["counts"]


def test_unsupplied_and_supply_rate(summary) -> None:  # type: ignore[no-untyped-def]
    _, s = summary
    got = {r["batch_id"]: s.mu(r["unsupplied_m2"]) for r in s.batches.to_dict("records")}
    assert got == EXP["unsupplied_mu_by_batch"]
    assert s.mu(s.batches["unsupplied_m2"].sum()) == EXP["unsupplied_mu"]
    assert s.supply_rate["batches"] == EXP["supply_rate"]["batches"]
    assert s.pct(s.supply_rate["rate"]) == EXP["supply_rate"]["rate_pct"]


def test_tasks(summary) -> None:  # type: ignore[no-untyped-def]
    _, s = summary
    got = [{"zone": r["zone"], "task_kind": r["task_kind"], "task_mu": s.mu(r["task_m2"]),
            "done_mu": s.mu(r["done_m2"]), "rate_pct": s.pct(r["rate"]),
            "met": bool(r["met"])} for r in s.tasks.to_dict("records")]
    assert got == EXP["tasks_2023"]


def test_suppliable_years_quota_plan(summary) -> None:  # type: ignore[no-untyped-def]
    _, s = summary
    assert s.idle["rate"] is None and EXP["idle_disposal_rate"] is None
    assert s.mu(s.suppliable["area_m2"].sum()) == EXP["suppliable_mu"]
    cat = s.suppliable.groupby("category")["area_m2"].sum()
    assert {k: s.mu(v) for k, v in cat.items()} == EXP["suppliable_mu_by_category"]
    y = s.years
    assert [y["first_year"], y["last_year"]] == EXP["years_left"]["window"]
    assert s.mu(y["supplied_m2"]) == EXP["years_left"]["supplied_mu"]
    assert s.figures().set_index("figure").loc["years_left", "value"] == \
        EXP["years_left"]["years"]
    q = {r["quota_kind"]: {"granted": s.mu(r["granted"]), "rewarded": s.mu(r["rewarded"]),
                           "used": s.mu(r["used"]), "deducted": s.mu(r["deducted"]),
                           "balance_mu": s.mu(r["balance"]),
                           "shortfall_mu": s.mu(r["shortfall"])}
         for r in s.quota.to_dict("records")}
    assert q == EXP["quota"]
    p = {r["use"]: {"planned_mu": s.mu(r["planned_m2"]), "supplied_mu": s.mu(r["supplied_m2"]),
                    "rate_pct": s.pct(r["rate"])} for r in s.plan.to_dict("records")}
    assert p == EXP["plan_2023"]


def test_the_seed_paragraph_figures(summary) -> None:  # type: ignore[no-untyped-def]
    _, s = summary
    assert s.headline() == {"supplied_count": EXP["supplied_count"],
                            "supplied_mu": EXP["supplied_mu"],
                            "mortgage_users": EXP["mortgage_users"],
                            "financed_yi": EXP["financed_yi"]}
    assert s.mortgages["registrations"] == EXP["mortgage_registrations"]
