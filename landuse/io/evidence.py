"""The evidence file: what ``landuse evidence -o FILE`` writes and the report and map read.

``.gpkg``: layers ``evidence``, ``discrepancies`` (with the parcel geometry) and
``outside_supply`` (buildings on no supplied parcel, when buildings were given).
``.parquet`` / ``.geojson`` / ``.csv``: the evidence layer, and the discrepancies beside
it as ``<name>.discrepancies.csv``. ``.xlsx``: sheets ``evidence`` and ``discrepancies``.
The report and the map read back the three geometry formats.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from landuse.errors import DataSourceError
from landuse.evidence import EvidenceResult
from landuse.io.write import TABLE_FORMATS, atomic_path, write_table

__all__ = ["read_evidence", "write_evidence"]


def write_evidence(res: EvidenceResult, target: str | Path, overwrite: bool = False) -> Path:
    """Write the evidence in any of :data:`~landuse.io.write.TABLE_FORMATS`.

    ``.gpkg``: layers ``evidence``, ``discrepancies`` (with the parcel geometry) and
    ``outside_supply`` (buildings on no supplied parcel, when buildings were given).
    ``.parquet``/``.geojson``/``.csv``: the evidence layer (CSV: geometry as WKT), and the
    discrepancies beside it as ``<name>.discrepancies.csv``. ``.xlsx``: sheets
    ``evidence`` and ``discrepancies`` (no geometry). Every file is written atomically.
    """
    t = Path(target)
    suffix = t.suffix.lower()
    if suffix == ".json":
        suffix = ".geojson"
    if suffix not in TABLE_FORMATS:
        raise DataSourceError(
            f"{t}: unknown output format '{t.suffix}'. Fix: use one of "
            + ", ".join(TABLE_FORMATS) + "."
        )
    gdf = res.parcels
    if suffix == ".xlsx":
        return write_table(gdf, t, "evidence", overwrite,
                           [("discrepancies", pd.DataFrame(res.discrepancies))])
    if suffix != ".gpkg":
        write_table(gdf, t, "evidence", overwrite)
        side = t.with_name(t.name + ".discrepancies.csv")
        with atomic_path(side, overwrite=True) as tmp:
            pd.DataFrame(res.discrepancies).to_csv(tmp, index=False, encoding="utf-8-sig")
        return t
    geom = gdf.geometry
    disc = gpd.GeoDataFrame(
        res.discrepancies.merge(
            gpd.GeoDataFrame({"parcel_id": gdf["parcel_id"].astype(str)}, geometry=geom.values),
            on="parcel_id",
            how="left",
        )
        if "parcel_id" in gdf.columns and len(res.discrepancies)
        else res.discrepancies.assign(geometry=None),
        geometry="geometry",
        crs=gdf.crs,
    )
    with atomic_path(t, overwrite=overwrite) as tmp:
        gdf.to_file(tmp, layer="evidence", driver="GPKG", engine="pyogrio")
        disc.to_file(tmp, layer="discrepancies", driver="GPKG", engine="pyogrio")
        if res.outside_supply is not None:
            res.outside_supply.to_file(tmp, layer="outside_supply", driver="GPKG", engine="pyogrio")
    return t


def read_evidence(
    path: str | Path,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """Read back what ``landuse evidence -o FILE`` wrote: the evidence and outside supply.

    ``.gpkg``: layers ``evidence`` and, when buildings were given, ``outside_supply``.
    ``.parquet`` / ``.geojson``: the evidence layer (its ``records_disagree`` and
    ``evidence_reasons`` carry what the ``<name>.discrepancies.csv`` sidecar lists; these
    formats hold no outside-supply buildings).
    """
    p = Path(path)
    if not p.exists():
        raise DataSourceError(f"{p}: evidence file not found. Fix: check the path, or write it "
                              "with 'landuse evidence PARCELS ... -o evidence.gpkg'.")
    suffix = p.suffix.lower()
    outside = None
    try:
        if suffix == ".gpkg":
            layers = [n for n, _ in pyogrio.list_layers(p)]
            if "evidence" not in layers:
                raise DataSourceError(
                    f"{p}: has no 'evidence' layer (layers: {', '.join(layers) or 'none'}). "
                    "Fix: give the GeoPackage written by 'landuse evidence ... -o FILE.gpkg'."
                )
            ev = gpd.read_file(p, layer="evidence", engine="pyogrio")
            if "outside_supply" in layers:
                outside = gpd.read_file(p, layer="outside_supply", engine="pyogrio")
        elif suffix == ".parquet":
            ev = gpd.read_parquet(p)
        elif suffix in (".geojson", ".json"):
            ev = gpd.read_file(p, engine="pyogrio")
        else:
            raise DataSourceError(
                f"{p}: unknown evidence format '{p.suffix}' (a .csv or .xlsx is a table for "
                "people, without a CRS). Fix: give the .gpkg, .parquet or .geojson written "
                "by 'landuse evidence'."
            )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError,
            OSError) as e:
        if isinstance(e, DataSourceError):
            raise
        raise DataSourceError(f"{p}: the evidence cannot be read ({e}). Fix: give the .gpkg, "
                              ".parquet or .geojson written by 'landuse evidence'.") from e
    if "records_disagree" in ev.columns:
        ev["records_disagree"] = ev["records_disagree"].fillna("")
    ev.attrs["landuse"] = {"source": str(p)}
    return ev, outside
