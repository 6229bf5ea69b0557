"""Write an assessed parcel layer to .gpkg, .parquet, .geojson, .csv or .xlsx, atomically."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.io.write import TABLE_FORMATS, write_table
from landuse.labels import both, header, label
from landuse.standard import ASSESSMENT_COLUMNS

__all__ = [
    "ASSESSMENT_FORMATS",
    "CsvPlan",
    "Part",
    "csv_plan",
    "join_pieces",
    "write_assessment",
    "write_assessment_parts",
    "write_csv_group",
]

ASSESSMENT_FORMATS = TABLE_FORMATS
"""The formats ``assess -o`` writes: those of every parcel table (:func:`write_table`)."""


def _fields_sheet(columns: pd.Index) -> pd.DataFrame:
    """The fields of the standard's assessment (§3) present in ``columns``, with their
    headers in Chinese and English."""
    rows = [(name, header(name, "zh"), header(name, "en"))
            for name in ASSESSMENT_COLUMNS if name in columns]
    return pd.DataFrame(rows, columns=[_en_zh("common", "field"), label("common", "lang_zh", "zh"),
                                       label("common", "lang_en", "en")])


def _en_zh(kind: str, key: str) -> str:
    """English first, then Chinese: sheet names and column heads of the workbook."""
    return f"{label(kind, key, 'en')} {label(kind, key, 'zh')}"


def _xlsx_sheets(attrs: dict[str, Any], columns: pd.Index,
                 rows: int) -> list[tuple[str, pd.DataFrame]]:
    """The sheets an assessment workbook has after its parcels: the fields, and what was
    assessed (date, ruleset, its files, absent fields, parcel count)."""
    meta: dict[str, Any] = attrs.get("assessment", {})
    rs = meta.get("ruleset", {})
    about = pd.DataFrame(
        [
            (both("common", "as_of"), meta.get("as_of", "")),
            (both("field", "ruleset"), rs.get("description", "")),
            (both("common", "files"), "; ".join(rs.get("files", []))),
            (both("common", "absent_fields"), ", ".join(meta.get("absent_fields", []))),
            (both("common", "parcels_n"), rows),
        ],
        columns=[_en_zh("common", "item"), _en_zh("common", "value_col")],
    )
    return [(_en_zh("common", "fields"), _fields_sheet(columns)),
            (_en_zh("common", "about"), about)]


def write_assessment(gdf: gpd.GeoDataFrame, target: str | Path, overwrite: bool = False) -> Path:
    """Write an assessment, the format chosen by the suffix of ``target``.

    ``.gpkg`` (layer ``parcels``), ``.parquet`` and ``.geojson`` keep the geometry; ``.csv``
    (UTF-8 with BOM, so Excel shows Chinese) carries it as WKT; ``.xlsx`` has no geometry
    and adds a sheet describing the fields and the ruleset used.
    """
    t = Path(target)
    sheets = _xlsx_sheets(gdf.attrs, gdf.columns, len(gdf)) if t.suffix.lower() == ".xlsx" else []
    return write_table(gdf, t, "parcels", overwrite, sheets, sheet="assessment")


Part = tuple[str, str, str]
"""One sorted part of an assessment: (GeoParquet file, its first parcel id, its last), ids
as text."""


def _groups(parts: Sequence[Part]) -> list[list[str]]:
    """The parts' files in groups whose id ranges overlap (transitively), the groups in
    parcel-id order: each group is read and sorted together, one group at a time."""
    groups: list[list[str]] = []
    last = ""
    for path, first, end in sorted(parts, key=lambda p: (p[1], p[2], p[0])):
        if groups and first <= last:
            groups[-1].append(path)
            last = max(last, end)
        else:
            groups.append([path])
            last = end
    return groups


def _common_dtypes(paths: Sequence[str]) -> pd.Series:
    """The dtype of each column once every part is put in one frame (read from the parts'
    schemas, not their rows); a text column the part's frame held as objects is objects
    again (Arrow reads text back as ``str``), as in the frame the parts were written from."""
    import json

    import pyarrow.parquet as pq

    empties = []
    for p in paths:
        schema = pq.read_schema(p)
        empty = schema.empty_table().to_pandas()
        meta = json.loads((schema.metadata or {}).get(b"pandas", b"{}"))
        for col in meta.get("columns", []):
            name = col.get("name")
            if col.get("numpy_type") == "object" and name in empty.columns:
                empty[name] = empty[name].astype(object)
        empties.append(empty)
    return pd.concat(empties, ignore_index=True).dtypes


def _read_group(paths: Sequence[str], dtypes: pd.Series) -> gpd.GeoDataFrame:
    """A group's parts as one frame sorted by parcel id, each column of its common dtype."""
    from landuse.engine import sort_by_id

    frames = [gpd.read_parquet(p) for p in paths]
    first = frames[0]
    whole = sort_by_id(pd.concat(frames, ignore_index=True)) if len(frames) > 1 else first
    geom = first.geometry.name
    for c in whole.columns:
        if c != geom and c in dtypes and whole[c].dtype != dtypes[c]:
            whole[c] = whole[c].astype(dtypes[c])
    return gpd.GeoDataFrame(whole, geometry=geom, crs=first.crs)


def write_assessment_parts(parts: Sequence[Part], target: str | Path,
                           attrs: dict[str, Any], overwrite: bool = False) -> Path:
    """Write an assessment held in sorted parts (one per development zone) as one file.

    Every format is streamed (:func:`landuse.io.stream.stream_table`): the parts are read
    one group at a time (parts whose id ranges overlap form one group) and written in
    parcel-id order, so memory holds one group, not the whole assessment. The output equals
    :func:`write_assessment` on the parts put together and sorted: the same bytes for
    ``.csv`` and ``.geojson``, the same content for ``.gpkg``, ``.parquet`` and ``.xlsx``.
    ``attrs`` are the assessment's (those of its first part).
    """
    import pyarrow.parquet as pq

    from landuse.io.stream import stream_table

    t = Path(target)
    paths = [p for p, _, _ in parts]
    dtypes = _common_dtypes(paths)
    rows = sum(pq.read_metadata(p).num_rows for p in paths)
    sheets = _xlsx_sheets(attrs, dtypes.index, rows) if t.suffix.lower() == ".xlsx" else []
    pieces = (_read_group(g, dtypes) for g in _groups(parts))
    return stream_table(pieces, t, paths, rows, "parcels", overwrite, sheets,
                        sheet="assessment")


@dataclass(frozen=True)
class CsvPlan:
    """How an assessment held in parts becomes one ``.csv`` written piece by piece on
    several processes: the groups of part files in parcel-id order (one piece each) and
    the dtype of every column of the whole."""

    groups: tuple[tuple[str, ...], ...]
    dtypes: pd.Series


def csv_plan(parts: Sequence[Part]) -> CsvPlan:
    """The :class:`CsvPlan` of ``parts`` (from their schemas; no row is read)."""
    paths = [p for p, _, _ in parts]
    return CsvPlan(tuple(tuple(g) for g in _groups(parts)), _common_dtypes(paths))


def write_csv_group(plan: CsvPlan, index: int, path: str | Path) -> None:
    """Write group ``index`` of ``plan`` as one CSV piece (the first with the header):
    the pieces joined in order (:func:`join_pieces`) are the bytes
    :func:`write_assessment_parts` writes for the ``.csv``."""
    from landuse.io.stream import csv_piece

    csv_piece(_read_group(plan.groups[index], plan.dtypes), path, index == 0)


def join_pieces(pieces: Sequence[str | Path], target: str | Path,
                overwrite: bool = False) -> Path:
    """Put files end to end into ``target``, atomically (the CSV pieces, in order)."""
    import shutil

    from landuse.io.write import atomic_path

    t = Path(target)
    with atomic_path(t, overwrite=overwrite) as tmp, open(tmp, "wb") as out:
        for piece in pieces:
            with open(piece, "rb") as f:
                shutil.copyfileobj(f, out, 16 << 20)
    return t
