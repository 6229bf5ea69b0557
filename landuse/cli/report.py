"""``landuse report``: the zone's land report for a period, as HTML, XLSX, DOCX, MD or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import geopandas as gpd
import pandas as pd

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
from landuse.errors import DataSourceError, SchemaError
from landuse.io.evidence import read_evidence

if TYPE_CHECKING:
    from landuse.report import ReportData
    from landuse.rules import Ruleset

__all__ = ["load_inputs", "report"]


def load_inputs(
    input: str | Path,
    ledger: str | Path | None,
    as_of: str,
    lang: str,
    rules: Ruleset | None = None,
    read: ReadArgs | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    known_at: str | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read the parcels (assessed as of ``as_of`` with the ruleset ``rules``, default the
    national one) and the ledger (``ledger``, else INPUT's ``ledger`` layer) for a report.

    From a store: its register valid on ``as_of`` and its ledger, as recorded by
    ``known_at`` (default now)."""
    assessing = AssessArgs(as_of=as_of, rules=rules, lang=lang, buildings=buildings,
                           known_at=known_at)
    parcels = assessing.assess(assessing.register(read or ReadArgs(), str(input)))
    return parcels, read_ledger_for(str(input), None if ledger is None else str(ledger),
                                    required=True, known_at=known_at)


def _inputs(input: str, ledger_path: str | None, as_of: str, read: ReadArgs,
            assessing: AssessArgs, engine: EngineArgs,
            geometry: bool = True) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The assessed parcels and the ledger of the report: a partitioned dataset one zone per
    task (:func:`landuse.cli._province.assessed`, each task returning only the columns the
    report reads, :data:`~landuse.report.build.REPORT_COLUMNS`, with the geometry only
    when ``geometry``: evidence and supply read every parcel; a report without them is
    built from the zones' parts instead, :func:`_report_by_parts`), anything else as
    :func:`load_inputs`."""
    import dataclasses

    from landuse.cli._province import assessed, by_zone, report_failures
    from landuse.report.build import REPORT_COLUMNS

    if not by_zone(input, engine):
        return load_inputs(input, ledger_path, as_of, assessing.lang,
                           rules=assessing.ruleset(), read=read,
                           buildings=assessing.buildings, known_at=assessing.known_at)
    led = read_ledger_for(input, ledger_path, required=True)
    parcels, failed = assessed(input, read, dataclasses.replace(assessing, as_of=as_of),
                               engine, columns=REPORT_COLUMNS, geometry=geometry)
    report_failures(failed)
    return parcels, led


def store_history(input: str, read: ReadArgs, assessing: AssessArgs, date_from: str,
                  as_of: str, now: gpd.GeoDataFrame, ledger: pd.DataFrame) -> dict[str, object]:
    """The register of a store at the period's start and a year before ``as_of`` (as
    known at ``--known-at``), assessed then, and the changes from the start to ``as_of``:
    the ``history`` of :func:`landuse.report.build_report` (较年初, 同比, transitions)."""
    import datetime as dt

    from landuse.rules.changes import changes

    def at(day: str) -> gpd.GeoDataFrame:
        args = AssessArgs(as_of=day, rules=assessing.rules, lang=assessing.lang,
                          industry_edition=assessing.industry_edition,
                          known_at=assessing.known_at)
        return args.assess(args.register(read, input))

    end = dt.date.fromisoformat(as_of)
    year_ago = (end.replace(year=end.year - 1) if not (end.month == 2 and end.day == 29)
                else end.replace(year=end.year - 1, day=28)).isoformat()
    start = at(date_from)
    return {"start": start, "year_ago": at(year_ago),
            "changes": changes(start, now, date_from, as_of, ledger=ledger,
                               lang=assessing.lang)}


@click.command()
@click.argument("input", type=click.Path())
@date_option("--from", "date_from", required=True, help="First day of the period (YYYY-MM-DD).")
@date_option("--to", "date_to", required=True, help="Last day of the period (YYYY-MM-DD).")
@click.option("--zone", help="Only this sub-park (the parcels' zone / 园区 field).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False),
              help="The disposal ledger (default: INPUT's 'ledger' layer).")
@read_options
@assess_options(required=False, as_of_help="Assessment date 评估基准日, YYYY-MM-DD "
                "(default: --to).")
@click.option("--evidence", "evidence_path", type=click.Path(dir_okay=False),
              help="Evidence written by 'landuse evidence' (.gpkg, .parquet, .geojson): adds "
              "the records-vs-imagery table (记录与影像不符) and buildings outside supply.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False),
              help="The parcel map written by 'landuse map' (.html): in the HTML report every "
              "parcel id links to that parcel on the map (链接到地图上的宗地).")
@click.option("--template", type=click.Path(dir_okay=False),
              help="A Word template (.docx) with docxtpl placeholders, for .docx output.")
@click.option("--supply", "supply_path", type=click.Path(exists=False),
              help="Supply records (GeoPackage with one layer per kind, XLSX or folder; see "
                   "'landuse supply'): adds the section 土地供应与储备 as of the period's end.")
@output_options(multiple=True, help="Output file; format by suffix: .html .xlsx .docx .md "
                ".json (repeat -o for several).")
@engine_options
@handle_errors
def report(
    input: str,
    date_from: str,
    date_to: str,
    zone: str | None,
    ledger_path: str | None,
    read: ReadArgs,
    assessing: AssessArgs,
    evidence_path: str | None,
    map_path: str | None,
    template: str | None,
    supply_path: str | None,
    outputs: tuple[str, ...],
    overwrite: bool,
    engine: EngineArgs,
) -> None:
    """Write the land report (盘活 figures, tables, charts, map, indicators) for a period.

    \b
    Examples:
      landuse report park.gpkg --from 2023-01-01 --to 2023-10-31 -o report.html
      landuse report park.gpkg --from 2023-01-01 --to 2023-10-31 --lang en \\
          -o report.xlsx -o report.docx -o report.json
      landuse report park.gpkg --from 2023-01-01 --to 2023-12-31 --zone 东区 \\
          --rules zone.toml --template bureau.docx -o 2023.docx
      landuse evidence park.gpkg --raster lc.tif --buildings b.gpkg -o ev.gpkg
      landuse report park.gpkg --from 2023-01-01 --to 2023-10-31 --evidence ev.gpkg \\
          -o report.html
      landuse map park.gpkg --as-of 2023-10-31 -o maps/park.html
      landuse report park.gpkg --from 2023-01-01 --to 2023-10-31 --map maps/park.html \\
          -o out/report.html
      landuse report province_parcels/ --ledger ledger.csv --from 2023-01-01 \\
          --to 2023-10-31 --workers 2 -o province.json

    A partitioned dataset (a folder from ``convert --partition-by``) is assessed one
    development zone per task, here or on Dask (--workers, --cluster); each task returns its
    zone's sums and the parcels the report lists, and the report is built from them: the
    same report either way. Above 20 000 parcels the overview map draws only the parcels
    of a category (disposed, idle, low-efficiency, open case), as cells when they are
    more than 20 000. Its ledger comes from
    --ledger. A zone that cannot be assessed is named on stderr and no report is
    written (its figures would be short), exit code 1.

    \b
    Template placeholders (docxtpl / Jinja2): {{ title }} {{ period }} {{ period_from }}
    {{ period_to }} {{ as_of }} {{ zone }} {{ lang }} {{ headline }} {{ figures.reclaimed_mu }}
    (and the other figures of the JSON output), {% for r in tables.by_method.rows %}...
    (tables: by_method by_stage by_zone by_month idle_parcels procedure low_efficiency
    lifecycle mujun flags flagged_parcels indicators events, and with --evidence records_disagree
    outside_supply; each has title, headers, rows),
    {% for i in indicators %}{{ i.name }} {{ i.value }} {{ i.unit }}{% endfor %},
    {% for n in notes %}, {{ charts.by_method }} (also by_month, lifecycle, mujun).
    """
    from landuse.report import build_report
    from landuse.report.writers import FORMATS

    paths = [Path(o) for o in outputs]
    for p in paths:
        if p.suffix.lower() not in FORMATS:
            raise SchemaError(f"{p}: unknown report format '{p.suffix}'. Fix: use one of "
                              f"{', '.join(FORMATS)}.")
    if map_path is not None:
        if Path(map_path).suffix.lower() not in (".html", ".htm"):
            raise SchemaError(f"--map {map_path}: not an HTML map. Fix: give the .html file "
                              "written by 'landuse map'.")
        if not Path(map_path).is_file():
            raise DataSourceError(f"--map {map_path}: file not found. Fix: write the map first "
                                  "with 'landuse map ... -o FILE.html', or correct the path.")
    ev, outside = read_evidence(evidence_path) if evidence_path else (None, None)
    as_of = assessing.as_of or date_to
    html = any(p.suffix.lower() == ".html" for p in paths)
    if not (evidence_path or supply_path) and _by_parts(input, engine):
        data = _report_by_parts(input, ledger_path, date_from, date_to, zone, as_of, read,
                                assessing, engine, html)
        _write(data, paths, map_path, template, overwrite)
        return
    geometry = bool(evidence_path or supply_path) or html
    parcels, led = _inputs(input, ledger_path, as_of, read, assessing, engine, geometry)
    supply = None
    if supply_path:
        from landuse.io.supply import read_supply
        from landuse.supply import check_supply
        from landuse.supply.summary import summarise

        records = read_supply(supply_path)
        check_supply(records, parcels["parcel_id"])
        supply = summarise(records, date_to, ledger=led, parcels=parcels)
    history = None
    if zone is None and is_store_input(input):
        history = store_history(input, read, assessing, date_from, as_of, parcels, led)
    data = build_report(parcels, led, date_from, date_to, zone=zone, lang=assessing.lang,
                        as_of=as_of, evidence=ev, outside_supply=outside, supply=supply,
                        history=history)
    _write(data, paths, map_path, template, overwrite)


def _by_parts(input: str, engine: EngineArgs) -> bool:
    """True when the report is built from the zones' parts (a partitioned dataset)."""
    from landuse.cli._province import by_zone

    return by_zone(input, engine)


def _report_by_parts(input: str, ledger_path: str | None, date_from: str, date_to: str,
                     zone: str | None, as_of: str, read: ReadArgs, assessing: AssessArgs,
                     engine: EngineArgs, html: bool) -> ReportData:
    """The report of a partitioned dataset from its zones' parts
    (:func:`landuse.cli._province.report_parts`): each task returns its zone's sums and
    listed parcels (with their geometry only for HTML), never every parcel."""
    import dataclasses

    from landuse.cli._province import report_failures, report_parts
    from landuse.report.build import ledger_ids, report_from_part

    led = read_ledger_for(input, ledger_path, required=True)
    part, failed = report_parts(input, read, dataclasses.replace(assessing, as_of=as_of),
                                engine, ledger_ids(led), zone, html)
    report_failures(failed)
    return report_from_part(part, led, date_from, date_to, zone=zone, lang=assessing.lang,
                            as_of=as_of)


def _write(data: ReportData, paths: list[Path], map_path: str | None, template: str | None,
           overwrite: bool) -> None:
    """Write the report in every format asked, then print its headline."""
    from landuse.report import map_href_for, write_report

    for p in paths:
        href = map_href_for(map_path, p) if map_path and p.suffix.lower() == ".html" else None
        write_report(data, p, overwrite=overwrite,
                     template=template if p.suffix.lower() == ".docx" else None,
                     map_href=href)
        click.echo(f"报告 report -> {p}")
    click.echo(data.headline)
