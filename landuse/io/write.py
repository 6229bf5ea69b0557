"""Write GeoDataFrames atomically: a failed write never leaves a partial file behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd

from landuse.errors import DataSourceError, OutputExistsError

__all__ = ["atomic_path", "write_layer"]

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
                gdf.to_file(tmp, layer=layer, driver=_DRIVERS[suffix], engine="pyogrio")
    finally:
        gdf.attrs = saved
    return t
