"""Per-parcel statistics from one raster: land-cover shares and spectral indices.

Each function reprojects the parcels to the raster's CRS (the raster is never resampled),
gets the exact parcel x pixel coverage (from the cache when the grid was seen before),
reads the covered pixels window by window (:mod:`landuse.raster.read`) and hands them to
the pure summaries (:mod:`landuse.raster.summary`).

The result is a DataFrame aligned with the parcels, with a ``warnings`` column (list of
codes per parcel, a tuple) and a ``reasons`` column (tuple of sentences, 中文 + English); a parcel
that cannot be measured gets NaN and a reason, never 0.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from landuse.errors import CRSError, DataSourceError, SchemaError
from landuse.raster.classes import GROUPS, ClassTable, load_class_table
from landuse.raster.coverage import Coverage, CoverageCache
from landuse.raster.read import iter_cells
from landuse.raster.source import RasterInfo, check_bands, open_raster, parse_band_map
from landuse.raster.summary import (
    N_GROUP_COLS,
    add_class_sums,
    normalized_difference,
    shares_from_class_sums,
    weighted_sums,
)

__all__ = ["RasterRun", "landcover_shares", "parcel_coverage", "spectral_indices"]


@dataclass
class RasterRun:
    """What a raster pass found besides the numbers (for the CLI and the report)."""

    raster: RasterInfo
    outside_ids: list[Any] = field(default_factory=list)
    unmapped_codes: list[int] = field(default_factory=list)
    no_valid_ids: list[Any] = field(default_factory=list)


def _as_info(raster: str | Path | RasterInfo) -> RasterInfo:
    return raster if isinstance(raster, RasterInfo) else open_raster(raster)


def _ids(parcels: gpd.GeoDataFrame) -> np.ndarray:
    if "parcel_id" in parcels.columns:
        return parcels["parcel_id"].astype(str).to_numpy()
    return np.asarray([str(i) for i in parcels.index])


def parcel_coverage(
    parcels: gpd.GeoDataFrame, raster: RasterInfo, cache: CoverageCache | None = None
) -> tuple[Coverage, gpd.GeoSeries]:
    """Reproject the parcels to the raster's CRS and get their exact pixel coverage."""
    if parcels.crs is None:
        raise CRSError(
            "The parcels have no CRS, so they cannot be placed on the raster. "
            "Fix: assign their CRS (e.g. EPSG:4490 or EPSG:4527)."
        )
    geoms = parcels.geometry
    if not CRS.from_user_input(parcels.crs).equals(raster.crs.to_wkt()):
        geoms = geoms.to_crs(raster.crs)
    cache = cache if cache is not None else CoverageCache()
    cov = cache.get(geoms, raster)
    if cov.n_cells == 0:
        rl, rb, rr, rt = raster.bounds
        pl, pb, pr, pt = geoms.total_bounds
        raise DataSourceError(
            f"{raster.path}: the raster does not overlap any of the {len(parcels)} parcels "
            f"(raster bounds {rl:.6g}, {rb:.6g}, {rr:.6g}, {rt:.6g}; parcels {pl:.6g}, {pb:.6g}, "
            f"{pr:.6g}, {pt:.6g} in {raster.crs.to_string()}). Fix: give a raster of the "
            "parcels' area, or check the parcels' CRS (栅格与宗地不重叠)."
        )
    return cov, geoms


def _raster_coverage(cov_px: np.ndarray, geoms: gpd.GeoSeries, raster: RasterInfo) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # geographic CRS area warning: a ratio is fine here
        area = geoms.area.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(cov_px * raster.pixel_area / area, 0.0, 1.0)


class _Frame:
    """A result frame plus per-parcel tuples of warning codes and reasons."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        # one shared empty tuple per parcel: no per-parcel allocation for the usual case
        self.warnings: list[tuple[str, ...]] = [()] * len(df)
        self.reasons: list[tuple[str, ...]] = [()] * len(df)

    def add(self, i: int, code: str | None, reason: str) -> None:
        if code:
            self.warnings[i] = (*self.warnings[i], code)
        self.reasons[i] = (*self.reasons[i], reason)

    def done(self) -> pd.DataFrame:
        self.df["warnings"] = pd.Series(self.warnings, index=self.df.index, dtype=object)
        self.df["reasons"] = pd.Series(self.reasons, index=self.df.index, dtype=object)
        return self.df


def _base_frame(
    parcels: gpd.GeoDataFrame, cov: Coverage, geoms: gpd.GeoSeries, run: RasterRun
) -> tuple[_Frame, np.ndarray]:
    covered = cov.covered
    frame = _Frame(pd.DataFrame(index=parcels.index))
    outside = covered == 0
    ids = _ids(parcels)
    run.outside_ids = ids[outside].tolist()
    for i in np.flatnonzero(outside):
        frame.add(
            int(i),
            "outside_raster",
            f"宗地不在栅格 {Path(run.raster.path).name} 范围内 / parcel lies outside raster "
            f"{Path(run.raster.path).name}: no evidence from it.",
        )
    return frame, outside


def _note_partial(
    frame: _Frame, rc: np.ndarray, outside: np.ndarray, name: str, min_cov: float
) -> None:
    for i in np.flatnonzero((rc < min_cov) & ~outside & (rc > 0)):
        frame.add(
            int(i),
            "partly_outside_raster",
            f"仅 {rc[i]:.0%} 的宗地面积有 {name} 的有效像元 / only {rc[i]:.0%} of the parcel "
            f"has valid pixels of {name}; shares are over that part.",
        )


def _note_no_valid(
    frame: _Frame,
    valid_w: np.ndarray,
    outside: np.ndarray,
    name: str,
    run: RasterRun,
    ids: np.ndarray,
) -> None:
    bad = (valid_w <= 0) & ~outside
    run.no_valid_ids = ids[bad].tolist()
    for i in np.flatnonzero(bad):
        frame.add(
            int(i),
            "no_valid_pixels",
            f"宗地上 {name} 的像元全部为无数据值 / every pixel of {name} under the parcel is "
            "nodata: no value (not 0).",
        )


def landcover_shares(
    parcels: gpd.GeoDataFrame,
    raster: str | Path | RasterInfo,
    classes: str | Path | dict[str, Any] | ClassTable | None = None,
    cache: CoverageCache | None = None,
    min_raster_coverage: float = 0.95,
) -> tuple[pd.DataFrame, RasterRun]:
    """Share of each parcel's area that is built-up, bare, vegetation, water (and other).

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels with a CRS (any; they are reprojected to the raster's).
    raster : path or RasterInfo
        A single-band categorical raster (band 1 is used).
    classes : class table spec
        See :func:`~landuse.raster.classes.load_class_table`; default ESA WorldCover.
    cache : CoverageCache, optional
        Reuse coverage across rasters on the same grid (dates).

    Returns
    -------
    (DataFrame, RasterRun)
        Columns ``builtup_share``, ``bare_share``, ``vegetation_share``, ``water_share``,
        ``other_share``, ``unmapped_share``, ``raster_coverage``, ``warnings``, ``reasons``.
    """
    info = _as_info(raster)
    table = load_class_table(classes)
    if not info.is_integer:
        raise SchemaError(
            f"{info.path}: band 1 holds {info.dtypes[0]} values, not class codes. Fix: for a "
            "multispectral raster give --band-map (e.g. red=3,nir=4); for land cover give "
            "an integer class raster."
        )
    run = RasterRun(info)
    cov, geoms = parcel_coverage(parcels, info, cache)
    n = len(parcels)
    sums = np.zeros((n, N_GROUP_COLS))
    unmapped_pairs: list[np.ndarray] = []
    lut = table.column_lut(info.dtypes[0])
    for blk in iter_cells(info, cov, [1]):
        v = blk.values[0]
        valid = blk.valid[0]
        if lut is not None:  # one table lookup: group, unmapped or the table's nodata
            col = lut[v.view(f"u{v.dtype.itemsize}")]
        else:
            gidx = table.group_index(v)
            col = np.where(gidx < 0, len(GROUPS), gidx).astype(np.uint8)
            if table.nodata is not None:
                col[v == table.nodata] = len(GROUPS) + 1
        col[~valid] = len(GROUPS) + 1
        add_class_sums(sums, blk.ids, blk.local, blk.weight, col)
        miss = col == len(GROUPS)
        if miss.any():
            unmapped_pairs.append(
                np.unique(
                    np.stack([blk.ids[blk.local[miss]].astype(np.int64), v[miss].astype(np.int64)]),
                    axis=1,
                )
            )
    sh = shares_from_class_sums(sums)
    frame, outside = _base_frame(parcels, cov, geoms, run)
    for g in GROUPS:
        frame.df[f"{g}_share"] = sh[f"{g}_share"]
    frame.df["unmapped_share"] = sh["unmapped_share"]
    rc = _raster_coverage(sh["valid_weight"], geoms, info)
    frame.df["raster_coverage"] = np.where(outside, 0.0, rc)
    name = Path(info.path).name
    ids = _ids(parcels)
    _note_no_valid(frame, sh["valid_weight"], outside, name, run, ids)
    _note_partial(frame, frame.df["raster_coverage"].to_numpy(), outside, name, min_raster_coverage)
    if unmapped_pairs:
        pairs = np.unique(np.concatenate(unmapped_pairs, axis=1), axis=1)
        run.unmapped_codes = sorted({int(c) for c in pairs[1]})
        for p in np.unique(pairs[0]):
            codes = ", ".join(str(int(c)) for c in pairs[1][pairs[0] == p])
            i = int(p)
            us = float(sh["unmapped_share"][i])
            frame.add(
                int(i),
                "unmapped_classes",
                f"栅格类别 {codes} 不在分类表 '{table.name}' 中（占宗地 "
                f"{us:.0%}）/ raster classes {codes} are not in class "
                f"table '{table.name}' ({us:.0%} of the parcel, "
                "counted in no group). Fix: add them with --classes.",
            )
    return frame.done(), run


def spectral_indices(
    parcels: gpd.GeoDataFrame,
    raster: str | Path | RasterInfo,
    band_map: str | dict[str, int],
    cache: CoverageCache | None = None,
    min_raster_coverage: float = 0.95,
) -> tuple[pd.DataFrame, RasterRun]:
    """Coverage-weighted mean NDVI (and NDBI / BSI when the bands allow) per parcel.

    NDVI = (nir - red) / (nir + red) needs ``red`` and ``nir``. The built-up / bare-soil
    index needs a SWIR band: NDBI = (swir1 - nir) / (swir1 + nir) with ``swir1`` and ``nir``;
    BSI = ((swir1 + red) - (nir + blue)) / ((swir1 + red) + (nir + blue)) when ``blue`` is
    also mapped. With only RGB + NIR no built-up index is computed (visible-band substitutes
    confuse bright roofs with bare soil) and ``ndbi_mean``/``bsi_mean`` stay NaN with a reason.
    Indices are computed per pixel from the raw values (pixels where any band used is
    nodata are left out), then averaged with exact coverage weights.
    """
    info = _as_info(raster)
    bands = parse_band_map(band_map)
    check_bands(info, bands)
    want: dict[str, tuple[str, ...]] = {}
    if {"red", "nir"} <= bands.keys():
        want["ndvi"] = ("nir", "red")
    if {"swir1", "nir"} <= bands.keys():
        want["ndbi"] = ("swir1", "nir")
    if {"swir1", "red", "nir", "blue"} <= bands.keys():
        want["bsi"] = ("swir1+red", "nir+blue")
    if not want:
        raise SchemaError(
            f"{info.path}: band map {bands} allows no index. Fix: map red and nir for NDVI "
            "(e.g. --band-map red=3,nir=4) and swir1 for NDBI."
        )
    names = list(bands)
    order = [bands[k] for k in names]
    run = RasterRun(info)
    cov, geoms = parcel_coverage(parcels, info, cache)
    n = len(parcels)
    acc = {k: (np.zeros(n), np.zeros(n)) for k in want}
    for blk in iter_cells(info, cov, order):
        b = {k: blk.values[i] for i, k in enumerate(names)}
        ok = {k: blk.valid[i] for i, k in enumerate(names)}
        for idx_name, (pos, neg) in want.items():
            a = sum(b[p].astype(np.float64) for p in pos.split("+"))
            c = sum(b[q].astype(np.float64) for q in neg.split("+"))
            valid = np.logical_and.reduce([ok[x] for x in (*pos.split("+"), *neg.split("+"))])
            nd, good = normalized_difference(np.asarray(a), np.asarray(c), valid)
            swx, sw = weighted_sums(blk.pidx, blk.weight, nd, good, n)
            acc[idx_name][0][:] += swx
            acc[idx_name][1][:] += sw
    frame, outside = _base_frame(parcels, cov, geoms, run)
    first = next(iter(want))
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in ("ndvi", "ndbi", "bsi"):
            if k in acc:
                swx, sw = acc[k]
                frame.df[f"{k}_mean"] = np.where(sw > 0, swx / np.where(sw > 0, sw, 1), np.nan)
            else:
                frame.df[f"{k}_mean"] = np.nan
    rc = _raster_coverage(acc[first][1], geoms, info)
    frame.df["raster_coverage"] = np.where(outside, 0.0, rc)
    name = Path(info.path).name
    _note_no_valid(frame, acc[first][1], outside, name, run, _ids(parcels))
    _note_partial(frame, frame.df["raster_coverage"].to_numpy(), outside, name, min_raster_coverage)
    if "ndbi" not in want:
        for i in np.flatnonzero(~outside):
            frame.add(
                int(i),
                None,
                f"{name} 无短波红外波段，未计算建设/裸土指数 / {name} has no SWIR band mapped: "
                "no built-up/bare-soil index (NDBI needs swir1).",
            )
    return frame.done(), run
