"""``landuse evidence``: land cover, indices, footprints and change beside every parcel."""

from __future__ import annotations

from typing import Any

import click
import geopandas as gpd

from landuse.cli._common import (
    EngineArgs,
    ReadArgs,
    engine_options,
    handle_errors,
    output_options,
    read_options,
)
from landuse.errors import CRSError
from landuse.evidence import EvidenceResult, run_evidence
from landuse.io.buildings import read_buildings
from landuse.io.evidence import write_evidence

__all__ = ["evidence"]


def _assume(gdf: gpd.GeoDataFrame, crs: str | None, what: str, path: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        if not crs:
            raise CRSError(
                f"{path}: the {what} have no CRS. Fix: give it with --assume-crs EPSG:xxxx "
                "(e.g. EPSG:4326 for GeoJSON/TopoJSON lon/lat, EPSG:4490 for CGCS2000)."
            )
        return gdf.set_crs(crs)
    return gdf


@click.command()
@click.argument("input", type=click.Path())
@read_options
@click.option("--raster", type=str, help="Land-cover raster, or multispectral with --band-map.")
@click.option("--raster-date", help="Date of --raster (YYYY-MM-DD); default: its date tag.")
@click.option(
    "--classes",
    help="Class table: worldcover (default), dynamicworld, or a .toml/.json file.",
)
@click.option("--band-map", help="Bands of a multispectral raster, e.g. red=3,nir=4,swir1=5.")
@click.option("--before", type=str, help="Earlier raster (same kind as --after).")
@click.option("--after", type=str, help="Later raster.")
@click.option("--before-date", help="Date of --before (default: its date tag).")
@click.option("--after-date", help="Date of --after (default: its date tag).")
@click.option("--buildings", type=click.Path(dir_okay=False), help="Building footprints.")
@click.option("--buildings-layer", help="Layer of the buildings file.")
@click.option("--thresholds", type=click.Path(dir_okay=False), help="TOML of thresholds.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Keep parcel x pixel coverage here and reuse it in later runs on the same grid.",
)
@output_options(help="Evidence file: .gpkg, .parquet, .geojson, .csv or .xlsx (the report "
                     "and the map read the first three).")
@engine_options
@handle_errors
def evidence(
    input: str,
    read: ReadArgs,
    raster: str | None,
    raster_date: str | None,
    classes: str | None,
    band_map: str | None,
    before: str | None,
    after: str | None,
    before_date: str | None,
    after_date: str | None,
    buildings: str | None,
    buildings_layer: str | None,
    thresholds: str | None,
    cache_dir: str | None,
    output: str,
    overwrite: bool,
    engine: EngineArgs,
) -> None:
    """Put imagery and footprint evidence beside every parcel and flag disagreements.

    Any one source is enough: a land-cover raster (shares built-up / bare / vegetation /
    water), a multispectral raster with --band-map (NDVI, NDBI), a before/after pair
    (builtup_change), building footprints (observed footprint and coverage).

    \b
    Examples:
      landuse evidence parcels.gpkg --raster worldcover.tif --raster-date 2023-06-01 -o ev.gpkg
      landuse evidence parcels.gpkg --before lc2021.tif --after lc2023.tif -o ev.gpkg
      landuse evidence parcels.gpkg --raster s2.tif --band-map red=3,nir=4 -o ev.gpkg
      landuse evidence parcels.gpkg --buildings footprints.shp -o ev.gpkg
      landuse evidence province_parcels/ --buildings bldg.gpkg --workers 2 -o ev.gpkg

    A partitioned dataset (a folder from ``convert --partition-by``) is done one
    development zone per task, here or on Dask (--workers, --cluster): each task reads the
    buildings meeting its zone's box; a building over several zones is judged (outside
    supply or not) over all their parcels, as in one run. The parcels are written sorted by
    parcel id. A zone that cannot be done is named on stderr, the others are written, and
    the exit code is 1. The rasters, the buildings file and --cache-dir must be at the same
    path on every worker.
    """
    from landuse.cli._province import by_zone, report_failures

    options = {"raster": raster, "raster_date": raster_date, "classes": classes,
               "band_map": band_map, "before": before, "after": after,
               "before_date": before_date, "after_date": after_date,
               "thresholds": thresholds}
    failed: list[Any] = []
    if by_zone(input, engine):
        from landuse.cli._province import evidence_by_zone

        res, failed = evidence_by_zone(input, read, engine, buildings, buildings_layer,
                                       options, cache_dir)
    else:
        res = _one_run(input, read, buildings, buildings_layer, cache_dir, options)
    write_evidence(res, output, overwrite=overwrite)
    ev = res.parcels
    flagged = (ev["records_disagree"] != "").sum()
    click.echo(f"宗地 parcels: {len(ev)}; 记录与实地不符 records disagree: {flagged}")
    for name, run in res.runs.items():
        if run.outside_ids:
            ids = ", ".join(map(str, run.outside_ids[:20]))
            more = " ..." if len(run.outside_ids) > 20 else ""
            click.echo(
                f"  {name}: {len(run.outside_ids)} 宗地在栅格外 parcels outside the raster: "
                f"{ids}{more}"
            )
        if run.no_valid_ids:
            click.echo(f"  {name}: {len(run.no_valid_ids)} 宗地无有效像元 parcels with nodata only")
        if run.unmapped_codes:
            click.echo(
                f"  {name}: 分类表缺少类别 class table lacks codes "
                f"{', '.join(map(str, run.unmapped_codes))} (see evidence_reasons)"
            )
    for note in res.notes:
        click.echo(f"  注意 note: {note}")
    click.echo(f"输出 output: {output}")
    report_failures(failed)


def _one_run(input: str, read: ReadArgs, buildings: str | None, layer: str | None,
             cache_dir: str | None, options: dict[str, Any]) -> EvidenceResult:
    """INPUT's evidence in one run (a register file or a store)."""
    assume_crs = read.assume_crs
    parcels = _assume(read.parcels(input), assume_crs, "parcels", input)
    blds = None
    if buildings:
        blds = _assume(read_buildings(buildings, layer), assume_crs, "buildings", buildings)
    cache = None
    if cache_dir:
        from landuse.raster import CoverageCache

        cache = CoverageCache(directory=cache_dir)
    return run_evidence(parcels, buildings=blds, cache=cache, **options)
