"""Evidence from rasters and footprints: geography, bad inputs, cache, flags, CLI, demo."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.transform import from_origin

from landuse.cli import cli
from landuse.core.buildings import footprint_by_parcel
from landuse.core.discrepancy import load_thresholds
from landuse.errors import CRSError, DataSourceError, RulesetError, SchemaError
from landuse.evidence import EVIDENCE_FIELDS, discrepancy_list, evidence, run_evidence
from landuse.raster import CoverageCache, landcover_shares, open_raster, spectral_indices
from landuse.raster.read import iter_cells

CRS = "EPSG:32650"
X0, Y0, PX = 500000.0, 3100000.0, 10.0


def _write(path, arr, crs=CRS, nodata=0, **kw):
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[None]
    prof = {
        "driver": kw.pop("driver", "GTiff"),
        "width": arr.shape[2],
        "height": arr.shape[1],
        "count": arr.shape[0],
        "dtype": arr.dtype,
        "transform": from_origin(X0, Y0, PX, PX),
        "nodata": nodata,
        **kw,
    }
    if crs:
        prof["crs"] = crs
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(arr)
    return path


@pytest.fixture
def lc(tmp_path):
    """A 40 x 40 WorldCover raster: left half built-up (50), right half bare (60)."""
    a = np.full((40, 40), 60, np.uint8)
    a[:, :20] = 50
    a[30:, 30:] = 80
    return _write(tmp_path / "lc.tif", a)


def _parcels(*geoms, crs=CRS, **cols):
    return gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(len(geoms))], **cols}, geometry=list(geoms), crs=crs
    )


def test_shares_exact_for_parcels_smaller_than_a_pixel(lc) -> None:
    # straddles the built-up / bare boundary at x = X0 + 200: 30 % left, 70 % right
    tiny = shapely.box(X0 + 197, Y0 - 105, X0 + 207, Y0 - 100.5)
    sliver = shapely.box(X0 + 199, Y0 - 55, X0 + 201.5, Y0 - 54)  # 2.5 m² over 2 pixels
    big = shapely.box(X0 + 100, Y0 - 200, X0 + 300, Y0 - 100)
    frame, run = landcover_shares(_parcels(tiny, sliver, big), lc)
    assert frame["builtup_share"].tolist() == pytest.approx([0.3, 0.4, 0.5])
    assert frame["bare_share"].tolist() == pytest.approx([0.7, 0.6, 0.5])
    assert frame["water_share"].tolist() == pytest.approx([0, 0, 0])
    assert frame["raster_coverage"].tolist() == pytest.approx([1, 1, 1])
    assert run.outside_ids == []


def test_parcels_reprojected_to_raster_crs_not_the_raster(lc) -> None:
    g = shapely.box(X0 + 150, Y0 - 250, X0 + 330, Y0 - 120)
    a, _ = landcover_shares(_parcels(g), lc)
    b, _ = landcover_shares(_parcels(g).to_crs("EPSG:4490"), lc)
    assert b["builtup_share"].iat[0] == pytest.approx(a["builtup_share"].iat[0], abs=1e-4)
    # the raster file is untouched (never resampled or rewritten)
    assert open_raster(lc).crs.to_epsg() == 32650


def test_outside_and_partly_outside_parcels_reported(lc) -> None:
    inside = shapely.box(X0 + 10, Y0 - 30, X0 + 50, Y0 - 10)
    half = shapely.box(X0 - 40, Y0 - 30, X0 + 40, Y0 - 10)
    away = shapely.box(X0 - 900, Y0 - 30, X0 - 800, Y0 - 10)
    frame, run = landcover_shares(_parcels(inside, half, away), lc)
    assert run.outside_ids == ["P2"]
    assert np.isnan(frame["builtup_share"].iat[2])
    assert frame["warnings"].iat[2] == ("outside_raster",)
    assert frame["raster_coverage"].iat[1] == pytest.approx(0.5)
    assert "partly_outside_raster" in frame["warnings"].iat[1]
    assert frame["builtup_share"].iat[1] == pytest.approx(1.0)


def test_raster_without_crs_refused(tmp_path) -> None:
    p = _write(tmp_path / "nocrs.tif", np.full((5, 5), 50, np.uint8), crs=None)
    with pytest.raises(CRSError, match=r"no CRS.*gdal_edit"):
        landcover_shares(_parcels(shapely.box(X0, Y0 - 20, X0 + 20, Y0)), p)


def test_raster_not_overlapping_any_parcel(lc) -> None:
    far = shapely.box(X0 + 9000, Y0 - 30, X0 + 9100, Y0)
    with pytest.raises(DataSourceError, match="does not overlap any of the 1 parcels"):
        landcover_shares(_parcels(far), lc)


def test_corrupt_geotiff(tmp_path, lc) -> None:
    bad = tmp_path / "bad.tif"
    bad.write_bytes(lc.read_bytes()[:300])
    with pytest.raises(DataSourceError, match=r"bad.tif: cannot be read"):
        landcover_shares(_parcels(shapely.box(X0, Y0 - 20, X0 + 20, Y0)), bad)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"II*\x00not a tiff at all" * 10)
    with pytest.raises(DataSourceError):
        open_raster(junk)


def test_nodata_everywhere_gives_reason_not_zero(tmp_path) -> None:
    p = _write(tmp_path / "nd.tif", np.zeros((10, 10), np.uint8), nodata=0)
    frame, run = landcover_shares(_parcels(shapely.box(X0 + 5, Y0 - 50, X0 + 50, Y0 - 5)), p)
    assert np.isnan(frame["builtup_share"].iat[0])
    assert frame["warnings"].iat[0] == ("no_valid_pixels",)
    assert "nodata" in frame["reasons"].iat[0][0]
    assert run.no_valid_ids == ["P0"]


def test_class_table_missing_classes(tmp_path) -> None:
    a = np.full((10, 10), 50, np.uint8)
    a[:, 5:] = 7  # not a WorldCover code
    p = _write(tmp_path / "odd.tif", a)
    frame, run = landcover_shares(_parcels(shapely.box(X0, Y0 - 100, X0 + 100, Y0)), p)
    assert run.unmapped_codes == [7]
    assert frame["builtup_share"].iat[0] == pytest.approx(0.5)
    assert frame["unmapped_share"].iat[0] == pytest.approx(0.5)
    assert frame["warnings"].iat[0] == ("unmapped_classes",)
    assert "7" in frame["reasons"].iat[0][0] and "--classes" in frame["reasons"].iat[0][0]
    fixed, run2 = landcover_shares(
        _parcels(shapely.box(X0, Y0 - 100, X0 + 100, Y0)),
        p,
        classes={"classes": {"50": "builtup", "7": "bare"}},
    )
    assert fixed["bare_share"].iat[0] == pytest.approx(0.5) and run2.unmapped_codes == []


def test_float_raster_is_not_a_class_raster(tmp_path) -> None:
    p = _write(tmp_path / "f.tif", np.ones((5, 5), np.float32), nodata=None)
    with pytest.raises(SchemaError, match="not class codes"):
        landcover_shares(_parcels(shapely.box(X0, Y0 - 20, X0 + 20, Y0)), p)


def test_cog_and_small_windows_give_the_same_shares(tmp_path) -> None:
    rng = np.random.default_rng(0)
    a = rng.choice(np.array([10, 50, 60, 80], np.uint8), size=(256, 256))
    plain = _write(tmp_path / "plain.tif", a)
    cog = _write(tmp_path / "lc_cog.tif", a, driver="COG", blocksize=128)
    tiles = _write(tmp_path / "tiles.tif", a, tiled=True, blockxsize=16, blockysize=16)
    ps = _parcels(
        *(shapely.box(X0 + 97 * i, Y0 - 2400 + 50 * i, X0 + 97 * i + 75, Y0 - 5) for i in range(25))
    )
    ref, _ = landcover_shares(ps, plain)
    for other in (cog, tiles):
        got, _ = landcover_shares(ps, other)
        assert np.allclose(ref["builtup_share"], got["builtup_share"])
    assert open_raster(cog).tiled and open_raster(cog).block_shape == (128, 128)
    info = open_raster(tiles)
    cov = CoverageCache().get(ps.geometry, info)
    blocks = list(iter_cells(info, cov, [1], max_strip_pixels=1))
    assert len(blocks) >= 12  # walked one 16-row block strip at a time
    assert sum(len(b.pidx) for b in blocks) == cov.n_cells
    assert max(b.values.shape[1] for b in blocks) < cov.n_cells


def test_coverage_cache_reused_for_another_date(tmp_path, lc) -> None:
    with rasterio.open(lc) as src:
        a = src.read(1)
    a2 = a.copy()
    a2[:, 20:30] = 50
    lc2 = _write(tmp_path / "lc2.tif", a2)
    ps = _parcels(shapely.box(X0 + 150, Y0 - 300, X0 + 350, Y0 - 100))
    cache = CoverageCache(directory=tmp_path / "cache")
    f1, _ = landcover_shares(ps, lc, cache=cache)
    f2, _ = landcover_shares(ps, lc2, cache=cache)
    assert (cache.misses, cache.hits) == (1, 1)
    assert f1["builtup_share"].iat[0] == pytest.approx(0.25)
    assert f2["builtup_share"].iat[0] == pytest.approx(0.75)
    other = CoverageCache(directory=tmp_path / "cache")  # a later run: read from disk
    landcover_shares(ps, lc2, cache=other)
    assert (other.misses, other.hits) == (0, 1)
    moved = _parcels(shapely.box(X0 + 160, Y0 - 300, X0 + 350, Y0 - 100))
    landcover_shares(moved, lc2, cache=other)
    assert other.misses == 1  # new geometry, new key


# --- footprints ---------------------------------------------------------------------------


def test_footprints_apportioned_and_outside_supply() -> None:
    p = _parcels(
        shapely.box(X0, Y0, X0 + 100, Y0 + 100),
        shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
        shapely.box(X0 + 300, Y0, X0 + 400, Y0 + 100),
        supply_date=pd.to_datetime(["2020-01-01", "2020-01-01", None]),
    )
    b = gpd.GeoDataFrame(
        geometry=[
            shapely.box(X0 + 80, Y0 + 10, X0 + 120, Y0 + 30),  # 800 m², split 400/400
            shapely.box(X0 + 10, Y0 + 50, X0 + 30, Y0 + 60),  # 200 m² on P0
            shapely.box(X0 + 310, Y0 + 10, X0 + 330, Y0 + 20),  # on the unsupplied P2
            shapely.box(X0 + 600, Y0, X0 + 610, Y0 + 10),  # on no parcel
        ],
        crs=CRS,
    )
    per, outside = footprint_by_parcel(p, b)
    k = 1 / 0.9996**2 * 1.0  # UTM scale: ellipsoidal areas a little larger than planar
    assert per["observed_footprint_m2"].tolist() == pytest.approx(
        [600 * k, 400 * k, 200 * k], rel=2e-3
    )
    assert per["observed_coverage"].iat[0] == pytest.approx(0.06, rel=2e-3)
    assert per["building_count"].tolist() == [2, 1, 1]
    assert list(outside.index) == [2, 3]
    assert outside["share_on_parcels"].tolist() == pytest.approx([1.0, 0.0])


def test_buildings_crs_mismatch_is_an_error() -> None:
    p = _parcels(shapely.box(X0, Y0, X0 + 100, Y0 + 100))
    b = gpd.GeoDataFrame(geometry=[shapely.box(117, 28, 117.001, 28.001)], crs="EPSG:4326")
    with pytest.raises(CRSError, match="parcels are EPSG:32650, buildings are EPSG:4326"):
        evidence(p, buildings=b)


# --- flags --------------------------------------------------------------------------------


def test_discrepancy_flags_and_thresholds(tmp_path, lc) -> None:
    built = shapely.box(X0 + 10, Y0 - 190, X0 + 190, Y0 - 10)  # all built-up
    bare = shapely.box(X0 + 210, Y0 - 190, X0 + 290, Y0 - 10)  # all bare
    p = _parcels(
        built,
        bare,
        built,
        start_date=pd.to_datetime([None, "2015-01-01", "2015-01-01"]),
        start_evidence=["none", "pit_done", "pit_done"],
        completion_date=pd.to_datetime([None, "2016-01-01", "2016-01-01"]),
        footprint_m2=[np.nan, np.nan, 30000.0],
    )
    b = gpd.GeoDataFrame(geometry=[shapely.box(X0 + 20, Y0 - 180, X0 + 120, Y0 - 80)], crs=CRS)
    ev = evidence(p, raster=lc, raster_date="2023-06-01", buildings=b)
    for f in EVIDENCE_FIELDS:
        assert f in ev.columns
    assert ev["records_disagree"].tolist() == [
        "built_but_recorded_unstarted",
        "bare_but_recorded_completed",
        "footprint_mismatch",
    ]
    assert ev["evidence_date"].iat[0] == pd.Timestamp("2023-06-01")
    r0 = ev["evidence_reasons"].iat[0]
    assert "100%" in r0 and "25%" in r0 and "动工" in r0 and "not started" in r0
    assert "30,000" in ev["evidence_reasons"].iat[2]
    lst = discrepancy_list(ev)
    assert lst["code"].tolist() == ev["records_disagree"].tolist()
    assert all(lst["reason"].str.len() > 20)
    toml = tmp_path / "t.toml"
    toml.write_text("unstarted_max_builtup = 1.01\nfootprint_rel_tol = 5.0\n")
    ev2 = evidence(p, raster=lc, buildings=b, thresholds=toml)
    assert ev2["records_disagree"].tolist() == ["", "bare_but_recorded_completed", ""]
    with pytest.raises(RulesetError, match="unknown threshold 'nope'"):
        load_thresholds({"nope": 1})


def test_change_between_dates(tmp_path, lc) -> None:
    with rasterio.open(lc) as src:
        a = src.read(1)
    before = _write(tmp_path / "before.tif", np.where(a == 50, 60, a).astype(np.uint8))
    left = shapely.box(X0 + 10, Y0 - 190, X0 + 190, Y0 - 10)
    p = _parcels(
        left,
        left,
        start_date=pd.to_datetime([None, "2022-05-01"]),
        start_evidence=[None, "pit_done"],
    )
    res = run_evidence(
        p, before=before, after=lc, before_date="2021-01-01", after_date="2023-01-01"
    )
    ev = res.parcels
    assert ev["builtup_change"].tolist() == pytest.approx([1.0, 1.0])
    assert ev["records_disagree"].iat[0] == "built_but_recorded_unstarted"
    assert "rose by 100%" in ev["evidence_reasons"].iat[0]
    # the same raster twice: no change on a parcel recorded as started between the dates
    res2 = run_evidence(p, before=lc, after=lc, before_date="2021-01-01", after_date="2023-01-01")
    assert res2.parcels["evidence_warnings"].iat[1] == "no_change_but_recorded_built"
    with pytest.raises(SchemaError, match="go together"):
        run_evidence(p, before=lc)
    with pytest.raises(SchemaError, match="No evidence source"):
        run_evidence(p)


# --- real data ----------------------------------------------------------------------------


def test_pucallpa_ndvi_and_change(shared_data) -> None:
    d = shared_data / "pucallpa-landsat-timeseries"
    info = open_raster(d / "landsat_1985.tif")
    t = info.transform
    # polygons on that grid (in UTM 18S so they are reprojected to the raster's EPSG:4326)
    cells = [
        shapely.box(t.c + t.a * c, t.f + t.e * (r + 12), t.c + t.a * (c + 15), t.f + t.e * r)
        for r in range(20, 360, 60)
        for c in range(20, 680, 80)
    ]
    tiny = shapely.box(t.c + t.a * 300.2, t.f + t.e * 200.6, t.c + t.a * 300.5, t.f + t.e * 200.2)
    ps = _parcels(*cells, tiny, crs="EPSG:4326").to_crs("EPSG:32718")
    bm = "swir1=1,nir=2,red=3,green=4"
    cache = CoverageCache()
    f85, _ = spectral_indices(ps, d / "landsat_1985.tif", bm, cache)
    f20, _ = spectral_indices(ps, d / "landsat_2020.tif", bm, cache)
    assert cache.hits == 1  # same grid: coverage reused for the second date
    assert f85["ndvi_mean"].notna().all()  # including the sub-pixel parcel
    assert f85["ndvi_mean"].between(-1, 1).all()
    assert f85["ndbi_mean"].notna().all() and np.isnan(f85["bsi_mean"]).all()
    # independent check on one whole-pixel parcel: plain numpy on the pixels
    with rasterio.open(d / "landsat_1985.tif") as src:
        px = src.read(window=((20, 32), (20, 35))).astype(float)
    ok = (px[1] > 0) & (px[2] > 0)
    nd = (px[1] - px[2]) / (px[1] + px[2])
    assert f85["ndvi_mean"].iat[0] == pytest.approx(nd[ok].mean(), abs=2e-3)
    # urban growth and clearing between 1985 and 2020: the SWIR/built-up index rises
    assert (f20["ndbi_mean"] - f85["ndbi_mean"]).mean() > 0
    res = run_evidence(ps, before=d / "landsat_1985.tif", after=d / "landsat_2020.tif", band_map=bm)
    assert np.allclose(res.parcels["ndvi_change"], f20["ndvi_mean"] - f85["ndvi_mean"])
    assert any("multispectral" in n for n in res.notes)


def test_rgb_byte_band_errors(shared_data, tmp_path) -> None:
    tif = shared_data / "rasterio-rgb-byte" / "RGB.byte.tif"
    info = open_raster(tif)
    left, bottom = info.bounds[:2]
    ps = _parcels(
        shapely.box(left + 50000, bottom + 50000, left + 60000, bottom + 60000), crs=info.crs
    )
    with pytest.raises(SchemaError, match=r"nir=band 4, but the raster has only 3 band"):
        spectral_indices(ps, tif, "red=1,nir=4")
    with pytest.raises(SchemaError, match="3 bands and no --band-map"):
        evidence(ps, raster=tif)
    with pytest.raises(SchemaError, match="allows no index"):
        spectral_indices(ps, tif, "red=1,green=2,blue=3")
    # a fake NIR from band 2 is allowed: RGB.byte's nodata (0) frame is left out
    frame, _ = spectral_indices(ps, tif, "red=1,nir=2")
    assert frame["ndvi_mean"].notna().all()
    assert "no SWIR" in frame["reasons"].iat[0][0]


def test_alexandria_buildings_vs_raster(shared_data, tmp_path) -> None:
    from rasterio.features import rasterize

    d = shared_data / "alexandria-buildings-dsm"
    b = gpd.read_file(d / "buildings.geojson")  # EPSG:4326
    with rasterio.open(d / "hag.tif") as src:  # EPSG:26918, 2 m
        prof = src.profile
        hag = src.read(1, masked=True)
    # land cover on the lidar grid: the footprints rasterised (built-up), the rest grass
    fp = rasterize(
        [(g, 1) for g in b.to_crs(prof["crs"]).geometry],
        out_shape=hag.shape,
        transform=prof["transform"],
    )
    prof.update(dtype="uint8", nodata=0)
    with rasterio.open(tmp_path / "alex_lc.tif", "w", **prof) as dst:
        dst.write(np.where(fp == 1, 50, 30).astype(np.uint8), 1)
    # 60 m grid "parcels" over the buildings, in the buildings' CRS (EPSG:4326)
    x0, y0, x1, y1 = b.to_crs(26918).total_bounds
    cells = [
        shapely.box(x, y, x + 60, y + 60)
        for x in np.arange(x0, x1, 60)
        for y in np.arange(y0, y1, 60)
    ]
    ps = _parcels(*cells, crs="EPSG:26918").to_crs(b.crs)
    with pytest.raises(CRSError):
        evidence(ps.to_crs(26918), buildings=b)
    res = run_evidence(ps, raster=tmp_path / "alex_lc.tif", buildings=b)
    ev = res.parcels
    total = ev["observed_footprint_m2"].sum()
    on_parcels = shapely.intersection(
        shapely.union_all(b.to_crs(26918).geometry.values), shapely.union_all(cells)
    ).area
    assert total == pytest.approx(on_parcels, rel=0.01)  # ellipsoidal vs UTM planar
    # raster evidence (parcels reprojected onto the lidar grid) agrees with the footprints
    diff = (ev["builtup_share"] - ev["observed_coverage"]).abs()
    assert diff.median() < 0.02 and diff.max() < 0.06
    # and the lidar heights are higher under the footprints than elsewhere
    assert hag[fp == 1].mean() > hag[fp == 0].mean() + 3


def test_cambridge_rasterised_landcover_vs_exact_overlap(shared_data, tmp_path) -> None:
    from rasterio.features import rasterize

    lcd = shared_data / "cambridge-landcover"
    crs = "EPSG:26986"
    park = gpd.read_file(lcd / "BASEMAP_ParkingLots.topojson").set_crs(4326).to_crs(crs)
    imp = gpd.read_file(lcd / "BASEMAP_ImperviousOther.topojson").set_crs(4326).to_crs(crs)
    veg = gpd.read_file(lcd / "BASEMAP_Vegetation.topojson").set_crs(4326).to_crs(crs)
    parcels = (
        gpd.read_file(shared_data / "cambridge-parcels-fy2014" / "ASSESSING_ParcelsFY2014.topojson")
        .set_crs(4326)
        .to_crs(crs)
    )
    # a 1.2 km window in the city, 3 m pixels
    x_a, y_a, x_b, y_b = parcels.total_bounds
    cx, cy = (x_a + x_b) / 2, (y_a + y_b) / 2
    x0, y0, size, px = round(cx) - 600, round(cy) + 600, 400, 3.0
    transform = from_origin(x0, y0, px, px)
    frame_box = shapely.box(x0, y0 - size * px, x0 + size * px, y0)
    park, imp, veg = (
        layer[layer.intersects(frame_box)].reset_index(drop=True) for layer in (park, imp, veg)
    )
    shapes = (
        [(g, 10) for g in veg.geometry]
        + [(g, 50) for g in imp.geometry]
        + [(g, 50) for g in park.geometry]
    )
    arr = rasterize(shapes, out_shape=(size, size), transform=transform, fill=60, dtype="uint8")
    with rasterio.open(
        tmp_path / "camb.tif",
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="uint8",
        crs=crs,
        transform=transform,
        nodata=0,
    ) as dst:
        dst.write(arr, 1)
    win = shapely.box(x0 + 50, y0 - size * px + 50, x0 + size * px - 50, y0 - 50)
    sub = parcels[parcels.within(win)].reset_index(drop=True)
    sub["parcel_id"] = sub["ML"].astype(str)
    assert len(sub) > 100
    frame, run = landcover_shares(sub, tmp_path / "camb.tif")
    assert run.outside_ids == []
    # exact polygon-pixel overlap with shapely for a sample of parcels
    rng = np.random.default_rng(3)
    for i in rng.choice(len(sub), size=25, replace=False):
        g = sub.geometry.iat[i]
        if not g.is_valid:
            g = shapely.make_valid(g)
        minx, miny, maxx, maxy = g.bounds
        c0, c1 = int((minx - x0) // px), int(np.ceil((maxx - x0) / px))
        r0, r1 = int((y0 - maxy) // px), int(np.ceil((y0 - miny) / px))
        cols, rows = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
        boxes = shapely.box(
            x0 + cols * px, y0 - (rows + 1) * px, x0 + (cols + 1) * px, y0 - rows * px
        )
        a = shapely.area(shapely.intersection(boxes, g))
        vals = arr[rows, cols]
        for code, col in ((50, "builtup_share"), (10, "vegetation_share"), (60, "bare_share")):
            exact = a[vals == code].sum() / a.sum()
            assert frame[col].iat[i] == pytest.approx(exact, abs=1e-4), (i, col)
    # and against the vector layers themselves: rasterising at 3 m moves shares a little
    hard = shapely.make_valid(np.concatenate([imp.geometry.values, park.geometry.values]))
    pv = shapely.make_valid(sub.geometry.values)
    pi, hi = shapely.STRtree(hard).query(pv, predicate="intersects")
    inter = shapely.area(shapely.intersection(pv[pi], hard[hi]))
    vec = np.bincount(pi, weights=inter, minlength=len(pv)) / shapely.area(pv)
    diff = np.abs(vec - frame["builtup_share"].to_numpy())
    assert np.nanmedian(diff) < 0.05


# --- CLI and demo -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, sample_park):
    from landuse_demo.steps import DemoContext, _step_evidence

    out = tmp_path_factory.mktemp("demo")
    ctx = DemoContext(sample=sample_park, out_dir=out, maps_dir=out / "maps")
    paths = _step_evidence(ctx)
    return out, paths


def test_demo_flags_the_deliberate_disagreements(demo_out, sample_park) -> None:
    from landuse.io import read_parcels
    from landuse_demo.synthetic import choose_deliberate

    out, paths = demo_out
    assert all(p.exists() for p in paths)
    ev = gpd.read_file(out / "evidence.gpkg", layer="evidence").set_index("parcel_id")
    chosen = choose_deliberate(read_parcels(sample_park))
    for pid, kind in chosen.items():
        if kind == "built_anyway":
            assert "built_but_recorded_unstarted" in ev.at[pid, "records_disagree"]
            assert ev.at[pid, "builtup_change"] > 0.3
        elif kind == "built_on_paper":
            assert "bare_but_recorded_completed" in ev.at[pid, "records_disagree"]
        else:
            assert ev.at[pid, "evidence_warnings"] == "no_change_but_recorded_built"
    flagged = set(ev.index[ev["records_disagree"] != ""])
    assert flagged <= set(chosen) | {min(ev.index[ev["footprint_m2"].notna()])}
    assert ev["builtup_share"].notna().all()
    disc = gpd.read_file(out / "evidence.gpkg", layer="discrepancies")
    assert set(disc["parcel_id"]) == flagged | {p for p, k in chosen.items() if k == "no_change"}
    outside = gpd.read_file(out / "evidence.gpkg", layer="outside_supply")
    assert outside["building_id"].tolist() == ["B-unsupplied"]


def test_cli_evidence(demo_out, sample_park, tmp_path) -> None:
    out, _ = demo_out
    target = tmp_path / "ev.gpkg"
    args = [
        "evidence",
        str(sample_park),
        "--raster",
        str(out / "landcover_2023-10-31.tif"),
        "--before",
        str(out / "landcover_2021-10-31.tif"),
        "--after",
        str(out / "landcover_2023-10-31.tif"),
        "--buildings",
        str(out / "buildings.gpkg"),
        "-o",
        str(target),
    ]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "records disagree" in r.output
    ev = gpd.read_file(target, layer="evidence")
    assert ev["evidence_date"].notna().all()  # from the GeoTIFF date tag
    r2 = CliRunner().invoke(cli, args)
    assert r2.exit_code != 0 and "--overwrite" in r2.output
    r3 = CliRunner().invoke(cli, [*args, "--overwrite", "--band-map", "red=1,nir=2"])
    assert r3.exit_code == 2 and "nir=band 2" in r3.output and "Traceback" not in r3.output
    r4 = CliRunner().invoke(cli, ["evidence", str(sample_park), "-o", str(tmp_path / "x.gpkg")])
    assert r4.exit_code == 2 and "No evidence source" in r4.output
    assert not (tmp_path / "x.gpkg").exists()
    pq = tmp_path / "ev.parquet"
    r5 = CliRunner().invoke(
        cli,
        ["evidence", str(sample_park), "--buildings", str(out / "buildings.gpkg"), "-o", str(pq)],
    )
    assert r5.exit_code == 0, r5.output
    assert (tmp_path / "ev.parquet.discrepancies.csv").exists()
