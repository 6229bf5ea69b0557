"""Read parcel registers and ledgers into the standard's names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from landuse.errors import DataSourceError, SchemaError
from landuse.standard import get_standard

__all__ = ["read_ledger", "read_parcels", "rename_to_standard"]


def rename_to_standard(
    df: pd.DataFrame, layer: str = "parcels", source: str = ""
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rename recognised headers to the standard's names; keep unknown columns.

    Returns the renamed frame and a report: ``recognised`` (header -> field),
    ``unrecognised`` (headers kept untouched) and ``units`` (field -> unit of the source).
    """
    std = get_standard()
    mapping: dict[str, str] = {}
    units: dict[str, str] = {}
    unrecognised: list[str] = []
    for col in df.columns:
        if col == "geometry":
            continue
        m = std.match_header(str(col), layer)  # type: ignore[arg-type]
        if m is None:
            unrecognised.append(str(col))
            continue
        if m.field.name in mapping.values():
            other = next(k for k, v in mapping.items() if v == m.field.name)
            raise SchemaError(
                f"{source}: columns '{other}' and '{col}' both mean field "
                f"'{m.field.name}'. Fix: rename or drop one of them."
            )
        mapping[str(col)] = m.field.name
        if m.unit:
            units[m.field.name] = m.unit
    out = df.rename(columns=mapping)
    return out, {"recognised": mapping, "unrecognised": unrecognised, "units": units}


def read_parcels(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a parcel register (GeoPackage, shapefile, GeoJSON, GeoParquet).

    Parameters
    ----------
    path : str or Path
        The file to read.
    layer : str, optional
        The layer of a multi-layer source; ``parcels`` when present, else the first.
    """
    p = Path(path)
    if not p.exists():
        raise DataSourceError(f"{p}: file not found. Fix: check the path.")
    try:
        if p.suffix.lower() == ".parquet":
            gdf = gpd.read_parquet(p)
        else:
            if layer is None and p.suffix.lower() == ".gpkg":
                names = [n for n, _ in pyogrio.list_layers(p)]
                layer = "parcels" if "parcels" in names else None
            gdf = gpd.read_file(p, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise DataSourceError(f"{p}: cannot be read ({e}).") from e
    out, report = rename_to_standard(gdf, "parcels", str(p))
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs)
    out.attrs["landuse"] = {"source": str(p), "layer": layer, **report}
    return out


def read_ledger(path: str | Path, layer: str = "ledger") -> pd.DataFrame:
    """Read a disposal ledger (a GeoPackage layer, CSV or XLSX) into standard names."""
    p = Path(path)
    if not p.exists():
        raise DataSourceError(f"{p}: file not found. Fix: check the path.")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        df = pd.read_csv(p, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        df = pd.read_excel(p)
    else:
        df = pyogrio.read_dataframe(p, layer=layer, read_geometry=False)
    out, report = rename_to_standard(pd.DataFrame(df), "ledger", str(p))
    out.attrs["landuse"] = {"source": str(p), "layer": layer, **report}
    return out
