"""Evidence of a partitioned dataset, one task per development zone, here or on Dask.

Each task reads its zone's parcels and, from the buildings file, only the buildings meeting
the zone's bounding box (a bbox-filtered read), and runs :func:`landuse.evidence.run_evidence`
on them: every parcel-level figure (shares, indices, footprint and coverage, flags) is a
function of the parcel and the buildings over it, all of which that task holds, so it equals
the one-machine figure (the footprint is summed in the buildings' file order in both).

A building is judged outside supply by the share of its footprint on supplied parcels over
*all* parcels. The zone boxes (from the dataset's ``bbox`` column, before any task runs) say
where each building's parcels can be:

* a building meeting one zone's box only can overlap that zone's parcels only: its task
  judges it whole (it is *own*);
* a building meeting several boxes may overlap parcels of each: every task that reads it
  returns its overlaps with its own parcels (parcel id, area, supplied) and the client sums
  them per building in parcel-id order (:func:`landuse.core.buildings.building_shares`, the
  order of a one-machine run), then judges it once;
* a building meeting no box overlaps no parcel: one task scans the buildings file for them
  (chunk by chunk) and returns them, outside supply with no footprint on any parcel.

So no building is counted twice or lost, and the buildings outside supply are those of a
one-machine run, in the file's order. Buildings are known by their feature id (FID).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.engine.run import UnitResult, sort_by_id
from landuse.engine.units import Unit
from landuse.errors import EngineError

__all__ = ["EvidenceJob", "ZoneEvidence", "combine_evidence", "zone_boxes"]

Box = tuple[float, float, float, float]

_CHUNK = 200_000
"""Buildings read at a time by the scan for buildings beyond every zone."""


def zone_boxes(path: str, units: list[Unit], where: dict[str, list[str]] | None = None,
               bbox: Any = None) -> list[Box | None]:
    """Each unit's parcels' bounding box (None for a unit with no parcel), from the
    dataset's ``bbox`` column (:func:`landuse.io.dataset.dataset_bounds`)."""
    from landuse.io.dataset import dataset_bounds

    out = []
    for u in units:
        w = {k: list(v) for k, v in (where or {}).items()}
        w.update(u.where)
        out.append(dataset_bounds(path, w, bbox))
    return out


@dataclass(frozen=True)
class ZoneEvidence:
    """What one zone's task returns: its parcels' evidence (sorted by parcel id), its
    buildings judged whole that are outside supply, the buildings it shares with other
    zones and their overlaps with its parcels, the buildings beyond every zone (from the
    one task that scans for them), its raster passes' findings and its notes."""

    parcels: gpd.GeoDataFrame
    outside: gpd.GeoDataFrame | None
    shared: gpd.GeoDataFrame | None
    pairs: pd.DataFrame | None
    beyond: gpd.GeoDataFrame | None
    runs: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _read_buildings(path: str, layer: str | None, box: Box | None, assume_crs: Any,
                    skip: int = 0, limit: int | None = None) -> gpd.GeoDataFrame:
    """Buildings of ``path`` meeting ``box`` (padded by a millionth of its size, so that a
    building touching the box is read whatever the driver's rounding), indexed by FID."""
    import pyogrio

    from landuse.errors import DataSourceError

    kwargs: dict[str, Any] = {"layer": layer, "fid_as_index": True}
    if box is not None:
        pad = max(box[2] - box[0], box[3] - box[1], 1.0) * 1e-6
        kwargs["bbox"] = (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
    if limit is not None:
        kwargs.update(skip_features=skip, max_features=limit)
    try:
        gdf = pyogrio.read_dataframe(path, **kwargs)
    except (RuntimeError, ValueError, OSError) as e:
        raise DataSourceError(f"{path}: buildings cannot be read ({e}). Fix: give a "
                              "GeoPackage, Shapefile or GeoJSON of building outlines.") from e
    if gdf.crs is None and assume_crs:
        gdf = gdf.set_crs(assume_crs)
    gdf = gdf.sort_index()  # the file's order (a spatial index may give another)
    gdf.index.name = None
    return gdf


def _meets(buildings: gpd.GeoDataFrame, boxes: list[Box | None]) -> np.ndarray:
    """Per building: how many zone boxes its outline meets, and whether it meets each
    (a matrix buildings x zones)."""
    real = [i for i, b in enumerate(boxes) if b is not None]
    hit = np.zeros((len(buildings), len(boxes)), dtype=bool)
    if not real or not len(buildings):
        return hit
    polys = shapely.box(*np.asarray([boxes[i] for i in real]).T)
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    bi, zi = shapely.STRtree(polys).query(geoms, predicate="intersects")
    hit[bi, np.asarray(real)[zi]] = True
    return hit


def _with_shares(rows: gpd.GeoDataFrame, area: np.ndarray, on_any: np.ndarray,
                 on_sup: np.ndarray) -> gpd.GeoDataFrame:
    out = rows.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["building_area_m2"] = area
        out["share_on_parcels"] = np.where(area > 0, on_any / area, 0.0)
        out["share_on_supplied"] = np.where(area > 0, on_sup / area, 0.0)
    return out


@dataclass(frozen=True)
class EvidenceJob:
    """The evidence of one unit (what every task runs).

    ``path`` is the dataset, ``read`` the keyword arguments of
    :func:`landuse.io.read_parcels` (``where`` the user's filter), ``boxes`` every unit's
    box in the order of ``units``, ``buildings`` the buildings file (``layer``),
    ``scan_beyond`` the name of the unit whose task also scans the buildings file for the
    buildings beyond every zone, ``cache_dir`` a folder of raster coverages shared by the
    tasks (each zone's coverage is its own file); ``options`` are the other arguments of
    :func:`landuse.evidence.run_evidence`.
    """

    path: str
    units: tuple[Unit, ...]
    boxes: tuple[Box | None, ...]
    read: dict[str, Any] = field(default_factory=dict)
    buildings: str | None = None
    layer: str | None = None
    scan_beyond: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    cache_dir: str | None = None

    def __call__(self, unit: Unit) -> ZoneEvidence:
        from landuse.evidence import run_evidence
        from landuse.io import read_parcels

        kwargs = dict(self.read)
        where = {k: list(v) for k, v in (kwargs.pop("where", None) or {}).items()}
        where.update(unit.where)
        parcels = sort_by_id(read_parcels(self.path, where=where or None, **kwargs))
        parcels = gpd.GeoDataFrame(parcels, geometry="geometry", crs=parcels.crs)
        me = self.units.index(unit)
        blds = None
        own = shared = pairs = beyond = None
        assume = kwargs.get("assume_crs")
        if self.buildings is not None:
            blds = _read_buildings(self.buildings, self.layer, self.boxes[me], assume)
            hit = _meets(blds, list(self.boxes))
            mine = hit[:, me]
            blds = blds[mine]
            many = hit[mine].sum(axis=1) > 1
            shared, pairs = self._shared(parcels, blds[many])
            if self.scan_beyond == unit.name:
                beyond = self._beyond(assume)
        cache = None
        if self.cache_dir:
            from landuse.raster import CoverageCache

            cache = CoverageCache(directory=self.cache_dir)
        res = run_evidence(parcels, buildings=blds, cache=cache, **self.options)
        if blds is not None and res.outside_supply is not None:
            own = res.outside_supply[~res.outside_supply.index.isin(blds.index[many])]
        runs = {name: {"outside_ids": list(r.outside_ids), "no_valid_ids": list(r.no_valid_ids),
                       "unmapped_codes": list(r.unmapped_codes)}
                for name, r in res.runs.items()}
        from landuse.evidence import outside_note

        note = outside_note(len(res.outside_supply)) if res.outside_supply is not None else None
        notes = [n for n in res.notes if n != note]
        return ZoneEvidence(res.parcels, own, shared, pairs, beyond, runs, notes)

    @staticmethod
    def _shared(parcels: gpd.GeoDataFrame, blds: gpd.GeoDataFrame
                ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The buildings shared with other zones (with their areas), and their overlaps with
        this zone's parcels (by FID)."""
        from landuse.core.buildings import building_areas, overlap_pairs

        rows = blds.copy()
        rows["building_area_m2"] = building_areas(blds)
        pairs = overlap_pairs(parcels, blds)
        pairs["building"] = blds.index.to_numpy()[pairs["building"].to_numpy()]
        return rows, pairs

    def _beyond(self, assume: Any) -> gpd.GeoDataFrame:
        """The buildings meeting no zone's box (outside supply when they have an area)."""
        from landuse.core.buildings import building_areas

        found = []
        skip = 0
        while True:
            chunk = _read_buildings(str(self.buildings), self.layer, None, assume, skip, _CHUNK)
            if not len(chunk):
                break
            keep = chunk[~_meets(chunk, list(self.boxes)).any(axis=1)]
            area = building_areas(keep)
            zero = np.zeros(len(keep))
            found.append(_with_shares(keep, area, zero, zero)[area > 0])
            skip += len(chunk)
            if len(chunk) < _CHUNK:
                break
        return pd.concat(found) if found else None


def combine_evidence(results: list[UnitResult], max_share: float) -> tuple[
        gpd.GeoDataFrame, gpd.GeoDataFrame | None, dict[str, dict[str, list[Any]]], list[str]]:
    """The zones' evidence put together: the parcels sorted by parcel id, the buildings
    outside supply in FID order (those judged whole by a zone, the shared ones judged here
    from their overlaps summed in parcel-id order, those beyond every zone), the raster
    passes' findings and the notes (each once, in the zones' order)."""
    from landuse.core.buildings import building_shares, outside_shares
    from landuse.engine.run import combine

    done = [r for r in results if r.frame is not None]
    if not done:
        errors = "; ".join(f"{r.unit.name}: {r.error}" for r in results)
        raise EngineError(f"no zone's evidence could be made: {errors or 'no zone'}.")
    zones: list[ZoneEvidence] = [r.frame for r in done]  # type: ignore[misc]
    parcels = combine([UnitResult(r.unit, frame=z.parcels) for r, z in zip(done, zones,
                                                                           strict=True)])
    runs: dict[str, dict[str, list[Any]]] = {}
    for z in zones:
        for name, found in z.runs.items():
            into = runs.setdefault(name, {k: [] for k in found})
            for k, v in found.items():
                into[k] += [x for x in v if x not in into[k]]
    notes: list[str] = []
    for z in zones:
        notes += [n for n in z.notes if n not in notes]
    pieces = [z.outside for z in zones if z.outside is not None]
    if all(z.outside is None for z in zones) and all(z.shared is None for z in zones):
        return parcels, None, runs, notes
    shared = [z.shared for z in zones if z.shared is not None and len(z.shared)]
    if shared:
        rows = pd.concat(shared)
        rows = rows[~rows.index.duplicated()].sort_index()
        pairs = pd.concat([z.pairs for z in zones if z.pairs is not None])
        pos = pd.Series(np.arange(len(rows)), index=rows.index)
        area = rows["building_area_m2"].to_numpy(dtype=float)
        on_any, on_sup = building_shares(pos[pairs["building"]].to_numpy(),
                                         pairs["parcel_id"].to_numpy(dtype=str),
                                         pairs["area_m2"].to_numpy(dtype=float),
                                         pairs["supplied"].to_numpy(dtype=bool), len(rows))
        out, _, _ = outside_shares(area, on_any, on_sup, max_share)
        judged = _with_shares(rows.drop(columns=["building_area_m2"]), area, on_any, on_sup)
        pieces.append(judged[out])
    pieces += [z.beyond for z in zones if z.beyond is not None]
    first = next(p for p in pieces if p is not None)
    outside = gpd.GeoDataFrame(pd.concat(pieces).sort_index(), geometry=first.geometry.name,
                               crs=first.crs)
    return parcels, outside, runs, notes
