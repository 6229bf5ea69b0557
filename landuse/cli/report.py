"""``landuse report``: the zone's land report for a period, as HTML, XLSX, DOCX, MD or JSON."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd
import pandas as pd
import pyogrio

from landuse.cli._common import handle_errors, overwrite_opt
from landuse.errors import DataSourceError, OutputExistsError, SchemaError
from landuse.io.evidence import read_evidence

__all__ = ["load_inputs", "report"]


def _assessed(parcels: gpd.GeoDataFrame, as_of: str, lang: str) -> gpd.GeoDataFrame:
    """Run the assessment (landuse.rules.assess) as of ``as_of``."""
    from landuse.rules import assess

    return assess(parcels, as_of=as_of, lang=lang)


def load_inputs(
    input: str | Path, ledger: str | Path | None, as_of: str, lang: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read the parcels (assessed as of ``as_of``) and the ledger for a report."""
    from landuse.io import read_ledger, read_parcels

    parcels = read_parcels(input)
    if ledger is None:
        src = Path(input)
        layers = [n for n, _ in pyogrio.list_layers(src)] if src.suffix.lower() == ".gpkg" \
            else []
        if "ledger" not in layers:
            raise DataSourceError(
                f"{src}: has no 'ledger' layer. Fix: give the ledger with --ledger FILE "
                "(GeoPackage, CSV or XLSX) or add events with 'landuse ledger add'."
            )
        led = read_ledger(src, layer="ledger")
    else:
        led = read_ledger(ledger)
    return _assessed(parcels, as_of, lang), led


@click.command()
@click.argument("input", type=click.Path(dir_okay=False))
@click.option("--from", "date_from", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, help="Last day of the period (YYYY-MM-DD).")
@click.option("--zone", help="Only this sub-park (the parcels' zone / 园区 field).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False),
              help="The disposal ledger (default: INPUT's 'ledger' layer).")
@click.option("--as-of", "as_of", help="Assessment date (default: --to).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("-o", "--output", "outputs", multiple=True, required=True,
              type=click.Path(dir_okay=False),
              help="Output file; format by suffix: .html .xlsx .docx .md .json "
              "(repeat -o for several).")
@click.option("--evidence", "evidence_path", type=click.Path(dir_okay=False),
              help="Evidence written by 'landuse evidence' (.gpkg, .parquet, .geojson): adds "
              "the records-vs-imagery table (记录与影像不符) and buildings outside supply.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False),
              help="The parcel map written by 'landuse map' (.html): in the HTML report every "
              "parcel id links to that parcel on the map (链接到地图上的宗地).")
@click.option("--template", type=click.Path(dir_okay=False),
              help="A Word template (.docx) with docxtpl placeholders, for .docx output.")
@overwrite_opt
@handle_errors
def report(
    input: str,
    date_from: str,
    date_to: str,
    zone: str | None,
    ledger_path: str | None,
    as_of: str | None,
    lang: str,
    outputs: tuple[str, ...],
    evidence_path: str | None,
    map_path: str | None,
    template: str | None,
    overwrite: bool,
) -> None:
    """Write the land report (盘活 figures, tables, charts, map, indicators) for a period.

    \b
    Examples:
      landuse report park.gpkg --from 2023-01-01 --to 2023-10-31 -o report.html
      landuse report park.gpkg --from 2023-01-01 --to 2023-10-31 --lang en \\
          -o report.xlsx -o report.docx -o report.json
      landuse report park.gpkg --from 2023-01-01 --to 2023-12-31 --zone 东区 \\
          --template bureau.docx -o 2023.docx
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
    (tables: by_method by_stage by_zone by_month idle_parcels low_efficiency lifecycle
    mujun flags flagged_parcels indicators events, and with --evidence records_disagree
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
        if p.exists() and not overwrite:
            raise OutputExistsError(f"{p}: file exists and won't be overwritten without "
                                    "--overwrite.")
    if map_path is not None:
        if Path(map_path).suffix.lower() not in (".html", ".htm"):
            raise SchemaError(f"--map {map_path}: not an HTML map. Fix: give the .html file "
                              "written by 'landuse map'.")
        if not Path(map_path).is_file():
            raise DataSourceError(f"--map {map_path}: file not found. Fix: write the map first "
                                  "with 'landuse map ... -o FILE.html', or correct the path.")
    ev, outside = read_evidence(evidence_path) if evidence_path else (None, None)
    parcels, led = load_inputs(input, ledger_path, as_of or date_to, lang)
    data = build_report(parcels, led, date_from, date_to, zone=zone, lang=lang,
                        as_of=as_of or date_to, evidence=ev, outside_supply=outside)
    for p in paths:
        href = map_href_for(map_path, p) if map_path and p.suffix.lower() == ".html" else None
        write_report(data, p, overwrite=overwrite,
                     template=template if p.suffix.lower() == ".docx" else None,
                     map_href=href)
        click.echo(f"报告 report -> {p}")
    click.echo(data.headline)
