"""The vectorised MVT encoder: the spec's integers, the old encoder's tiles, rings' winding."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from pmtiles.reader import MmapSource, Reader, all_tiles
from shapely.geometry import MultiPolygon, Polygon, shape

from landuse.io import read_parcels
from landuse.rules import assess
from landuse.webmap import mvt
from landuse.webmap import tiles as old
from landuse.webmap.archive import LIFECYCLE_PRIORITY, write_pmtiles
from landuse.webmap.classes import classify_layers

AS_OF = "2023-10-31"


def test_zigzag_and_varints_are_the_specs() -> None:
    # protobuf's zigzag: 0, -1, 1, -2, 2 -> 0, 1, 2, 3, 4; 2**31 - 1 -> 2**32 - 2
    assert mvt.zigzag(np.array([0, -1, 1, -2, 2, 2**31 - 1])).tolist() == [
        0, 1, 2, 3, 4, 2**32 - 2]
    # varints: 1 -> 01, 150 -> 96 01, 300 -> ac 02 (the protobuf guide's examples), 0 -> 00
    buf, n = mvt.varints(np.array([1, 150, 300, 0]))
    assert buf.tobytes() == bytes([0x01, 0x96, 0x01, 0xAC, 0x02, 0x00])
    assert n.tolist() == [1, 2, 2, 1]


def _old_tiles(parcels: gpd.GeoDataFrame) -> dict[tuple[int, int, int], bytes]:
    """Every tile as the feature-by-feature encoder (``tiles.mvt_tiles``) makes it."""
    codes, _, _ = classify_layers(parcels, None, "zh")
    prio = np.array([LIFECYCLE_PRIORITY.get(str(v), 1) for v in parcels["lifecycle"]],
                    dtype=np.int16)
    ts = old.prepare(parcels.to_crs(4326).geometry.to_numpy(), codes, prio)
    return {(z, x, y): d for z in range(ts.minzoom, ts.maxzoom + 1)
            for x, y, d in old.mvt_tiles(ts, z)}


def _archive_tiles(path: Path) -> dict[tuple[int, int, int], bytes]:
    with open(path, "rb") as f:
        return {zxy: gzip.decompress(d) for zxy, d in all_tiles(Reader(MmapSource(f)).get_bytes)}


def _features(data: bytes) -> dict[int, tuple[dict[str, int], object]]:
    t = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return {int(ft["properties"]["f"]): (ft["properties"], shape(ft["geometry"]))
            for ft in t["p"]["features"]}


def _same_as_old(parcels: gpd.GeoDataFrame, tmp_path: Path) -> int:
    before = _old_tiles(parcels)
    write_pmtiles(parcels, tmp_path / "new.pmtiles")
    after = _archive_tiles(tmp_path / "new.pmtiles")
    assert set(after) == set(before)
    for zxy, data in before.items():
        a, b = _features(data), _features(after[zxy])
        assert set(a) == set(b), zxy
        for f, (props, geom) in a.items():
            assert b[f][0] == props, (zxy, f)
            assert shapely.hausdorff_distance(geom, b[f][1]) <= 1.0, (zxy, f)
    return len(before)


def test_same_tiles_as_the_feature_by_feature_encoder_sample_park(sample_park: Path,
                                                                   tmp_path: Path) -> None:
    parcels = assess(read_parcels(sample_park), AS_OF)
    assert _same_as_old(parcels, tmp_path) > 10


def test_same_tiles_as_the_feature_by_feature_encoder_synthetic_province(tmp_path: Path,
                                                                         ) -> None:
    from bench.synth import make_province

    parcels = assess(make_province(3000, 6), AS_OF)
    assert _same_as_old(parcels, tmp_path) > 100


def _ring_areas(geometry: dict) -> list[list[float]]:
    """Signed area of every ring (surveyor's formula, tile coordinates, y down), per
    polygon."""
    polys = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
             else geometry["coordinates"])
    out = []
    for poly in polys:
        areas = []
        for ring in poly:
            r = np.asarray(ring, dtype=float)
            areas.append(float(np.sum(r[:-1, 0] * r[1:, 1] - r[1:, 0] * r[:-1, 1]) / 2))
        out.append(areas)
    return out


@pytest.mark.parametrize("reverse", [False, True])
def test_holes_and_multipolygons_keep_the_specs_winding(reverse: bool) -> None:
    """Exterior rings of positive area in tile coordinates (y down), holes negative, however
    the input's rings run: a square of 100 m with a hole of 40 m, and a second part."""
    def ring(x0: float, y0: float, s: float) -> list[tuple[float, float]]:
        r = [(x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s), (x0, y0)]
        return r[::-1] if reverse else r

    holed = Polygon(ring(0, 0, 100), [ring(30, 30, 40)])
    part = Polygon(ring(200, 0, 80))
    geoms = gpd.GeoSeries([MultiPolygon([holed, part]), Polygon(ring(0, 300, 90))],
                          crs=3857).translate(12_950_000, 4_850_000)
    lonlat = geoms.to_crs(4326).to_numpy()
    ga = mvt.geom_arrays(lonlat)
    codes = np.array([[0], [1]], dtype=np.int16)
    pieces = mvt.zone_pieces(ga, codes, np.zeros(2, np.int16), 0, 18, 18)
    tiles = list(mvt.level_tiles(mvt.merge_zoom([pieces], 18), 18, 3))
    assert tiles
    found = {}
    for _, data in tiles:
        for ft in mapbox_vector_tile.decode(
                data, default_options={"y_coord_down": True})["p"]["features"]:
            found[ft["properties"]["f"]] = (ft["geometry"], ft["properties"])
    assert found[0][0]["type"] == "MultiPolygon" and found[1][0]["type"] == "Polygon"
    assert found[0][1] == {"f": 0, "c0": 0} and found[1][1] == {"f": 1, "c0": 1}
    areas = _ring_areas(found[0][0])
    assert [len(a) for a in areas] == [2, 1]  # the square with its hole, then the part
    assert areas[0][0] > 0 and areas[0][1] < 0 and areas[1][0] > 0
    assert _ring_areas(found[1][0])[0][0] > 0
    # at zoom 18 a tile unit is 0.6 m / 16: the hole's area is (40 m / unit)², within 2 %
    unit = 2 * np.pi * 6378137 / 2**18 / 4096  # Web Mercator metres per tile unit
    assert abs(-areas[0][1] * unit**2 / 1600 - 1) < 0.02


def test_tiles_encoded_in_batches_are_the_same_bytes(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.synth import make_province

    parcels = assess(make_province(1500, 3), AS_OF)
    write_pmtiles(parcels, tmp_path / "one.pmtiles")
    monkeypatch.setattr(mvt, "BATCH", 7)  # a handful of features per batch, whole tiles
    write_pmtiles(parcels, tmp_path / "many.pmtiles")
    assert (tmp_path / "one.pmtiles").read_bytes() == (tmp_path / "many.pmtiles").read_bytes()


def test_tile_ids_are_the_pmtiles_packages() -> None:
    from pmtiles.tile import zxy_to_tileid

    rng = np.random.default_rng(3)
    for z in (0, 1, 2, 7, 12, 16, 18):
        x = rng.integers(0, 2**z, 300)
        y = rng.integers(0, 2**z, 300)
        got = mvt.tile_ids(z, x, y).tolist()
        assert got == [zxy_to_tileid(z, int(a), int(b)) for a, b in zip(x, y, strict=True)]
