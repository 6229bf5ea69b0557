"""Write an assessed parcel layer to .gpkg, .parquet, .geojson, .csv or .xlsx, atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.io.write import TABLE_FORMATS, write_table
from landuse.labels import both, header, label
from landuse.standard import ASSESSMENT_COLUMNS

__all__ = ["ASSESSMENT_FORMATS", "write_assessment"]

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
