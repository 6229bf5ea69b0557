"""Read the supply records (batches, supply, reserve, quotas, plan, tasks, mortgages).

Sources, read through the register's machinery (header matching on the standard's
aliases, cell parsing in :mod:`landuse.core.values`):

* a GeoPackage whose layers are named after the record kinds (``batches``, ``reductions``,
  ``supply``, ``reserve``, ``quota_events``, ``supply_plan``, ``disposal_tasks``,
  ``mortgages``); a kind without a layer is empty;
* an XLSX workbook whose sheets are named the same way;
* a folder holding one file per kind (``supply.csv``, ``batches.shp``, ``reserve.gpkg`` …);
* one file of one kind (:func:`read_records`).

Batches and reserve keep their geometry (a GeoDataFrame, CRS kept) when the source has one
(a vector layer, or a WKT column in a table). Cells that cannot be read are not dropped:
they become missing and are listed in ``attrs["landuse"]["cells"]``, which
:func:`landuse.supply.validate.check_supply` turns into errors naming file, row and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.errors import DataSourceError, SchemaError
from landuse.io.read import (
    TABLE_SUFFIXES,
    VECTOR_SUFFIXES,
    list_layers,
    read_raw,
    standardise,
)
from landuse.standard import Layer, get_standard
from landuse.supply.model import KINDS, SupplyData, empty_layer

__all__ = ["read_records", "read_supply", "write_supply_summary"]

_GEOMETRY_KINDS = ("batches", "reserve")


def _check_kind(kind: str) -> Layer:
    if kind not in KINDS:
        raise SchemaError(
            f"unknown supply record kind '{kind}'. Fix: use one of {', '.join(KINDS)}."
        )
    return kind  # type: ignore[return-value]


def read_records(
    path: str | Path,
    kind: str,
    layer: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read one record layer of ``kind`` from a file into the standard's names.

    Parameters
    ----------
    path : str or Path
        GPKG/SHP/GeoJSON/GeoParquet, or CSV/XLSX (a WKT column gives batches and reserve a
        geometry).
    kind : str
        One of :data:`landuse.supply.model.KINDS`.
    layer : str, optional
        Layer of a GeoPackage or sheet of a workbook (default: the one named ``kind``,
        else the first).
    encoding : str, optional
        Encoding of a shapefile's attributes (detected by default).

    Returns
    -------
    DataFrame or GeoDataFrame
        Row ``i`` is record ``i + 1`` of the source; ``attrs["landuse"]`` holds
        ``source``, ``kind``, ``recognised``, ``unrecognised``, ``units`` and ``cells``.

    Raises
    ------
    DataSourceError
        The file cannot be read.
    SchemaError
        A required field has no column (the message names the headers it may have).
    """
    layer_kind = _check_kind(kind)
    p = Path(path)
    meta: dict[str, Any] = {"source": str(p), "kind": kind, "problems": []}
    if not p.is_file():
        raise DataSourceError(f"{p}: file not found. Fix: check the path.")
    suffix = p.suffix.lower()
    if layer is None and suffix in (".xlsx", ".xlsm"):
        layer = kind if kind in _sheets(p) else None
    elif layer is None and suffix == ".gpkg":
        layer = kind if kind in [n for n, _ in list_layers(p)] else None
    df = read_raw(p, layer, encoding, meta)
    geom = df.geometry if isinstance(df, gpd.GeoDataFrame) else None
    crs = df.crs if isinstance(df, gpd.GeoDataFrame) else None
    plain = pd.DataFrame(df.drop(columns=["geometry"], errors="ignore")).reset_index(drop=True)
    out, cells = standardise(plain, layer_kind, p, meta)
    meta["units_assumed"] = sorted(meta.get("pending_units", {}))
    where = f"{p}" + (f" (layer {meta['layer']})" if meta.get("layer") else "")
    missing = [f for f in get_standard().fields[layer_kind]
               if f.required and f.name not in out.columns]
    if missing and len(out):
        raise SchemaError(
            f"{where}: {kind} without the required column(s) "
            + "; ".join(f"{f.name} ({'/'.join(f.aliases[:3])})" for f in missing)
            + f". Columns: {', '.join(map(str, plain.columns[:20]))}. Fix: add the column "
            "or rename its header to one of the names given."
        )
    for name in get_standard().names(layer_kind):
        if name not in out.columns:
            out[name] = None
    if geom is not None and kind in _GEOMETRY_KINDS:
        out = gpd.GeoDataFrame(out, geometry=geom.reset_index(drop=True), crs=crs)
    meta["cells"] = cells.as_dict()
    meta["where"] = where
    out.attrs["landuse"] = meta
    return out


def _sheets(p: Path) -> list[str]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True)
    except Exception as e:
        raise DataSourceError(f"{p}: cannot be opened as .xlsx ({e}). Fix: save it again "
                              "from Excel.") from e
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def read_supply(path: str | Path, encoding: str | None = None) -> SupplyData:
    """Read every record kind a GeoPackage, workbook or folder holds.

    A kind the source does not hold is an empty layer. A source that holds none of the
    kinds is an error (it is most likely the wrong file).
    """
    p = Path(path)
    if not p.exists():
        raise DataSourceError(f"{p}: file not found. Fix: check the path.")
    found: dict[str, pd.DataFrame] = {}
    if p.is_dir():
        for kind in KINDS:
            hits = sorted(q for q in p.iterdir() if q.stem == kind
                          and q.suffix.lower() in (*TABLE_SUFFIXES, *VECTOR_SUFFIXES))
            if hits:
                found[kind] = read_records(hits[0], kind, encoding=encoding)
        names = [q.name for q in sorted(p.iterdir())]
    elif p.suffix.lower() == ".gpkg":
        names = [n for n, _ in list_layers(p)]
        for kind in KINDS:
            if kind in names:
                found[kind] = read_records(p, kind, layer=kind)
    elif p.suffix.lower() in (".xlsx", ".xlsm"):
        names = _sheets(p)
        for kind in KINDS:
            if kind in names:
                found[kind] = read_records(p, kind, layer=kind)
    else:
        raise DataSourceError(
            f"{p}: supply records are read from a GeoPackage (one layer per kind), an XLSX "
            "workbook (one sheet per kind) or a folder (one file per kind). Fix: give one of "
            f"these, or read a single file with its kind. Kinds: {', '.join(KINDS)}."
        )
    if not found:
        raise DataSourceError(
            f"{p}: holds none of the supply record kinds ({', '.join(KINDS)}); it holds "
            f"{', '.join(names[:20]) or 'nothing'}. Fix: name the layers, sheets or files "
            "after the kinds."
        )
    data = SupplyData()
    for kind, frame in found.items():
        setattr(data, kind, frame)
        data.sources[kind] = frame.attrs["landuse"]["where"]
    for kind in KINDS:
        data.sources.setdefault(kind, f"{p} ({kind}: none)")
        if kind not in found:
            setattr(data, kind, empty_layer(kind))
    return data


def write_supply_summary(summary: Any, path: str | Path, lang: str = "zh",
                         overwrite: bool = False) -> Path:
    """Write a supply summary (:class:`landuse.supply.summary.SupplySummary`) atomically:
    ``.json`` every figure and table (:func:`landuse.supply.summary.summary_dict`),
    ``.csv`` the figures (UTF-8 with BOM, opens in Excel), ``.xlsx`` the figures and one
    sheet per table."""
    import json

    from landuse.io.write import atomic_path
    from landuse.supply.summary import summary_dict

    target = Path(path)
    suffix = target.suffix.lower()
    doc = summary_dict(summary, lang)
    with atomic_path(target, overwrite=overwrite) as tmp:
        if suffix == ".json":
            tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        elif suffix == ".csv":
            pd.DataFrame(doc["figures"]).to_csv(tmp, index=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as w:
                pd.DataFrame(doc["figures"]).to_excel(w, sheet_name="figures", index=False)
                for name in ("batches", "tasks", "quota", "plan", "suppliable", "by_way",
                             "by_use"):
                    pd.DataFrame(doc[name]).to_excel(w, sheet_name=name, index=False)
        else:
            raise DataSourceError(f"{target}: write the summary as .json, .csv or .xlsx.")
    return target
