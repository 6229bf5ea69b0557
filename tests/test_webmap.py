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
from webmap_util import fake_assess, fetched_urls, synthetic_parcels, tiny_register

from landuse.cli import cli
from landuse.errors import CRSError, DataSourceError, OutputExistsError, SchemaError
from landuse.webmap import make_map, wgs84_to_gcj02, write_map, write_tiles
from landuse.webmap.build import _render
from landuse.webmap.classes import classify_layers, effective_ledger

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
    _, _, d = GEOD.inv(a[10], a[11], b[10], b[11])
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
    assert (codes[:, 4] >= 0).sum() == parcels["mujun_class"].notna().sum()


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
            assert {"c0", "c1", "c2", "c3", "c4"} <= set(feat["properties"])
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
