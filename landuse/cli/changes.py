"""``landuse changes``: what changed between two dates, one row per parcel."""

from __future__ import annotations

import os

import click

from landuse.cli._common import (
    ReadArgs,
    date_option,
    handle_errors,
    is_store_input,
    known_at_option,
    output_options,
    read_ledger_for,
    read_options,
)

__all__ = ["changes_cmd"]


def _rules(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    if value is None:
        return None
    from landuse.errors import LanduseError
    from landuse.rules import load_ruleset

    try:
        return load_ruleset(value)
    except (LanduseError, OSError) as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


@click.command("changes")
@click.argument("input", type=click.Path(dir_okay=False))
@click.argument("later", required=False, type=click.Path(dir_okay=False, exists=True))
@date_option("--from", "date_from", required=True, help="First date (YYYY-MM-DD).")
@date_option("--to", "date_to", required=True, help="Second date (YYYY-MM-DD).")
@known_at_option
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False),
              help="The disposal ledger (default: the store's, or LATER's 'ledger' layer).")
@click.option("--rules", type=click.Path(dir_okay=False, exists=True), callback=_rules,
              help="A zone's ruleset file (TOML), merged over the national default.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the reasons and the summary.")
@read_options
@output_options(multiple=True, help="Output file: .csv .xlsx .gpkg .parquet .geojson "
                "(repeat -o for several).")
@handle_errors
def changes_cmd(input: str, later: str | None, date_from: str, date_to: str,
                known_at: str | None, ledger_path: str | None, rules: object, lang: str,
                read: ReadArgs, outputs: tuple[str, ...], overwrite: bool) -> None:
    """What changed between two dates: new idle land, idle cleared, 五未 stage and 亩均
    class moves, low efficiency found or cured, holder changes, splits and merges.

    INPUT is a store (its register valid on each date, as known at --known-at), or the
    register on --from with LATER the register on --to.

    \b
    Examples:
      landuse changes park.gpkg --from 2023-01-01 --to 2023-10-31 -o changes.xlsx
      landuse changes register_2023-01.gpkg register_2023-10.gpkg --from 2023-01-01 \\
          --to 2023-10-31 -o changes.csv
    """
    from landuse.errors import CRSError, SchemaError
    from landuse.io.write import write_table
    from landuse.labels import label
    from landuse.rules.changes import changes_between, summarise_changes

    if date_to < date_from:
        raise click.BadParameter(f"{date_to} is before --from {date_from}.",
                                 param_hint="--to")
    click.echo(f"读取 reading the registers of {date_from} and {date_to}", err=True)
    if later is None:
        if not is_store_input(input):
            raise SchemaError(f"{input}: one register file holds one date. Fix: give the "
                              "register of --to as a second file, or a store (landuse load).")
        from landuse.store import open_store

        with open_store(input) as store:  # one read of the history for both dates, on
            # two processes where there are two cores
            before, after = store.registers_frames([date_from, date_to], known_at=known_at,
                                                   workers=min(2, os.cpu_count() or 1))
        led = read_ledger_for(input, ledger_path, known_at=known_at)
    else:
        before = read.parcels(input)
        after = read.parcels(later)
        led = read_ledger_for(later, ledger_path)
    if before.crs is not None and after.crs is not None and before.crs != after.crs:
        raise CRSError(f"{input} is in {before.crs.to_string()} but {later} in "
                       f"{after.crs.to_string()}. Fix: convert one register to the other's "
                       "CRS (e.g. ogr2ogr -t_srs) before comparing them.")
    rs = rules
    click.echo(f"评估并比较 assessing {len(before):,} + {len(after):,} parcels as of "
               f"{date_from} and {date_to} and comparing them", err=True)
    found = changes_between(before, after, date_from, date_to, ledger=led,
                            ruleset=rs, lang=lang)  # type: ignore[arg-type]
    summary = summarise_changes(found, lang)
    for out in outputs:
        write_table(found, out, "changes", overwrite,
                    sheets=[(label("report", "changes_summary", lang), summary)],
                    sheet="changes")
        click.echo(f"变化 changes -> {out}")
    click.echo(f"{date_from} → {date_to}: {len(found)} 宗 parcels changed")
    for r in summary[summary["parcels"] > 0].itertuples():
        click.echo(f"  {r.label}: {r.parcels} 宗, {r.area_mu:,.2f} 亩")
