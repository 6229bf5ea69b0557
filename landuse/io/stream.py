"""Write a parcel table from sorted pieces, one piece in memory at a time.

:func:`stream_table` writes what :func:`landuse.io.write.write_table` writes for the pieces
put together, in every one of :data:`~landuse.io.write.TABLE_FORMATS`, without ever holding
more than one piece: the province engine's zones (GeoParquet parts, already in parcel-id
order) are streamed through it into one output.

- ``.csv``: each piece appended (same bytes as the whole write);
- ``.geojson``: each piece written by the same GDAL driver to a scratch file, and its
  features spliced into one collection (GDAL writes every feature by itself, so the bytes
  are those of the whole write);
- ``.gpkg``: the first piece creates the layer, the others are appended to it, the layer's
  geometry type the one the whole write would choose (same content);
- ``.parquet``: a :class:`pyarrow.parquet.ParquetWriter` with the whole write's schema and
  GeoParquet metadata (its ``bbox`` the union of the pieces', ``geometry_types`` theirs
  together), one row group per piece (same content and metadata);
- ``.xlsx``: an openpyxl write-only workbook, rows appended piece by piece, then the extra
  sheets (same cells read back).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.errors import DataSourceError
from landuse.io.write import TABLE_FORMATS, atomic_path, plain

__all__ = ["csv_piece", "geometry_types", "stream_table"]

_FEATURES = '"features": [\n'
"""Where GDAL's GeoJSON collection opens its features."""

_MULTI = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "MultiPoint"}


def geometry_types(parts: Sequence[str]) -> list[str]:
    """The geometry types of GeoParquet files together, read from their ``geo`` metadata
    (sorted, as GeoParquet lists them)."""
    import pyarrow.parquet as pq

    found: set[str] = set()
    for p in parts:
        meta = json.loads((pq.read_schema(p).metadata or {}).get(b"geo", b"{}"))
        for col in meta.get("columns", {}).values():
            types = col.get("geometry_types", col.get("geometry_type", []))
            found.update([types] if isinstance(types, str) else types)
    return sorted(found)


def _layer_type(types: Sequence[str]) -> tuple[str | None, bool]:
    """The GeoPackage layer geometry type and multi promotion that pyogrio chooses for data
    of these geometry types (one type: it; a single type and its multi: the multi, promoted;
    else unknown)."""
    flat = sorted({t.removesuffix(" Z") for t in types})
    z = " Z" if any(t.endswith(" Z") for t in types) else ""
    if len(flat) == 1:
        return f"{flat[0]}{z}", False
    if len(flat) == 2 and _MULTI.get(flat[1]) == flat[0]:  # e.g. MultiPolygon, Polygon
        return f"{flat[0]}{z}", True
    return ("Unknown" if flat else None), False


def csv_piece(gdf: gpd.GeoDataFrame, path: str | Path, first: bool) -> None:
    """Write one piece of a parcel table's ``.csv`` to ``path``: the first piece with the
    byte-order mark and the header, every other piece its rows alone, so the pieces'
    bytes put end to end are those of the whole table's CSV."""
    with open(path, "w", encoding="utf-8-sig" if first else "utf-8", newline="") as f:
        _csv_rows(gdf, f, first)


def _csv_rows(gdf: gpd.GeoDataFrame, f: Any, header: bool) -> None:
    table = plain(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    table["geometry_wkt"] = gdf.geometry.to_wkt().to_numpy()
    table.to_csv(f, index=False, header=header)


def _csv(pieces: Iterable[gpd.GeoDataFrame], tmp: Path, **_: Any) -> None:
    with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        for i, gdf in enumerate(pieces):
            _csv_rows(gdf, f, i == 0)


def _geojson(pieces: Iterable[gpd.GeoDataFrame], tmp: Path, name: str, **_: Any) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=".pieces.", dir=tmp.parent))
    piece = scratch / f"{name}.geojson"
    try:
        tail, features = "", False
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            for i, gdf in enumerate(pieces):
                gdf.to_file(piece, layer=name, driver="GeoJSON", engine="pyogrio")
                text = piece.read_text(encoding="utf-8")
                start = text.index(_FEATURES) + len(_FEATURES)
                end = text.rindex("\n]\n}")
                if i == 0:
                    out.write(text[:start])
                    tail = text[end:]
                if start < end:
                    out.write((",\n" if features else "") + text[start:end])
                    features = True
                piece.unlink()
            out.write(tail)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _gpkg(pieces: Iterable[gpd.GeoDataFrame], tmp: Path, layer: str, parts: Sequence[str],
          **_: Any) -> None:
    kind, promote = _layer_type(geometry_types(parts))
    for i, gdf in enumerate(pieces):
        gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio", mode="a" if i else "w",
                    geometry_type=kind, promote_to_multi=promote)


def _parquet(pieces: Iterable[gpd.GeoDataFrame], tmp: Path, parts: Sequence[str],
             rows: int, **_: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from geopandas.io.arrow import _geopandas_to_arrow

    geo = [json.loads((pq.read_schema(p).metadata or {})[b"geo"]) for p in parts]
    writer: pq.ParquetWriter | None = None
    try:
        for gdf in pieces:
            table = _geopandas_to_arrow(gdf, index=None)
            if writer is None:
                types = pa.schema([_whole_type(f, gdf, parts) for f in table.schema])
                meta = dict(table.schema.metadata or {})
                meta.pop(b"PANDAS_ATTRS", None)  # what the parts carried is not data
                meta[b"geo"] = json.dumps(_whole_geo(json.loads(meta[b"geo"]), geo)).encode()
                empty = [f.name for f in table.schema if pa.types.is_null(f.type)]
                meta[b"pandas"] = json.dumps(_whole_pandas(json.loads(meta[b"pandas"]), types,
                                                           empty, rows)).encode()
                schema = types.with_metadata(meta)
                writer = pq.ParquetWriter(tmp, schema, compression="snappy")
            writer.write_table(table.cast(schema))
    finally:
        if writer is not None:
            writer.close()


def _whole_type(field: Any, first: pd.DataFrame, parts: Sequence[str]) -> Any:
    """The Arrow field of a column in the whole table: the first piece's, unless every value
    there is missing (Arrow's null type); then the type Arrow gives the column's values in
    the first part that has any, in the first piece's dtype."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not pa.types.is_null(field.type):
        return field
    for p in parts:
        if pa.types.is_null(pq.read_schema(p).field(field.name).type):
            continue
        values = pq.read_table(p, columns=[field.name]).column(0).to_pandas()
        return field.with_type(pa.Array.from_pandas(values.astype(first[field.name].dtype)).type)
    return field


def _whole_geo(first: dict[str, Any], parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``geo`` metadata of the whole table: the first piece's, each geometry column's
    ``bbox`` the union of the parts' and its ``geometry_types`` theirs together."""
    for name, col in first["columns"].items():
        boxes = [p["columns"][name]["bbox"] for p in parts if "bbox" in p["columns"][name]]
        if boxes:
            col["bbox"] = [min(b[0] for b in boxes), min(b[1] for b in boxes),
                           max(b[2] for b in boxes), max(b[3] for b in boxes)]
        col["geometry_types"] = sorted({t for p in parts
                                        for t in p["columns"][name]["geometry_types"]})
    return first


def _whole_pandas(first: dict[str, Any], types: Any, empty: Sequence[str],
                  rows: int) -> dict[str, Any]:
    """The ``pandas`` metadata of the whole table: the RangeIndex runs over every row, and a
    column ``empty`` in the first piece (all missing) takes the logical type of the whole."""
    from pyarrow.pandas_compat import get_logical_type

    for index in first.get("index_columns", []):
        if isinstance(index, dict) and index.get("kind") == "range":
            index["stop"] = index["start"] + rows * index["step"]
    for col in first.get("columns", []):
        name = col.get("field_name")
        if name in empty:
            col["pandas_type"] = get_logical_type(types.field(name).type)
    return first


def _cells(table: pd.DataFrame) -> Iterator[list[Any]]:
    """The rows of ``table`` as openpyxl takes them: missing values empty, timestamps as
    datetimes."""
    for row in table.itertuples(index=False, name=None):
        yield [None if v is None or (not isinstance(v, str) and pd.isna(v))
               else v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row]


def _xlsx(pieces: Iterable[gpd.GeoDataFrame], tmp: Path, layer: str,
          sheets: Sequence[tuple[str, pd.DataFrame]], sheet: str | None,
          **_: Any) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet or layer)
    for i, gdf in enumerate(pieces):
        table = plain(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
        if i == 0:
            ws.append(_header(ws, table.columns))
        for row in _cells(table):
            ws.append(_dated(ws, row))
    for name, extra in sheets:
        ws = wb.create_sheet(name)
        table = plain(extra)
        ws.append(_header(ws, table.columns))
        for row in _cells(table):
            ws.append(_dated(ws, row))
    wb.save(tmp)


def _header(ws: Any, columns: pd.Index) -> list[Any]:
    """Header cells in bold with thin borders, centred, as pandas writes them."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin")
    out = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=str(c))
        cell.font = Font(bold=True)
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        cell.alignment = Alignment(horizontal="center", vertical="top")
        out.append(cell)
    return out


def _dated(ws: Any, row: list[Any]) -> list[Any]:
    """Datetimes in cells with pandas' date-time number format."""
    import datetime as dt

    from openpyxl.cell import WriteOnlyCell

    out = []
    for v in row:
        if isinstance(v, dt.datetime):
            cell = WriteOnlyCell(ws, value=v)
            cell.number_format = "YYYY-MM-DD HH:MM:SS"
            out.append(cell)
        else:
            out.append(v)
    return out


_WRITERS: dict[str, Callable[..., None]] = {
    ".csv": _csv, ".geojson": _geojson, ".gpkg": _gpkg, ".parquet": _parquet, ".xlsx": _xlsx,
}


def stream_table(
    pieces: Iterable[gpd.GeoDataFrame],
    target: str | Path,
    parts: Sequence[str],
    rows: int,
    layer: str = "parcels",
    overwrite: bool = False,
    sheets: Sequence[tuple[str, pd.DataFrame]] = (),
    sheet: str | None = None,
) -> Path:
    """Write ``pieces`` (frames of one schema, each sorted, in order) as one parcel table.

    Parameters
    ----------
    pieces : iterable of GeoDataFrame
        Read one at a time; each columns of the whole's dtypes, the same CRS.
    target : str or Path
        The output; its suffix picks the format (one of ``TABLE_FORMATS``).
    parts : sequence of str
        The GeoParquet files the pieces come from: their metadata give the whole's
        geometry types, bbox and column types before any piece is read.
    rows : int
        The rows of all pieces (the GeoParquet RangeIndex).
    layer, overwrite, sheets, sheet
        As :func:`landuse.io.write.write_table`.

    Returns
    -------
    Path
        ``target``, written atomically.
    """
    t = Path(target)
    suffix = t.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise DataSourceError(f"{t}: unknown output format '{suffix}'. Fix: use one of "
                              + ", ".join(TABLE_FORMATS) + ".")
    with atomic_path(t, overwrite=overwrite) as tmp:
        _WRITERS[suffix](pieces, tmp, name=t.stem, layer=layer, parts=parts, rows=rows,
                         sheets=sheets, sheet=sheet)
    return t
