"""Deterministic synthetic evidence for the sample park (the demo job and the tests).

:func:`synthetic_landcover` paints an ESA-WorldCover-coded raster from the parcels' recorded
states: completed parcels mostly built-up, parcels under construction half built-up and half
bare, supplied-but-unstarted parcels bare and grass, unsupplied land cropland, so evidence
and records agree, except on a few parcels chosen on purpose (:data:`DELIBERATE`), where
the ground contradicts the records. :func:`synthetic_buildings` draws footprints matching the
recorded ``footprint_m2``, with one footprint off and one building on unsupplied land.
Fixed seed, no clock: two runs give identical pixels.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
import shapely.affinity
from affine import Affine
from rasterio.features import rasterize

from landuse.core.buildings import supplied_mask
from landuse.core.discrepancy import recorded_state

__all__ = [
    "choose_deliberate",
    "synthetic_buildings",
    "synthetic_landcover",
    "write_landcover",
]

# WorldCover codes
BUILT, BARE, GRASS, CROP, TREE, WATER = 50, 60, 30, 40, 10, 80

# class mixes (code, probability) per recorded state
_MIX: dict[str, list[tuple[int, float]]] = {
    "completed": [(BUILT, 0.78), (GRASS, 0.14), (BARE, 0.08)],
    "building": [(BUILT, 0.35), (BARE, 0.55), (GRASS, 0.10)],
    "unstarted": [(BARE, 0.55), (GRASS, 0.40), (BUILT, 0.05)],
    "unsupplied": [(CROP, 0.70), (GRASS, 0.25), (TREE, 0.05)],
    "built_on_paper": [(BARE, 0.75), (GRASS, 0.20), (BUILT, 0.05)],
    "built_anyway": [(BUILT, 0.70), (BARE, 0.25), (GRASS, 0.05)],
}


def choose_deliberate(parcels: gpd.GeoDataFrame, as_of: str = "2023-10-31") -> dict[str, str]:
    """The parcels where the synthetic ground contradicts the records, by parcel id.

    ``built_anyway``: the first two parcels (by id) recorded as supplied and not started,
    painted built-up (evidence of 动工 or a records error). ``built_on_paper``: the first
    parcel recorded completed long before ``as_of``, painted bare. ``no_change``: the first
    parcel whose start date falls in the last two years, left as it was before.
    """
    st = recorded_state(parcels, pd.Timestamp(as_of))
    ids = parcels["parcel_id"].astype(str)
    supplied = supplied_mask(parcels)
    unstarted = ids[st["recorded_unstarted"].to_numpy() & supplied].sort_values()
    completed = ids[st["recorded_completed"].to_numpy()].sort_values()
    start = pd.to_datetime(parcels.get("start_date"), errors="coerce")
    t0 = pd.Timestamp(as_of) - pd.DateOffset(years=2)
    recent = ids[(start > t0).to_numpy() & ~st["recorded_completed"].to_numpy()].sort_values()
    out = dict.fromkeys(unstarted.iloc[:2], "built_anyway")
    out[completed.iloc[0]] = "built_on_paper"
    if len(recent):
        out[recent.iloc[0]] = "no_change"
    return out


def _states(parcels: gpd.GeoDataFrame, as_of: pd.Timestamp) -> list[str]:
    st = recorded_state(parcels, as_of)
    supplied = supplied_mask(parcels)
    start = pd.to_datetime(parcels.get("start_date"), errors="coerce")
    out: list[str] = []
    for i in range(len(parcels)):
        if not supplied[i]:
            out.append("unsupplied")
        elif st["recorded_completed"].iat[i]:
            out.append("completed")
        elif pd.notna(start.iat[i]) and start.iat[i] <= as_of:
            out.append("building")
        else:
            out.append("unstarted")
    return out


def synthetic_landcover(
    parcels: gpd.GeoDataFrame,
    as_of: str = "2023-10-31",
    pixel: float = 10.0,
    seed: int = 20231031,
    margin: float = 100.0,
    design_as_of: str = "2023-10-31",
) -> tuple[np.ndarray, Affine]:
    """A WorldCover-coded land-cover grid of the parcels' area as of ``as_of``.

    The deliberate disagreements are chosen for ``design_as_of`` (the demo's date); an
    earlier ``as_of`` gives the "before" image: parcels started since then are still bare,
    the ``built_anyway`` parcels too (so they show new construction), and the
    ``no_change`` parcel looks the same on both dates.

    Returns the uint8 array and its transform (in the parcels' CRS). Roads between parcels
    are built-up, the margin cropland with a water channel along the south edge.
    """
    when = pd.Timestamp(as_of)
    left, bottom, right, top = parcels.total_bounds
    left, bottom = (
        np.floor((left - margin) / pixel) * pixel,
        np.floor((bottom - margin) / pixel) * pixel,
    )
    right, top = np.ceil((right + margin) / pixel) * pixel, np.ceil((top + margin) / pixel) * pixel
    width, height = round((right - left) / pixel), round((top - bottom) / pixel)
    transform = Affine(pixel, 0, left, 0, -pixel, top)
    rng = np.random.default_rng(seed)
    noise = rng.random((height, width))
    arr = np.full((height, width), CROP, dtype=np.uint8)
    arr[-max(2, height // 40) :, :] = WATER
    hull = shapely.convex_hull(shapely.union_all(parcels.geometry.values))
    roads = rasterize([(hull, 1)], out_shape=arr.shape, transform=transform, dtype="uint8")
    arr[roads == 1] = BUILT
    states = _states(parcels, when)
    design = pd.Timestamp(design_as_of)
    earlier = _states(parcels, design - pd.DateOffset(years=2))
    deliberate = choose_deliberate(parcels, design_as_of)
    ids = parcels["parcel_id"].astype(str).to_numpy()
    for i, pid in enumerate(ids):
        special = deliberate.get(pid)
        if special == "built_on_paper" or (special == "built_anyway" and when >= design):
            states[i] = special
        elif special == "no_change":
            states[i] = earlier[i]
    idx = rasterize(
        [(g, i + 1) for i, g in enumerate(parcels.geometry.values)],
        out_shape=arr.shape,
        transform=transform,
        dtype="int32",
    )
    state_of_pixel = np.array(["road", *states], dtype=object)[idx]
    for state, mix in _MIX.items():
        sel = state_of_pixel == state
        cum = 0.0
        for code, p in mix:
            pick = sel & (noise >= cum) & (noise < cum + p)
            arr[pick] = code
            cum += p
    return arr, transform


def write_landcover(
    path: str | Path, arr: np.ndarray, transform: Affine, crs: object, date: str
) -> Path:
    """Write a tiled, compressed land-cover GeoTIFF with its date tag (no atomic rename:
    callers pass a temporary path from :func:`landuse.io.atomic_path`)."""
    p = Path(path)
    with rasterio.open(
        p,
        "w",
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype="uint8",
        crs=crs,
        transform=transform,
        nodata=0,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    ) as dst:
        dst.write(arr, 1)
        dst.update_tags(ACQUISITIONDATE=pd.Timestamp(date).strftime("%Y-%m-%d"))
    return p


def synthetic_buildings(parcels: gpd.GeoDataFrame, seed: int = 7) -> gpd.GeoDataFrame:
    """Footprints for parcels with a recorded ``footprint_m2``: one centred rectangle each.

    Deliberate: the first such parcel (by id) gets a footprint 60 % of the recorded one
    (``footprint_mismatch``); one building stands on an unsupplied parcel (``outside_supply``);
    one building straddles two neighbouring parcels (apportioned by area).
    """
    rng = np.random.default_rng(seed)
    fp = pd.to_numeric(parcels.get("footprint_m2"), errors="coerce")
    ids = parcels["parcel_id"].astype(str)
    geoms: list[shapely.Geometry] = []
    names: list[str] = []
    order = np.argsort(ids.to_numpy())
    first = True
    for i in order:
        if not np.isfinite(fp.iat[i]) or fp.iat[i] <= 0:
            continue
        area = float(fp.iat[i]) * (0.6 if first else rng.uniform(0.97, 1.03))
        first = False
        g = parcels.geometry.iat[i]
        # the parcel shrunk about its centroid to the footprint's area (inside for convex ones)
        f = float(np.sqrt(min(area / g.area, 0.9)))
        b = shapely.affinity.scale(g, xfact=f, yfact=f, origin="centroid")
        geoms.append(b)
        names.append(f"B-{ids.iat[i]}")
    unsup = np.flatnonzero(~supplied_mask(parcels))
    if len(unsup):
        c = parcels.geometry.iat[int(unsup[0])].representative_point()
        geoms.append(shapely.box(c.x - 20, c.y - 15, c.x + 20, c.y + 15))
        names.append("B-unsupplied")
    return gpd.GeoDataFrame({"building_id": names}, geometry=geoms, crs=parcels.crs)
