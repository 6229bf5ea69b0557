"""``landuse assess``: classify every parcel by the land rules as of a date."""

from __future__ import annotations

import click

from landuse.cli._common import handle_errors, overwrite_opt

__all__ = ["as_of_opt", "assess", "read_for_assessment"]


def _check_date(ctx: click.Context, param: click.Parameter, value: str) -> str:
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts) or len(value) != 10:
        raise click.BadParameter(
            f"'{value}' is not a date. Fix: write it as YYYY-MM-DD, e.g. 2023-10-31.",
            param_hint="--as-of",
        )
    return value


as_of_opt = click.option(
    "--as-of",
    "as_of",
    required=True,
    callback=_check_date,
    help="Assessment date 评估基准日, YYYY-MM-DD.",
)
rules_opt = click.option(
    "--rules",
    type=click.Path(dir_okay=False),
    help="A zone's ruleset file (TOML), merged over the national default.",
)
lang_opt = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the reasons.",
)
layer_opt = click.option("--layer", help="Layer of a multi-layer file (default: parcels).")
buildings_opt = click.option(
    "--buildings",
    type=click.Path(dir_okay=False),
    help="Building footprints (same CRS) for the outside_supply flag.",
)


def read_for_assessment(
    input: str,
    layer: str | None,
    as_of: str,
    rules: str | None,
    lang: str,
    buildings: str | None,
):  # type: ignore[no-untyped-def]
    """Read, assess; shared by ``assess`` and ``summary``."""
    import geopandas as gpd

    from landuse.errors import DataSourceError
    from landuse.io import read_parcels
    from landuse.rules import assess as run, load_ruleset

    ruleset = load_ruleset(rules)
    parcels = read_parcels(input, layer=layer)
    bld = None
    if buildings:
        try:
            bld = gpd.read_file(buildings, engine="pyogrio")
        except Exception as e:  # pyogrio raises several types for unreadable files
            raise DataSourceError(f"{buildings}: cannot be read ({e}).") from e
    return run(parcels, as_of, ruleset=ruleset, lang=lang, buildings=bld)


@click.command()
@click.argument("input", type=click.Path(dir_okay=False))
@as_of_opt
@rules_opt
@lang_opt
@layer_opt
@buildings_opt
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Output file: .gpkg, .parquet, .geojson, .csv or .xlsx.",
)
@overwrite_opt
@handle_errors
def assess(
    input: str,
    as_of: str,
    rules: str | None,
    lang: str,
    layer: str | None,
    buildings: str | None,
    output: str,
    overwrite: bool,
) -> None:
    """Assess every parcel: idle land, 五未 stage, low efficiency, 亩均 class, with reasons.

    \b
    Examples:
      landuse assess data/geo/sample_park.gpkg --as-of 2023-10-31 -o out/assessment.xlsx
      landuse assess parcels.shp --as-of 2023-10-31 --rules zone.toml --lang en -o a.gpkg
    """
    from pathlib import Path

    from landuse.errors import OutputExistsError
    from landuse.io.assessment import write_assessment

    if Path(output).exists() and not overwrite:
        raise OutputExistsError(
            f"{output}: file exists and won't be overwritten without --overwrite."
        )
    gdf = read_for_assessment(input, layer, as_of, rules, lang, buildings)
    path = write_assessment(gdf, output, overwrite=overwrite)
    meta = gdf.attrs.get("assessment", {})
    idle = int((gdf["idle_type"].isin(["not_started", "stalled"])).sum())
    low = int(gdf["low_efficiency"].sum())
    click.echo(
        f"已评估 assessed {len(gdf)} 宗 parcels as of {as_of} "
        f"({meta.get('ruleset', {}).get('description', '')}): "
        f"闲置 idle {idle}, 低效 low-efficiency {low} -> {path}"
    )
