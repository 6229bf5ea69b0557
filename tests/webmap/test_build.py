"""Web map: classes and legend, GCJ-02, offline assets, sizes, outputs, CLI (no browser)."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Geod

from landuse.cli import cli
from landuse.errors import CRSError, DataSourceError, OutputExistsError, SchemaError
from landuse.standard import code_label
from landuse.webmap import make_map, wgs84_to_gcj02, write_map, write_tiles
from landuse.webmap.build import _render
from landuse.webmap.classes import (
    LAYERS,
    changed_rows,
    classify_layers,
    date_classes,
    effective_ledger,
    patch_layers,
)
from tests.builders import fake_assess, synthetic_parcels, tiny_register
from tests.support.browser import fetched_urls

GEOD = Geod(ellps="WGS84")


# ------------------------------------------------------------------------ GCJ-02
@pytest.mark.parametrize(
    "lon, lat", [(121.4737, 31.2304), (116.3975, 39.9087), (116.358, 27.948), (113.26, 23.13)]
)
def test_gcj02_matches_reference_within_one_metre(lon: float, lat: float) -> None:
    # Reference: the PyPI package eviltransform 0.1.1 (wgs2gcj), a test-only dependency.
    import eviltransform  # in the dev extra: a missing reference must fail, not skip
    ref_lat, ref_lon = eviltransform.wgs2gcj(lat, lon)
    got_lon, got_lat = wgs84_to_gcj02(lon, lat)
    _, _, dist = GEOD.inv(float(got_lon), float(got_lat), ref_lon, ref_lat)
    assert dist < 1.0
    # and the shift itself is the few hundred metres users see on AMap
    _, _, shift = GEOD.inv(lon, lat, float(got_lon), float(got_lat))
    assert 100 < shift < 800


def test_gcj02_fixed_reference_value() -> None:
    # Tiananmen (116.3975, 39.9087) → eviltransform 0.1.1 gives (116.403740, 39.910102)
    lon, lat = wgs84_to_gcj02(116.3975, 39.9087)
    _, _, dist = GEOD.inv(float(lon), float(lat), 116.40374, 39.910102)
    assert dist < 1.0


def test_gcj02_leaves_points_outside_china() -> None:
    lon, lat = wgs84_to_gcj02(np.array([2.35, 121.47]), np.array([48.85, 31.23]))
    assert lon[0] == 2.35 and lat[0] == 48.85
    assert lon[1] != 121.47


def test_amap_shift_is_display_only() -> None:
    parcels = fake_assess(tiny_register())
    before = parcels.copy()
    plain = make_map(parcels)
    shifted = make_map(parcels, basemap="amap")
    pd.testing.assert_frame_equal(pd.DataFrame(parcels.drop(columns="geometry")),
                                  pd.DataFrame(before.drop(columns="geometry")))
    assert parcels.geometry.geom_equals(before.geometry).all()
    a = plain.config["source"]["feats"][0]
    b = shifted.config["source"]["feats"][0]
    k = 1 + len(LAYERS) + 4  # fid, one class per layer, bbox, then a point inside
    _, _, d = GEOD.inv(a[k], a[k + 1], b[k], b[k + 1])
    assert 300 < d < 800  # drawn ~500 m away ...
    assert plain.config["layers"] == shifted.config["layers"]  # ... areas untouched
    assert shifted.config["shifted"] == "gcj02"
    assert plain.config["totalMu"] == pytest.approx(parcels["area_mu"].sum(), abs=0.01)


# ------------------------------------------------------------------------ classes, legend
def test_legend_counts_and_mu_match_data() -> None:
    parcels = fake_assess(synthetic_parcels(400))
    codes, specs, _ = classify_layers(parcels)
    stage = specs[0]
    for c in stage.classes:
        sel = parcels["lifecycle"] == c.code
        assert c.count == int(sel.sum())
        assert c.mu == pytest.approx(parcels.loc[sel, "area_mu"].sum())
    idle = specs[1]
    assert sum(c.count for c in idle.classes) == int((parcels["idle_type"] != "none").sum())
    over2 = next(c for c in idle.classes if c.code == "not_started:over2")
    assert over2.count == int(((parcels["idle_type"] == "not_started")
                               & (parcels["overdue_days"] >= 730)).sum())
    low = specs[2]
    multi = next(c for c in low.classes if c.code == "multi")
    assert multi.count == int(parcels["failed_indicators"].fillna("").str.contains(";").sum())
    assert (codes[:, LAYERS.index("mujun")] >= 0).sum() == parcels["mujun_class"].notna().sum()


def _ledger() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["E1", "E2", "E3", "E4"],
        "parcel_id": ["T-0", "T-0", "T-1", "T-1"],
        "event_date": pd.to_datetime(["2022-01-05", "2022-06-01", "2022-03-01", "2022-04-01"]),
        "stage": ["investigating", "disposed", "disposed", "disposed"],
        "method": [None, "judicial_auction", "free_recovery", "merger"],
        "area_m2": [None, 6000.0, 3000.0, 3000.0],
        "corrects": [None, None, None, "E3"],
    })


def test_reclaimed_layer_uses_effective_events_after_corrections() -> None:
    parcels = fake_assess(tiny_register())
    _, specs, eff = classify_layers(parcels, _ledger())
    rec = specs[3]
    by_code = {c.code: c.count for c in rec.classes}
    # T-1's free_recovery (E3) was corrected by E4 (merger): only the merger counts
    assert by_code["merger"] == 1 and by_code["free_recovery"] == 0
    assert by_code["judicial_auction"] == 1
    assert eff is not None and eff.set_index("event_id").loc["E3", "superseded_by"] == "E4"
    wm = make_map(parcels, _ledger())
    rec1 = wm.config["source"]["recs"][1]
    assert [e[7] for e in rec1["lh"]] == ["E3", "E4"] and rec1["lh"][0][6] == "E4"


def _two_year_ledger() -> pd.DataFrame:
    """A hand-made ledger over 2022-2023, with corrections that move a date and a method."""
    return pd.DataFrame({
        "event_id": ["A1", "A2", "B1", "B2", "C1", "C2", "D1", "E1", "F1", "F2"],
        "parcel_id": ["T-0", "T-0", "T-1", "T-1", "T-2", "T-2", "T-3", "T-4", "T-5", "T-5"],
        "event_date": pd.to_datetime([
            "2022-03-01", "2022-11-20",   # T-0: disposed in 2022
            "2023-02-10", "2023-08-15",   # T-1: B2 corrects B1 -> disposed in 2023 Q3
            "2023-01-05", "2023-05-30",   # T-2: disposed 2023 Q2
            "2023-05-02",                 # T-3: disposed 2023 Q2
            "2023-09-01",                 # T-4: only investigating -> not in the date layer
            "2023-10-10", "2023-11-01",   # T-5: F2 corrects F1 (disposed) -> in progress
        ]),
        "stage": ["investigating", "disposed", "disposed", "disposed", "negotiating",
                  "disposed", "disposed", "investigating", "disposed", "negotiating"],
        "method": [None, "judicial_auction", "free_recovery", "merger", None,
                   "lease_then_transfer", "agreement_transfer", None, "merger", None],
        "area_m2": [None, 6000.0, 3000.0, 3000.0, None, 2000.0, 5000.0, None, 1000.0, None],
        "corrects": [None, None, None, "B1", None, None, None, None, None, "F1"],
    })


def test_reclaimed_by_date_classes_and_legend_two_years() -> None:
    parcels = fake_assess(tiny_register())
    codes, specs, _ = classify_layers(parcels, _two_year_ledger())
    j = LAYERS.index("reclaim_date")
    spec = specs[j]
    assert spec.key == "reclaim_date" and spec.title == "盘活时间(处置日期)"
    # two years -> the year before as one class, then the quarters of the latest year
    assert [c.code for c in spec.classes] == ["2022", "2023-Q1", "2023-Q2", "2023-Q3",
                                             "2023-Q4"]
    assert [c.label for c in spec.classes] == ["2022年", "2023年第1季度", "2023年第2季度",
                                              "2023年第3季度", "2023年第4季度"]
    assert len({c.color for c in spec.classes}) == 5
    mu = parcels.set_index("parcel_id")["area_mu"]
    got = {c.code: (c.count, round(c.mu, 6)) for c in spec.classes}
    assert got == {
        "2022": (1, round(mu["T-0"], 6)),
        "2023-Q1": (0, 0.0),  # B1's February date was corrected to August (B2)
        "2023-Q2": (2, round(mu["T-2"] + mu["T-3"], 6)),
        "2023-Q3": (1, round(mu["T-1"], 6)),
        "2023-Q4": (0, 0.0),  # T-5's disposal was corrected to "negotiating"
    }
    by_row = dict(zip(parcels["parcel_id"], codes[:, j].tolist(), strict=True))
    assert by_row["T-4"] == -1 and by_row["T-5"] == -1
    assert spec.classes[by_row["T-1"]].code == "2023-Q3"
    # the method layer agrees: T-1 is a merger (corrected), T-5 in progress
    rec = {c.code: c.count for c in specs[LAYERS.index("reclaim")].classes}
    assert rec["merger"] == 1 and rec["free_recovery"] == 0 and rec["in_progress"] == 2
    # English legend, and the tooltip/popup record carries the effective date and method
    _, specs_en, _ = classify_layers(parcels, _two_year_ledger(), "en")
    assert [c.label for c in specs_en[j].classes][:2] == ["2022", "2023 Q1"]
    wm = make_map(parcels, _two_year_ledger())
    recs = {r["id"]: r for r in wm.config["source"]["recs"]}
    assert (recs["T-1"]["rd"], recs["T-1"]["rm"]) == ("2023-08-15",
                                                      code_label("method", "merger", "zh"))
    assert "rd" not in recs["T-5"] and "rd" not in recs["T-4"]
    layer = next(s for s in wm.config["layers"] if s["key"] == "reclaim_date")
    assert sum(c["count"] for c in layer["classes"]) == 4


def test_reclaimed_by_date_uses_years_over_a_long_ledger() -> None:
    days = [pd.Timestamp(d) for d in ("2014-06-01", "2016-02-01", "2019-07-01", "2020-01-01",
                                      "2023-12-31", "2023-01-01")]
    spec, period_of = date_classes(days, "zh")
    assert [c.code for c in spec.classes] == ["<=2017", "2018", "2019", "2020", "2021", "2022",
                                             "2023"]
    assert spec.classes[0].label == "2017年及以前"
    assert [period_of(d) for d in days] == ["<=2017", "<=2017", "2019", "2020", "2023", "2023"]
    spec3, _ = date_classes([pd.Timestamp("2021-05-01"), pd.Timestamp("2023-05-01")], "en")
    assert [c.code for c in spec3.classes] == ["2021", "2022", "2023"]
    one, period_of1 = date_classes([pd.Timestamp("2023-05-01")], "en")
    assert [c.label for c in one.classes] == ["2023 Q1", "2023 Q2", "2023 Q3", "2023 Q4"]
    assert period_of1(pd.Timestamp("2023-12-31")) == "2023-Q4"
    assert date_classes([], "zh")[0].classes == []


def test_cells_are_read_as_text_trimmed_blank_as_missing() -> None:
    """A cell with spaces around the code is the code; a blank or missing stage is
    unknown; a failed-indicator list with empty parts counts only the named ones."""
    parcels = fake_assess(tiny_register())
    parcels["lifecycle"] = [" in_use ", "", None, "supplied_unused", "in_use", "in_use"]
    parcels["idle_type"] = ["none", "none", "none", " not_started", None, "none"]
    parcels["overdue_days"] = [np.nan, np.nan, np.nan, 800.0, np.nan, np.nan]
    parcels["recovery_candidate"] = pd.array([False] * 6, dtype="boolean")
    parcels["low_efficiency"] = pd.array([False, False, False, False, True, True],
                                         dtype="boolean")
    parcels["failed_indicators"] = [None, " ; ", None, None, "far ;", "x; y"]
    parcels["mujun_class"] = [" A", "Z", None, "N", "B", "D"]
    codes, specs, _ = classify_layers(parcels)

    def code(layer: str, row: int) -> str | None:
        j = LAYERS.index(layer)
        return None if codes[row, j] < 0 else specs[j].classes[codes[row, j]].code

    assert [code("stage", r) for r in range(6)] == [
        "in_use", "unknown", "unknown", "supplied_unused", "in_use", "in_use"]
    assert [code("idle", r) for r in range(6)] == [None, None, None, "not_started:over2",
                                                   None, None]
    # row 1: not low, no indicator named; row 4: one; row 5: two, neither known
    assert [code("low", r) for r in range(6)] == [None, None, None, None, "far",
                                                  "multi"]
    assert [code("mujun", r) for r in range(6)] == ["A", None, None, "N", "B", "D"]


def test_patched_classes_equal_a_whole_classification() -> None:
    """Parcels whose assessment changed are classified again; the others keep their
    classes; counts, 亩 and the date classes (a disposal in a new year) are made again."""
    parcels = fake_assess(synthetic_parcels(400))
    ledger = _two_year_ledger()
    ids = parcels["parcel_id"].astype(str).tolist()
    ledger["parcel_id"] = ledger["parcel_id"].map({f"T-{k}": ids[k] for k in range(6)})
    codes, specs, _ = classify_layers(parcels, ledger)
    assert [c.code for c in specs[LAYERS.index("reclaim_date")].classes] == [
        "2022", "2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
    after = parcels.copy()
    after.loc[after.index[10], "lifecycle"] = "in_use"
    after.loc[after.index[11], "idle_type"] = "none"
    after.loc[after.index[12], "failed_indicators"] = None
    after.loc[after.index[13], "low_efficiency"] = True
    after.loc[after.index[14], "mujun_class"] = "T"
    after.loc[after.index[15], "overdue_days"] = 2000.0
    later = pd.concat([ledger, pd.DataFrame({
        "event_id": ["G1"], "parcel_id": [ids[6]], "event_date": pd.to_datetime(["2024-02-01"]),
        "stage": ["disposed"], "method": ["merger"], "area_m2": [100.0],
        "corrects": [None]})], ignore_index=True)
    rows = changed_rows(parcels, after)
    assert set(rows.tolist()) <= {10, 11, 12, 13, 14, 15} and 10 in rows and 14 in rows
    got, got_specs, _ = patch_layers(codes, after, rows, later)
    whole, whole_specs, _ = classify_layers(after, later)
    assert (got == whole).all()
    assert [s.to_json() for s in got_specs] == [s.to_json() for s in whole_specs]
    # disposals in 2022-2023 were read by 2023's quarters; with one in 2024 they span three
    # years: one class per year (date_classes)
    assert [c.code for c in got_specs[LAYERS.index("reclaim_date")].classes] == [
        "2022", "2023", "2024"]
    # rows left out of the patch keep their earlier classes (what "patched" means)
    stale, _, _ = patch_layers(codes, after, np.array([], dtype=int), later)
    assert stale[10, LAYERS.index("stage")] == codes[10, LAYERS.index("stage")]


@pytest.mark.parametrize(
    "change, match",
    [({"parcel_id": ["T-0", "T-0", "T-1", "NOPE"]}, r"row 3 .*'parcel_id' 'NOPE'"),
     ({"corrects": [None, None, None, "E9"]}, r"row 3 .*'corrects' names event 'E9'")],
)
def test_bad_ledger_rows_are_named(change: dict, match: str) -> None:
    led = _ledger().assign(**change)
    with pytest.raises(SchemaError, match=match):
        effective_ledger(led, pd.Series([f"T-{k}" for k in range(6)]))


# ------------------------------------------------------------------------ inputs
def test_refuses_unassessed_parcels() -> None:
    with pytest.raises(SchemaError, match=r"assessment columns .*lifecycle.*Fix"):
        make_map(tiny_register())


def test_refuses_missing_crs() -> None:
    p = fake_assess(tiny_register())
    p = gpd.GeoDataFrame(p.drop(columns="geometry"), geometry=list(p.geometry), crs=None)
    with pytest.raises(CRSError, match="no CRS"):
        make_map(p)


def test_tianditu_needs_key_and_key_goes_only_into_tile_urls() -> None:
    p = fake_assess(tiny_register())
    with pytest.raises(DataSourceError, match="TIANDITU_KEY"):
        make_map(p, basemap="tianditu-vec")
    key = "abc123secretkey"
    html = _render(make_map(p, basemap="tianditu-img", tianditu_key=key), None)
    hits = [m.start() for m in re.finditer(key, html)]
    assert len(hits) == 2  # imagery + labels URL templates, nowhere else
    for pos in hits:
        assert "tianditu.gov.cn" in html[pos - 250:pos]


# ------------------------------------------------------------------------ offline, size
def test_page_fetches_nothing_from_the_network() -> None:
    html = _render(make_map(fake_assess(tiny_register())), None)
    assert fetched_urls(html) == []
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    assert "L.VectorGrid" in html and "leaflet-measure" in html  # inlined, not referenced


def test_fetched_urls_detects_cdn_references() -> None:
    html = '<script src="https://cdn.jsdelivr.net/x.js"></script><style>a{b:url(http://x/y.png)}'
    assert len(fetched_urls(html)) == 2


def test_small_register_is_one_file_under_5_mb(tmp_path) -> None:
    parcels = fake_assess(synthetic_parcels(5000))
    written = write_map(make_map(parcels), tmp_path / "m.html")
    assert written == [tmp_path / "m.html"]
    size = (tmp_path / "m.html").stat().st_size
    assert size < 5 * 1024 * 1024
    # coordinates trimmed to 6 decimals (~0.1 m)
    text = (tmp_path / "m.html").read_text("utf-8")
    assert not re.search(r"\d+\.\d{7,}", text.split("window.LU_CONFIG")[1][:200000])


@pytest.mark.slow
def test_tiled_page_size_does_not_grow_with_parcel_count(tmp_path) -> None:
    sizes = []
    for n in (6000, 24000):
        out = tmp_path / f"m{n}.html"
        paths = write_map(make_map(fake_assess(synthetic_parcels(n))), out)
        assert paths == [out, tmp_path / f"m{n}_files"]
        assert (tmp_path / f"m{n}_files" / "index.js").is_file()
        sizes.append(out.stat().st_size)
    assert sizes[1] < sizes[0] * 1.1 + 20000
    assert sizes[1] < 1024 * 1024


def test_refuses_to_overwrite_page_or_folder(tmp_path) -> None:
    wm = make_map(fake_assess(synthetic_parcels(300)), tiled=True)
    out = tmp_path / "m.html"
    write_map(wm, out)
    with pytest.raises(OutputExistsError):
        write_map(wm, out)
    out.unlink()
    with pytest.raises(OutputExistsError, match="m_files"):
        write_map(wm, out)
    assert not out.exists()
    write_map(wm, out, overwrite=True)
    assert out.exists() and not list(tmp_path.glob(".m_files.*"))


def test_write_tiles_pbf_for_a_server(tmp_path) -> None:
    import mapbox_vector_tile

    parcels = fake_assess(synthetic_parcels(300))
    wm = make_map(parcels, tiled=True)
    info = write_tiles(wm, tmp_path, fmt="pbf")
    z = info["maxzoom"]
    files = sorted((tmp_path / "tiles" / str(z)).rglob("*.pbf"))
    assert files
    fids = set()
    for f in files:
        tile = mapbox_vector_tile.decode(f.read_bytes())
        for feat in tile["p"]["features"]:
            fids.add(feat["properties"]["f"])
            assert {f"c{j}" for j in range(len(LAYERS))} <= set(feat["properties"])
    assert fids == set(range(len(parcels)))
    assert (tmp_path / "attr" / "0.js").read_text("utf-8").startswith("LU.attrs(0,")


# ------------------------------------------------------------------------ CLI
def test_cli_map_sample_park(tmp_path, sample_park) -> None:
    runner = CliRunner()
    out = tmp_path / "maps" / "park.html"
    args = ["map", str(sample_park), "--as-of", "2023-10-31", "-o", str(out)]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    html = out.read_text("utf-8")
    cfg = json.loads(re.search(r"window\.LU_CONFIG = (\{.*?\});\n", html, re.S).group(1))
    assert cfg["n"] == 302
    reclaim = {c["code"]: c["count"] for c in cfg["layers"][3]["classes"]}
    assert sum(reclaim.values()) > 0  # the sample park's ledger was picked up
    again = runner.invoke(cli, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    res = runner.invoke(cli, [*args, "--overwrite", "--lang", "en", "--basemap", "amap"])
    assert res.exit_code == 0, res.output
    assert "Idle land" in out.read_text("utf-8")


def test_cli_map_tianditu_without_key(tmp_path, sample_park, monkeypatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    res = CliRunner().invoke(cli, ["map", str(sample_park), "--as-of", "2023-10-31",
                                   "--basemap", "tianditu-vec", "-o", str(tmp_path / "t.html")])
    assert res.exit_code == 2
    assert "TIANDITU_KEY" in res.output
    assert not (tmp_path / "t.html").exists()


def test_cli_map_needs_assessment_or_as_of(tmp_path, sample_park) -> None:
    res = CliRunner().invoke(cli, ["map", str(sample_park), "-o", str(tmp_path / "t.html")])
    assert res.exit_code == 2 and "--as-of" in res.output


def test_large_zone_outline_stays_small(monkeypatch) -> None:
    from landuse.webmap import build

    parcels = fake_assess(synthetic_parcels(3000))
    monkeypatch.setattr(build, "ZONE_EXACT_MAX", 100)
    zones = make_map(parcels, tiled=True).config["zones"]
    assert len(zones["features"]) == parcels["zone"].nunique()
    vertices = len(json.dumps(zones["features"][0]["geometry"]).split("],["))
    assert vertices < 200  # an outline, not one ring per parcel
    assert sum(f["properties"]["n"] for f in zones["features"]) == 3000


def test_ledger_after_the_as_of_date_is_left_out(sample_park) -> None:
    """A map as of 2023-10-31 does not show FB-001's December 2023 disposal event."""
    from landuse.io import read_ledger, read_parcels
    from landuse.rules import assess

    parcels = assess(read_parcels(sample_park), "2023-10-31")
    ledger = read_ledger(sample_park)
    assert (pd.to_datetime(ledger["event_date"]) > "2023-10-31").any()

    def fb001(**kw: str) -> dict:
        wm = make_map(parcels, ledger, tiled=True, **kw)
        return next(r for r in wm.records if r["id"] == "FB-001")

    as_of = fb001()  # the assessment's own date, 2023-10-31
    assert [e[-1] for e in as_of["lh"]] == ["E2023-002", "E2023-009"]
    assert as_of["rd"] == "2023-03-20"
    later = fb001(as_of="2030-01-01")
    assert "E2023-030" in [e[-1] for e in later["lh"]]  # 2023-12-18
    assert later["rd"] == "2023-12-18"
