"""Area units a register does not state: given by the user, or inferred from the parcels.

A shapefile cuts ``建筑基底面积(亩)`` to ``建筑基底面`` and loses the unit; a header such as
``用地面积`` names none. :func:`infer_area_units` compares such a column with the parcels'
measured (ellipsoidal) areas: the median of value × unit / measured area must fall in the
field's ``plausible`` range of the standard for exactly one of m², 亩 and 公顷. That unit
is used and reported; no unit or two plausible units leave a cut header unrecognised (kept
under its own name) and reported, never guessed. ``--unit FIELD=亩``
(:func:`parse_unit_overrides`) states the unit and skips the inference.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np

from landuse.errors import SchemaError
from landuse.standard import AREA_UNITS, code_label, get_standard

__all__ = ["UNITS", "infer_area_units", "parse_unit_overrides", "unit_of"]

def _key(code: str) -> str:
    """The :data:`~landuse.standard.AREA_UNITS` key of an ``area_unit`` code."""
    return "m2" if code == "m2" else code_label("area_unit", code, "zh")


UNITS: tuple[str, ...] = tuple(_key(c) for c in get_standard().codes["area_unit"])
"""The units a column can be read in: m2, 亩, 公顷 (keys of
:data:`landuse.standard.AREA_UNITS`; words from the standard's ``area_unit`` code list)."""


def unit_of(word: str) -> str:
    """The unit a word names (m2, 亩 or 公顷); SchemaError for another word."""
    code = get_standard().code_for("area_unit", word)
    if code is None:
        raise SchemaError(
            f"unknown area unit {word!r}. Fix: use m2 (平方米), 亩 (mu) or 公顷 (ha)."
        )
    return _key(code)


def parse_unit_overrides(items: Iterable[str] | None) -> dict[str, str]:
    """``["footprint_m2=亩", "建筑基底面=ha"]`` -> ``{"footprint_m2": "亩", "建筑基底面": "公顷"}``.

    Keys are a standard field name or a source header; checked against the file when it
    is read (:func:`landuse.io.read_parcels`).
    """
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, word = str(item).partition("=")
        if not sep or not key.strip():
            raise SchemaError(
                f"--unit {item!r}: expected FIELD=UNIT. Fix: e.g. --unit footprint_m2=亩 "
                "or --unit 建筑基底面=亩."
            )
        out[key.strip()] = unit_of(word)
    return out


def _measured(gdf: gpd.GeoDataFrame) -> np.ndarray | None:
    if gdf.crs is None:
        return None
    from landuse.core.area import ellipsoidal_area_m2

    geoms = gdf.geometry
    ok = ~(geoms.isna() | geoms.is_empty).to_numpy() & geoms.is_valid.to_numpy()
    out = np.full(len(gdf), np.nan)
    if ok.any():
        out[ok] = ellipsoidal_area_m2(geoms[ok])
    return out


def _ratios(values: np.ndarray, measured: np.ndarray) -> tuple[dict[str, float], int]:
    use = np.isfinite(values) & (values > 0) & np.isfinite(measured) & (measured > 0)
    if not use.any():
        return {}, 0
    base = values[use] / measured[use]
    return {u: float(np.median(base * AREA_UNITS[u])) for u in UNITS}, int(use.sum())


def infer_area_units(
    gdf: gpd.GeoDataFrame, pending: dict[str, tuple[str, bool]], meta: dict[str, Any]
) -> gpd.GeoDataFrame:
    """Give each pending area column its unit, or put it back under its header.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Parcels in the standard's names; the pending columns hold the source's numbers.
    pending : dict
        Field -> (source header, unit lost). Lost (a cut header): the unit must be
        inferred, else the column is not recognised. Not lost (an alias with no unit): m²
        unless m² is implausible and exactly one other unit is plausible.
    meta : dict
        ``attrs["landuse"]`` of the read: ``units``, ``converted``, ``recognised``,
        ``unrecognised`` and ``problems`` are updated; ``units_inferred`` (field -> unit,
        header, median ratio per unit, rows) and ``units_unknown`` (header -> field) added.

    Returns
    -------
    geopandas.GeoDataFrame
        The parcels with inferred columns converted to m² and unknown ones renamed back.
    """
    std = get_standard()
    measured = _measured(gdf) if pending else None
    inferred: dict[str, dict[str, Any]] = {}
    unknown: dict[str, str] = {}
    back: dict[str, str] = {}
    for field, (header, lost) in pending.items():
        rng = std.field("parcels", field).plausible
        values = np.asarray(gdf[field], dtype="float64")
        ratios, rows = _ratios(values, measured) if measured is not None else ({}, 0)
        fits = [u for u, r in ratios.items() if rng and rng[0] <= r <= rng[1]]
        if not lost and (not ratios or "m2" in fits):
            continue  # stated as m² by the standard and not implausible
        if len(fits) == 1 and (lost or fits[0] != "m2"):
            u = fits[0]
            if AREA_UNITS[u] != 1.0:
                gdf[field] = values * AREA_UNITS[u]
            meta.setdefault("units", {})[field] = u
            meta.setdefault("converted", {})[field] = (
                f"× {AREA_UNITS[u]:.6g} m² per source unit (unit inferred: {u})"
            )
            inferred[field] = {"unit": u, "header": header, "ratios": ratios, "rows": rows}
            meta["problems"].append(_inferred_problem(field, header, u, ratios, rng))
            continue
        why = _why(measured, ratios, fits, rng)
        if lost:
            back[field] = header
            unknown[header] = field
        meta["problems"].append(_unknown_problem(field, header, lost, why))
    if back:
        gdf = gdf.rename(columns=back)
        rec = meta.get("recognised", {})
        for header in back.values():
            rec.pop(header, None)
            meta.setdefault("unrecognised", []).append(header)
    meta.setdefault("units_inferred", {}).update(inferred)
    meta.setdefault("units_unknown", {}).update(unknown)
    return gdf


def _fmt(ratios: dict[str, float]) -> str:
    return ", ".join(f"as {u}: {r:.3g}" for u, r in ratios.items())


def _why(
    measured: np.ndarray | None,
    ratios: dict[str, float],
    fits: list[str],
    rng: tuple[float, float] | None,
) -> str:
    if measured is None:
        return "the parcels have no CRS, so their areas cannot be measured"
    if not ratios:
        return "no parcel has both a positive value and a measurable area"
    lo, hi = rng or (float("nan"), float("nan"))
    if fits:
        return (f"both {' and '.join(fits)} are plausible (median share of the parcel "
                f"{_fmt(ratios)}; plausible {lo:g}–{hi:g})")
    return (f"no unit is plausible (median share of the parcel {_fmt(ratios)}; plausible "
            f"{lo:g}–{hi:g})")


def _inferred_problem(
    field: str, header: str, unit: str, ratios: dict[str, float], rng: Any
) -> dict[str, Any]:
    return {
        "parcel_id": None, "row": None, "field": header, "value": None, "severity": "warning",
        "problem": (
            f"the area unit of '{header}' ({field}) is not stated; read as {unit} because only "
            f"{unit} gives plausible areas (median share of the parcel {_fmt(ratios)}; "
            f"plausible {rng[0]:g}–{rng[1]:g}) 面积单位由图形面积推断为{unit}"
        ),
        "fix": f"check it; if it is wrong give --unit {field}=<m2|亩|公顷>",
    }  # fmt: skip


def _unknown_problem(field: str, header: str, lost: bool, why: str) -> dict[str, Any]:
    if lost:
        problem = (f"header '{header}' is '{field}' cut at 10 bytes by a shapefile and its "
                   f"area unit cannot be inferred: {why}; the column is kept as is and "
                   f"{field} is missing 表头被截断, 面积单位无法推断")
    else:
        problem = (f"'{header}' ({field}) is read as m² but its values are not plausible "
                   f"areas in m²: {why} 面积单位存疑")
    return {
        "parcel_id": None, "row": None, "field": header, "value": None, "severity": "warning",
        "problem": problem,
        "fix": (f"give the unit: --unit {field}=亩 (or m2, 公顷), or rename the column "
                f"e.g. '{header}(亩)'"),
    }  # fmt: skip
