"""``evidence`` on a partitioned dataset, one zone per task, here or on Dask: the same
evidence as one run over the whole register, buildings over zone boundaries judged over all
their parcels (neither counted twice nor lost)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from bench.synth import PROVINCE_KEYS, make_province
from landuse.cli import cli
from landuse.core.buildings import footprint_by_parcel
from landuse.io.dataset import write_dataset


def _run(*args: str, code: int = 0) -> str:
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == code, r.output
    return r.output


def _province() -> gpd.GeoDataFrame:
    """400 synthetic parcels in 8 development zones (zones cut rows in the middle, so their
    boxes overlap); every 7th parcel not supplied."""
    g = make_province(400, 8)
    g.loc[g.index % 7 == 3, "supply_date"] = pd.NaT
    return g


def _between(a: Polygon, b: Polygon, into: float) -> Polygon:
    """A building from ``into`` m inside parcel ``a``'s right edge to ``into`` m inside
    parcel ``b``'s left edge (same grid row), 20 m high, over the road between them."""
    _, ay0, ax1, _ = a.bounds
    bx0, by0, _, _ = b.bounds
    y0 = max(ay0, by0) + 5
    return box(ax1 - into, y0, bx0 + into, y0 + 20)


def _buildings(g: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Buildings: one inside every third parcel; one over each pair of neighbours in a row
    (1 m into each: on supplied land 1/(gap+2) a side, more than 5 % only both together);
    one on the road beside each tenth parcel; two far from every parcel. Returns them and
    the position of some of interest."""
    geoms, marks = [], {}
    side = int(np.ceil(np.sqrt(len(g))))
    zone = g["dev_zone"].to_numpy()
    sup = g["supply_date"].notna().to_numpy()
    for k in range(len(g)):
        c = g.geometry.iloc[k].centroid
        if k % 3 == 0:
            geoms.append(box(c.x - 10, c.y - 10, c.x + 15, c.y + 12))
        if k % side != side - 1 and k + 1 < len(g):
            b = _between(g.geometry.iloc[k], g.geometry.iloc[k + 1], 1.0)
            if zone[k] != zone[k + 1] and sup[k] and sup[k + 1]:
                marks.setdefault("across_supplied", len(geoms))
            geoms.append(b)
        if k % 10 == 5:
            x1 = g.geometry.iloc[k].bounds[2]
            geoms.append(box(x1 + 3, c.y, x1 + 12, c.y + 8))  # on the road: no parcel
    marks["far"] = len(geoms)
    geoms += [box(39_480_000, 3_050_000, 39_480_030, 3_050_030),
              box(39_500_000, 3_000_000, 39_500_040, 3_000_020)]
    blds = gpd.GeoDataFrame({"name": [f"B{i}" for i in range(len(geoms))]}, geometry=geoms,
                            crs=g.crs)
    return blds, marks


def _raster(path: Path, g: gpd.GeoDataFrame) -> Path:
    """A WorldCover raster over the province, 10 m pixels: built-up in the west half, bare
    in the east, water in a band."""
    x0, y0, x1, y1 = g.total_bounds
    w, h = int((x1 - x0) // 10) + 4, int((y1 - y0) // 10) + 4
    a = np.full((h, w), 60, np.uint8)
    a[:, : w // 2] = 50
    a[h // 3: h // 3 + 5, :] = 80
    prof = {"driver": "GTiff", "width": w, "height": h, "count": 1, "dtype": "uint8",
            "transform": from_origin(x0 - 20, y1 + 20, 10, 10), "nodata": 0, "crs": g.crs}
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(a[None])
    return path


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("evprov")
    g = _province()
    g.to_file(root / "province.gpkg", layer="parcels", engine="pyogrio")
    write_dataset([("synthetic", g)], root / "ds", PROVINCE_KEYS)
    blds, _ = _buildings(g)
    blds.to_file(root / "buildings.gpkg", engine="pyogrio")
    _raster(root / "lc.tif", g)
    return {"root": root, "file": root / "province.gpkg", "ds": root / "ds",
            "buildings": root / "buildings.gpkg", "raster": root / "lc.tif"}


def _layers(path: Path) -> dict[str, pd.DataFrame]:
    """The evidence GeoPackage's layers; evidence and discrepancies sorted by parcel id."""
    out = {}
    for layer in ("evidence", "discrepancies", "outside_supply"):
        df = gpd.read_file(path, layer=layer, engine="pyogrio")
        if layer != "outside_supply":
            df = df.sort_values(["parcel_id", *(["code"] if "code" in df else [])],
                                kind="stable").reset_index(drop=True)
        out[layer] = df
    return out


def test_shared_building_judged_over_both_zones(province: dict[str, Path]) -> None:
    g = _province()
    blds, marks = _buildings(g)
    i = marks["across_supplied"]
    one = blds.iloc[[i]]
    hits = g[g.intersects(one.geometry.iloc[0])]
    assert hits["dev_zone"].nunique() == 2 and hits["supply_date"].notna().all()
    # each zone alone holds under 5 % of it: judged there alone it would be outside supply
    for _, part in hits.groupby("dev_zone"):
        _, outside = footprint_by_parcel(part, one)
        assert len(outside) == 1
    _, outside = footprint_by_parcel(hits, one)  # over both zones' parcels: it is not
    assert len(outside) == 0


def test_province_evidence_same_here_and_on_two_workers_and_as_one_run(
        province: dict[str, Path], tmp_path: Path) -> None:
    src = ["--buildings", str(province["buildings"]), "--raster", str(province["raster"]),
           "--raster-date", "2023-06-01"]
    outs = {k: tmp_path / f"{k}.gpkg" for k in ("one", "here", "two")}
    printed = {
        "one": _run("evidence", str(province["file"]), *src, "-o", str(outs["one"])),
        "here": _run("evidence", str(province["ds"]), *src, "-o", str(outs["here"])),
        "two": _run("evidence", str(province["ds"]), *src, "-o", str(outs["two"]),
                    "--workers", "2"),
    }
    assert "dashboard: http://" in printed["two"]
    one, here, two = (_layers(outs[k]) for k in ("one", "here", "two"))
    for layer in here:  # here and on the cluster: the same values, exactly
        pd.testing.assert_frame_equal(here[layer], two[layer], check_exact=True, obj=layer)
    # and those of one run over the whole file, exactly (a polygon's area depends on the
    # polygon alone): the same parcels, flags, reasons and buildings outside supply
    for layer in here:
        pd.testing.assert_frame_equal(one[layer], here[layer], check_dtype=False,
                                      check_exact=True, obj=layer)
    for col in ("records_disagree", "evidence_warnings", "building_count"):
        assert one["evidence"][col].tolist() == two["evidence"][col].tolist()
    g = _province()
    _, marks = _buildings(g)
    names = two["outside_supply"]["name"].tolist()
    assert names == one["outside_supply"]["name"].tolist()
    assert f"B{marks['across_supplied']}" not in names  # judged over both zones
    assert {f"B{marks['far']}", f"B{marks['far'] + 1}"} <= set(names)  # beyond every zone
    assert len(names) == len(set(names))  # each once
    assert (two["evidence"]["observed_footprint_m2"] > 0).sum() > 100
    assert two["evidence"]["builtup_share"].notna().all()  # the raster covers every parcel
    assert two["evidence"]["water_share"].gt(0).any()
    notes = {k: [line for line in v.splitlines() if "outside_supply" in line]
             for k, v in printed.items()}
    assert notes["one"] and notes["one"] == notes["here"] == notes["two"]


def test_sample_park_evidence_on_two_workers_equals_one_run(sample_park: Path,
                                                            tmp_path: Path) -> None:
    g = gpd.read_file(sample_park, layer="parcels", engine="pyogrio")
    blds, _ = _buildings_over(g)
    blds.to_file(tmp_path / "b.gpkg", engine="pyogrio")
    ds = tmp_path / "ds"
    _run("convert", str(sample_park), str(ds), "--partition-by", "zone")
    outs = {k: tmp_path / f"{k}.gpkg" for k in ("one", "here", "two")}
    b = ["--buildings", str(tmp_path / "b.gpkg")]
    _run("evidence", str(sample_park), *b, "-o", str(outs["one"]))
    _run("evidence", str(ds), *b, "-o", str(outs["here"]))
    _run("evidence", str(ds), *b, "-o", str(outs["two"]), "--workers", "2")
    one, here, two = (_layers(outs[k]) for k in ("one", "here", "two"))
    for layer in here:
        pd.testing.assert_frame_equal(here[layer], two[layer], check_exact=True, obj=layer)
        pd.testing.assert_frame_equal(one[layer], two[layer], check_dtype=False,
                                      check_exact=True, obj=layer)
    assert one["outside_supply"]["name"].tolist() == two["outside_supply"]["name"].tolist()
    assert len(two["outside_supply"]) > 0


def _buildings_over(g: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, None]:
    """A building on each parcel's centre, one over each parcel's edge to the next, and
    one far away."""
    geoms = []
    for geom in g.geometry:
        c = geom.centroid
        x1 = geom.bounds[2]
        geoms += [box(c.x - 8, c.y - 8, c.x + 8, c.y + 8), box(x1 - 2, c.y, x1 + 30, c.y + 10)]
    x0, y0 = g.total_bounds[:2]
    geoms.append(box(x0 - 5000, y0 - 5000, x0 - 4980, y0 - 4980))
    return gpd.GeoDataFrame({"name": [f"B{i}" for i in range(len(geoms))]}, geometry=geoms,
                            crs=g.crs), None


def test_province_evidence_keeps_each_zones_coverage_in_cache_dir(
        province: dict[str, Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    src = ["--raster", str(province["raster"]), "--raster-date", "2023-06-01",
           "--cache-dir", str(cache)]
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    _run("evidence", str(province["ds"]), *src, "-o", str(first))
    assert len(list(cache.glob("*.npz"))) == 8  # one coverage per development zone
    _run("evidence", str(province["ds"]), *src, "-o", str(second))
    pd.testing.assert_frame_equal(gpd.read_parquet(first), gpd.read_parquet(second),
                                  check_exact=True)
