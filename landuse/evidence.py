"""Evidence beside every parcel: land cover, spectral indices, footprints, change, flags.

:func:`evidence` is the function the CLI, the map and the report call. It takes parcels
(a GeoDataFrame in the standard's names) and any of: a land-cover or multispectral raster,
a before/after pair, a buildings layer; and returns the parcels with the evidence fields of
§4 of the parcel standard. :func:`run_evidence` returns the same plus the discrepancy list,
the buildings outside supply and what each raster pass found (parcels outside it, unmapped
classes).

Extra columns beyond §4 (kept so a reader can judge the evidence): ``other_share``,
``unmapped_share``, ``raster_coverage``, ``ndbi_mean``, ``bsi_mean``,
``builtup_share_before``, ``evidence_date_before`` (the before raster's date),
``ndvi_change``, ``building_count``, ``evidence_warnings``
(``;``-joined codes), ``evidence_reasons`` (one sentence per finding, 中文 / English, joined
by newlines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.core.area import ellipsoidal_area_m2
from landuse.core.buildings import footprint_by_parcel
from landuse.core.discrepancy import (
    EvidenceThresholds,
    flag_discrepancies,
    load_thresholds,
)
from landuse.errors import SchemaError

__all__ = [
    "EVIDENCE_FIELDS",
    "EvidenceResult",
    "discrepancy_list",
    "evidence",
    "outside_note",
    "run_evidence",
]

EVIDENCE_FIELDS = (
    "observed_footprint_m2",
    "observed_coverage",
    "builtup_share",
    "bare_share",
    "vegetation_share",
    "water_share",
    "ndvi_mean",
    "builtup_change",
    "evidence_date",
    "records_disagree",
)
"""The evidence output fields of §4 of the parcel standard, always present in the result."""

RasterSpec = str | Path


@dataclass
class EvidenceResult:
    """Everything an evidence run produced."""

    parcels: gpd.GeoDataFrame
    discrepancies: pd.DataFrame
    outside_supply: gpd.GeoDataFrame | None = None
    runs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _date(value: Any) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    ts = pd.to_datetime(value, errors="coerce")
    if pd.isna(ts):
        raise SchemaError(f"date '{value}' is not a date. Fix: write it as YYYY-MM-DD.")
    return pd.Timestamp(ts)


def _one_raster(
    parcels: gpd.GeoDataFrame,
    path: RasterSpec,
    classes: Any,
    band_map: str | dict[str, int] | None,
    cache: Any,
    t: EvidenceThresholds,
) -> tuple[pd.DataFrame, Any, str]:
    from landuse.raster import landcover_shares, open_raster, spectral_indices

    info = open_raster(path)
    if band_map:
        frame, run = spectral_indices(parcels, info, band_map, cache, t.min_raster_coverage)
        return frame, run, "spectral"
    if info.count > 1:
        raise SchemaError(
            f"{info.path}: {info.count} bands and no --band-map. Fix: for a multispectral "
            "raster say which band is which (e.g. --band-map red=3,nir=4); a land-cover "
            "raster has one band of class codes."
        )
    frame, run = landcover_shares(parcels, info, classes, cache, t.min_raster_coverage)
    return frame, run, "categorical"


def run_evidence(
    parcels: gpd.GeoDataFrame,
    raster: RasterSpec | None = None,
    raster_date: Any = None,
    classes: Any = None,
    band_map: str | dict[str, int] | None = None,
    before: RasterSpec | None = None,
    after: RasterSpec | None = None,
    before_date: Any = None,
    after_date: Any = None,
    buildings: gpd.GeoDataFrame | None = None,
    thresholds: Any = None,
    cache: Any = None,
) -> EvidenceResult:
    """Evidence per parcel from any of a raster, a before/after pair and footprints.

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels with a CRS, in the standard's names (``parcel_id`` and the progress fields
        are used when present).
    raster : path, optional
        A land-cover raster (one band of class codes) or, with ``band_map``, a multispectral
        raster. Its date: ``raster_date``, else the file's date tag.
    classes : class table spec, optional
        For land-cover rasters (default ESA WorldCover); see
        :func:`landuse.raster.load_class_table`.
    band_map : str or dict, optional
        ``"red=3,nir=4,swir1=5"``: the raster(s) are multispectral.
    before, after : path, optional
        Two rasters of the same kind for ``builtup_change`` (and ``ndvi_change``).
    buildings : GeoDataFrame, optional
        Building footprints in the parcels' CRS (else :class:`~landuse.errors.CRSError`).
    thresholds : path, dict or EvidenceThresholds, optional
        Overrides of ``landuse/data/evidence.toml``.
    cache : CoverageCache, optional
        Coverage reused between the rasters of this run (and of others, if shared).
    """
    if raster is None and buildings is None and before is None and after is None:
        raise SchemaError(
            "No evidence source given. Fix: give at least one of --raster, "
            "--before/--after or --buildings (至少提供一种证据来源)."
        )
    if (before is None) != (after is None):
        raise SchemaError("--before and --after go together. Fix: give both rasters or neither.")
    t = load_thresholds(thresholds)
    if cache is None and (raster is not None or before is not None):
        from landuse.raster import CoverageCache

        cache = CoverageCache()
    out = parcels.copy()
    n = len(out)
    if "area_m2" not in out.columns:
        out["area_m2"] = ellipsoidal_area_m2(out.geometry)
    ev = pd.DataFrame(index=out.index)
    for f in EVIDENCE_FIELDS:
        ev[f] = np.nan
    ev["evidence_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    warns: list[list[str]] = [[] for _ in range(n)]
    reasons: list[list[str]] = [[] for _ in range(n)]
    result = EvidenceResult(out, pd.DataFrame())
    ev_date: pd.Timestamp | None = None

    def absorb(frame: pd.DataFrame, tag: str, keep: list[str]) -> None:
        for c in keep:
            if c in frame.columns:
                ev[c] = frame[c].to_numpy()
        fw: list[tuple[str, ...]] = frame["warnings"].to_list()
        fr: list[tuple[str, ...]] = frame["reasons"].to_list()
        for i in range(n):
            warns[i].extend(w for w in fw[i] if w not in warns[i])
            reasons[i].extend(r for r in fr[i] if r not in reasons[i])

    share_cols = [
        "builtup_share",
        "bare_share",
        "vegetation_share",
        "water_share",
        "other_share",
        "unmapped_share",
        "raster_coverage",
    ]
    spec_cols = ["ndvi_mean", "ndbi_mean", "bsi_mean", "raster_coverage"]
    b_date = _date(before_date)
    a_date = _date(after_date)
    if raster is not None:
        frame, run, kind = _one_raster(out, raster, classes, band_map, cache, t)
        result.runs["raster"] = run
        absorb(frame, "raster", share_cols if kind == "categorical" else spec_cols)
        ev_date = _date(raster_date) or run.raster.date
    if before is not None and after is not None:
        fb, rb, kb = _one_raster(out, before, classes, band_map, cache, t)
        fa, ra, ka = _one_raster(out, after, classes, band_map, cache, t)
        result.runs["before"], result.runs["after"] = rb, ra
        b_date = b_date or rb.raster.date
        a_date = a_date or ra.raster.date
        if rb.raster.grid_key != ra.raster.grid_key:
            result.notes.append(
                f"before ({before}) and after ({after}) are on different grids: each was "
                "measured on its own grid (no resampling); the coverage was computed twice."
            )
        if raster is None:
            absorb(fa, "after", share_cols if ka == "categorical" else spec_cols)
            ev_date = _date(raster_date) or a_date
        else:
            absorb(fa, "after", [])
        absorb(fb, "before", [])
        if kb == "categorical":
            ev["builtup_share_before"] = fb["builtup_share"].to_numpy()
            ev["builtup_change"] = fa["builtup_share"].to_numpy() - fb["builtup_share"].to_numpy()
        else:
            ev["ndvi_change"] = fa["ndvi_mean"].to_numpy() - fb["ndvi_mean"].to_numpy()
            result.notes.append(
                "before/after are multispectral: builtup_change needs land-cover rasters; "
                "ndvi_change is given instead."
            )
    if ev_date is not None:
        ev["evidence_date"] = ev_date
    if before is not None and b_date is not None:
        ev["evidence_date_before"] = pd.Series(b_date, index=out.index, dtype="datetime64[ns]")
    if buildings is not None:
        per, outside = footprint_by_parcel(out, buildings, t.outside_supply_max_share)
        ev["observed_footprint_m2"] = per["observed_footprint_m2"].to_numpy()
        ev["observed_coverage"] = per["observed_coverage"].to_numpy()
        ev["building_count"] = per["building_count"].to_numpy()
        result.outside_supply = outside
        if len(outside):
            result.notes.append(outside_note(len(outside)))
    flags = flag_discrepancies(out, ev, t, ev_date, b_date, a_date)
    ev["records_disagree"] = flags["records_disagree"].to_numpy()
    flag_warns: list[list[str]] = flags["warning_list"].to_list()
    flag_reasons: list[list[str]] = flags["reason_list"].to_list()
    for i in range(n):
        warns[i].extend(flag_warns[i])
        reasons[i] = flag_reasons[i] + reasons[i]
    ev["evidence_warnings"] = [";".join(w) for w in warns]
    ev["evidence_reasons"] = ["\n".join(r) for r in reasons]
    for c in ev.columns:
        out[c] = ev[c].to_numpy()
    result.parcels = out
    result.discrepancies = discrepancy_list(out)
    return result


def outside_note(n: int) -> str:
    """The run's note on ``n`` buildings outside supply."""
    return (f"{n} building(s) stand on no supplied parcel (outside_supply); "
            f"{n} 栋建筑不在任何已供地宗地上.")


def evidence(parcels: gpd.GeoDataFrame, **kwargs: Any) -> gpd.GeoDataFrame:
    """The parcels with the evidence fields of §4 added (see :func:`run_evidence`)."""
    return run_evidence(parcels, **kwargs).parcels


def discrepancy_list(ev: pd.DataFrame) -> pd.DataFrame:
    """One row per (parcel, flag or warning): the list the report prints.

    Columns ``parcel_id``, ``kind`` (``flag``/``warning``), ``code``, ``reason``.
    """
    rows: list[dict[str, Any]] = []
    ids = ev["parcel_id"] if "parcel_id" in ev.columns else pd.Series(ev.index, index=ev.index)
    for i in range(len(ev)):
        reasons = str(ev["evidence_reasons"].iat[i] or "").split("\n")
        for kind, col in (("flag", "records_disagree"), ("warning", "evidence_warnings")):
            for code in filter(None, str(ev[col].iat[i] or "").split(";")):
                why = next((r for r in reasons if _mentions(r, code)), "")
                rows.append({"parcel_id": ids.iat[i], "kind": kind, "code": code, "reason": why})
    return pd.DataFrame(rows, columns=["parcel_id", "kind", "code", "reason"])


_CODE_WORDS = {
    "built_but_recorded_unstarted": "recorded as not started",
    "bare_but_recorded_completed": "recorded as completed",
    "footprint_mismatch": "recorded footprint",
    "no_change_but_recorded_built": "records say construction",
    "outside_raster": "outside raster",
    "partly_outside_raster": "has valid pixels",
    "no_valid_pixels": "is nodata",
    "unmapped_classes": "not in class table",
}


def _mentions(reason: str, code: str) -> bool:
    return _CODE_WORDS.get(code, code) in reason
