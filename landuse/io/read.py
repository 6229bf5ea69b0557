"""Read parcel registers and ledgers into the standard's names.

Formats: GeoPackage (any layer), Shapefile, GeoJSON and TopoJSON (as GDAL reads them),
GeoParquet, and CSV/XLSX with a WKT column or lon/lat columns. An attribute table
(CSV/XLSX) can be joined onto the polygons by parcel id.

Every reader returns columns in the standard's names with values normalised by
:func:`landuse.core.normalise.normalise_values`, the source's CRS kept, a fresh
``RangeIndex`` (row ``i`` is record ``i + 1`` of the source), and what it learnt in
``attrs["landuse"]``:

``source``, ``format``, ``layer``, ``layers``, ``encoding`` (shapefiles), ``recognised``
(header -> field), ``unrecognised`` (headers kept untouched), ``units`` (field -> source
unit), ``converted`` (field -> conversion), ``truncated`` (cut headers), ``cells``
(unparseable cells: parallel lists row/field/value/problem/fix, rows 0-based),
``problems`` (file-level problems: dicts with the columns of a validation report) and
``attributes`` (the join: file, matched, unmatched ids on either side).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from landuse.core.normalise import CellProblems, normalise_values
from landuse.errors import CRSError, DataSourceError, SchemaError
from landuse.io import guards
from landuse.io.dataset import dataset_info, is_dataset, read_dataset
from landuse.io.shapefile import check_shapefile, detect_encoding
from landuse.io.units import infer_area_units
from landuse.standard import AREA_UNITS, Layer, get_standard, normalise_header

__all__ = [
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "list_layers",
    "read_attributes",
    "read_ledger",
    "read_ledger_beside",
    "read_parcels",
    "read_raw",
    "rename_to_standard",
    "standardise",
]

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".topojson", ".parquet", ".geoparquet")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")

WKT_HEADERS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "图形", "空间数据", "坐标串")
LON_HEADERS = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "中心经度")
LAT_HEADERS = ("lat", "latitude", "y", "纬度", "北纬", "中心纬度")


# ----------------------------------------------------------------------- header mapping
def rename_to_standard(
    df: pd.DataFrame,
    layer: Layer = "parcels",
    source: str = "",
    units: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rename recognised headers to the standard's names; keep unknown columns.

    ``units`` (field or header -> ``m2``/``亩``/``公顷``, from ``--unit``) states the unit
    of an area column, whatever its header says.

    Returns the renamed frame and a report: ``recognised`` (header -> field),
    ``unrecognised`` (headers kept untouched), ``units`` (field -> unit of the source),
    ``units_m2`` (field -> m² per source unit), ``truncated`` (cut headers matched),
    ``units_given`` (field -> unit from ``units``), ``pending_units`` (area field ->
    (header, unit lost): a cut header, or a header stating no unit, whose unit
    :func:`landuse.io.units.infer_area_units` checks against the parcels) and
    ``problems``.
    """
    std = get_standard()
    given = dict(units or {})
    mapping: dict[str, str] = {}
    units_src: dict[str, str] = {}
    units_m2: dict[str, float] = {}
    units_given: dict[str, str] = {}
    pending: dict[str, tuple[str, bool]] = {}
    unrecognised: list[str] = []
    truncated: list[str] = []
    problems: list[dict[str, Any]] = []
    for col in df.columns:
        if col == "geometry":
            continue
        m = std.match_header(str(col), layer)
        if m is None:
            unrecognised.append(str(col))
            continue
        if m.field.name in mapping.values():
            other = next(k for k, v in mapping.items() if v == m.field.name)
            raise SchemaError(
                f"{source}: columns '{other}' and '{col}' both mean field "
                f"'{m.field.name}'. Fix: rename or drop one of them."
            )
        name = m.field.name
        mapping[str(col)] = name
        if m.truncated:
            truncated.append(str(col))
        override = given.pop(name, None) or given.pop(str(col), None)
        if override is not None and m.field.type == "area":
            units_src[name] = units_given[name] = override
            units_m2[name] = AREA_UNITS[override]
        elif not m.unit_stated:
            pending[name] = (str(col), m.truncated)
        elif m.unit:
            units_src[name] = m.unit
            units_m2[name] = AREA_UNITS[m.unit]
    if given:
        raise SchemaError(
            f"{source}: --unit names {', '.join(given)}, which is no area column of the file. "
            "Fix: give a standard area field (e.g. footprint_m2) or a header of the file."
        )
    out = df.rename(columns=mapping)
    return out, {
        "recognised": mapping,
        "unrecognised": unrecognised,
        "units": units_src,
        "units_m2": units_m2,
        "units_given": units_given,
        "pending_units": pending,
        "truncated": truncated,
        "problems": problems,
    }


def _problem(
    *,
    problem: str,
    fix: str,
    field: str = "",
    value: Any = None,
    severity: str = "error",
    row: int | None = None,
    parcel_id: Any = None,
) -> dict[str, Any]:
    return {
        "parcel_id": parcel_id,
        "row": row,
        "field": field,
        "value": None if value is None else str(value),
        "problem": problem,
        "fix": fix,
        "severity": severity,
    }


# ----------------------------------------------------------------------- raw readers
def list_layers(path: str | Path) -> list[tuple[str, str]]:
    """Layers of a file as (name, geometry type); a single pseudo-layer for tables."""
    p = Path(path)
    suffix = p.suffix.lower()
    if is_dataset(p):
        info = dataset_info(p)
        return [("/".join(f"{k}={v}" for k, v in zip(info.keys, part, strict=True)),
                 "parquet partition") for part in info.partitions]
    if suffix in (".parquet", ".geoparquet"):
        return [(p.stem, "parquet")]
    if suffix in TABLE_SUFFIXES:
        return [(p.stem, "table")]
    _check_exists(p)
    try:
        return [(str(n), str(g)) for n, g in pyogrio.list_layers(p)]
    except Exception as e:  # pyogrio raises its own and GDAL errors
        raise DataSourceError(f"{p}: cannot be opened ({_short(e)}). Fix: {_fix_corrupt(p)}") from e


def _short(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return msg[:300]


def _fix_corrupt(p: Path) -> str:
    return (
        f"check that {p.name} is a complete, uncorrupted "
        f"{p.suffix.lstrip('.').upper() or 'data'} file (copy it again from the source)"
    )


def _check_exists(p: Path) -> None:
    if not p.exists():
        raise DataSourceError(f"{p}: file not found. Fix: check the path.")
    if p.is_dir():
        raise DataSourceError(f"{p}: is a folder, not a file. Fix: give the file inside it.")
    if p.stat().st_size == 0:
        raise DataSourceError(
            f"{p}: the file is empty (0 bytes). Fix: export the layer again from the source."
        )


def _read_vector(
    p: Path, layer: str | None, encoding: str | None, meta: dict[str, Any]
) -> gpd.GeoDataFrame:
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".geoparquet"):
        if layer is not None:
            raise DataSourceError(f"{p}: GeoParquet has one layer; drop --layer {layer}.")
        meta["format"] = "GeoParquet"
        try:
            gdf = gpd.read_parquet(p)
        except Exception as e:  # pyarrow raises many types for corrupt files
            raise DataSourceError(
                f"{p}: cannot be read as GeoParquet ({_short(e)}). Fix: {_fix_corrupt(p)}"
            ) from e
        meta["layers"] = [p.stem]
        return gdf
    kwargs: dict[str, Any] = {}
    if suffix == ".shp":
        meta["format"] = "ESRI Shapefile"
        check_shapefile(p, guards.MAX_DBF_RECORD_BYTES)
        enc = detect_encoding(p, encoding)
        meta["encoding"] = enc.encoding
        meta["encoding_source"] = enc.source
        kwargs["encoding"] = enc.encoding
    elif encoding:
        kwargs["encoding"] = encoding
        meta["encoding"] = encoding
        meta["encoding_source"] = "user"
    layers = list_layers(p)
    meta["layers"] = [n for n, _ in layers]
    if not layers:
        raise DataSourceError(f"{p}: holds no layer. Fix: check that it is the right file.")
    names = [n for n, _ in layers]
    if layer is None:
        layer = "parcels" if "parcels" in names else names[0]
    elif layer not in names:
        raise DataSourceError(
            f"{p}: has no layer '{layer}'. Layers: {', '.join(names)}. Fix: use --layer with "
            "one of them."
        )
    meta["layer"] = layer
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                info = pyogrio.read_info(p, layer=layer, **kwargs)
                gdf = pyogrio.read_dataframe(p, layer=layer, use_arrow=True, **kwargs)
            except UnicodeDecodeError:
                if "encoding" not in kwargs:
                    raise
                # a shapefile cuts field names at 10 bytes, even inside a multi-byte
                # character: read the bytes as Latin-1 (lossless) and decode ourselves
                info = pyogrio.read_info(p, layer=layer, encoding="ISO-8859-1")
                gdf = pyogrio.read_dataframe(p, layer=layer, encoding="ISO-8859-1")
                gdf = _recode(gdf, kwargs["encoding"])
                meta["encoding_source"] = (
                    f"{meta.get('encoding_source')}; field names cut inside a character"
                )
        meta["format"] = meta.get("format") or info.get("driver")
    except Exception as e:
        raise DataSourceError(
            f"{p}: layer '{layer}' cannot be read ({_short(e)}). Fix: {_fix_corrupt(p)}"
        ) from e
    if suffix == ".shp" and len(gdf) != info.get("features", len(gdf)):
        raise DataSourceError(
            f"{p}: GDAL returned {len(gdf)} of {info['features']} records; record "
            f"{len(gdf) + 1} onwards could not be read. Fix: {_fix_corrupt(p)}"
        )
    return gdf


def _recode(gdf: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Decode names and text read as Latin-1 bytes with ``encoding``; a character cut at
    the end of a field name is dropped, an undecodable byte in a value becomes U+FFFD."""
    names = {}
    for c in gdf.columns:
        if c == gdf.geometry.name:
            continue
        raw = str(c).encode("latin-1", errors="replace")
        names[c] = codecs_decode_cut(raw, encoding)
    for c in gdf.columns:
        if c == gdf.geometry.name:
            continue
        s = gdf[c]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            gdf[c] = s.map(
                lambda v: v.encode("latin-1", errors="replace").decode(encoding, errors="replace")
                if isinstance(v, str) else v
            )
    return gdf.rename(columns=names)


def codecs_decode_cut(raw: bytes, encoding: str) -> str:
    """Decode ``raw`` ignoring an incomplete character at its end (a 10-byte cut)."""
    import codecs

    dec = codecs.getincrementaldecoder(encoding)(errors="replace")
    return dec.decode(raw, final=False)


def _read_table(p: Path, meta: dict[str, Any], sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX into a DataFrame of strings/values, guarded against abuse."""
    suffix = p.suffix.lower()
    _check_exists(p)
    if suffix in (".csv", ".txt"):
        guards.check_text_cells(p)
        raw = p.read_bytes()[:4]
        meta["format"] = "CSV"
        last: Exception | None = None
        first_line = p.read_bytes()[:65536].split(b"\n", 1)[0]
        sep = max((",", ";", "\t"), key=lambda c: first_line.count(c.encode()))
        for enc in ("utf-8-sig", "gb18030"):
            try:
                df = pd.read_csv(p, encoding=enc, dtype=str, keep_default_na=False,
                                 na_values=[""], sep=sep)
                meta["encoding"] = "utf-8" if enc == "utf-8-sig" else enc
                meta["encoding_source"] = (
                    "BOM" if raw.startswith(b"\xef\xbb\xbf") else "detected: strict decode"
                )
                break
            except UnicodeDecodeError as e:
                last = e
            except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
                raise DataSourceError(
                    f"{p}: cannot be parsed as CSV ({_short(e)}). Fix: save it again as "
                    "CSV (UTF-8) from the spreadsheet."
                ) from e
        else:
            raise DataSourceError(
                f"{p}: neither UTF-8 nor GB18030 ({last}). Fix: save it as CSV UTF-8."
            )
    elif suffix in (".xlsx", ".xlsm"):
        guards.check_xlsx(p)
        meta["format"] = "XLSX"
        df = _read_xlsx(p, sheet)
    else:
        raise DataSourceError(
            f"{p}: unknown table format '{suffix}'. Fix: use .csv or .xlsx."
        )
    guards.check_frame_cells(df, str(p), guards.EXCEL_CELL_CHARS if suffix != ".csv" else
                             guards.MAX_CELL_CHARS)
    dup = [c for c in df.columns if re.search(r"\.\d+$", str(c)) and
           str(c).rsplit(".", 1)[0] in df.columns]
    if dup:
        raise SchemaError(
            f"{p}: header row 1 repeats column name(s) {', '.join(dup)}. Fix: give each "
            "column its own header."
        )
    return df.reset_index(drop=True)


def _read_xlsx(p: Path, sheet: str | None) -> pd.DataFrame:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=False, data_only=True)
    except Exception as e:
        raise DataSourceError(
            f"{p}: cannot be opened as .xlsx ({_short(e)}). Fix: save it again from Excel."
        ) from e
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
    except KeyError as e:
        raise DataSourceError(
            f"{p}: has no sheet '{sheet}'. Sheets: {', '.join(wb.sheetnames)}."
        ) from e
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= 1:
            raise SchemaError(
                f"{p}: sheet '{ws.title}', header row {rng.min_row}: merged cells "
                f"{rng.coord}. One header per column is needed. Fix: unmerge the cells and "
                "give each column a single header in row 1 (e.g. 登记面积(亩) instead of a "
                "merged 面积 above 亩)."
            )
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration as e:
        raise DataSourceError(f"{p}: sheet '{ws.title}' is empty.") from e
    if header is None or all(h is None for h in header):
        raise SchemaError(f"{p}: sheet '{ws.title}' row 1 (the header) is empty. Fix: put "
                          "the column names in row 1.")
    blanks = [i + 1 for i, h in enumerate(header) if h is None or str(h).strip() == ""]
    data = list(rows)
    width = len(header)
    for i in blanks:
        if any(r[i - 1] is not None for r in data if len(r) >= i):
            raise SchemaError(
                f"{p}: sheet '{ws.title}', header row 1, column {i}: no header above data. "
                "Fix: give the column a header (or remove it)."
            )
    keep = [i for i in range(width) if (i + 1) not in blanks]
    cols = [str(header[i]).strip() for i in keep]
    df = pd.DataFrame([[r[i] if i < len(r) else None for i in keep] for r in data],
                      columns=cols, dtype=object)
    # drop rows that are entirely empty (Excel's formatted-but-empty tail), nothing else
    empty = df.isna().all(axis=1).to_numpy()
    if empty.any():
        last_data = np.flatnonzero(~empty)
        df = df.iloc[: (last_data[-1] + 1 if len(last_data) else 0)]
    return df


def _find_col(columns: list[str], names: tuple[str, ...]) -> str | None:
    folded = {normalise_header(c): c for c in columns}
    for n in names:
        if normalise_header(n) in folded:
            return folded[normalise_header(n)]
    return None


def _table_to_gdf(df: pd.DataFrame, p: Path, meta: dict[str, Any]) -> gpd.GeoDataFrame:
    cols = [str(c) for c in df.columns]
    wkt = _find_col(cols, WKT_HEADERS)
    lon = _find_col(cols, LON_HEADERS)
    lat = _find_col(cols, LAT_HEADERS)
    problems: list[dict[str, Any]] = meta.setdefault("problems", [])
    if wkt is not None:
        txt = df[wkt].astype("string").str.strip()
        blank = txt.isna() | (txt == "")
        geoms = np.full(len(df), None, dtype=object)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            parsed = shapely.from_wkt(  # a blank cell is no geometry (None), not pd.NA
                txt.astype(object).where(~blank, None).to_numpy(dtype=object),
                on_invalid="ignore",
            )
        geoms[:] = parsed
        bad = np.flatnonzero(~blank.to_numpy() & shapely.is_missing(geoms))
        for r in bad:
            problems.append(_problem(
                row=int(r) + 1, field=wkt, value=str(txt.iloc[r])[:80],
                problem="unreadable WKT geometry 几何(WKT)无法解析",
                fix="write the geometry as WKT, e.g. POLYGON ((x1 y1, x2 y2, ..., x1 y1))",
            ))
        meta["geometry_from"] = {"wkt": wkt}
        rest = df.drop(columns=[wkt])
    elif lon is not None and lat is not None:
        from landuse.core.values import parse_numbers

        x, badx = parse_numbers(df[lon])
        y, bady = parse_numbers(df[lat])
        for col, badr in ((lon, badx), (lat, bady)):
            for r in badr:
                problems.append(_problem(
                    row=int(r) + 1, field=col, value=df[col].iloc[r],
                    problem="unreadable coordinate 坐标无法识别", fix="write a decimal number",
                ))
        ok = np.isfinite(x.to_numpy()) & np.isfinite(y.to_numpy())
        geoms = np.full(len(df), None, dtype=object)
        geoms[ok] = shapely.points(x.to_numpy()[ok], y.to_numpy()[ok])
        meta["geometry_from"] = {"lon": lon, "lat": lat}
        rest = df.drop(columns=[lon, lat])
    else:
        raise SchemaError(
            f"{p}: no geometry: no WKT column ({', '.join(WKT_HEADERS[:4])}…) and no lon/lat "
            f"columns ({'/'.join(LON_HEADERS[:4])}, {'/'.join(LAT_HEADERS[:3])}, 经度/纬度). "
            f"Columns: {', '.join(cols[:20])}. Fix: add a WKT column, or use --attributes to "
            "join this table onto a polygon layer."
        )
    return gpd.GeoDataFrame(rest, geometry=gpd.GeoSeries(geoms, index=rest.index), crs=None)


# ----------------------------------------------------------------------- public readers
def _apply_crs(gdf: gpd.GeoDataFrame, assume_crs: Any, p: Path, meta: dict[str, Any]) -> None:
    meta["crs_declared"] = gdf.crs.to_string() if gdf.crs is not None else None
    if assume_crs is None:
        return
    try:
        crs = CRS.from_user_input(assume_crs)
    except PyprojCRSError as e:
        raise CRSError(
            f"--assume-crs {assume_crs!r} is not a CRS. Fix: give e.g. EPSG:4490 or EPSG:4527."
        ) from e
    if gdf.crs is None:
        gdf.set_crs(crs, inplace=True, allow_override=True)
        meta["crs_assumed"] = crs.to_string()
    elif not CRS.from_user_input(gdf.crs).equals(crs, ignore_axis_order=True):
        raise CRSError(
            f"{p}: declares CRS {gdf.crs.to_string()} but --assume-crs says "
            f"{crs.to_string()}. A declared CRS is never overridden. Fix: drop --assume-crs, "
            "or fix the file's .prj if it is really wrong."
        )



def _standardise(
    df: pd.DataFrame,
    layer: Layer,
    p: Path,
    meta: dict[str, Any],
    id_column: str | None = None,
    units: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, CellProblems]:
    """Rename headers to the standard's names and normalise the values, recording in
    ``meta`` what was recognised, converted and found unreadable; returns the frame and
    the unreadable cells."""
    renamed, report = rename_to_standard(df, layer, str(p), units)
    meta["problems"].extend(report.pop("problems"))
    units_m2 = report.pop("units_m2")
    if id_column is not None:
        report["recognised"][id_column] = "parcel_id"
    out, summary, cells = normalise_values(renamed, layer, units_m2)
    meta.update(report)
    meta.update(summary)
    return out, cells

def read_parcels(
    path: str | Path,
    layer: str | None = None,
    encoding: str | None = None,
    attributes: str | Path | None = None,
    assume_crs: Any = None,
    id_column: str | None = None,
    units: dict[str, str] | None = None,
    where: dict[str, list[str]] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read a parcel register into the standard's names, values normalised.

    Parameters
    ----------
    path : str or Path
        GeoPackage, shapefile, GeoJSON/TopoJSON, GeoParquet, or CSV/XLSX with a WKT
        column or lon/lat columns.
    layer : str, optional
        Layer of a multi-layer file; ``parcels`` when present, else the first.
    encoding : str, optional
        Attribute encoding of a shapefile (overrides .cpg, LDID and detection).
    attributes : str or Path, optional
        A CSV/XLSX table joined onto the parcels by ``parcel_id``; unmatched ids on
        either side are reported in ``attrs["landuse"]["problems"]``.
    assume_crs : str, optional
        CRS to use when the file declares none (e.g. ``"EPSG:4490"``). A declared CRS that
        differs is an error, never overridden.
    id_column : str, optional
        A source column to use as ``parcel_id`` when no header is a parcel-id alias
        (e.g. ``"ML"`` for Cambridge's map-lot).
    units : dict, optional
        Area unit of a column (standard field or source header -> ``m2``/``亩``/``公顷``,
        as :func:`landuse.io.units.parse_unit_overrides` gives it), whatever its header
        says. A column whose unit is lost (a cut header) or unstated is otherwise checked
        against the measured areas (:func:`landuse.io.units.infer_area_units`).
    where : dict, optional
        Of a partitioned dataset (a folder written by ``convert --partition-by``): the
        partitions to read, partition column -> values; the other partitions' files are
        not opened (:func:`landuse.io.dataset.read_dataset`).
    bbox : (minx, miny, maxx, maxy), optional
        Of a partitioned dataset: only the parcels whose bounding box meets this box (in the
        dataset's CRS).

    Returns
    -------
    geopandas.GeoDataFrame
        Standard names, normalised values, unknown columns untouched, a RangeIndex.

    Raises
    ------
    DataSourceError
        The file is missing, empty, corrupt, truncated, or oversized.
    SchemaError
        Columns cannot be understood (two columns mean one field, merged header cells,
        no geometry in a table).
    CRSError
        ``assume_crs`` is not a CRS or contradicts the declared one.
    """
    p = Path(path)
    meta: dict[str, Any] = {"source": str(p), "layer": layer, "problems": []}
    suffix = p.suffix.lower()
    dataset = is_dataset(p)
    if not dataset and (where or bbox is not None):
        raise DataSourceError(f"{p}: is not a partitioned dataset, so it cannot be filtered by "
                              "partition or bbox. Fix: drop --partition/--bbox, or give the "
                              "dataset folder.")
    if not dataset:
        _check_exists(p)
    if dataset:
        raw = read_dataset(p, where, bbox)
        meta.update(format="GeoParquet dataset", layers=[p.name],
                    partition_keys=list(dataset_info(p).keys))
    elif suffix in TABLE_SUFFIXES:
        raw = _table_to_gdf(_read_table(p, meta, sheet=layer), p, meta)
        meta["layers"] = [p.stem]
    elif suffix in VECTOR_SUFFIXES:
        raw = _read_vector(p, layer, encoding, meta)
    else:
        # let GDAL try (e.g. .fgb, .kml, .gml)
        raw = _read_vector(p, layer, encoding, meta)
    if not isinstance(raw, gpd.GeoDataFrame) or raw.geometry is None:
        raise SchemaError(f"{p}: holds no geometry column. Fix: give a spatial layer.")
    guards.check_frame_cells(raw, str(p))
    raw = raw.reset_index(drop=True)
    if raw.geometry.name != "geometry":
        raw = raw.rename_geometry("geometry")
    _apply_crs(raw, assume_crs, p, meta)
    if id_column is not None:
        if id_column not in raw.columns:
            raise SchemaError(
                f"{p}: --id-column {id_column!r} is not a column. Columns: "
                f"{', '.join(map(str, raw.columns[:30]))}."
            )
        if "parcel_id" in raw.columns and id_column != "parcel_id":
            raise SchemaError(f"{p}: has a parcel_id column already; drop --id-column.")
        raw = raw.rename(columns={id_column: "parcel_id"})
    out, cells = _standardise(pd.DataFrame(raw), "parcels", p, meta, id_column, units)
    gdf = gpd.GeoDataFrame(out, geometry="geometry", crs=raw.crs)
    gdf = infer_area_units(gdf, meta.pop("pending_units"), meta)
    if attributes is not None:
        own = set(gdf.columns)
        gdf, cells = _join_attributes(gdf, Path(attributes), cells, meta)
        # area columns of the attribute table whose unit is not stated: against the
        # parcels they joined to (the layer's own columns win the join)
        pending = {f: v for f, v in meta["attributes"].pop("pending_units").items()
                   if f not in own}
        gdf = infer_area_units(gdf, pending, meta)
    meta["cells"] = cells.as_dict()
    gdf.attrs["landuse"] = meta
    return gdf


def read_attributes(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """Read an attribute table (CSV/XLSX, no geometry) into the standard's names.

    Values are normalised like the parcels'; ``attrs["landuse"]`` as for
    :func:`read_parcels`, plus ``pending_units``: area columns whose unit is lost or not
    stated (read as m² here; :func:`read_parcels` checks them against the parcels they
    join to).
    """
    p = Path(path)
    meta: dict[str, Any] = {"source": str(p), "problems": []}
    df = _read_table(p, meta, sheet)
    out, cells = _standardise(df, "parcels", p, meta)
    meta["cells"] = cells.as_dict()
    out.attrs["landuse"] = meta
    return out


def _join_attributes(
    gdf: gpd.GeoDataFrame, path: Path, cells: CellProblems, meta: dict[str, Any]
) -> tuple[gpd.GeoDataFrame, CellProblems]:
    table = read_attributes(path)
    tmeta = table.attrs["landuse"]
    src = meta["source"]
    if "parcel_id" not in gdf.columns:
        raise SchemaError(
            f"{src}: no parcel id column to join {path} on. Fix: name the id column "
            "宗地号/地块编号/parcel_id, or give --id-column."
        )
    if "parcel_id" not in table.columns:
        raise SchemaError(
            f"{path}: no parcel id column (宗地号, 地块编号, parcel_id …) to join on. "
            f"Columns: {', '.join(map(str, table.columns[:20]))}. Fix: name the id column "
            "宗地号 or parcel_id."
        )
    problems: list[dict[str, Any]] = meta["problems"]
    for prob in tmeta["problems"]:
        problems.append({**prob, "problem": f"{path.name}: {prob['problem']}"})
    tid = table["parcel_id"].astype("string").str.strip()
    dup = tid.duplicated(keep=False) & tid.notna()
    for r in np.flatnonzero(dup.to_numpy()):
        problems.append(_problem(
            row=None, parcel_id=tid.iloc[r], field="parcel_id", value=tid.iloc[r],
            problem=f"{path.name} row {r + 1}: parcel id appears more than once in the "
            "attribute table 属性表宗地号重复; only its first row is joined",
            fix="keep one row per parcel in the attribute table",
        ))
    first = ~tid.duplicated(keep="first") & tid.notna()
    tab = table[first.to_numpy()].copy()
    tab_rows = np.flatnonzero(first.to_numpy())
    tab.index = pd.Index(tid[first].to_numpy(), name="parcel_id")
    pid = gdf["parcel_id"].astype("string").str.strip()
    pos = tab.index.get_indexer(pd.Index(pid.to_numpy()))
    matched = pos >= 0
    meta["attributes"] = {
        "file": str(path),
        "matched": int(matched.sum()),
        "parcels_without_attributes": pid[~matched].dropna().tolist()[:1000],
        "attribute_ids_without_parcel": [],
        "recognised": tmeta["recognised"],
        "unrecognised": tmeta["unrecognised"],
        "pending_units": tmeta.get("pending_units", {}),
    }
    for r in np.flatnonzero(~matched):
        problems.append(_problem(
            row=int(r) + 1, parcel_id=pid.iloc[r], field="parcel_id", value=pid.iloc[r],
            problem=f"parcel has no row in the attribute table {path.name} 属性表中无此宗地",
            fix=f"add a row for it to {path.name}, or check the id for typos",
            severity="warning",
        ))
    in_parcels = set(pid.dropna().tolist())
    orphan = [(i, v) for i, v in zip(tab_rows, tab.index, strict=False) if v not in in_parcels]
    meta["attributes"]["attribute_ids_without_parcel"] = [v for _, v in orphan][:1000]
    for i, v in orphan:
        problems.append(_problem(
            row=None, parcel_id=v, field="parcel_id", value=v,
            problem=f"{path.name} row {i + 1}: no parcel with this id in {Path(src).name} "
            "属性表宗地号在图层中不存在",
            fix="check the id for typos, or add the parcel's polygon",
            severity="warning",
        ))
    # attribute-table cell problems: move onto the parcel rows they join to
    tcells = tmeta["cells"]
    row_of_tabrow = {int(t): int(r) for r, t in enumerate(np.where(matched, tab_rows[pos], -1))
                     if t >= 0}
    for r, f, v, pr, fx in zip(tcells["row"], tcells["field"], tcells["value"],
                               tcells["problem"], tcells["fix"], strict=False):
        if r in row_of_tabrow:
            cells.add(np.array([row_of_tabrow[r]]), f, [v], f"{pr} ({path.name} row {r + 1})", fx)
    # join: the parcels' own values win where present; conflicts are reported
    out = gdf.copy()
    for col in tab.columns:
        if col == "parcel_id":
            continue
        vals = tab[col].to_numpy()[np.where(matched, pos, 0)]
        joined = pd.Series(vals, index=out.index).where(matched)
        if col in out.columns and col != "geometry":
            own = out[col]
            both = own.notna().to_numpy() & joined.notna().to_numpy()
            if both.any():
                differ = both & (own.astype(str).to_numpy() != joined.astype(str).to_numpy())
                for r in np.flatnonzero(differ)[:1000]:
                    problems.append(_problem(
                        row=int(r) + 1, parcel_id=pid.iloc[r], field=str(col),
                        value=f"{own.iloc[r]} / {joined.iloc[r]}",
                        problem=f"the layer and {path.name} disagree; the layer's value is kept"
                        " 图层与属性表不一致",
                        fix="correct one of the two sources", severity="warning",
                    ))
            out[col] = own.where(own.notna(), joined)
        else:
            out[col] = joined.astype(tab[col].dtype) if tab[col].dtype != object else joined
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs), cells


def read_ledger(
    path: str | Path, layer: str = "ledger", encoding: str | None = None
) -> pd.DataFrame:
    """Read a disposal ledger (a layer of a GeoPackage, CSV or XLSX) into standard names.

    Values are normalised like the parcels' (dates, codes, 面积(亩) -> m², bools);
    ``attrs["landuse"]`` as for :func:`read_parcels`.
    """
    p = Path(path)
    _check_exists(p)
    meta: dict[str, Any] = {"source": str(p), "layer": layer, "problems": []}
    suffix = p.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        df = _read_table(p, meta, None)
    else:
        names = [n for n, _ in list_layers(p)]
        if layer not in names:
            raise DataSourceError(
                f"{p}: has no layer '{layer}'. Layers: {', '.join(names)}. Fix: give the "
                "ledger's layer name."
            )
        try:
            kw: dict[str, Any] = {"encoding": encoding} if encoding else {}
            df = pyogrio.read_dataframe(p, layer=layer, read_geometry=False, **kw)
        except Exception as e:
            raise DataSourceError(f"{p}: layer '{layer}' cannot be read ({_short(e)}).") from e
    df = pd.DataFrame(df).reset_index(drop=True)
    if "geometry" in df.columns:
        df = df.drop(columns=["geometry"])
    out, cells = _standardise(df, "ledger", p, meta)
    meta["cells"] = cells.as_dict()
    out.attrs["landuse"] = meta
    return out


def read_ledger_beside(path: str | Path) -> pd.DataFrame | None:
    """The ``ledger`` layer of a GeoPackage register (:func:`read_ledger`), None when the
    file is not a GeoPackage or has no such layer."""
    if Path(path).suffix.lower() != ".gpkg":
        return None
    if "ledger" not in {name for name, _ in list_layers(path)}:
        return None
    return read_ledger(path, layer="ledger")


def read_raw(
    path: str | Path,
    layer: str | None = None,
    encoding: str | None = None,
    meta: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Read any layer or sheet as it is (headers untouched), for the other record readers.

    Vector files through the register's reader (shapefile encoding detection, guards);
    CSV/XLSX through the table reader (``layer`` is the sheet), given a geometry when a
    WKT column is present. ``meta`` collects what was learnt (format, layer, problems).
    """
    p = Path(path)
    _check_exists(p)
    m = meta if meta is not None else {}
    m.setdefault("source", str(p))
    m.setdefault("problems", [])
    if p.suffix.lower() in TABLE_SUFFIXES:
        df: pd.DataFrame = _read_table(p, m, layer)
        m["layer"] = layer
        if _find_col([str(c) for c in df.columns], WKT_HEADERS) is not None:
            df = _table_to_gdf(df, p, m)
        return df
    if p.suffix.lower() in VECTOR_SUFFIXES:
        return _read_vector(p, layer, encoding, m)
    raise DataSourceError(f"{p}: unknown format '{p.suffix}'. Fix: use .gpkg, .shp, .csv "
                          "or .xlsx.")


def standardise(
    df: pd.DataFrame, layer: Layer, path: str | Path, meta: dict[str, Any]
) -> tuple[pd.DataFrame, CellProblems]:
    """Rename ``df``'s headers to the standard's names of ``layer`` and parse its cells
    (as the register's reader does); what was done goes into ``meta``."""
    return _standardise(df, layer, Path(path), meta)
