"""One PMTiles archive of a whole register (a province): the map's vector tiles in one file.

The parcels are classified for the map's layers
(:func:`landuse.webmap.classes.classify_layers`) and tiled with the map's own rules
(:mod:`landuse.webmap.mvt`: dots below 8 px, 1/16-px snapping at the deepest level), every
level written as Mapbox Vector Tiles, gzip-compressed, into a PMTiles v3 archive with the
``pmtiles`` package. The archive's metadata holds the layers' legends (classes, colours,
labels), the parcel count and the assessment date, so a page that opens the file alone can
draw it. ``landuse serve --pmtiles FILE`` serves it with HTTP range requests.

:func:`write_pmtiles` tiles one frame; :func:`write_pmtiles_zones` tiles a province whose
development zones were assessed into parts (one file per zone): each zone's pieces are made
by a task on the engine's workers (:class:`ZoneTilesJob`), the client merges them level by
level in a fixed order, so the archive's bytes do not depend on the number of workers. Feature
``f`` numbers the parcels in the order of the zones' first parcel ids, each zone sorted by
parcel id (the assessment's row order when the zones' ids do not interleave).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.errors import DataSourceError
from landuse.io.write import atomic_path
from landuse.webmap import mvt
from landuse.webmap.classes import LayerSpec, classify_layers

if TYPE_CHECKING:
    from landuse.engine import Engine, Unit

__all__ = ["LIFECYCLE_PRIORITY", "ZoneStatsJob", "ZoneTiles", "ZoneTilesJob", "write_pmtiles",
           "write_pmtiles_zones"]

LIFECYCLE_PRIORITY = {"supplied_unused": 4, "used_incomplete": 3, "producing_below_target": 2}
"""Of parcels sharing a dot at a low zoom, the one of the highest priority is drawn."""


@dataclass(frozen=True)
class ZoneStats:
    """What the levels and the header need of a zone: its longitude/latitude bounds, its
    world bounds and every parcel's size (world units)."""

    lonlat: tuple[float, float, float, float]
    world: tuple[float, float, float, float]
    sizes: np.ndarray


@dataclass(frozen=True)
class ZoneTiles:
    """A zone's tiling: its parcel count, legends (counts and 亩 per class) and pieces
    (:func:`landuse.webmap.mvt.zone_pieces`, in memory or the ``.npz`` file a task wrote)."""

    n: int
    specs: list[LayerSpec]
    pieces: Mapping[str, np.ndarray] | str = field(default_factory=dict)


def _arrays(parcels: gpd.GeoDataFrame) -> tuple[mvt.GeomArrays, np.ndarray]:
    """The parcels as world arrays (transformed once), and their longitude/latitude bounds."""
    if parcels.crs is None:
        raise DataSourceError("parcels have no CRS: the map needs one. Fix: give --assume-crs.")
    disp = parcels.geometry.to_crs(4326)
    return mvt.geom_arrays(disp.to_numpy()), disp.total_bounds


def _stats(prepared: tuple[mvt.GeomArrays, np.ndarray]) -> ZoneStats:
    ga, lonlat = prepared
    b = ga.bbox[~np.isnan(ga.bbox[:, 0])]
    if not len(b):
        raise DataSourceError("no parcel to tile. Fix: check the input's filters.")
    lon0, lat0, lon1, lat1 = (float(v) for v in lonlat)
    return ZoneStats((lon0, lat0, lon1, lat1),
                     (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                      float(b[:, 3].max())),
                     np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))


def _tiles_of(parcels: gpd.GeoDataFrame, ga: mvt.GeomArrays, lang: str, fid0: int,
              zooms: tuple[int, int]) -> ZoneTiles:
    codes, specs, _ = classify_layers(parcels, None, lang)
    prio = np.zeros(len(parcels), dtype=np.int16)
    if "lifecycle" in parcels.columns:
        life = parcels["lifecycle"].astype(object).map(LIFECYCLE_PRIORITY)
        prio = life.fillna(1).to_numpy(dtype=np.int16)
    pieces = mvt.zone_pieces(ga, codes, prio, fid0, *zooms)
    return ZoneTiles(len(parcels), specs, pieces)


@dataclass(frozen=True)
class ZoneStatsJob:
    """A task: the :class:`ZoneStats` of one zone's assessed part (``parts``: unit name ->
    file)."""

    parts: Mapping[str, str]

    def __call__(self, unit: Unit) -> ZoneStats:
        gdf = gpd.read_parquet(self.parts[unit.name], columns=["geometry"])
        return _stats(_arrays(gdf))


@dataclass(frozen=True)
class ZoneTilesJob:
    """A task: one zone's pieces, written to ``folder`` as ``.npz`` (the client reads them
    level by level); ``fid0`` is the zone's first feature number (unit name -> number)."""

    parts: Mapping[str, str]
    fid0: Mapping[str, int]
    zooms: tuple[int, int]
    lang: str
    folder: str

    def __call__(self, unit: Unit) -> ZoneTiles:
        gdf = gpd.read_parquet(self.parts[unit.name])
        zt = _tiles_of(gdf, _arrays(gdf)[0], self.lang, self.fid0[unit.name], self.zooms)
        name = hashlib.sha1(unit.name.encode("utf-8")).hexdigest()[:20]
        path = Path(self.folder) / f"{name}.npz"
        tmp = path.with_name(f".{name}.tmp.npz")
        arrays: dict[str, Any] = dict(zt.pieces) if not isinstance(zt.pieces, str) else {}
        np.savez(tmp, **arrays)
        tmp.replace(path)
        return ZoneTiles(zt.n, zt.specs, str(path))


def _merge_specs(zones: Sequence[ZoneTiles]) -> list[LayerSpec]:
    """The zones' legends as one: counts and 亩 added zone after zone (a fixed order)."""
    import copy

    specs = copy.deepcopy(zones[0].specs)
    for z in zones[1:]:
        for s, o in zip(specs, z.specs, strict=True):
            for c, oc in zip(s.classes, o.classes, strict=True):
                c.count += oc.count
                c.mu += oc.mu
    return specs


def _write(target: str | Path, overwrite: bool, stats: Sequence[ZoneStats],
           zones: Sequence[ZoneTiles], zooms: tuple[int, int], lang: str,
           as_of: str | None, progress: bool) -> dict[str, Any]:
    """Merge the zones' pieces level by level and write the archive."""
    from pmtiles.tile import Compression, TileType
    from pmtiles.writer import Writer

    loaded = [np.load(z.pieces) if isinstance(z.pieces, str) else z.pieces for z in zones]
    specs = _merge_specs(zones)
    n_values = max(len(s.classes) for s in specs) + 1
    lon0 = min(s.lonlat[0] for s in stats)
    lat0 = min(s.lonlat[1] for s in stats)
    lon1 = max(s.lonlat[2] for s in stats)
    lat1 = max(s.lonlat[3] for s in stats)
    levels: Iterable[int] = range(zooms[0], zooms[1] + 1)
    if progress:
        from tqdm import tqdm

        levels = tqdm(levels, desc="PMTiles (zoom levels)", unit="level", file=sys.stderr)
    n_tiles = 0
    threads = max(1, min(4, os.cpu_count() or 1))
    try:
        with (atomic_path(target, overwrite) as tmp, open(tmp, "wb") as f,
              ThreadPoolExecutor(threads) as pool):
            w = Writer(f)
            for z in levels:
                tiles = mvt.level_tiles(mvt.merge_zoom(loaded, z), z, n_values)
                while chunk := list(itertools.islice(tiles, 1024 * threads)):
                    # zlib lets go of the interpreter lock: the chunk's shares in threads
                    shares = [chunk[k::threads] for k in range(threads)]
                    done = list(pool.map(_gzip, shares))
                    for k in range(len(chunk)):
                        w.write_tile(chunk[k][0], done[k % threads][k // threads])
                    n_tiles += len(chunk)
            if not n_tiles:
                raise DataSourceError("no parcel to tile. Fix: check the input's filters.")
            e7 = lambda v: round(v * 1e7)  # noqa: E731
            w.finalize(
                {"tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
                 "min_lon_e7": e7(lon0), "min_lat_e7": e7(lat0), "max_lon_e7": e7(lon1),
                 "max_lat_e7": e7(lat1), "center_zoom": zooms[0],
                 "center_lon_e7": e7((lon0 + lon1) / 2), "center_lat_e7": e7((lat0 + lat1) / 2)},
                {"name": "landuse parcels", "format": "pbf",
                 "vector_layers": [{"id": "p", "minzoom": zooms[0], "maxzoom": zooms[1],
                                    "fields": {"f": "Number",
                                               **{f"c{j}": "Number"
                                                  for j in range(len(specs))}}}],
                 "landuse": {"lang": lang, "n": sum(z.n for z in zones), "as_of": as_of,
                             "layers": [s.to_json() for s in specs]}},
            )
    finally:
        for d in loaded:
            if hasattr(d, "close"):
                d.close()
    p = Path(target)
    return {"path": p, "tiles": n_tiles, "bytes": p.stat().st_size,
            "minzoom": zooms[0], "maxzoom": zooms[1]}


def _gzip(tiles: Sequence[tuple[int, bytes]]) -> list[bytes]:
    return [gzip.compress(data, mtime=0) for _, data in tiles]


def _zooms(stats: Sequence[ZoneStats]) -> tuple[int, int]:
    bounds = (min(s.world[0] for s in stats), min(s.world[1] for s in stats),
              max(s.world[2] for s in stats), max(s.world[3] for s in stats))
    return mvt.zoom_range(bounds, np.concatenate([s.sizes for s in stats]))


def write_pmtiles(parcels: gpd.GeoDataFrame, target: str | Path, lang: str = "zh",
                  ledger: pd.DataFrame | None = None, overwrite: bool = False,
                  progress: bool = False) -> dict[str, Any]:
    """Write the map's vector tiles of ``parcels`` (assessed, with a CRS) as one PMTiles file.

    Returns what was written: ``path``, ``tiles``, ``bytes``, ``minzoom``, ``maxzoom``.
    ``ledger`` is accepted for the callers' sake; the archive's layers are the assessment's.
    """
    prepared = _arrays(parcels)
    st = _stats(prepared)
    zooms = _zooms([st])
    zt = _tiles_of(parcels, prepared[0], lang, 0, zooms)
    as_of = parcels.attrs.get("assessment", {}).get("as_of")
    return _write(target, overwrite, [st], [zt], zooms, lang, as_of, progress)


def write_pmtiles_zones(engine: Engine, zones: Sequence[tuple[Unit, str, str, int]],
                        target: str | Path, lang: str = "zh", as_of: str | None = None,
                        overwrite: bool = False, progress: bool = False,
                        step: Callable[[int, int, Any], None] | None = None) -> dict[str, Any]:
    """Write one archive of the zones assessed into parts, tiled by ``engine``'s workers.

    ``zones`` holds (unit, its part's file, its first parcel id, its row count); the parts
    must be readable by every worker (a local cluster: any folder; several hosts: a shared
    file system), and so must the folder beside ``target`` where the tasks write their
    pieces. ``step`` is called after each zone's task (twice per zone: stats, then tiles).
    Returns what :func:`write_pmtiles` returns.
    """
    import shutil
    import tempfile

    from landuse.errors import EngineError

    order = sorted(zones, key=lambda z: (z[2], z[0].name))
    units = [z[0] for z in order]
    parts = {z[0].name: z[1] for z in order}
    fid0 = dict(zip(parts, np.cumsum([0] + [z[3] for z in order])[:-1].tolist(), strict=True))

    def results(job: Callable[[Unit], Any]) -> list[Any]:
        out = engine.run(job, units, step)
        bad = [r for r in out if r.error is not None]
        if bad:
            raise EngineError("tiling failed: " + "; ".join(f"{r.unit.name}: {r.error}"
                                                            for r in bad))
        return [r.frame for r in out]

    stats = results(ZoneStatsJob(parts))
    zooms = _zooms(stats)
    folder = tempfile.mkdtemp(prefix=f".{Path(target).stem}.tiles.",
                              dir=Path(target).absolute().parent)
    try:
        tiled = results(ZoneTilesJob(parts, fid0, zooms, lang, folder))
        return _write(target, overwrite, stats, tiled, zooms, lang, as_of, progress)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
