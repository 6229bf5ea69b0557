"""Write an assessed parcel layer to .gpkg, .parquet, .geojson, .csv or .xlsx, atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.errors import DataSourceError
from landuse.io.write import atomic_path, write_layer
from landuse.labels import both, header, label
from landuse.standard import ASSESSMENT_COLUMNS

__all__ = ["ASSESSMENT_FORMATS", "write_assessment"]

ASSESSMENT_FORMATS = (".gpkg", ".parquet", ".geojson", ".csv", ".xlsx")

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


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable and Arrow dtypes as plain Python objects (for CSV and Excel)."""
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.BooleanDtype | pd.Int64Dtype) or str(s.dtype) in (
            "str",
            "string",
        ):
            out[c] = s.astype(object).where(s.notna(), None)
        else:
            out[c] = s
    return out


def write_assessment(gdf: gpd.GeoDataFrame, target: str | Path, overwrite: bool = False) -> Path:
    """Write an assessment, the format chosen by the suffix of ``target``.

    ``.gpkg`` (layer ``parcels``), ``.parquet`` and ``.geojson`` keep the geometry; ``.csv``
    (UTF-8 with BOM, so Excel shows Chinese) carries it as WKT; ``.xlsx`` has no geometry
    and adds a sheet describing the fields and the ruleset used.
    """
    t = Path(target)
    suffix = t.suffix.lower()
    if suffix not in ASSESSMENT_FORMATS:
        raise DataSourceError(
            f"{t}: unknown output format '{suffix}'. Fix: use one of "
            + ", ".join(ASSESSMENT_FORMATS)
            + "."
        )
    if suffix in (".gpkg", ".parquet", ".geojson"):
        return write_layer(gdf, t, "parcels" if suffix == ".gpkg" else None, overwrite)
    meta: dict[str, Any] = gdf.attrs.get("assessment", {})
    table = _plain(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    with atomic_path(t, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            table["geometry_wkt"] = gdf.geometry.to_wkt().to_numpy()
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            fields = _fields_sheet(table.columns)
            rs = meta.get("ruleset", {})
            about = pd.DataFrame(
                [
                    (both("common", "as_of"), meta.get("as_of", "")),
                    (both("field", "ruleset"), rs.get("description", "")),
                    (both("common", "files"), "; ".join(rs.get("files", []))),
                    (both("common", "absent_fields"), ", ".join(meta.get("absent_fields", []))),
                    (both("common", "parcels_n"), len(table)),
                ],
                columns=[_en_zh("common", "item"), _en_zh("common", "value_col")],
            )
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                table.to_excel(xw, sheet_name="assessment", index=False)
                fields.to_excel(xw, sheet_name=_en_zh("common", "fields"), index=False)
                about.to_excel(xw, sheet_name=_en_zh("common", "about"), index=False)
    return t
