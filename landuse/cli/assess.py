"""``landuse assess``: classify every parcel by the land rules as of a date."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from landuse.cli._common import (
    AssessArgs,
    EngineArgs,
    ReadArgs,
    assess_options,
    engine_options,
    handle_errors,
    output_options,
    read_options,
)

if TYPE_CHECKING:
    from landuse.engine import UnitResult

__all__ = ["assess", "assessed_line"]


@click.command()
@click.argument("input", type=click.Path())
@read_options
@assess_options
@output_options(help="Output file: .gpkg, .parquet, .geojson, .csv or .xlsx.")
@engine_options
@handle_errors
def assess(input: str, read: ReadArgs, assessing: AssessArgs, output: str,
           overwrite: bool, engine: EngineArgs) -> None:
    """Assess every parcel: idle land, 五未 stage, low efficiency, 亩均 class, with reasons.

    \b
    Examples:
      landuse assess data/geo/sample_park.gpkg --as-of 2023-10-31 -o out/assessment.xlsx
      landuse assess parcels.shp --as-of 2023-10-31 --rules zone.toml --lang en -o a.gpkg
      landuse assess province_parcels/ --as-of 2023-10-31 --workers 2 -o a.csv

    A partitioned dataset (a folder from ``convert --partition-by``) is assessed one
    development zone at a time, here or on Dask (--workers, --cluster), and written sorted
    by parcel id: the same bytes either way. Each task writes its zone's result beside
    OUTPUT (a hidden folder, removed at the end; on several hosts OUTPUT's folder must be
    shared like the dataset) and the parts are streamed into OUTPUT. A zone that cannot be
    assessed is named on stderr, the others are written, and the exit code is 1.
    """
    from landuse.cli._province import assessed_to_file, by_zone, report_failures
    from landuse.io.assessment import write_assessment

    failed: list[UnitResult] = []
    if by_zone(input, engine):
        run = assessed_to_file(input, read, assessing, engine, output, overwrite)
        failed, meta = run.failed, run.attrs.get("assessment", {})
        n, idle, low, path = run.rows, run.idle, run.low, run.path
    else:
        gdf = assessing.assess(assessing.register(read, input))
        path = write_assessment(gdf, output, overwrite=overwrite)
        meta = gdf.attrs.get("assessment", {})
        n = len(gdf)
        idle = int((gdf["idle_type"].isin(["not_started", "stalled"])).sum())
        low = int(gdf["low_efficiency"].sum())
    click.echo(assessed_line(n, str(assessing.as_of), idle, low,
                             meta.get("ruleset", {}).get("description", ""), str(path)))
    for w in meta.get("warnings", []):
        click.echo(f"警告 warning: {w['message']}", err=True)
    report_failures(failed)


def assessed_line(n: int, as_of: str, idle: int, low: int, rules: str, path: str) -> str:
    """The bilingual line ``assess`` ends with: the date as 2023年10月31日 in the Chinese half,
    ISO in the English half (with the ruleset, named in its own words).

    Examples
    --------
    >>> line = assessed_line(3, "2023-10-31", 1, 0, "", "a.csv")
    >>> line.split("；")[0]
    '已评估3宗，评估基准日2023年10月31日，闲置1宗、低效0宗'
    >>> line.split("；")[1]
    'assessed 3 parcels as of 2023-10-31: idle 1, low-efficiency 0 -> a.csv'
    """
    import pandas as pd

    from landuse.report.text import day_text

    day = pd.Timestamp(as_of)
    zh = f"已评估{n}宗，评估基准日{day_text(day, 'zh')}，闲置{idle}宗、低效{low}宗"
    en = f"assessed {n} parcels as of {day_text(day, 'en')}" + (f" ({rules})" if rules else "")
    return f"{zh}；{en}: idle {idle}, low-efficiency {low} -> {path}"
