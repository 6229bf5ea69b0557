"""Coverage computed with worker processes, read in strips, saved and loaded: same cells."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin

from landuse.raster import CoverageCache, landcover_shares, open_raster
from landuse.raster.coverage import Coverage, compute_coverage
from landuse.raster.read import iter_cells

X0, Y0, PX, CRS = 500000.0, 3100000.0, 10.0, "EPSG:32650"


def _raster(path, n=300, seed=3):
    a = np.random.default_rng(seed).choice(np.array([10, 30, 50, 60, 80], np.uint8), (n, n))
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="uint8",
        crs=CRS,
        nodata=0,
        transform=from_origin(X0, Y0, PX, PX),
        tiled=True,
        blockxsize=32,
        blockysize=32,
    ) as dst:
        dst.write(a, 1)
    return path


def _parcels(n=400, seed=5):
    rng = np.random.default_rng(seed)
    cx = X0 + rng.uniform(20, 2980, n)
    cy = Y0 - rng.uniform(20, 2980, n)
    side = np.exp(rng.uniform(np.log(3), np.log(300), n))
    geoms = shapely.box(cx - side / 2, cy - side / 3, cx + side / 2, cy + side / 3)
    ps = gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(n)]}, geometry=geoms, crs=CRS)
    ps.loc[7, "geometry"] = shapely.box(X0 - 900, Y0 + 100, X0 - 800, Y0 + 200)  # off raster
    return ps


def _cells(cov: Coverage) -> tuple[np.ndarray, ...]:
    parts = []
    for ch in cov.chunks:
        r, c = ch.rows_cols()
        parts.append(np.stack([ch.ids[ch.local], r, c]).astype(np.int64))
    cells = np.concatenate(parts, axis=1)
    w = np.concatenate([ch.weight for ch in cov.chunks])
    order = np.lexsort(cells[::-1])
    return cells[:, order], w[order]


def test_workers_give_the_same_coverage(tmp_path) -> None:
    info = open_raster(_raster(tmp_path / "lc.tif"))
    ps = _parcels()
    alone = compute_coverage(ps.geometry, info, workers=0)
    shared = compute_coverage(ps.geometry, info, workers=1)
    assert len(shared.chunks) > len(alone.chunks)  # split up to be shared
    (ca, wa), (cb, wb) = _cells(alone), _cells(shared)
    assert np.array_equal(ca, cb) and np.array_equal(wa, wb)
    assert np.array_equal(alone.covered, shared.covered)
    assert alone.covered[7] == 0 and (alone.covered > 0).sum() == len(ps) - 1
    # exact: each parcel's fractions add up to its area in pixels (exactextract keeps each
    # fraction as a float32, hence the 1e-6)
    inside = np.flatnonzero(ps.geometry.within(shapely.box(*info.bounds)).to_numpy())
    assert len(inside) > 300
    area_px = ps.geometry.area.to_numpy()[inside] / PX**2
    assert np.allclose(alone.covered[inside], area_px, rtol=1e-6, atol=0)  # float32 fractions


def test_strips_and_saved_coverage_match_one_window(tmp_path) -> None:
    path = _raster(tmp_path / "lc.tif")
    info = open_raster(path)
    ps = _parcels(150)
    cov = compute_coverage(ps.geometry, info, workers=0)

    def sums(c: Coverage, max_px: int) -> np.ndarray:
        out = np.zeros((len(ps), 256))
        for blk in iter_cells(info, c, [1], max_strip_pixels=max_px):
            np.add.at(out, (blk.pidx, blk.values[0]), blk.weight)
        return out

    whole = sums(cov, 10**9)
    assert np.allclose(sums(cov, 1), whole)  # one 32-row block strip at a time
    cov.save(tmp_path / "c.npz")
    back = Coverage.load(tmp_path / "c.npz")
    assert back.key == cov.key and back.n_cells == cov.n_cells
    assert np.allclose(sums(back, 1000), whole)


def test_cache_with_workers_gives_the_same_shares(tmp_path) -> None:
    path = _raster(tmp_path / "lc.tif")
    ps = _parcels(300)
    a, _ = landcover_shares(ps, path, cache=CoverageCache(workers=0))
    b, _ = landcover_shares(ps, path, cache=CoverageCache(workers=1))
    cols = [c for c in a.columns if c.endswith("_share") or c == "raster_coverage"]
    assert a[cols].equals(b[cols])
    assert a["reasons"].tolist() == b["reasons"].tolist()
    assert np.isnan(a.loc[7, "builtup_share"])  # off the raster: no value, not 0
