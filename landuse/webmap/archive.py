"""One PMTiles archive of a whole register (a province): the map's vector tiles in one file.

:func:`write_pmtiles` classifies the assessed parcels for the map's layers
(:func:`landuse.webmap.classes.classify_layers`), tiles them with the map's own rules
(:mod:`landuse.webmap.tiles`: dots below 8 px, 1/16-px snapping at the deepest level) and
writes every level as Mapbox Vector Tiles, gzip-compressed, into a PMTiles v3 archive with
the ``pmtiles`` package. The archive's metadata holds the layers' legends (classes, colours,
labels), the parcel count and the assessment date, so a page that opens the file alone can
draw it. ``landuse serve --pmtiles FILE`` serves it with HTTP range requests.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.errors import DataSourceError
from landuse.io.write import atomic_path
from landuse.webmap import tiles as _tiles
from landuse.webmap.classes import classify_layers

__all__ = ["LIFECYCLE_PRIORITY", "write_pmtiles"]

LIFECYCLE_PRIORITY = {"supplied_unused": 4, "used_incomplete": 3, "producing_below_target": 2}
"""Of parcels sharing a dot at a low zoom, the one of the highest priority is drawn."""


def write_pmtiles(parcels: gpd.GeoDataFrame, target: str | Path, lang: str = "zh",
                  ledger: pd.DataFrame | None = None, overwrite: bool = False,
                  progress: bool = False) -> dict[str, Any]:
    """Write the map's vector tiles of ``parcels`` (assessed, with a CRS) as one PMTiles file.

    Returns what was written: ``path``, ``tiles``, ``bytes``, ``minzoom``, ``maxzoom``.
    """
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    codes, specs, _ = classify_layers(parcels, ledger, lang)
    disp = parcels.to_crs(4326)
    geoms = disp.geometry.to_numpy()
    life = parcels["lifecycle"] if "lifecycle" in parcels.columns else pd.Series(dtype=object)
    prio = np.array([LIFECYCLE_PRIORITY.get(str(v), 1) for v in life], dtype=np.int16)
    ts = _tiles.prepare(geoms, codes, prio if len(prio) == len(parcels) else None)
    x0, y0, x1, y1 = (float(v) for v in disp.total_bounds)
    levels = range(ts.minzoom, ts.maxzoom + 1)
    if progress:
        import sys

        from tqdm import tqdm

        levels = tqdm(levels, desc="PMTiles (zoom levels)", unit="level", file=sys.stderr)
    n_tiles = 0
    with atomic_path(target, overwrite) as tmp, open(tmp, "wb") as f:
        w = Writer(f)
        for z in levels:
            level = sorted((zxy_to_tileid(z, x, y), data) for x, y, data in _tiles.mvt_tiles(ts, z))
            for tid, data in level:
                w.write_tile(tid, gzip.compress(data, mtime=0))
            n_tiles += len(level)
        if not n_tiles:
            raise DataSourceError("no parcel to tile. Fix: check the input's filters.")
        e7 = lambda v: round(v * 1e7)  # noqa: E731
        w.finalize(
            {"tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
             "min_lon_e7": e7(x0), "min_lat_e7": e7(y0), "max_lon_e7": e7(x1),
             "max_lat_e7": e7(y1), "center_zoom": ts.minzoom,
             "center_lon_e7": e7((x0 + x1) / 2), "center_lat_e7": e7((y0 + y1) / 2)},
            {"name": "landuse parcels", "format": "pbf",
             "vector_layers": [{"id": "p", "minzoom": ts.minzoom, "maxzoom": ts.maxzoom,
                                "fields": {"f": "Number",
                                           **{f"c{j}": "Number" for j in range(len(specs))}}}],
             "landuse": {"lang": lang, "n": len(parcels),
                         "as_of": parcels.attrs.get("assessment", {}).get("as_of"),
                         "layers": [s.to_json() for s in specs]}},
        )
    p = Path(target)
    return {"path": p, "tiles": n_tiles, "bytes": p.stat().st_size,
            "minzoom": ts.minzoom, "maxzoom": ts.maxzoom}
