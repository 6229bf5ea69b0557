"""One tile made alone (for a server that makes tiles on demand) is the tile the whole
level makes, and a parcel's tiles are found from its box."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np

from landuse.webmap import make_map
from landuse.webmap import tiles as T
from tests.builders import fake_assess, synthetic_parcels


def _tileset() -> T.TileSet:
    parcels = fake_assess(synthetic_parcels(300))
    ts = make_map(parcels, tiled=True).tiled
    assert ts is not None
    return ts


def test_a_tile_made_alone_equals_the_levels_tile() -> None:
    ts = _tileset()
    for z in (ts.minzoom, (ts.minzoom + ts.maxzoom) // 2, ts.maxzoom):
        level = {(x, y): b for x, y, b in T.mvt_tiles(ts, z)}
        assert level
        for (x, y), whole in level.items():
            assert T.mvt_tile(ts, z, x, y) == whole
        # a tile beside the parcels has none
        xs = [x for x, _ in level]
        assert T.mvt_tile(ts, z, max(xs) + 2, 0) is None


def test_ids_are_carried_and_a_features_tiles_hold_it() -> None:
    ts = _tileset()
    ids = [f"P{i:04d}" for i in range(len(ts.bbox))]
    z = ts.maxzoom
    fid = 17
    found = T.tiles_of_features(ts, np.array([fid]), z)
    assert found
    for x, y in found:
        tile = mapbox_vector_tile.decode(T.mvt_tile(ts, z, x, y, ids))
        props = {f["properties"]["f"]: f["properties"] for f in tile["p"]["features"]}
        assert props[fid]["id"] == "P0017"
        assert props[fid]["c0"] == int(ts.codes[fid, 0])
    # a tile of the level no box of the feature touches does not hold it
    others = {(x, y) for x, y, _ in T.mvt_tiles(ts, z)} - found
    for x, y in others:
        tile = mapbox_vector_tile.decode(T.mvt_tile(ts, z, x, y) or b"")
        assert fid not in {f["properties"]["f"] for f in tile.get("p", {}).get("features", [])}
