"""``landuse load``: import a validated register (and ledger) into a store."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from landuse.cli._common import (
    ReadArgs,
    date_option,
    handle_errors,
    overwrite_opt,
    read_options,
    store_options,
)
from landuse.errors import DataSourceError, SchemaError

if TYPE_CHECKING:
    from landuse.store import Store


@click.command()
@click.argument("input", type=click.Path(dir_okay=False))
@store_options
@read_options
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False),
              help="Ledger file (default: the 'ledger' layer of INPUT when it has one).")
@click.option("--keep-problems", is_flag=True,
              help="Load even when validation finds errors (they are listed, not fixed).")
@date_option("--effective", help="Record INPUT as a new version of the store's register, "
             "taking effect on this day (YYYY-MM-DD): parcels added, changed and retired are "
             "recorded, nothing is overwritten. Without it: the first register (valid since "
             "always).  生效日期")
@overwrite_opt
@handle_errors
def load(input: str, store_path: str | None, database: str | None, read: ReadArgs,
         ledger_path: str | None, keep_problems: bool, effective: str | None,
         overwrite: bool) -> None:
    """Check a parcel register and its ledger and import them into a store.

    \b
    Examples:
      landuse load parcels.gpkg --store park.gpkg
      landuse load data/geo/sample_park.gpkg --store park.gpkg --keep-problems
      landuse load parcels.shp --ledger ledger.xlsx --database postgresql://u@host/db
      landuse load parcels_2024.gpkg --store park.gpkg --effective 2024-01-01
    """
    from landuse.core.validate import validate
    from landuse.io import read_ledger
    from landuse.io.read import read_ledger_beside
    from landuse.io.write import atomic_path
    from landuse.store import is_store_file, open_store

    click.echo(f"读取并校验 reading and validating {input}", err=True)
    parcels = read.parcels(input)
    problems = validate(parcels, progress=True)
    errors = problems[problems["severity"] == "error"]
    warns = problems[problems["severity"] != "error"]
    if len(problems):
        click.echo(f"校验 validation: {len(errors)} errors, {len(warns)} "
                   f"warnings (details: landuse validate {input} --report problems.csv)")
    for w in warns.head(10).to_dict("records"):
        pid = "" if w["parcel_id"] is None else str(w["parcel_id"])
        click.echo(f"警告 warning: {pid} {w['field']}: {w['problem']} (fix: {w['fix']})")
    if len(warns) > 10:
        click.echo(f"… {len(warns) - 10} more warnings")
    if len(errors) and not keep_problems:
        lines = "; ".join(f"{r.parcel_id} {r.field}: {r.problem} (fix: {r.fix})"
                          for r in errors.head(5).itertuples())
        raise SchemaError(f"{input}: {len(errors)} validation errors, e.g. {lines}. Fix them, "
                          "or give --keep-problems to load the register as it is.")
    ledger = read_ledger(ledger_path) if ledger_path else read_ledger_beside(input)

    def for_store(store: Store) -> Any:
        # a new version of a register brings its parcels: the store keeps its own ledger
        # (new events come with --ledger or 'landuse ledger add')
        return None if not ledger_path and store.count("parcels") else ledger
    actor = f"cli:{os.environ.get('USER', 'unknown')}"
    click.echo(f"导入 importing {len(parcels):,} parcels", err=True)
    if database:
        with open_store(database) as store:
            counts = store.load(parcels, for_store(store), actor=actor, effective=effective)
        where = "PostGIS"
    elif not overwrite and is_store_file(store_path or "park.gpkg"):
        where = store_path or "park.gpkg"
        with open_store(where) as store:
            counts = store.load(parcels, for_store(store), actor=actor, effective=effective)
    else:
        target = store_path or "park.gpkg"
        if os.path.abspath(target) == os.path.abspath(input):
            raise DataSourceError(f"{target}: the store cannot be the input file. Fix: give "
                                  "another --store path.")
        with atomic_path(target, overwrite=overwrite) as tmp:
            with open_store(tmp, create=True) as store:
                counts = store.load(parcels, ledger, actor=actor, effective=effective)
            for suffix in ("-wal", "-shm"):
                if os.path.exists(f"{tmp}{suffix}"):
                    raise DataSourceError(f"{tmp}: store not closed cleanly.")
        where = target
    if effective is not None:
        click.echo(f"新版本 version effective {effective}: 新增 added {counts['added']}, "
                   f"变更 changed {counts['changed']}, 注销 retired {counts['retired']} 宗 "
                   f"parcels; {counts['events']} 台账事件 ledger events -> {where}")
        return
    click.echo(f"已导入 loaded {counts['parcels']} 宗地 parcels and {counts['events']} "
               f"台账事件 ledger events into {where}")
