"""``landuse map``: an interactive HTML map of the assessed parcels (offline by default)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from landuse.cli._common import (
    AssessArgs,
    EngineArgs,
    ReadArgs,
    assess_options,
    date_option,
    engine_options,
    handle_errors,
    is_store_input,
    output_options,
    read_ledger_for,
    read_options,
)

if TYPE_CHECKING:
    from landuse.engine import UnitResult

__all__ = ["map_cmd"]


@click.command("map")
@click.argument("input", type=click.Path())
@read_options
@assess_options(required=False, as_of_help="Assess first, as of this date (YYYY-MM-DD). "
                "Without it INPUT must already hold the assessment columns.")
@click.option("--ledger", type=click.Path(dir_okay=False),
              help="Disposal ledger (GeoPackage layer 'ledger', CSV or XLSX). Default: the "
              "'ledger' layer of INPUT when it has one.")
@click.option("--basemap", type=click.Choice(["none", "osm", "tianditu-vec", "tianditu-img",
                                               "amap"]),
              default="none", show_default=True,
              help="Background map. 'none' works offline; tianditu-* need the environment "
              "variable TIANDITU_KEY; amap shifts the drawn parcels to GCJ-02 (display only).")
@click.option("--tiled/--single-file", "tiled", default=None,
              help="Force vector tiles beside the page, or one self-contained page "
              "(default: tiles above 5 000 parcels).")
@click.option("--evidence", "evidence_path", type=click.Path(dir_okay=False),
              help="Evidence written by 'landuse evidence' (.gpkg, .parquet, .geojson): adds "
              "the imagery-evidence layer (影像证据), before/after layers with two dates, and "
              "buildings outside supply.")
@click.option("--pmtiles", "pmtiles", is_flag=True,
              help="Write OUTPUT as one PMTiles archive of the map's vector tiles (e.g. a "
              "province from a partitioned dataset) instead of a page, and beside it NAME.html, "
              "an offline page that opens the archive the user chooses or drops; serve the "
              "archive with 'landuse serve --pmtiles'.")
@click.option("--supply", "supply_path", type=click.Path(exists=False),
              help="Supply records (see 'landuse supply'): adds the layers of batches by "
              "share not supplied, reserve land by readiness and land still suppliable "
              "(as of --as-of, else today).")
@output_options(help="The HTML file to write, e.g. maps/zone.html (with --pmtiles: the "
                ".pmtiles file).")
@date_option("--changes-since", "changes_since",
             help="A store and --as-of: add the layer of what changed for each parcel "
             "since this date (YYYY-MM-DD).  变化")
@engine_options
@handle_errors
def map_cmd(input: str, read: ReadArgs, assessing: AssessArgs, ledger: str | None,
            basemap: str, tiled: bool | None, evidence_path: str | None, pmtiles: bool,
            supply_path: str | None, changes_since: str | None, output: str,
            overwrite: bool, engine: EngineArgs) -> None:
    """Write an interactive map of idle, low-efficiency and reclaimed parcels.

    The page opens from disk with no network (all scripts are inside it). Large registers
    get a folder NAME_files/ beside the page: keep the two together.

    \b
    Examples:
      landuse map parcels.gpkg --as-of 2023-10-31 -o maps/zone.html
      TIANDITU_KEY=... landuse map parcels.gpkg --as-of 2023-10-31 \\
          --basemap tianditu-img -o maps/img.html
      landuse map assessment.gpkg --lang en -o maps/zone_en.html --overwrite
      landuse map parcels.gpkg --as-of 2023-10-31 --evidence evidence.gpkg \\
          -o maps/zone_evidence.html
      landuse map province/ --as-of 2023-10-31 --workers 4 --pmtiles -o province.pmtiles
    """
    from landuse.cli._province import by_zone
    from landuse.webmap import make_map, write_map

    if pmtiles or by_zone(input, engine):
        if not pmtiles:
            raise click.UsageError("a partitioned dataset is mapped as one PMTiles archive: "
                                   "give --pmtiles and -o FILE.pmtiles.")
        _pmtiles(input, read, assessing, engine, output, overwrite)
        return

    as_of = assessing.as_of
    if assessing.rules is not None and not as_of:
        raise click.UsageError("--rules needs --as-of: the map assesses INPUT only with a date.")
    key = os.environ.get("TIANDITU_KEY") if basemap.startswith("tianditu") else None
    click.echo(f"读取 reading {input}" + (f", 评估 assessing as of {as_of}" if as_of else ""),
               err=True)
    parcels = assessing.register(read, input)
    bld = assessing.buildings_for(parcels)
    if as_of:
        parcels = assessing.assess(parcels)
    led = read_ledger_for(input, ledger, known_at=assessing.known_at)
    ev, outside = (None, None)
    if evidence_path:
        from landuse.io.evidence import read_evidence

        ev, outside = read_evidence(evidence_path)
    found = None
    if changes_since is not None:
        if not (as_of and is_store_input(input)):
            raise click.UsageError("--changes-since needs a store as INPUT and --as-of.")
        from landuse.rules.changes import changes

        since = AssessArgs(as_of=changes_since, rules=assessing.rules, lang=assessing.lang,
                           industry_edition=assessing.industry_edition,
                           known_at=assessing.known_at)
        found = changes(since.assess(since.register(read, input)), parcels, changes_since,
                        as_of, ledger=led, lang=assessing.lang)
    click.echo(f"生成地图 building the map of {len(parcels):,} parcels", err=True)
    supply = None
    if supply_path:
        import pandas as pd

        from landuse.io.supply import read_supply
        from landuse.supply import check_supply
        from landuse.supply.summary import summarise

        records = read_supply(supply_path)
        check_supply(records, parcels["parcel_id"])
        day = as_of or pd.Timestamp.now().strftime("%Y-%m-%d")
        supply = (records, summarise(records, day, ledger=led, parcels=parcels))
    wm = make_map(parcels, led, buildings=bld, lang=assessing.lang, basemap=basemap,
                  tianditu_key=key, tiled=tiled, evidence=ev, outside_supply=outside,
                  supply=supply, changes=found, changes_since=changes_since)
    for path in write_map(wm, output, overwrite=overwrite, progress=True):
        click.echo(f"地图 map -> {path}")


def _pmtiles(input: str, read: ReadArgs, assessing: AssessArgs, engine: EngineArgs,
             output: str, overwrite: bool) -> None:
    """INPUT assessed (by zone for a dataset) and written as one PMTiles archive."""
    from landuse.cli._province import by_zone, report_failures
    from landuse.webmap.archive import write_pmtiles

    if not assessing.as_of:
        raise click.UsageError("--pmtiles needs --as-of: the tiles are coloured by the "
                               "assessment.")
    failed: list[UnitResult] = []
    if by_zone(input, engine):
        info, failed = _zones_pmtiles(input, read, assessing, engine, output, overwrite)
    else:
        parcels = assessing.assess(read.parcels(input))
        info = write_pmtiles(parcels, output, lang=assessing.lang, overwrite=overwrite,
                             progress=True)
    from pathlib import Path

    from landuse.webmap.viewer import write_viewer

    click.echo(f"PMTiles -> {info['path']}: {info['tiles']} tiles, zoom {info['minzoom']}-"
               f"{info['maxzoom']}, {info['bytes'] / 1e6:.1f} MB")
    page = write_viewer(Path(output).with_suffix(".html"), assessing.lang, overwrite=overwrite)
    click.echo(f"查看器 viewer -> {page} (open it, then choose or drop the .pmtiles file)")
    report_failures(failed)


def _zones_pmtiles(input: str, read: ReadArgs, assessing: AssessArgs, engine: EngineArgs,
                   output: str, overwrite: bool) -> tuple[dict[str, Any], list[UnitResult]]:
    """A partitioned INPUT as one archive, every step one task per development zone: each
    task assesses its zone and writes the zone's part beside OUTPUT, then the zones' tiles
    are made by tasks too (:func:`landuse.webmap.archive.write_pmtiles_zones`) and merged
    here. Returns what was written and the units that could not be assessed."""
    from tqdm import tqdm

    from landuse.cli._province import parts_folder, written_zones, zone_job
    from landuse.engine import Engine, WriteJob
    from landuse.errors import EngineError
    from landuse.webmap.archive import write_pmtiles_zones

    job, units = zone_job(input, read, assessing)
    with parts_folder(output) as (_, folder), Engine(engine.workers, engine.cluster) as eng:
        if eng.dashboard:
            click.echo(f"Dask 仪表板 dashboard: {eng.dashboard}", err=True)
        with tqdm(total=3 * len(units), unit="task", desc="开发区 zones (assess, tiles)",
                  disable=None) as bar:

            def step(done: int, total: int, r: UnitResult) -> None:
                bar.update(1)

            ran, failed = written_zones(eng.run(WriteJob(job, folder), units, step))
            zones = [(r.unit, r.written.path, r.written.first_id, r.written.rows)
                     for r in ran if r.written is not None and r.written.rows]
            if not zones:
                raise EngineError("no zone could be assessed: the dataset is empty.")
            attrs = ran[0].written.attrs if ran[0].written is not None else {}
            info = write_pmtiles_zones(
                eng, zones, output, lang=assessing.lang,
                as_of=attrs.get("assessment", {}).get("as_of"), overwrite=overwrite,
                progress=True, step=step)
    return info, failed
