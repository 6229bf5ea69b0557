"""The map's evidence layer and before/after view, and report rows linking to the map.

The sample park's evidence comes from the demo's evidence step (synthetic land cover on
two dates and footprints, run through ``landuse.evidence.run_evidence``); the browser tests
run Debian's chromium headless with every http(s) request aborted, pages opened from
file://.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.cli.report import load_inputs
from landuse.errors import SchemaError
from landuse.io import read_ledger, read_parcels
from landuse.io.evidence import read_evidence
from landuse.report import build_report, map_href_for, write_report
from landuse.report.evidence import reason_in
from landuse.webmap import make_map, write_map
from landuse.webmap.classes import LAYERS
from landuse.webmap.evidence import EVIDENCE_LAYERS
from tests.builders import fake_assess, synthetic_parcels
from tests.support.browser import click_parcel, file_url, offline_page, wait_rendered

N_LAYERS = len(LAYERS) + len(EVIDENCE_LAYERS)  # thematic + evidence layers (10)


@pytest.fixture(scope="module")
def park(sample_park: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample park assessed, its evidence (two dates, footprints) and its map."""
    from landuse.rules import assess
    from landuse_demo.steps import DemoContext, _step_evidence

    root = tmp_path_factory.mktemp("mapev")
    out, maps = root / "out" / "demo", root / "maps"
    out.mkdir(parents=True)
    maps.mkdir()
    ctx = DemoContext(sample_park, out, maps)
    _step_evidence(ctx)
    ev, outside = read_evidence(out / "evidence.gpkg")
    parcels = assess(read_parcels(sample_park), ctx.as_of)
    ledger = read_ledger(sample_park)
    path = maps / "sample_park.html"
    write_map(make_map(parcels, ledger, evidence=ev, outside_supply=outside), path)
    return {"root": root, "out": out, "maps": maps, "ctx": ctx, "ev": ev, "outside": outside,
            "parcels": parcels, "ledger": ledger, "map": path, "disp": parcels.to_crs(4326)}


def _clean(state: dict[str, list[str]]) -> None:
    assert state["network"] == [], f"network requests attempted: {state['network'][:5]}"
    assert state["console"] == [], f"console errors: {state['console'][:5]}"


def _hand_evidence(parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    """Evidence for every other parcel, made in code: shares, change and a few flags."""
    n = len(parcels)
    sel = np.arange(0, n, 2)
    rng = np.random.default_rng(7)
    before = rng.uniform(0, 1, len(sel))
    after = np.clip(before + rng.uniform(-0.2, 0.6, len(sel)), 0, 1)
    flags = ["built_but_recorded_unstarted" if k % 7 == 0 else "" for k in range(len(sel))]
    return pd.DataFrame({
        "parcel_id": parcels["parcel_id"].to_numpy()[sel],
        "builtup_share": after, "builtup_share_before": before, "builtup_change": after - before,
        "bare_share": 1 - after, "vegetation_share": 0.0, "water_share": 0.0,
        "evidence_date": pd.Timestamp("2023-10-31"),
        "evidence_date_before": pd.Timestamp("2021-10-31"),
        "records_disagree": flags,
        "evidence_warnings": "",
        "evidence_reasons": ["台账记录未动工，但影像建设用地占 70% / recorded as not started, but "
                             "built-up share 70%" if f else "" for f in flags],
    })


# ----------------------------------------------------------------------------- pure


def test_evidence_layers_in_the_map_config(park: dict[str, Any]) -> None:
    ev, parcels = park["ev"], park["parcels"]
    wm = make_map(parcels, park["ledger"], evidence=ev, outside_supply=park["outside"])
    layers = {s["key"]: s for s in wm.config["layers"]}
    assert list(layers)[-4:] == ["evidence", "ev_before", "ev_after", "ev_change"]
    assert wm.config["nc"] == len(layers) == N_LAYERS
    # the imagery dates as a land office writes them in Chinese
    assert "2021年10月31日" in layers["ev_before"]["title"]
    assert "2023年10月31日" in layers["ev_after"]["title"]
    assert wm.config["evDates"] == {"before": "2021年10月31日", "after": "2023年10月31日"}
    # legend counts: one class per flag, the rest agree or carry warnings only
    counts = {c["code"]: c["count"] for c in layers["evidence"]["classes"]}
    flagged = ev["records_disagree"].astype(str).str.len() > 0
    single = ev.loc[flagged, "records_disagree"].str.count(";") == 0
    assert counts["multi"] == int((~single).sum())
    assert counts["built_but_recorded_unstarted"] == int(
        (ev["records_disagree"] == "built_but_recorded_unstarted").sum())
    assert sum(counts.values()) == len(ev)
    # before/after shares: every parcel with a share is drawn once
    assert sum(c["count"] for c in layers["ev_after"]["classes"]) == int(
        ev["builtup_share"].notna().sum())
    # popups carry the evidence, with the reason in the map's language
    feats = wm.config["source"]["feats"]
    assert len(feats[0]) >= 1 + N_LAYERS + 6 + 1
    recs = {r["id"]: r for r in wm.config["source"]["recs"]}
    pid = str(ev.loc[flagged, "parcel_id"].iloc[0])
    e = recs[pid]["ev"]
    assert e["dc"] == str(ev.set_index("parcel_id").loc[pid, "records_disagree"]).split(";")
    assert e["r"] and all(re.search(r"[\u4e00-\u9fff]", s) for s in e["r"])
    assert wm.config["outside"]["features"], "outside-supply buildings drawn"
    en = make_map(parcels, park["ledger"], evidence=ev, lang="en")
    e_en = {r["id"]: r for r in en.config["source"]["recs"]}[pid]["ev"]
    assert e_en["r"] == reason_in(ev.set_index("parcel_id").loc[pid, "evidence_reasons"], "en")
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(e_en["dis"]))


def test_single_date_evidence_has_no_before_after(park: dict[str, Any]) -> None:
    ev = park["ev"].drop(columns=["builtup_share_before", "builtup_change",
                                  "evidence_date_before"])
    wm = make_map(park["parcels"], evidence=ev)
    keys = [s["key"] for s in wm.config["layers"]]
    assert "ev_before" not in keys and "ev_change" not in keys
    assert "ev_after" in keys


def test_evidence_for_unknown_parcel_is_refused(park: dict[str, Any]) -> None:
    ev = park["ev"].copy()
    ev.loc[ev.index[0], "parcel_id"] = "NOPE-1"
    with pytest.raises(SchemaError, match="NOPE-1"):
        make_map(park["parcels"], evidence=ev)


def test_tiled_map_carries_evidence_in_tiles_and_chunks(tmp_path: Path) -> None:
    parcels = fake_assess(synthetic_parcels(6000))
    wm = make_map(parcels, evidence=_hand_evidence(parcels))
    assert wm.tiled is not None
    path = tmp_path / "big.html"
    write_map(wm, path)
    nc = wm.config["nc"]
    assert nc == N_LAYERS
    tile = next((tmp_path / "big_files" / "tiles").rglob("*.js"))
    rows = json.loads(re.search(r"LU\.tile\(\"[^\"]+\",(.*)\);", tile.read_text()).group(1))
    assert all(isinstance(v, int) for v in rows[0][: 1 + nc])
    assert isinstance(rows[0][1 + nc], list)
    attr = (tmp_path / "big_files" / "attr" / "0.js").read_text("utf-8")
    assert '"ev":' in attr and "built_but_recorded_unstarted" in attr


def test_pbf_tiles_carry_evidence_classes(tmp_path: Path) -> None:
    import mapbox_vector_tile

    from landuse.webmap import write_tiles

    parcels = fake_assess(synthetic_parcels(300))
    wm = make_map(parcels, evidence=_hand_evidence(parcels), tiled=True)
    write_tiles(wm, tmp_path, fmt="pbf")
    tile = next((tmp_path / "tiles").rglob("*.pbf"))
    feats = mapbox_vector_tile.decode(tile.read_bytes())["p"]["features"]
    assert {f"c{j}" for j in range(N_LAYERS)} <= set(feats[0]["properties"])


def test_report_links_parcel_ids_to_the_map(park: dict[str, Any]) -> None:
    ctx = park["ctx"]
    parcels, led = load_inputs(ctx.sample, None, ctx.as_of, "zh")
    data = build_report(parcels, led, *ctx.period, as_of=ctx.as_of, evidence=park["ev"],
                        outside_supply=park["outside"])
    report = park["out"] / "report.html"
    href = map_href_for(park["map"], report)
    assert href == "../../maps/sample_park.html"
    write_report(data, report, overwrite=True, map_href=href)
    html = report.read_text("utf-8")
    for key in ("idle_parcels", "low_efficiency", "flagged_parcels", "records_disagree",
                "events"):
        table = re.search(rf'<table data-table="{key}">(.*?)</table>', html, re.S)
        assert table, key
        col = data.table(key).keys.index("parcel_id")
        ids = [str(r[col]) for r in data.table(key).rows]
        links = re.findall(r'class="parcel-link" data-parcel="([^"]+)" href="([^"]+)"',
                           table.group(1))
        assert links, key
        assert {p for p, _ in links} == set(ids) & set(parcels["parcel_id"])
        assert all(h == f"{href}#parcel={p}" for p, h in links)
    # without a map: no links (the other formats never carry them)
    write_report(data, report, overwrite=True)
    assert 'class="parcel-link"' not in report.read_text("utf-8")


def test_cli_map_evidence_and_report_map(park: dict[str, Any], sample_park: Path) -> None:
    runner = CliRunner()
    root = park["root"] / "cli"
    m = root / "maps" / "park.html"
    r = runner.invoke(cli, ["map", str(sample_park), "--as-of", "2023-10-31", "--evidence",
                            str(park["out"] / "evidence.gpkg"), "-o", str(m)])
    assert r.exit_code == 0, r.output
    page = m.read_text("utf-8")
    cfg = json.loads(re.search(r"window\.LU_CONFIG = (\{.*?\});\n", page).group(1))
    assert [s["key"] for s in cfg["layers"]][-4:] == ["evidence", "ev_before", "ev_after",
                                                     "ev_change"]
    assert cfg["outside"]["features"]
    rep = root / "out" / "r.html"
    r = runner.invoke(cli, ["report", str(sample_park), "--from", "2023-01-01", "--to",
                            "2023-10-31", "--map", str(m), "-o", str(rep), "-o",
                            str(root / "out" / "r.json")])
    assert r.exit_code == 0, r.output
    assert 'href="../maps/park.html#parcel=' in rep.read_text("utf-8")
    r = runner.invoke(cli, ["report", str(sample_park), "--from", "2023-01-01", "--to",
                            "2023-10-31", "--map", str(root / "none.html"), "-o",
                            str(root / "x.html")])
    assert r.exit_code != 0 and "none.html" in r.output and "Fix" in r.output


# ----------------------------------------------------------------------------- browser



@pytest.mark.browser
def test_evidence_layer_in_browser(park: dict[str, Any], chromium_path: str,
                                   artifacts: Path) -> None:
    ev, parcels, disp = park["ev"], park["parcels"], park["disp"]
    flagged = ev[ev["records_disagree"].astype(str).str.len() > 0]
    pid = str(flagged["parcel_id"].iloc[0])
    flag = str(flagged["records_disagree"].iloc[0]).split(";")[0]
    i = int(np.flatnonzero(parcels["parcel_id"].to_numpy() == pid)[0])
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(park["map"]))
        wait_rendered(page)
        assert page.evaluate("LU.map.hasLayer(LU.layers.evidence)") is False
        page.locator(".leaflet-control-layers-overlays label", has_text="五未阶段").click()
        page.locator(".leaflet-control-layers-overlays label", has_text="影像证据").click()
        wait_rendered(page)
        assert page.evaluate("LU.map.hasLayer(LU.layers.evidence)") is True
        assert page.evaluate("LU.renderedInView('evidence')") == len(ev)
        rows = page.locator(".lu-legend-layer[data-layer=evidence] .lu-legend-row")
        legend = {rows.nth(k).get_attribute("data-code"): int(rows.nth(k).get_attribute(
            "data-count")) for k in range(rows.count())}
        assert sum(legend.values()) == len(ev) and legend.get("agree", 0) > 0
        page.screenshot(path=str(artifacts / "webmap_evidence_layer.png"))

        # a discrepancy parcel's popup shows its flag and reason, in Chinese
        x0, y0, x1, y1 = disp.geometry.iloc[i].bounds
        page.evaluate("(b) => LU.map.fitBounds(L.latLngBounds(b), {maxZoom: 17, animate: false})",
                      [[y0, x0], [y1, x1]])
        wait_rendered(page)
        click_parcel(page, disp, i)
        page.wait_for_selector(".lu-evidence")
        assert page.locator(".lu-popup").get_attribute("data-parcel") == pid
        box = page.locator(".lu-evidence")
        assert flag in box.get_attribute("data-disagree").split(";")
        from landuse.report.text import label

        text = box.inner_text()
        assert label("records_disagree", flag, "zh") in text
        reason = reason_in(flagged["evidence_reasons"].iloc[0], "zh")[0]
        assert reason in text
        assert "建设用地" in text and "%" in text
        page.wait_for_timeout(400)
        page.screenshot(path=str(artifacts / "webmap_evidence_popup.png"))

        # toggling the layer off hides it again
        page.evaluate("LU.map.closePopup()")
        page.locator(".leaflet-control-layers-overlays label", has_text="影像证据").click()
        assert page.evaluate("LU.renderedInView('evidence')") == 0
        assert page.locator(".lu-legend-layer[data-layer=evidence]").count() == 0
        _clean(state)


@pytest.mark.browser
def test_before_after_view_in_browser(park: dict[str, Any], chromium_path: str,
                                      artifacts: Path) -> None:
    parcels, disp, ev = park["parcels"], park["disp"], park["ev"]
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(park["map"]))
        wait_rendered(page)
        labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert any("前期" in t and "2021年10月31日" in t for t in labels)
        assert any("后期" in t and "2023年10月31日" in t for t in labels)
        assert any("2021年10月31日 → 2023年10月31日" in t for t in labels)
        page.click(".lu-compare-btn")
        wait_rendered(page)
        assert page.evaluate("LU.map.hasLayer(LU.layers.ev_before)") is True
        assert page.evaluate("LU.map.hasLayer(LU.layers.ev_after)") is True
        assert page.evaluate("LU.map.hasLayer(LU.layers.stage)") is False
        tags = page.locator(".lu-swipe-tag").all_inner_texts()
        assert "2021年10月31日" in tags[0] and "2023年10月31日" in tags[1]
        legend = page.locator(".lu-legend").inner_text()
        assert "2021年10月31日" in legend and "2023年10月31日" in legend
        # the divider splits the view: before clipped to its left, after to its right
        page.evaluate("LU.compare(true, 0.3)")
        clip_b = page.evaluate("LU.layers.ev_before.getContainer().style.clip")
        clip_a = page.evaluate("LU.layers.ev_after.getContainer().style.clip")
        nums_b = [float(v) for v in re.findall(r"-?[\d.]+", clip_b)]
        nums_a = [float(v) for v in re.findall(r"-?[\d.]+", clip_a)]
        width = page.evaluate("LU.map.getSize().x")
        assert nums_b[1] - nums_b[3] == pytest.approx(0.3 * width, abs=1)  # right - left
        assert nums_a[3] == pytest.approx(nums_b[1], abs=0.01)
        # the change layer: a parcel that gained built-up area is in a "rose" class
        page.click(".lu-compare-btn")
        page.locator(".leaflet-control-layers-overlays label", has_text="变化").click()
        wait_rendered(page)
        rows = page.locator(".lu-legend-layer[data-layer=ev_change] .lu-legend-row")
        got = {rows.nth(k).get_attribute("data-code"): int(rows.nth(k).get_attribute(
            "data-count")) for k in range(rows.count())}
        ch = ev["builtup_change"].dropna()
        assert got.get("rise_big", 0) == int((ch >= 0.3).sum())
        page.click(".lu-compare-btn")
        page.evaluate("LU.compare(true, 0.5)")
        i = int(np.flatnonzero(parcels["zone"].notna().to_numpy())[0])
        page.evaluate("(z) => LU.zoomToZone(z)", parcels["zone"].iloc[i])
        wait_rendered(page)
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts / "webmap_before_after.png"))
        assert disp is not None
        _clean(state)


@pytest.mark.slow
@pytest.mark.browser
def test_tiled_evidence_map_from_file_url(tmp_path: Path, chromium_path: str,
                                          artifacts: Path) -> None:
    parcels = fake_assess(synthetic_parcels(6000))
    ev = _hand_evidence(parcels)
    path = tmp_path / "big.html"
    write_map(make_map(parcels, evidence=ev, lang="en"), path)
    pid = str(ev.loc[ev["records_disagree"] != "", "parcel_id"].iloc[3])
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(path) + f"#parcel={pid}")
        wait_rendered(page, 30000)
        assert page.evaluate("LU_CONFIG.source.kind") == "chunks"
        page.wait_for_selector(".lu-evidence")
        assert page.locator(".lu-popup").get_attribute("data-parcel") == pid
        text = page.locator(".lu-evidence").inner_text()
        assert "built up though recorded not started" in text
        assert "Recorded as not started" in text and "2021-10-31" in text
        page.evaluate("LU.map.closePopup()")
        page.locator(".leaflet-control-layers-overlays label", has_text="Imagery evidence").click()
        wait_rendered(page, 30000)
        ids = page.evaluate("LU.renderedIdsInView('evidence')")
        assert ids, "evidence layer drawn from the tile chunks"
        with_ev = set(np.flatnonzero(parcels["parcel_id"].isin(ev["parcel_id"]).to_numpy()))
        assert set(ids) <= with_ev  # parcels without evidence are not drawn in it
        page.evaluate("LU.compare(true, 0.5)")
        wait_rendered(page, 30000)
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts / "webmap_tiled_evidence.png"))
        _clean(state)


@pytest.mark.browser
def test_report_link_opens_parcel_on_map(park: dict[str, Any], chromium_path: str,
                                         artifacts: Path) -> None:
    ctx = park["ctx"]
    parcels, led = load_inputs(ctx.sample, None, ctx.as_of, "zh")
    data = build_report(parcels, led, *ctx.period, as_of=ctx.as_of, evidence=park["ev"])
    report = park["out"] / "report_link.html"
    write_report(data, report, overwrite=True, map_href=map_href_for(park["map"], report))
    table = data.table("records_disagree")
    pid = str(table.rows[0][table.keys.index("parcel_id")])
    with offline_page(chromium_path) as (page, state):
        page.goto(file_url(report))
        link = page.locator(f'table[data-table="records_disagree"] a[data-parcel="{pid}"]')
        link.click()
        page.wait_for_url(re.compile(r"sample_park\.html#parcel="))
        assert page.url == file_url(park["map"]) + f"#parcel={pid}"
        wait_rendered(page)
        page.wait_for_selector(".lu-popup")
        assert page.locator(".lu-popup").get_attribute("data-parcel") == pid
        assert page.locator(".lu-disagree").count() == 1
        page.wait_for_timeout(400)
        page.screenshot(path=str(artifacts / "report_link_to_map.png"))
        # back in the report, an idle parcel's link works too
        page.go_back()
        idle = data.table("idle_parcels")
        pid2 = str(idle.rows[0][idle.keys.index("parcel_id")])
        page.locator(f'table[data-table="idle_parcels"] a[data-parcel="{pid2}"]').click()
        page.wait_for_url(re.compile(re.escape(f"#parcel={pid2}") + "$"))
        wait_rendered(page)
        page.wait_for_function(f"LU.openParcelId === {json.dumps(pid2)}")
        _clean(state)
