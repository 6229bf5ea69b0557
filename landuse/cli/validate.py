"""``landuse validate``: one row per problem; exit 0 clean, 1 errors, 2 unusable input."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from landuse.cli._common import EXIT_ERRORS, ReadArgs, handle_errors, overwrite_opt, read_options
from landuse.errors import DataSourceError, OutputExistsError
from landuse.io import write_layer
from landuse.io.problems import write_problems

REPORT_SUFFIXES = (".csv", ".json")


def _check_outputs(input: str, report: str | None, fix: str | None, overwrite: bool) -> None:
    if report and Path(report).suffix.lower() not in REPORT_SUFFIXES:
        raise DataSourceError(
            f"{report}: the report must be .csv or .json. Fix: e.g. --report problems.csv"
        )
    for out in (report, fix):
        if out and Path(out).resolve() == Path(input).resolve():
            raise DataSourceError(
                f"{out}: is the input file; the source is never modified in place. Fix: give "
                "a new file name."
            )
        if out and Path(out).exists() and not overwrite:
            raise OutputExistsError(
                f"{out}: file exists and won't be overwritten without --overwrite."
            )


def print_table(problems: pd.DataFrame, limit: int) -> None:
    """Print the first ``limit`` problems as an aligned table on stdout."""
    if problems.empty:
        return
    shown = problems.head(limit).copy()
    for c in ("value", "problem", "fix"):
        shown[c] = shown[c].astype("string").fillna("").str.slice(0, 70)
    shown["row"] = shown["row"].astype("string").fillna("-")
    shown["parcel_id"] = shown["parcel_id"].astype("string").fillna("-")
    click.echo(shown.to_string(index=False, max_colwidth=70))
    if len(problems) > limit:
        click.echo(f"… {len(problems) - limit} more (use --report FILE.csv for all, or --limit)")


@click.command()
@click.argument("input", type=click.Path())
@read_options
@click.option(
    "--area-tolerance",
    default=0.01,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Largest relative difference between registered and measured area (0.01 = 1 %).",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False),
    help="Write every problem to FILE.csv (opens in Excel) or FILE.json.",
)
@click.option(
    "--fix",
    "fix_path",
    type=click.Path(dir_okay=False),
    help="Repair invalid geometries (make_valid) into this NEW file (.gpkg/.parquet/"
    ".geojson); the input is never modified.",
)
@click.option("--limit", default=50, show_default=True, help="Problems shown on screen.")
@overwrite_opt
@handle_errors
def validate(
    input: str,
    read: ReadArgs,
    area_tolerance: float,
    report: str | None,
    fix_path: str | None,
    limit: int,
    overwrite: bool,
) -> None:
    """Check a parcel file: CRS, coordinates, geometries, ids, values, areas, overlaps.

    Prints one row per problem (parcel id, row, field, value, problem, fix). Exit code
    0 when there are no errors (warnings allowed), 1 when there are errors, 2 when the
    input cannot be used at all.

    \b
    Examples:
      landuse validate parcels.shp
      landuse validate parcels.shp --encoding GBK --report problems.csv
      landuse validate parcels.gpkg --layer parcels --area-tolerance 0.02
      landuse validate 宗地.xlsx --assume-crs EPSG:4527 --report problems.json
      landuse validate parcels.shp --attributes 台账.xlsx
      landuse validate parcels.shp --fix repaired.gpkg
    """
    from landuse.core.validate import repair_geometries, summarise_problems
    from landuse.core.validate import validate as run_validate

    _check_outputs(input, report, fix_path, overwrite)
    gdf = read.parcels(input)
    problems = run_validate(gdf, area_tolerance=area_tolerance, progress=True)
    counts = summarise_problems(problems)
    print_table(problems, limit)
    if report:
        write_problems(problems, Path(report), input, overwrite)
        click.echo(f"报告 report: {report}")
    if fix_path:
        fixed, pos = repair_geometries(gdf)
        write_layer(fixed, fix_path, layer="parcels", overwrite=overwrite)
        click.echo(
            f"修复 repaired {len(pos)} invalid geometr{'y' if len(pos) == 1 else 'ies'} "
            f"-> {fix_path} (the input is unchanged; validate the repaired file again)"
        )
    meta = gdf.attrs.get("landuse", {})
    enc = f", encoding {meta['encoding']} ({meta.get('encoding_source')})" if meta.get(
        "encoding") else ""
    click.echo(
        f"{input}: {len(gdf)} parcels, {counts['errors']} errors 错误, "
        f"{counts['warnings']} warnings 警告{enc}"
    )
    if counts["errors"]:
        sys.exit(EXIT_ERRORS)
