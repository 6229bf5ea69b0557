"""``landuse report``: the zone's land report for a period, as HTML, XLSX, DOCX, MD or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import geopandas as gpd
import pandas as pd

from landuse.cli._common import (
    AssessArgs,
    ReadArgs,
    assess_options,
    date_option,
    handle_errors,
    output_options,
    read_ledger_for,
    read_options,
)
from landuse.errors import DataSourceError, SchemaError
from landuse.io.evidence import read_evidence

if TYPE_CHECKING:
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


@click.command()
@click.argument("input", type=click.Path(dir_okay=False))
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
@output_options(multiple=True, help="Output file; format by suffix: .html .xlsx .docx .md "
                ".json (repeat -o for several).")
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
    outputs: tuple[str, ...],
    overwrite: bool,
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
    from landuse.report import build_report, map_href_for, write_report
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
    parcels, led = load_inputs(input, ledger_path, as_of, assessing.lang,
                               rules=assessing.ruleset(), read=read,
                               buildings=assessing.buildings, known_at=assessing.known_at)
    data = build_report(parcels, led, date_from, date_to, zone=zone, lang=assessing.lang,
                        as_of=as_of, evidence=ev, outside_supply=outside)
    for p in paths:
        href = map_href_for(map_path, p) if map_path and p.suffix.lower() == ".html" else None
        write_report(data, p, overwrite=overwrite,
                     template=template if p.suffix.lower() == ".docx" else None,
                     map_href=href)
        click.echo(f"报告 report -> {p}")
    click.echo(data.headline)
