"""The map's supply overlays on the sample park: batches by share not supplied, reserve by
readiness, land still suppliable (classes worked out from sample_supply_expected.json and
the generator's design table)."""

from __future__ import annotations

import json

from landuse.io import read_ledger, read_parcels
from landuse.io.supply import read_supply
from landuse.rules import assess
from landuse.supply.summary import summarise
from landuse.webmap import make_map
from landuse.webmap.supply import SHARE_CLASSES
from tests.builders import ROOT

GEO = ROOT / "data" / "geo"
EXP = json.loads((GEO / "sample_supply_expected.json").read_text("utf-8"))


def test_the_three_overlays() -> None:
    parcels = read_parcels(GEO / "sample_park.gpkg")
    ledger = read_ledger(GEO / "sample_park.gpkg")
    d = read_supply(GEO / "sample_park_supply.gpkg")
    s = summarise(d, EXP["as_of"], ledger=ledger, parcels=parcels)
    wm = make_map(assess(parcels, EXP["as_of"]), ledger, supply=(d, s))
    over = {o["key"]: o for o in wm.config["supply"]}
    assert [o["title"] for o in wm.config["supply"]] == [
        "报批批次（批而未供占比）", "储备土地（供地条件）", "尚可供应土地"]
    colour = {k: c for k, _, c in SHARE_CLASSES}
    tips = {f["properties"]["tip"].split("：")[0]: f["properties"]["color"]
            for f in over["batches"]["geojson"]["features"]}
    assert len(tips) == EXP["counts"]["batches"]
    # DZ2018 fully supplied; FB2018 5.3 %; DZ2019 36.7 %; YS2021 100 % not supplied
    assert tips["批次DZ2018"] == colour["sup_share_none"]
    assert tips["批次FB2018"] == colour["sup_share_low"]
    assert tips["批次DZ2019"] == colour["sup_share_mid"]
    assert tips["批次YS2021"] == colour["sup_share_high"]
    stages = [f["properties"]["tip"].split("，")[-1]
              for f in over["reserve"]["geojson"]["features"]]
    assert stages == ["净地待供"] * 4 + ["征收中", "收储中", "已供应"]
    cats = [f["properties"]["tip"].split("，")[-1]
            for f in over["suppliable"]["geojson"]["features"]]
    assert cats == ["尚可供应工矿仓储", "尚可供应工矿仓储", "其他尚可有偿使用", "尚可划拨"]
    lon, lat = over["reserve"]["geojson"]["features"][0]["geometry"]["coordinates"][0][0]
    assert 116 < lon < 117 and 27 < lat < 29  # drawn in longitude/latitude


def test_no_overlays_without_supply_records() -> None:
    parcels = read_parcels(GEO / "sample_park.gpkg")
    wm = make_map(assess(parcels, EXP["as_of"]), read_ledger(GEO / "sample_park.gpkg"))
    assert "supply" not in wm.config
