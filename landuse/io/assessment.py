"""Write an assessed parcel layer to .gpkg, .parquet, .geojson, .csv or .xlsx, atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.io.write import TABLE_FORMATS, atomic_path, plain, write_table
from landuse.labels import both, header, label
from landuse.standard import ASSESSMENT_COLUMNS

__all__ = ["ASSESSMENT_FORMATS", "Part", "write_assessment", "write_assessment_parts"]

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


def write_assessment(gdf: gpd.GeoDataFrame, target: str | Path, overwrite: bool = False) -> Path:
    """Write an assessment, the format chosen by the suffix of ``target``.

    ``.gpkg`` (layer ``parcels``), ``.parquet`` and ``.geojson`` keep the geometry; ``.csv``
    (UTF-8 with BOM, so Excel shows Chinese) carries it as WKT; ``.xlsx`` has no geometry
    and adds a sheet describing the fields and the ruleset used.
    """
    t = Path(target)
    sheets: list[tuple[str, pd.DataFrame]] = []
    if t.suffix.lower() == ".xlsx":
        meta: dict[str, Any] = gdf.attrs.get("assessment", {})
        rs = meta.get("ruleset", {})
        about = pd.DataFrame(
            [
                (both("common", "as_of"), meta.get("as_of", "")),
                (both("field", "ruleset"), rs.get("description", "")),
                (both("common", "files"), "; ".join(rs.get("files", []))),
                (both("common", "absent_fields"), ", ".join(meta.get("absent_fields", []))),
                (both("common", "parcels_n"), len(gdf)),
            ],
            columns=[_en_zh("common", "item"), _en_zh("common", "value_col")],
        )
        sheets = [
            (_en_zh("common", "fields"), _fields_sheet(gdf.columns)),
            (_en_zh("common", "about"), about),
        ]
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
    schemas, not their rows)."""
    import pyarrow.parquet as pq

    empties = [pq.read_schema(p).empty_table().to_pandas() for p in paths]
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

    ``.csv`` is streamed: the parts are read one group at a time (parts whose id ranges
    overlap form one group) and appended in parcel-id order, so memory holds one group, not
    the whole assessment, and the bytes equal those of :func:`write_assessment` on the
    parts put together and sorted. The other formats put the parts together first.
    ``attrs`` are the assessment's (those of its first part).
    """
    t = Path(target)
    paths = [p for p, _, _ in parts]
    dtypes = _common_dtypes(paths)
    groups = _groups(parts)
    if t.suffix.lower() != ".csv":
        whole = _read_group([p for g in groups for p in g], dtypes)
        from landuse.engine import sort_by_id

        whole = gpd.GeoDataFrame(sort_by_id(whole), geometry=whole.geometry.name,
                                 crs=whole.crs)
        whole.attrs.update(attrs)
        return write_assessment(whole, t, overwrite=overwrite)
    with atomic_path(t, overwrite=overwrite) as tmp, open(tmp, "w", encoding="utf-8-sig",
                                                          newline="") as f:
        for i, group in enumerate(groups):
            gdf = _read_group(group, dtypes)
            table = plain(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
            table["geometry_wkt"] = gdf.geometry.to_wkt().to_numpy()
            table.to_csv(f, index=False, header=i == 0)
    return t
