"""``landuse convert``: any readable parcel file into the standard's names."""

from __future__ import annotations

from pathlib import Path

import click

from landuse.cli._common import (
    ReadArgs,
    check_outputs,
    handle_errors,
    overwrite_opt,
    read_options,
)
from landuse.errors import CRSError, DataSourceError
from landuse.io import write_layer

__all__ = ["OUTPUT_SUFFIXES", "convert"]

OUTPUT_SUFFIXES = (".gpkg", ".parquet", ".geoparquet", ".geojson", ".json")


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.argument("output", type=click.Path())
@read_options
@click.option("--out-layer", default="parcels", show_default=True,
              help="Layer name in a GeoPackage output.")
@click.option("--partition-by", "partition_by", metavar="KEY,KEY,...",
              help="Write OUTPUT as a folder: a Hive-partitioned GeoParquet dataset split by "
              "these columns, outermost first (e.g. province,city,zone). Several INPUTs "
              "(one CRS) go into one dataset.")
@overwrite_opt
@handle_errors
def convert(
    inputs: tuple[str, ...],
    output: str,
    read: ReadArgs,
    out_layer: str,
    partition_by: str | None,
    overwrite: bool,
) -> None:
    """Convert a parcel file to GeoPackage, GeoParquet or GeoJSON in the standard's names.

    Headers become the standard's names (宗地号 -> parcel_id, 登记面积(亩) -> m² …),
    values are normalised (dates, codes, yes/no, numbers), unknown columns are kept. The
    output is written atomically: on any error no partial file is left behind.

    \b
    Examples:
      landuse convert 宗地.shp parcels.gpkg
      landuse convert 宗地.shp parcels.parquet --encoding GBK
      landuse convert parcels.topojson parcels.gpkg --assume-crs EPSG:4326
      landuse convert 宗地.xlsx parcels.gpkg --assume-crs EPSG:4527 --overwrite
      landuse convert a.gpkg b.gpkg province_parcels --partition-by province,city,zone
    """
    if partition_by is not None:
        _convert_dataset(inputs, output, read, partition_by, overwrite)
        return
    if len(inputs) != 1:
        raise DataSourceError(
            f"{len(inputs)} inputs for one file. Fix: give one input, or --partition-by to "
            "write several into one dataset."
        )
    _convert_file(inputs[0], output, read, out_layer, overwrite)


def _convert_dataset(inputs: tuple[str, ...], output: str, read: ReadArgs, partition_by: str,
                     overwrite: bool) -> None:
    """Read every input and write them as one partitioned dataset (one CRS)."""
    from landuse.io.dataset import write_dataset

    keys = [k.strip() for k in partition_by.split(",") if k.strip()]
    if Path(output).exists() and not overwrite:
        from landuse.errors import OutputExistsError

        raise OutputExistsError(f"{output}: exists and won't be overwritten without --overwrite.")
    parts = [(src, read.parcels(src)) for src in inputs]
    info = write_dataset(parts, output, keys, overwrite=overwrite)
    n = sum(len(g) for _, g in parts)
    click.echo(f"{', '.join(inputs)} -> {output}: {n} parcels in {len(info.partitions)} "
               f"partitions by {', '.join(keys)} ({info.crs.to_string()})")


def _convert_file(input: str, output: str, read: ReadArgs, out_layer: str,
                  overwrite: bool) -> None:
    """One input into one file."""
    out = Path(output)
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise DataSourceError(
            f"{output}: unknown output format '{out.suffix}'. Fix: use .gpkg, .parquet or "
            ".geojson."
        )
    check_outputs((output,), input, overwrite)
    gdf = read.parcels(input)
    if gdf.crs is None:
        raise CRSError(
            f"{input}: declares no CRS, so the output would not be usable. Fix: give "
            "--assume-crs EPSG:xxxx (e.g. EPSG:4490, EPSG:4527) or add the .prj."
        )
    meta = gdf.attrs.get("landuse", {})
    write_layer(gdf, out, layer=out_layer, overwrite=overwrite)
    n_cells = len(meta.get("cells", {}).get("row", []))
    click.echo(
        f"{input} -> {output}: {len(gdf)} parcels, {len(meta.get('recognised', {}))} fields "
        f"recognised, {len(meta.get('unrecognised', []))} kept as they are"
    )
    if n_cells or meta.get("problems"):
        click.echo(
            f"注意 note: {n_cells} cells could not be read and "
            f"{len(meta.get('problems', []))} file problems were found; run "
            f"'landuse validate {input}' for the list.",
            err=True,
        )
