"""A parcel register split into a Hive-partitioned GeoParquet dataset (a folder).

:func:`write_dataset` writes one GeoParquet 1.1 file per combination of the partition
columns' values, at ``KEY=VALUE/.../part-0.parquet`` (values URI-encoded, so Chinese names
and slashes are safe), each file's rows sorted by ``parcel_id`` and carrying the ``bbox``
covering column (``xmin``, ``ymin``, ``xmax``, ``ymax``) that GeoParquet 1.1 declares in
its ``covering`` metadata. The dataset's one CRS, its partition keys and the column order
of the register are recorded in ``_landuse_dataset.json`` at its root.

:func:`read_dataset` reads such a folder back, keeping only the partitions asked for and,
with ``bbox``, the rows whose bbox column meets it: the partition filter is applied to the
file paths, so the files of other partitions are never opened.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import shapely
from pyproj import CRS

from landuse.errors import CRSError, DataSourceError, OutputExistsError, SchemaError

__all__ = [
    "DATASET_META",
    "DatasetInfo",
    "dataset_bounds",
    "dataset_info",
    "is_dataset",
    "read_dataset",
    "write_dataset",
    "write_dataset_chunks",
]

DATASET_META = "_landuse_dataset.json"
"""The file at a dataset's root recording its CRS, partition keys and columns."""

_BBOX = "bbox"


class DatasetInfo:
    """What ``_landuse_dataset.json`` records: ``crs`` (a pyproj CRS), ``keys`` (the
    partition columns, outermost first), ``columns`` (the register's column order) and
    ``partitions`` (each partition's values, in ``keys`` order)."""

    def __init__(self, root: Path, raw: Mapping[str, Any]) -> None:
        self.root = root
        self.crs = CRS.from_json_dict(raw["crs"])
        self.keys: tuple[str, ...] = tuple(raw["keys"])
        self.columns: tuple[str, ...] = tuple(raw["columns"])
        self.partitions: tuple[tuple[str, ...], ...] = tuple(tuple(p) for p in raw["partitions"])


def is_dataset(path: str | Path) -> bool:
    """True when ``path`` is a folder written by :func:`write_dataset`."""
    p = Path(path)
    return p.is_dir() and (p / DATASET_META).is_file()


def dataset_info(path: str | Path) -> DatasetInfo:
    """The recorded metadata of the dataset at ``path`` (DataSourceError if it is none)."""
    p = Path(path)
    if not is_dataset(p):
        raise DataSourceError(
            f"{p}: is not a partitioned parcel dataset (no {DATASET_META}). Fix: write it with "
            "'landuse convert INPUT FOLDER --partition-by province,city,zone'."
        )
    try:
        return DatasetInfo(p, json.loads((p / DATASET_META).read_text(encoding="utf-8")))
    except (ValueError, KeyError) as e:
        raise DataSourceError(
            f"{p / DATASET_META}: cannot be read ({e}). Fix: write the dataset again."
        ) from e


def _segment(key: str, value: str) -> str:
    return f"{key}={urllib.parse.quote(value, safe='')}"


def _partition_values(gdf: gpd.GeoDataFrame, keys: Sequence[str], source: str) -> pd.DataFrame:
    """The partition columns as text; SchemaError naming the rows where one is empty."""
    missing = [k for k in keys if k not in gdf.columns]
    if missing:
        raise SchemaError(
            f"{source}: --partition-by names {', '.join(missing)}, which is no column. "
            f"Columns: {', '.join(map(str, gdf.columns[:30]))}."
        )
    out = {}
    for k in keys:
        col = gdf[k]
        empty = col.isna() | (col.astype(str).str.strip() == "")
        if empty.any():
            rows = [str(i + 1) for i in empty[empty].index[:5]]
            raise SchemaError(
                f"{source}: partition column '{k}' is empty in record(s) {', '.join(rows)}. "
                f"Fix: fill in '{k}' for every parcel (each parcel belongs to one partition)."
            )
        out[k] = col.astype(str).str.strip()
    return pd.DataFrame(out, index=gdf.index)


def write_dataset(
    parts: Sequence[tuple[str, gpd.GeoDataFrame]],
    target: str | Path,
    keys: Sequence[str],
    overwrite: bool = False,
) -> DatasetInfo:
    """Write registers as one Hive-partitioned GeoParquet dataset, atomically.

    Parameters
    ----------
    parts : sequence of (source name, GeoDataFrame)
        The registers to write (e.g. one per input file), in the standard's names; their
        CRSs must be equal.
    target : str or Path
        The dataset folder; it is replaced only when the whole dataset was written.
    keys : sequence of str
        The partition columns, outermost first (e.g. ``province, city, zone``).
    overwrite : bool
        Replace an existing folder.

    Raises
    ------
    CRSError
        A register has no CRS, or two registers have different CRSs.
    SchemaError
        A partition column is missing or empty somewhere, or a parcel id repeats.
    """
    t = Path(target)
    if not keys:
        raise SchemaError("--partition-by names no column. Fix: e.g. --partition-by zone.")
    if t.exists() and not overwrite:
        raise OutputExistsError(f"{t}: exists and won't be overwritten without --overwrite.")
    crs = _one_crs(parts)
    frames = []
    for source, gdf in parts:
        vals = _partition_values(gdf, keys, source)
        frame = pd.DataFrame(gdf.drop(columns=list(keys)))
        frames.append((frame, vals))
    columns = list(parts[0][1].columns)
    whole = pd.concat([f for f, _ in frames], ignore_index=True)
    values = pd.concat([v for _, v in frames], ignore_index=True)
    if "parcel_id" in whole.columns:
        dup = whole["parcel_id"].duplicated(keep=False)
        if dup.any():
            ids = whole.loc[dup, "parcel_id"].astype(str).unique()[:5]
            raise SchemaError(f"parcel_id repeats across the inputs: {', '.join(ids)}. Fix: "
                              "give every parcel of the province its own number.")
    t.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{t.name}.", dir=t.parent))
    try:
        partitions = _write_parts(whole, values, list(keys), crs, tmp)
        _commit(tmp, t, crs, keys, columns, partitions)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dataset_info(t)


def write_dataset_chunks(
    chunks: Iterable[gpd.GeoDataFrame],
    target: str | Path,
    keys: Sequence[str],
    overwrite: bool = False,
) -> DatasetInfo:
    """Write a dataset too large for memory, one chunk at a time, atomically.

    Each chunk must hold whole partitions (e.g. one development zone, as a generator or a
    per-zone export gives them): a partition met in two chunks is an error. Parcel ids are
    checked for repeats within each chunk (across chunks they are not: keep them unique, as
    :func:`write_dataset` checks for registers that fit in memory). The CRS of every chunk
    must be the first one's.
    """
    t = Path(target)
    if not keys:
        raise SchemaError("--partition-by names no column. Fix: e.g. --partition-by zone.")
    if t.exists() and not overwrite:
        raise OutputExistsError(f"{t}: exists and won't be overwritten without --overwrite.")
    t.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{t.name}.", dir=t.parent))
    try:
        partitions: list[list[str]] = []
        crs: CRS | None = None
        columns: list[str] = []
        for i, gdf in enumerate(chunks):
            name = f"chunk {i + 1}"
            this = _one_crs([(name, gdf)])
            if crs is None:
                crs, columns = this, list(gdf.columns)
            elif not this.equals(crs):
                raise CRSError(f"{name} is in {this.to_string()} but chunk 1 is in "
                               f"{crs.to_string()}: a dataset has one CRS. Fix: reproject it.")
            vals = _partition_values(gdf, keys, name)
            frame = pd.DataFrame(gdf.drop(columns=list(keys))).reset_index(drop=True)
            if "parcel_id" in frame.columns and frame["parcel_id"].duplicated().any():
                raise SchemaError(f"{name}: parcel_id repeats. Fix: give every parcel its "
                                  "own number.")
            try:
                partitions += _write_parts(frame, vals.reset_index(drop=True), list(keys),
                                           crs, tmp)
            except FileExistsError as e:
                raise SchemaError(f"{name}: holds a partition an earlier chunk held. Fix: "
                                  "give each partition's parcels in one chunk.") from e
        if crs is None:
            raise DataSourceError("no chunk to write. Fix: give at least one parcel.")
        _commit(tmp, t, crs, keys, columns, sorted(partitions))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dataset_info(t)


def _commit(tmp: Path, target: Path, crs: CRS, keys: Sequence[str], columns: Any,
            partitions: Any) -> None:
    """Write the dataset's metadata into the finished folder ``tmp`` and put it in place of
    ``target`` (a former dataset there is replaced)."""
    meta = {"crs": crs.to_json_dict(), "keys": list(keys), "columns": columns,
            "partitions": partitions, "geoparquet": "1.1.0"}
    (tmp / DATASET_META).write_text(json.dumps(meta, ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


def _one_crs(parts: Sequence[tuple[str, gpd.GeoDataFrame]]) -> CRS:
    if not parts:
        raise DataSourceError("no input to write. Fix: give at least one parcel file.")
    first_src, first = parts[0]
    if first.crs is None:
        raise CRSError(f"{first_src}: declares no CRS. Fix: give --assume-crs EPSG:xxxx.")
    crs = CRS.from_user_input(first.crs)
    for src, gdf in parts[1:]:
        if gdf.crs is None:
            raise CRSError(f"{src}: declares no CRS. Fix: give --assume-crs EPSG:xxxx.")
        other = CRS.from_user_input(gdf.crs)
        if not other.equals(crs):
            raise CRSError(
                f"{src} is in {other.to_string()} but {first_src} is in {crs.to_string()}: a "
                "dataset has one CRS. Fix: reproject one of them first (e.g. with ogr2ogr "
                "-t_srs), or write them to two datasets."
            )
    return crs


def _write_parts(whole: pd.DataFrame, values: pd.DataFrame, keys: list[str], crs: CRS,
                 root: Path) -> list[list[str]]:
    """One file per partition, rows sorted by parcel id; returns the partitions written."""
    written: list[list[str]] = []
    combos = values[keys].astype(str).agg("\x1f".join, axis=1)
    for joined, idx in sorted(values.groupby(combos.to_numpy(), sort=True).groups.items()):
        combo_t = tuple(str(joined).split("\x1f"))
        part = gpd.GeoDataFrame(whole.loc[idx], geometry="geometry", crs=crs)
        if "parcel_id" in part.columns:
            part = part.sort_values("parcel_id", kind="stable", key=lambda s: s.astype(str))
        folder = root.joinpath(*(_segment(k, str(v)) for k, v in zip(keys, combo_t, strict=True)))
        folder.mkdir(parents=True)
        part.reset_index(drop=True).to_parquet(
            folder / "part-0.parquet", write_covering_bbox=True, schema_version="1.1.0"
        )
        written.append([str(v) for v in combo_t])
    return written


def _filter(info: DatasetInfo, where: Mapping[str, Sequence[str]] | None,
            bbox: Sequence[float] | None) -> pc.Expression | None:
    expr: pc.Expression | None = None

    def both(e: pc.Expression) -> pc.Expression:
        return e if expr is None else expr & e

    for key, vals in (where or {}).items():
        if key not in info.keys:
            raise SchemaError(
                f"{info.root}: is partitioned by {', '.join(info.keys)}, not by '{key}'. Fix: "
                f"filter on one of those."
            )
        pos = info.keys.index(key)
        known = sorted({part[pos] for part in info.partitions})
        unknown = [str(v) for v in vals if str(v) not in known]
        if unknown:
            raise SchemaError(
                f"{info.root}: has no partition {key}={', '.join(unknown)}. Values of '{key}': "
                f"{', '.join(known[:20])}. Fix: give one of them."
            )
        expr = both(pc.field(key).isin([str(v) for v in vals]))
    if bbox is not None:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        expr = both((pc.field(_BBOX, "xmin") <= maxx) & (pc.field(_BBOX, "xmax") >= minx)
                    & (pc.field(_BBOX, "ymin") <= maxy) & (pc.field(_BBOX, "ymax") >= miny))
    return expr


def dataset_bounds(
    path: str | Path,
    where: Mapping[str, Sequence[str]] | None = None,
    bbox: Sequence[float] | None = None,
) -> tuple[float, float, float, float] | None:
    """The bounding box (minx, miny, maxx, maxy) of the parcels :func:`read_dataset` would
    read with ``where`` and ``bbox``, from the ``bbox`` covering column alone (no geometry
    is read); None when none is kept."""
    info = dataset_info(path)
    part = ds.partitioning(pa.schema([pa.field(k, pa.string()) for k in info.keys]),
                           flavor="hive")
    try:
        dset = ds.dataset(str(info.root), format="parquet", partitioning=part,
                          exclude_invalid_files=False, ignore_prefixes=[".", "_"])
        box = dset.to_table(columns=[_BBOX], filter=_filter(info, where, bbox)).column(_BBOX)
    except (OSError, pa.ArrowException) as e:
        raise DataSourceError(
            f"{info.root}: cannot be read ({str(e).splitlines()[0][:300]}). Fix: check the "
            "dataset's files (copy them again or write the dataset again)."
        ) from e
    if len(box) == 0:
        return None
    flat = box.combine_chunks()
    lo = [pc.min(flat.field(k)).as_py() for k in ("xmin", "ymin")]
    hi = [pc.max(flat.field(k)).as_py() for k in ("xmax", "ymax")]
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def read_dataset(
    path: str | Path,
    where: Mapping[str, Sequence[str]] | None = None,
    bbox: Sequence[float] | None = None,
) -> gpd.GeoDataFrame:
    """Read a partitioned dataset, or the part of it that ``where`` and ``bbox`` keep.

    Parameters
    ----------
    path : str or Path
        The dataset folder.
    where : mapping, optional
        Partition column -> values to keep (e.g. ``{"zone": ["化工园"]}``); the files of
        other partitions are not opened.
    bbox : (minx, miny, maxx, maxy), optional
        In the dataset's CRS; keeps the parcels whose bounding box meets it (by the
        ``bbox`` covering column, before any geometry is decoded).

    Returns
    -------
    geopandas.GeoDataFrame
        The register's columns in their recorded order (partition columns as text), rows
        sorted by partition and then parcel id, a RangeIndex, the dataset's CRS.
    """
    info = dataset_info(path)
    schema_fields = [pa.field(k, pa.string()) for k in info.keys]
    part = ds.partitioning(pa.schema(schema_fields), flavor="hive")
    try:
        dset = ds.dataset(str(info.root), format="parquet", partitioning=part,
                          exclude_invalid_files=False,
                          ignore_prefixes=[".", "_"])
        table = dset.to_table(filter=_filter(info, where, bbox))
    except (OSError, pa.ArrowException) as e:
        raise DataSourceError(
            f"{info.root}: cannot be read ({str(e).splitlines()[0][:300]}). Fix: check the "
            "dataset's files (copy them again or write the dataset again)."
        ) from e
    if _BBOX in table.column_names:
        table = table.drop_columns([_BBOX])
    df = table.to_pandas()
    df["geometry"] = shapely.from_wkb(df["geometry"].to_numpy())
    for k in info.keys:
        df[k] = df[k].astype(object)
    order = [c for c in info.columns if c in df.columns]
    order += [c for c in df.columns if c not in order]
    gdf = gpd.GeoDataFrame(df[order], geometry="geometry", crs=info.crs)
    if len(gdf) and "parcel_id" in gdf.columns:
        gdf = gdf.sort_values([*info.keys, "parcel_id"], kind="stable")
    return gdf.reset_index(drop=True)
