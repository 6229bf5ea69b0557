"""Write GeoDataFrames atomically: a failed write never leaves a partial file behind.

:func:`write_layer` writes a geometry format (.gpkg, .parquet, .geojson);
:func:`write_table` any of :data:`TABLE_FORMATS`, the one writer of every command that
writes parcel tables (``assess -o``, ``evidence -o``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from landuse.errors import DataSourceError, OutputExistsError

__all__ = ["TABLE_FORMATS", "atomic_path", "plain", "write_layer", "write_table"]

TABLE_FORMATS: tuple[str, ...] = (".gpkg", ".parquet", ".geojson", ".csv", ".xlsx")
"""The formats every command writing parcel tables accepts (:func:`write_table`)."""

_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}


class atomic_path:
    """Context manager giving a temporary path that replaces ``target`` on success.

    On error the temporary file is removed and ``target`` is left as it was.
    """

    def __init__(self, target: str | Path, overwrite: bool = False) -> None:
        self.target = Path(target)
        if self.target.exists() and not overwrite:
            raise OutputExistsError(
                f"{self.target}: file exists and won't be overwritten without --overwrite."
            )
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.target.stem}.",
            suffix=self.target.suffix,
            dir=self.target.parent,
        )
        os.close(fd)
        os.unlink(tmp)
        self.tmp = Path(tmp)

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            os.replace(self.tmp, self.target)
            return
        for p in self.tmp.parent.glob(self.tmp.stem + "*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def write_layer(
    gdf: gpd.GeoDataFrame,
    target: str | Path,
    layer: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``gdf`` to GeoPackage, GeoParquet or GeoJSON, chosen by suffix."""
    t = Path(target)
    suffix = t.suffix.lower()
    if suffix not in (*_DRIVERS, ".parquet", ".geoparquet"):
        raise DataSourceError(
            f"{t}: unknown output format '{suffix}'. Fix: use .gpkg, .parquet or .geojson."
        )
    # what the reader learnt is not data: keep it out of the file's metadata
    saved = gdf.attrs
    gdf.attrs = {}
    try:
        with atomic_path(t, overwrite=overwrite) as tmp:
            if suffix in (".parquet", ".geoparquet"):
                gdf.to_parquet(tmp)
            else:
                # GeoJSON names its collection after the layer: the target's name, not the
                # temporary file's (which would differ from run to run)
                name = layer if layer is not None or _DRIVERS[suffix] != "GeoJSON" else t.stem
                gdf.to_file(tmp, layer=name, driver=_DRIVERS[suffix], engine="pyogrio")
    finally:
        gdf.attrs = saved
    return t


def plain(df: pd.DataFrame) -> pd.DataFrame:
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


def write_table(
    gdf: gpd.GeoDataFrame,
    target: str | Path,
    layer: str = "parcels",
    overwrite: bool = False,
    sheets: Sequence[tuple[str, pd.DataFrame]] = (),
    sheet: str | None = None,
) -> Path:
    """Write parcels in any of :data:`TABLE_FORMATS`, chosen by the suffix of ``target``.

    ``.gpkg`` (layer ``layer``), ``.parquet`` and ``.geojson`` keep the geometry; ``.csv``
    (UTF-8 with BOM, so Excel shows Chinese) carries it as WKT in ``geometry_wkt``;
    ``.xlsx`` has no geometry: sheet ``sheet`` (default ``layer``), then ``sheets``
    (name, table) in order.
    """
    t = Path(target)
    suffix = t.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise DataSourceError(
            f"{t}: unknown output format '{suffix}'. Fix: use one of "
            + ", ".join(TABLE_FORMATS)
            + "."
        )
    if suffix in (".gpkg", ".parquet", ".geojson"):
        return write_layer(gdf, t, layer if suffix == ".gpkg" else None, overwrite)
    table = plain(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    with atomic_path(t, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            table["geometry_wkt"] = gdf.geometry.to_wkt().to_numpy()
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                table.to_excel(xw, sheet_name=sheet or layer, index=False)
                for name, extra in sheets:
                    plain(extra).to_excel(xw, sheet_name=name, index=False)
    return t
