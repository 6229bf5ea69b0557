"""Building footprints: the reader every command that takes ``--buildings`` uses."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from landuse.errors import DataSourceError

__all__ = ["read_buildings"]


def read_buildings(path: str | Path | None, layer: str | None = None) -> gpd.GeoDataFrame | None:
    """Building footprints from ``path`` (its ``layer``), None when no path is given.

    Raises DataSourceError naming the file when it is missing or cannot be read.
    """
    if path is None or str(path) == "":
        return None
    p = Path(path)
    if not p.exists():
        raise DataSourceError(f"{p}: buildings file not found. Fix: check the path.")
    try:
        return gpd.read_file(p, layer=layer, engine="pyogrio")
    except (RuntimeError, ValueError, OSError) as e:  # pyogrio's errors are RuntimeErrors
        raise DataSourceError(f"{p}: buildings cannot be read ({e}). Fix: give a "
                              "GeoPackage, Shapefile or GeoJSON of building outlines.") from e
