"""The assessment of a partitioned dataset, one task per development zone.

Commands that assess (``assess``, ``summary``) call :func:`assessed` instead of reading and
assessing INPUT at once when INPUT is a partitioned dataset or ``--workers``/``--cluster`` is
given: the same units run in this process or on Dask, with the same bytes out. Progress goes
to stderr as a bar of zones done / total, after the dashboard's address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from landuse.cli._common import AssessArgs, EngineArgs, ReadArgs
from landuse.errors import EngineError

if TYPE_CHECKING:
    import geopandas as gpd

    from landuse.engine import UnitResult

__all__ = ["assessed", "by_zone", "report_failures"]


def by_zone(input: str, engine: EngineArgs) -> bool:
    """True when INPUT is assessed unit by unit (a partitioned dataset)."""
    from landuse.io.dataset import is_dataset

    if is_dataset(input):
        return True
    if engine.distributed:
        raise EngineError(
            f"{input}: --workers/--cluster run one task per development zone of a partitioned "
            "dataset. Fix: write one with 'landuse convert INPUT FOLDER --partition-by "
            "province,city,zone' and give the folder."
        )
    return False


def assessed(input: str, read: ReadArgs, assessing: AssessArgs,
             engine: EngineArgs) -> tuple[gpd.GeoDataFrame, list[UnitResult]]:
    """INPUT's units assessed and combined (sorted by parcel id), and the failed units."""
    from tqdm import tqdm

    from landuse.engine import AssessJob, Engine, combine, plan_units

    if assessing.as_of is None:
        raise click.UsageError("give the assessment date with --as-of YYYY-MM-DD.")
    units = plan_units(input, read.where())
    if not units:
        raise EngineError(f"{input}: no partition matches --partition. Fix: check the values.")
    job = AssessJob(
        path=input, as_of=assessing.as_of, ruleset=assessing.ruleset(), lang=assessing.lang,
        buildings=assessing.buildings,
        read={"assume_crs": read.assume_crs, "id_column": read.id_column,
              "attributes": read.attributes, "where": read.where(), "bbox": read.bbox},
    )
    with Engine(engine.workers, engine.cluster) as eng:
        if eng.dashboard:
            click.echo(f"Dask 仪表板 dashboard: {eng.dashboard}", err=True)
        with tqdm(total=len(units), unit="zone", desc="开发区 zones", file=None,
                  disable=None) as bar:

            def step(done: int, total: int, r: UnitResult) -> None:
                bar.update(1)
                bar.set_postfix_str(f"{done}/{total}")

            results = eng.run(job, units, step)
    failed = [r for r in results if r.error is not None]
    return combine(results), failed


def report_failures(failed: list[UnitResult]) -> None:
    """Each failed unit with its error on stderr; exit code 1 when there is any."""
    import sys

    for r in failed:
        click.secho(f"错误 error: zone {r.unit.name}: {r.error}", fg="red", err=True)
    if failed:
        click.secho(f"{len(failed)} 个开发区未评估 zone(s) not assessed; the others were "
                    "written.", fg="red", err=True)
        sys.exit(1)
