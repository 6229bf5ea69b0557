"""``landuse supply validate|summary|import``: land supply, reserve, quotas and tasks.

RECORDS is a GeoPackage with one layer per record kind, an XLSX workbook with one sheet
per kind, or a folder with one file per kind (``batches``, ``reductions``, ``supply``,
``reserve``, ``quota_events``, ``supply_plan``, ``disposal_tasks``, ``mortgages``); see
:mod:`landuse.io.supply`. ``--parcels`` names the register the supply records and
mortgages must refer to (its ``ledger`` layer, when it has one, gives the idle-land
figures).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd

from landuse.cli._common import EXIT_ERRORS, date_option, handle_errors, overwrite_opt
from landuse.errors import DataSourceError

__all__ = ["supply"]

SUMMARY_SUFFIXES = (".json", ".csv", ".xlsx")


def _parcels(path: str | None) -> pd.DataFrame | None:
    if path is None:
        return None
    from landuse.io import read_parcels

    return read_parcels(path)


def _read(records: str, parcels: str | None) -> tuple[Any, pd.DataFrame | None]:
    from landuse.io.supply import read_supply

    return read_supply(records), _parcels(parcels)


def _batches_of(reg: pd.DataFrame | None) -> dict[str, Any] | None:
    """The register's batch of each parcel, when it records one (parcels reference their
    batch)."""
    if reg is None or "batch_id" not in reg.columns:
        return None
    return dict(zip(reg["parcel_id"].astype(str), reg["batch_id"], strict=True))


def _problems_text(p: pd.DataFrame, limit: int) -> str:
    shown = p.head(limit).astype(object).where(p.head(limit).notna(), "-")
    with pd.option_context("display.unicode.east_asian_width", True, "display.width", 200):
        text = shown[["severity", "source", "row", "record", "field", "value", "problem",
                      "fix"]].to_string(index=False, max_colwidth=60)
    more = f"\n… {len(p) - limit} more (use --report FILE.csv for all)" if len(p) > limit else ""
    return text + more


@click.group()
def supply() -> None:
    """Approval batches, supply, reserve, quotas, plan, tasks and mortgages.

    \b
    Examples:
      landuse supply validate supply.gpkg --parcels parcels.gpkg
      landuse supply summary supply.gpkg --parcels parcels.gpkg --as-of 2023-10-31
      landuse supply summary supply.gpkg --as-of 2023-10-31 --lang en -o summary.xlsx
      landuse supply import supply.gpkg --store park.gpkg
    """


@supply.command("validate")
@click.argument("records", type=click.Path(exists=False))
@click.option("--parcels", type=click.Path(dir_okay=False),
              help="The parcel register the records refer to (checks parcel ids).")
@click.option("--report", type=click.Path(dir_okay=False),
              help="Write every problem to .csv (opens in Excel) or .json.")
@overwrite_opt
@click.option("--limit", default=30, show_default=True, help="Problems shown on screen.")
@handle_errors
def validate_cmd(records: str, parcels: str | None, report: str | None, overwrite: bool,
                 limit: int) -> None:
    """Check supply records; exit 0 clean (warnings allowed), 1 errors, 2 unusable."""
    from landuse.io.problems import write_problems
    from landuse.supply.validate import supply_problems

    if report and Path(report).suffix.lower() not in (".csv", ".json"):
        raise DataSourceError(f"{report}: the report must be .csv or .json.")
    d, reg = _read(records, parcels)
    p = supply_problems(d, None if reg is None else reg["parcel_id"], _batches_of(reg))
    counts = ", ".join(f"{k} {v}" for k, v in d.counts().items())
    click.echo(f"{records}: {counts}")
    n_err = int((p["severity"] == "error").sum())
    n_warn = len(p) - n_err
    click.echo(f"错误 errors: {n_err}    警告 warnings: {n_warn}")
    if len(p):
        click.echo(_problems_text(p, limit))
    if report:
        write_problems(p, Path(report), records, overwrite=overwrite)
        click.echo(f"→ {report}")
    if n_err:
        sys.exit(EXIT_ERRORS)


@supply.command("summary")
@click.argument("records", type=click.Path(exists=False))
@date_option("--as-of", required=True, help="Date of the figures (YYYY-MM-DD).")
@click.option("--parcels", type=click.Path(dir_okay=False),
              help="The parcel register (parcel ids checked; its ledger layer gives the "
                   "idle-land figures).")
@click.option("--ledger", type=click.Path(dir_okay=False),
              help="The disposal ledger, when it is not a layer of --parcels.")
@click.option("--rules", type=click.Path(dir_okay=False),
              help="Supply ruleset TOML (default: the packaged supply_2024.toml).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Also write the summary: .json (every figure and table), .csv (the "
                   "figures) or .xlsx (figures and tables).")
@overwrite_opt
@handle_errors
def summary_cmd(records: str, as_of: str, parcels: str | None, ledger: str | None,
                rules: str | None, lang: str, output: str | None, overwrite: bool) -> None:
    """Every supply figure as of a date, each with its sentence and 口径."""
    from landuse.cli._common import check_outputs, read_ledger_for
    from landuse.io.supply import write_supply_summary
    from landuse.supply import check_supply
    from landuse.supply.ruleset import load_supply_ruleset
    from landuse.supply.summary import summarise

    if output and Path(output).suffix.lower() not in SUMMARY_SUFFIXES:
        raise DataSourceError(f"{output}: the summary is written as .json, .csv or .xlsx.")
    if output:
        check_outputs((output,), records, overwrite)
    d, reg = _read(records, parcels)
    warnings = check_supply(d, None if reg is None else reg["parcel_id"], _batches_of(reg))
    led = read_ledger_for(parcels, ledger) if parcels else (
        None if ledger is None else read_ledger_for(ledger, ledger))
    rs = load_supply_ruleset(rules) if rules else None
    s = summarise(d, as_of, rs, ledger=led, parcels=reg)
    figs = s.figures(lang)
    for w in warnings.to_dict("records"):
        click.secho(f"警告 warning: {w['source']}, row {w['row']} ({w['record']}): "
                    f"{w['problem']}", fg="yellow", err=True)
    for r in figs.to_dict("records"):
        click.echo(r["reason"])
    if output:
        write_supply_summary(s, output, lang, overwrite=overwrite)
        click.echo(f"→ {output}")


@supply.command("import")
@click.argument("records", type=click.Path(exists=False))
@click.option("--parcels", type=click.Path(dir_okay=False),
              help="Check parcel ids against this register (default: the store's parcels).")
@click.option("--store", "store_path", type=click.Path(dir_okay=False),
              help="GeoPackage store (default: park.gpkg).")
@click.option("--database", envvar="LANDUSE_DATABASE_URL",
              help="postgresql://... PostGIS store (or LANDUSE_DATABASE_URL).")
@click.option("--actor", default="cli", show_default=True,
              help="Who imports (recorded with each row and in the audit log).")
@handle_errors
def import_cmd(records: str, parcels: str | None, store_path: str | None,
               database: str | None, actor: str) -> None:
    """Check supply records with those already stored and store them, all or nothing."""
    import json

    from landuse.store import open_store

    d, reg = _read(records, parcels)
    st = open_store(database or store_path or "park.gpkg")
    try:
        ids = reg["parcel_id"] if reg is not None else st.parcels_frame()["parcel_id"]
        n = st.import_supply(d, parcel_ids=ids, actor=actor)
    finally:
        st.close()
    click.echo(json.dumps({"stored": n, **d.counts()}, ensure_ascii=False))
