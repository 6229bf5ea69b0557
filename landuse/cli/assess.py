"""``landuse assess``: classify every parcel by the land rules as of a date."""

from __future__ import annotations

import click

from landuse.cli._common import (
    AssessArgs,
    ReadArgs,
    assess_options,
    handle_errors,
    output_options,
    read_options,
)

__all__ = ["assess"]


@click.command()
@click.argument("input", type=click.Path(dir_okay=False))
@read_options
@assess_options
@output_options(help="Output file: .gpkg, .parquet, .geojson, .csv or .xlsx.")
@handle_errors
def assess(input: str, read: ReadArgs, assessing: AssessArgs, output: str,
           overwrite: bool) -> None:
    """Assess every parcel: idle land, 五未 stage, low efficiency, 亩均 class, with reasons.

    \b
    Examples:
      landuse assess data/geo/sample_park.gpkg --as-of 2023-10-31 -o out/assessment.xlsx
      landuse assess parcels.shp --as-of 2023-10-31 --rules zone.toml --lang en -o a.gpkg
    """
    from landuse.io.assessment import write_assessment

    gdf = assessing.assess(assessing.register(read, input))
    path = write_assessment(gdf, output, overwrite=overwrite)
    meta = gdf.attrs.get("assessment", {})
    idle = int((gdf["idle_type"].isin(["not_started", "stalled"])).sum())
    low = int(gdf["low_efficiency"].sum())
    click.echo(
        f"已评估 assessed {len(gdf)} 宗 parcels as of {assessing.as_of} "
        f"({meta.get('ruleset', {}).get('description', '')}): "
        f"闲置 idle {idle}, 低效 low-efficiency {low} -> {path}"
    )
    for w in meta.get("warnings", []):
        click.echo(f"警告 warning: {w['message']}", err=True)
