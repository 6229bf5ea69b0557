"""Validate a parcel layer: one row per problem, nothing dropped silently (pure, no I/O).

:func:`validate` runs the checks of :data:`CHECKS` (a list of small functions, each
``check(ctx) -> DataFrame | None``) and returns a problems DataFrame with the columns
of :data:`PROBLEM_COLUMNS`:

``parcel_id``, ``row`` (1-based record number in the source; None for file-level
problems), ``field``, ``value``, ``problem``, ``fix``, ``severity`` (``error`` or
``warning``).

Later issues add rule-level checks by appending to :data:`CHECKS` (or passing
``checks=``). Problems the reader found on the way (unparseable cells, a cut area header,
attribute-join mismatches) travel in ``parcels.attrs["landuse"]`` and are reported here.

Overlaps use an STRtree over the envelopes, keep only pairs whose envelopes share
interior, and test those with one vectorised DE-9IM call, so a million parcels on a grid
costs seconds. An overlap is reported when its ellipsoidal area exceeds
``overlap_min_m2`` (default 0.01 m²), which ignores floating-point slivers between
neighbours that share an edge.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError

from landuse.core.area import ellipsoidal_area_m2
from landuse.core.values import parse_bools, parse_dates, parse_numbers
from landuse.errors import CRSError
from landuse.standard import get_standard

__all__ = [
    "CHECKS",
    "DATE_ORDER",
    "PROBLEM_COLUMNS",
    "ValidationContext",
    "repair_geometries",
    "summarise_problems",
    "validate",
]

PROBLEM_COLUMNS = ["parcel_id", "row", "field", "value", "problem", "fix", "severity"]

DATE_ORDER: list[tuple[str, str, str]] = [
    ("approval_date", "supply_date", "land supplied before its approval 供地早于批准"),
    ("supply_date", "start_date", "construction started before the land was supplied 开工早于供地"),
    ("start_date", "completion_date", "completed before construction started 竣工早于开工"),
    ("completion_date", "production_date", "production began before completion 投产早于竣工"),
    ("agreed_start_date", "agreed_completion_date",
     "agreed completion before agreed start 约定竣工早于约定动工"),
]
"""(earlier, later, problem): pairs of dates that must not contradict each other."""

POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass
class ValidationContext:
    """What the checks share: the layer, options and values computed once."""

    gdf: gpd.GeoDataFrame
    area_tolerance: float = 0.01
    overlap_min_m2: float = 0.01
    progress: bool = False
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.gdf)

    @property
    def geoms(self) -> np.ndarray:
        if "geoms" not in self.cache:
            self.cache["geoms"] = np.asarray(self.gdf.geometry.values, dtype=object)
        return self.cache["geoms"]

    @property
    def ids(self) -> np.ndarray:
        if "ids" not in self.cache:
            if "parcel_id" in self.gdf.columns:
                self.cache["ids"] = self.gdf["parcel_id"].to_numpy(dtype=object)
            else:
                self.cache["ids"] = np.full(self.n, None, dtype=object)
        return self.cache["ids"]

    @property
    def polygonal(self) -> np.ndarray:
        """True for non-empty Polygon/MultiPolygon rows."""
        if "polygonal" not in self.cache:
            g = self.geoms
            tid = shapely.get_type_id(g)
            self.cache["polygonal"] = np.isin(tid, (3, 6)) & ~shapely.is_empty(g)
        return self.cache["polygonal"]

    @property
    def finite(self) -> np.ndarray:
        """True for rows whose coordinates are all finite (missing rows count as finite)."""
        if "finite" not in self.cache:
            coords, idx = shapely.get_coordinates(self.geoms, return_index=True)
            bad = ~np.isfinite(coords).all(axis=1)
            out = np.ones(self.n, dtype=bool)
            out[np.unique(idx[bad])] = False
            self.cache["finite"] = out
        return self.cache["finite"]

    @property
    def valid(self) -> np.ndarray:
        if "valid" not in self.cache:
            self.cache["valid"] = shapely.is_valid(self.geoms)
        return self.cache["valid"]

    @property
    def usable(self) -> np.ndarray:
        """Rows whose geometry can be measured: valid, finite, non-empty polygons."""
        return self.polygonal & self.finite & self.valid

    @property
    def areas_m2(self) -> np.ndarray:
        """Ellipsoidal areas (NaN where unusable or without CRS)."""
        if "areas" not in self.cache:
            out = np.full(self.n, np.nan)
            if self.gdf.crs is not None:
                ok = self.usable
                if ok.any():
                    out[ok] = ellipsoidal_area_m2(self.gdf.geometry[ok])
            self.cache["areas"] = out
        return self.cache["areas"]

    def frame(
        self,
        pos: np.ndarray | Sequence[int],
        field: str,
        values: Any,
        problem: str | Sequence[str],
        fix: str | Sequence[str],
        severity: str = "error",
    ) -> pd.DataFrame:
        """Problems for 0-based row positions ``pos`` (vectorised)."""
        pos = np.asarray(pos, dtype=np.int64)
        n = len(pos)
        vals = [None if _isna(v) else str(v) for v in values] if n else []
        return pd.DataFrame({
            "parcel_id": self.ids[pos] if n else [],
            "row": pos + 1,
            "field": [field] * n,
            "value": vals,
            "problem": list(problem) if not isinstance(problem, str) else [problem] * n,
            "fix": list(fix) if not isinstance(fix, str) else [fix] * n,
            "severity": [severity] * n,
        })


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _one(field: str, problem: str, fix: str, severity: str = "error", value: Any = None
         ) -> pd.DataFrame:
    return pd.DataFrame([{"parcel_id": None, "row": None, "field": field, "value": value,
                          "problem": problem, "fix": fix, "severity": severity}])


# ----------------------------------------------------------------------------- checks
def check_reader(ctx: ValidationContext) -> pd.DataFrame | None:
    """Problems the reader recorded: file-level ones and unparseable cells."""
    meta = ctx.gdf.attrs.get("landuse", {})
    parts = []
    probs = meta.get("problems") or []
    if probs:
        parts.append(pd.DataFrame(probs, columns=PROBLEM_COLUMNS))
    cells = meta.get("cells") or {}
    if cells.get("row"):
        rows = np.asarray(cells["row"], dtype=np.int64)
        rows_ok = rows < ctx.n
        df = pd.DataFrame({
            "parcel_id": ctx.ids[rows[rows_ok]],
            "row": rows[rows_ok] + 1,
            "field": np.asarray(cells["field"], dtype=object)[rows_ok],
            "value": np.asarray(cells["value"], dtype=object)[rows_ok],
            "problem": np.asarray(cells["problem"], dtype=object)[rows_ok],
            "fix": np.asarray(cells["fix"], dtype=object)[rows_ok],
            "severity": "error",
        })
        parts.append(df)
    return pd.concat(parts, ignore_index=True) if parts else None


def check_crs(ctx: ValidationContext) -> pd.DataFrame | None:
    """A layer without a CRS cannot be measured or overlaid."""
    if ctx.gdf.crs is not None:
        return None
    return _one(
        "geometry",
        "no coordinate reference system declared 未声明坐标系 (.prj missing?)",
        "give the CRS with --assume-crs EPSG:xxxx (EPSG:4490 CGCS2000 lon/lat, EPSG:4527 "
        "CGCS2000 3° zone 39 …) or add the .prj next to the .shp",
    )


def _false_easting(crs: CRS) -> float | None:
    op = crs.coordinate_operation
    if op is None:
        return None
    for p in op.params:
        if p.name.lower() in ("false easting", "easting at false origin"):
            return float(p.value)
    return None


def _gk_epsg(crs: CRS, zone: int) -> str:
    """Suggest the EPSG code of the same family with a zone prefix ``zone``."""
    if "CGCS2000" in crs.name:
        if "3-degree" in crs.name and 25 <= zone <= 45:
            return f"EPSG:{4488 + zone}"
        if 13 <= zone <= 23:
            return f"EPSG:{4478 + zone}"
    return f"the {crs.name.split('/')[0].strip()} CRS of zone {zone}"


def check_coordinates(ctx: ValidationContext) -> pd.DataFrame | None:
    """Coordinates implausible for the declared CRS: swapped axes, wrong Gauss-Krüger zone
    prefix, metre values in a geographic CRS, degrees in a projected one."""
    if ctx.gdf.crs is None:
        return None
    crs = CRS.from_user_input(ctx.gdf.crs)
    g = ctx.geoms
    ok = ~(shapely.is_missing(g) | shapely.is_empty(g)) & ctx.finite
    if not ok.any():
        return None
    b = shapely.bounds(g)
    x = (b[:, 0] + b[:, 2]) / 2
    y = (b[:, 1] + b[:, 3]) / 2
    parts = []
    aou = crs.area_of_use
    if crs.is_geographic:
        metres = ok & ((np.abs(x) > 1000) | (np.abs(y) > 1000))
        if metres.any():
            zone = np.floor(x[metres] / 1e6).astype(int)
            sugg = [
                f"declare the projected CRS the values are in, e.g. EPSG:{4488 + int(z)} "
                f"(CGCS2000 3° zone {int(z)})" if 25 <= z <= 45 else
                f"declare the projected CRS the values are in, e.g. EPSG:{4478 + int(z)} "
                f"(CGCS2000 6° zone {int(z)})"
                if 13 <= z <= 45 else
                "declare the projected CRS the values are in (e.g. EPSG:4527 or a UTM zone)"
                for z in zone
            ]
            parts.append(ctx.frame(
                np.flatnonzero(metres), "geometry",
                [f"x={a:.0f}, y={c:.0f}" for a, c in zip(x[metres], y[metres], strict=False)],
                f"metre values in a geographic CRS ({crs.to_string()}) 地理坐标系中出现米制坐标",
                sugg,
            ))
        rest = ok & ~metres
        swapped = rest & (np.abs(y) > 90) & (np.abs(y) <= 180) & (np.abs(x) <= 90)
        if aou is not None:
            inside = _inside(x, y, aou.bounds)
            inside_swapped = _inside(y, x, aou.bounds)
            swapped |= rest & ~inside & inside_swapped
            outside = rest & ~swapped & ~inside & ~_inside(x, y, aou.bounds, margin=0.5)
            if outside.any():
                parts.append(ctx.frame(
                    np.flatnonzero(outside), "geometry",
                    [f"lon={a:.5f}, lat={c:.5f}"
                     for a, c in zip(x[outside], y[outside], strict=True)],
                    f"outside the area of use of {crs.to_string()} ({aou.name}) 超出坐标系适用范围",
                    "check the CRS and the coordinates", "warning",
                ))
        if swapped.any():
            parts.append(ctx.frame(
                np.flatnonzero(swapped), "geometry",
                [f"x={a:.5f}, y={c:.5f}" for a, c in zip(x[swapped], y[swapped], strict=False)],
                "latitude and longitude swapped 经纬度颠倒 (x holds the latitude)",
                "swap the coordinates so x = longitude, y = latitude",
            ))
        return pd.concat(parts, ignore_index=True) if parts else None
    # projected
    degrees = ok & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    if degrees.any():
        parts.append(ctx.frame(
            np.flatnonzero(degrees), "geometry",
            [f"x={a:.6f}, y={c:.6f}" for a, c in zip(x[degrees], y[degrees], strict=False)],
            f"degree values in a projected CRS ({crs.to_string()}) 投影坐标系中出现经纬度",
            "declare the geographic CRS of the data (EPSG:4490 CGCS2000 or EPSG:4326)",
        ))
    rest = ok & ~degrees
    fe = _false_easting(crs)
    gk_checked = np.zeros(ctx.n, dtype=bool)
    if fe is not None and crs.coordinate_operation is not None and (
        "Transverse Mercator" in crs.coordinate_operation.method_name
    ):
        declared_zone = int(fe // 1_000_000) if fe >= 1_000_000 else None
        prefix = np.floor(np.where(np.isfinite(x), x, 0) / 1e6).astype(np.int64)
        northing_like = (x >= 1e6) & (x < 1e7) & (y >= 1e7)
        swapped = rest & northing_like
        if swapped.any():
            parts.append(ctx.frame(
                np.flatnonzero(swapped), "geometry",
                [f"x={a:.0f}, y={c:.0f}" for a, c in zip(x[swapped], y[swapped], strict=False)],
                "x holds the northing and y the easting 坐标X/Y颠倒",
                "swap the coordinates so x = easting (with zone prefix), y = northing",
            ))
        rest2 = rest & ~swapped
        if declared_zone is not None:
            no_prefix = rest2 & (x < 1e6)
            wrong = rest2 & (x >= 1e7) & (prefix != declared_zone)
            if no_prefix.any():
                parts.append(ctx.frame(
                    np.flatnonzero(no_prefix), "geometry",
                    [f"x={a:.0f}" for a in x[no_prefix]],
                    f"easting without the zone prefix {declared_zone} that {crs.to_string()} "
                    "expects 横坐标缺少带号",
                    "declare the CRS without zone prefix (central-meridian form, e.g. "
                    "EPSG:4548 for CM 117°E) or add the prefix",
                ))
            if wrong.any():
                parts.append(ctx.frame(
                    np.flatnonzero(wrong), "geometry",
                    [f"x={a:.0f}" for a in x[wrong]],
                    [f"easting has zone prefix {p} but {crs.to_string()} is zone "
                     f"{declared_zone} 带号与坐标系不符" for p in prefix[wrong]],
                    [f"declare {_gk_epsg(crs, int(p))}" for p in prefix[wrong]],
                ))
        else:
            prefixed = rest2 & (x >= 1e7)
            if prefixed.any():
                parts.append(ctx.frame(
                    np.flatnonzero(prefixed), "geometry",
                    [f"x={a:.0f}" for a in x[prefixed]],
                    [f"easting carries zone prefix {p} but {crs.to_string()} has none "
                     "横坐标含带号, 坐标系无带号" for p in prefix[prefixed]],
                    [f"declare {_gk_epsg(crs, int(p))}" for p in prefix[prefixed]],
                ))
        gk_checked = rest
    if aou is not None:
        try:
            tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
            bx = tr.transform_bounds(*aou.bounds)
        except Exception:  # pragma: no cover - exotic CRS
            bx = None
        if bx is not None and all(np.isfinite(bx)):
            w, h = bx[2] - bx[0], bx[3] - bx[1]
            bounds = (bx[0] - 0.5 * w, bx[1] - 0.5 * h, bx[2] + 0.5 * w, bx[3] + 0.5 * h)
            outside = rest & ~gk_checked & ~_inside(x, y, bounds)
            if outside.any():
                parts.append(ctx.frame(
                    np.flatnonzero(outside), "geometry",
                    [f"x={a:.0f}, y={c:.0f}" for a, c in zip(x[outside], y[outside], strict=False)],
                    f"far outside the area of use of {crs.to_string()} 超出坐标系适用范围",
                    "check that the declared CRS is the one the coordinates are in",
                ))
    return pd.concat(parts, ignore_index=True) if parts else None


def _inside(x: np.ndarray, y: np.ndarray, b: tuple[float, float, float, float],
            margin: float = 0.0) -> np.ndarray:
    return (x >= b[0] - margin) & (x <= b[2] + margin) & (y >= b[1] - margin) & (
        y <= b[3] + margin)


def check_geometry(ctx: ValidationContext) -> pd.DataFrame | None:
    """Missing, empty, non-polygon, non-finite and invalid geometries."""
    g = ctx.geoms
    parts = []
    missing = shapely.is_missing(g)
    empty = ~missing & shapely.is_empty(g)
    if missing.any():
        parts.append(ctx.frame(np.flatnonzero(missing), "geometry", [None] * int(missing.sum()),
                               "no geometry 无图形", "draw the parcel's polygon or remove the row"))
    if empty.any():
        parts.append(ctx.frame(np.flatnonzero(empty), "geometry", ["EMPTY"] * int(empty.sum()),
                               "empty geometry 空图形", "draw the parcel's polygon"))
    present = ~missing & ~empty
    types = shapely.get_type_id(g)
    nonpoly = present & ~np.isin(types, (3, 6))
    if nonpoly.any():
        tn = [shapely.get_type_id(x) for x in g[nonpoly]]
        names = {0: "Point", 1: "LineString", 2: "LinearRing", 4: "MultiPoint",
                 5: "MultiLineString", 7: "GeometryCollection"}
        parts.append(ctx.frame(
            np.flatnonzero(nonpoly), "geometry", [names.get(int(t), str(t)) for t in tn],
            "not a polygon in a parcel layer 非面要素 (cannot be measured)",
            "replace it with the parcel's polygon, or move it to a separate point layer",
        ))
    nonfinite = present & ~ctx.finite
    if nonfinite.any():
        parts.append(ctx.frame(
            np.flatnonzero(nonfinite), "geometry", ["NaN/inf"] * int(nonfinite.sum()),
            "coordinates are NaN or infinite 坐标含NaN或无穷大",
            "re-digitise or correct the vertices in the source GIS",
        ))
    check = present & ctx.finite & ~ctx.valid
    if check.any():
        reasons = shapely.is_valid_reason(g[check])
        parts.append(ctx.frame(
            np.flatnonzero(check), "geometry", reasons,
            [f"invalid geometry 图形无效: {r}" for r in reasons],
            "repair with 'landuse validate INPUT --fix REPAIRED.gpkg' (make_valid) or in "
            "the source GIS, then check the result",
        ))
    return pd.concat(parts, ignore_index=True) if parts else None


def check_ids(ctx: ValidationContext) -> pd.DataFrame | None:
    """The parcel id column exists, is filled and unique."""
    if "parcel_id" not in ctx.gdf.columns:
        return _one(
            "parcel_id", "no parcel id column 缺少宗地号字段 (宗地号, 宗地编号, 地块编号, DKBH …)",
            "name the id column 宗地号 or parcel_id, or give --id-column COLUMN",
        )
    s = ctx.gdf["parcel_id"]
    txt = s.astype("string").str.strip()
    blank = (txt.isna() | (txt == "")).to_numpy()
    parts = []
    if blank.any():
        parts.append(ctx.frame(np.flatnonzero(blank), "parcel_id", [None] * int(blank.sum()),
                               "parcel id missing 宗地号为空", "fill in the parcel id"))
    dup = txt.duplicated(keep=False).to_numpy() & ~blank
    if dup.any():
        pos = np.flatnonzero(dup)
        first_row = pd.Series(np.arange(ctx.n) + 1)[dup].groupby(txt[dup].to_numpy()).transform(
            lambda r: ", ".join(map(str, r.iloc[:5])) + (" …" if len(r) > 5 else ""))
        parts.append(ctx.frame(
            pos, "parcel_id", txt.iloc[pos].to_numpy(),
            [f"duplicate parcel id 宗地号重复 (rows {r})" for r in first_row],
            "give every parcel its own id; merge or renumber the duplicates",
        ))
    return pd.concat(parts, ignore_index=True) if parts else None


def check_values(ctx: ValidationContext) -> pd.DataFrame | None:
    """Standard fields whose values do not have the standard's type (frames not read by
    :mod:`landuse.io`; the reader reports its own in ``attrs``), and unknown codes."""
    std = get_standard()
    seen = set()
    cells = ctx.gdf.attrs.get("landuse", {}).get("cells") or {}
    for r, f in zip(cells.get("row", []), cells.get("field", []), strict=False):
        seen.add((r, f))
    parts = []
    for f in std.fields["parcels"]:
        if f.name not in ctx.gdf.columns:
            continue
        s = ctx.gdf[f.name]
        bad: np.ndarray = np.array([], dtype=np.int64)
        what = ""
        if f.type == "date" and s.dtype.kind != "M":
            _, bad = parse_dates(s)
            what = "unparseable date 日期无法识别"
        elif f.type in ("number", "area", "int") and s.dtype.kind not in "iuf":
            _, bad = parse_numbers(s)
            what = "unparseable number 数值无法识别"
        elif f.type == "bool" and s.dtype.kind != "b" and s.dtype != "boolean":
            _, bad = parse_bools(s)
            what = "unreadable yes/no value 是否值无法识别"
        elif f.type == "code" and f.codes:
            allowed = set(std.codes[f.codes])
            present = s.notna().to_numpy()
            bad = np.flatnonzero(present & ~s.isin(allowed).to_numpy())
            what = f"unknown code 未知代码 ({f.codes})"
        bad = np.array([b for b in bad if (int(b), f.name) not in seen], dtype=np.int64)
        if len(bad):
            fix = (f"use one of: {', '.join(std.codes[f.codes])}" if f.type == "code" and f.codes
                   else f"correct the {f.type} in the source")
            parts.append(ctx.frame(bad, f.name, s.iloc[bad].to_numpy(), what, fix))
    return pd.concat(parts, ignore_index=True) if parts else None


def check_dates_order(ctx: ValidationContext) -> pd.DataFrame | None:
    """Dates that contradict each other (warnings)."""
    parts = []
    for early, late, what in DATE_ORDER:
        if early not in ctx.gdf.columns or late not in ctx.gdf.columns:
            continue
        a, b = ctx.gdf[early], ctx.gdf[late]
        if a.dtype.kind != "M" or b.dtype.kind != "M":
            continue
        bad = (b < a).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            pos = np.flatnonzero(bad)
            parts.append(ctx.frame(
                pos, late,
                [f"{early}={x:%Y-%m-%d}, {late}={y:%Y-%m-%d}"
                 for x, y in zip(a.iloc[pos], b.iloc[pos], strict=False)],
                what, f"check {early} and {late} against the contract and the records",
                "warning",
            ))
    return pd.concat(parts, ignore_index=True) if parts else None


def check_area(ctx: ValidationContext) -> pd.DataFrame | None:
    """Registered area differing from the ellipsoidal area by more than the tolerance.

    A warning, not an error: the parcel is still usable (the rules use the registered
    area, the map the polygon), and a register is not refused for it.
    """
    if "registered_area_m2" not in ctx.gdf.columns or ctx.gdf.crs is None:
        return None
    reg = pd.to_numeric(ctx.gdf["registered_area_m2"], errors="coerce").to_numpy(dtype=float)
    comp = ctx.areas_m2
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = (reg - comp) / comp
    bad = np.isfinite(rel) & (np.abs(rel) > ctx.area_tolerance)
    if not bad.any():
        return None
    pos = np.flatnonzero(bad)
    return ctx.frame(
        pos, "registered_area_m2",
        [f"{r:.1f} m² ({r / (10000 / 15):.2f} 亩) registered vs {c:.1f} m² "
         f"({c / (10000 / 15):.2f} 亩) measured"
         for r, c in zip(reg[pos], comp[pos], strict=True)],
        [f"registered area differs from the measured ellipsoidal area by {d:+.1%} "
         f"(tolerance {ctx.area_tolerance:.1%}) 登记面积与图形面积不符" for d in rel[pos]],
        "check the polygon and the registered area (and its unit: m², 亩 or 公顷)",
        severity="warning",
    )


def check_overlaps(ctx: ValidationContext) -> pd.DataFrame | None:
    """Pairs of parcels whose interiors overlap, with the overlap area in m²."""
    ok = ctx.usable
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return None
    g = ctx.geoms[idx]
    tree = shapely.STRtree(g)
    b = shapely.bounds(g)
    chunk = 50_000
    pairs_i, pairs_j = [], []
    starts = range(0, len(g), chunk)
    bar = _progress(len(g), "overlaps 重叠检查", ctx.progress)
    for s in starts:
        qi, qj = tree.query(g[s : s + chunk])
        qi = qi + s
        keep = qi < qj
        qi, qj = qi[keep], qj[keep]
        # envelopes must share interior; neighbours touching along an edge drop out here
        w = np.minimum(b[qi, 2], b[qj, 2]) - np.maximum(b[qi, 0], b[qj, 0])
        h = np.minimum(b[qi, 3], b[qj, 3]) - np.maximum(b[qi, 1], b[qj, 1])
        keep = (w > 0) & (h > 0)
        qi, qj = qi[keep], qj[keep]
        if len(qi):
            hit = shapely.relate_pattern(g[qi], g[qj], "T********")
            pairs_i.append(qi[hit])
            pairs_j.append(qj[hit])
        bar.update(min(chunk, len(g) - s))
    bar.close()
    if not pairs_i:
        return None
    pi = np.concatenate(pairs_i)
    pj = np.concatenate(pairs_j)
    if len(pi) == 0:
        return None
    inter = shapely.intersection(g[pi], g[pj])
    inter = np.asarray([_polygonal_part(x) for x in inter], dtype=object)
    if ctx.gdf.crs is not None:
        area = ellipsoidal_area_m2(gpd.GeoSeries(inter, crs=ctx.gdf.crs))
        area = np.nan_to_num(area, nan=0.0)
        keep = area > ctx.overlap_min_m2
        unit = "m²"
    else:
        area = shapely.area(inter)
        keep = area > 0
        unit = "units² (no CRS)"
    pi, pj, area = pi[keep], pj[keep], area[keep]
    if len(pi) == 0:
        return None
    ri, rj = idx[pi], idx[pj]
    ids = ctx.ids
    return ctx.frame(
        ri, "geometry",
        [f"{a:.2f}" for a in area],
        [f"overlaps parcel {ids[j]} (row {j + 1}) by {a:.2f} {unit} 与宗地{ids[j]}重叠"
         if ids[j] is not None else
         f"overlaps the parcel in row {j + 1} by {a:.2f} {unit} 与第{j + 1}行宗地重叠"
         for j, a in zip(rj, area, strict=False)],
        "correct the shared boundary in the source GIS so the parcels do not overlap",
    )


def _polygonal_part(g: Any) -> Any:
    if g is None or shapely.get_type_id(g) in (3, 6):
        return g
    parts = shapely.get_parts(g)
    polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
    if not polys:
        return shapely.Polygon()
    return shapely.multipolygons(polys) if len(polys) > 1 else polys[0]


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, desc: str, enabled: bool) -> Any:
    if not enabled or total < 100_000:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="parcel", file=sys.stderr, leave=False)


CHECKS: list[Callable[[ValidationContext], pd.DataFrame | None]] = [
    check_reader,
    check_crs,
    check_coordinates,
    check_geometry,
    check_ids,
    check_values,
    check_dates_order,
    check_area,
    check_overlaps,
]
"""The checks, in report order; later issues append rule-level checks."""


def validate(
    parcels: gpd.GeoDataFrame,
    *,
    assume_crs: Any = None,
    area_tolerance: float = 0.01,
    overlap_min_m2: float = 0.01,
    checks: Sequence[Callable[[ValidationContext], pd.DataFrame | None]] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Check a parcel layer; return one row per problem (empty when clean).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        A layer in the standard's names (as :func:`landuse.io.read_parcels` returns).
    assume_crs : str, optional
        CRS to use when the layer has none; a missing CRS is otherwise an error.
    area_tolerance : float
        Largest accepted relative difference between ``registered_area_m2`` and the
        ellipsoidal area (0.01 = 1 %).
    overlap_min_m2 : float
        Overlaps up to this area (m²) are treated as digitising slivers and ignored.
    checks : sequence of callables, optional
        The checks to run (default :data:`CHECKS`).
    progress : bool
        Show a progress bar on stderr for long checks.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROBLEM_COLUMNS`; ``severity`` is ``error`` or ``warning``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"parcel_id": ["A", "A"]},
    ...     geometry=[box(39500000, 3100000, 39500100, 3100100),
    ...               box(39500050, 3100000, 39500150, 3100100)], crs="EPSG:4527")
    >>> p = validate(g)
    >>> sorted(p["problem"].str.split(" ").str[0].unique())
    ['duplicate', 'overlaps']
    """
    gdf = parcels
    if gdf.crs is None and assume_crs is not None:
        try:
            crs = CRS.from_user_input(assume_crs)
        except PyprojCRSError as e:
            raise CRSError(f"--assume-crs {assume_crs!r} is not a CRS. Fix: e.g. EPSG:4490.") from e
        gdf = gdf.set_crs(crs)
        gdf.attrs = parcels.attrs
    ctx = ValidationContext(gdf, area_tolerance=area_tolerance, overlap_min_m2=overlap_min_m2,
                            progress=progress)
    parts = [df for check in (checks if checks is not None else CHECKS)
             if (df := check(ctx)) is not None and len(df)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    out = pd.concat(parts, ignore_index=True)[PROBLEM_COLUMNS]
    out["row"] = out["row"].astype("Int64")
    return out


def summarise_problems(problems: pd.DataFrame) -> dict[str, int]:
    """Counts of errors and warnings."""
    sev = problems["severity"] if len(problems) else pd.Series(dtype=object)
    return {"errors": int((sev == "error").sum()), "warnings": int((sev == "warning").sum())}


def repair_geometries(parcels: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Return a copy with invalid geometries repaired by ``make_valid`` (polygonal parts
    kept) and the 0-based positions repaired.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> bow = shapely.from_wkt("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))")
    >>> fixed, pos = repair_geometries(gpd.GeoDataFrame(geometry=[bow], crs="EPSG:4527"))
    >>> bool(fixed.geometry.is_valid.all()), pos.tolist()
    (True, [0])
    """
    g = np.asarray(parcels.geometry.values, dtype=object)
    present = ~(shapely.is_missing(g) | shapely.is_empty(g))
    bad = np.flatnonzero(present & ~shapely.is_valid(g))
    out = parcels.copy()
    if len(bad):
        fixed = shapely.make_valid(g[bad], method="structure", keep_collapsed=False)
        fixed = np.asarray([_polygonal_part(x) for x in fixed], dtype=object)
        geoms = g.copy()
        geoms[bad] = fixed
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=parcels.crs))
    return out, bad
