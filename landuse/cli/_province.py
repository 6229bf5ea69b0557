"""The assessment of a partitioned dataset, one task per development zone.

Commands that assess call :func:`assessed` (``summary``, ``map``) or
:func:`assessed_to_file` (``assess``: each task writes its zone's part, the parts are streamed
into the output) instead of reading and assessing INPUT at once when INPUT is a partitioned
dataset or ``--workers``/``--cluster`` is given: the same units run in this process or on
Dask, with the same bytes out. Progress goes to stderr as a bar of zones done / total, after
the dashboard's address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from landuse.cli._common import AssessArgs, EngineArgs, ReadArgs
from landuse.errors import EngineError

if TYPE_CHECKING:
    import geopandas as gpd

    from landuse.engine import AssessJob, Engine, Unit, UnitResult, Written
    from landuse.io.assessment import Part

__all__ = [
    "WrittenRun",
    "assessed",
    "assessed_to_file",
    "by_zone",
    "csv_by_workers",
    "csv_pieces",
    "evidence_by_zone",
    "parts_folder",
    "report_failures",
    "report_parts",
    "written_zones",
    "zone_job",
]


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


def _job(input: str, read: ReadArgs, assessing: AssessArgs) -> tuple[AssessJob, list[Unit]]:
    """The task every unit runs, and the units of INPUT."""
    from landuse.engine import AssessJob, plan_units

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
    return job, units


def _run(job: Callable[[Unit], Any], units: list[Unit], engine: EngineArgs) -> list[UnitResult]:
    """``job`` on every unit, here or on Dask, with the dashboard's address and a bar."""
    from landuse.engine import Engine

    with Engine(engine.workers, engine.cluster) as eng:
        return _run_on(eng, job, units)


def _run_on(eng: Engine, job: Callable[[Unit], Any], units: list[Unit],
            desc: str = "开发区 zones",
            on_result: Callable[[UnitResult], None] | None = None) -> list[UnitResult]:
    """``job`` on every unit on an open engine, with the dashboard's address and a bar;
    ``on_result`` sees each result as it comes."""
    from tqdm import tqdm

    if eng.dashboard and desc == "开发区 zones":
        click.echo(f"Dask 仪表板 dashboard: {eng.dashboard}", err=True)
    with tqdm(total=len(units), unit="zone", desc=desc, file=None, disable=None) as bar:

        def step(done: int, total: int, r: UnitResult) -> None:
            bar.update(1)
            bar.set_postfix_str(f"{done}/{total}")
            if on_result is not None:
                on_result(r)

        return eng.run(job, units, step)


def assessed(input: str, read: ReadArgs, assessing: AssessArgs, engine: EngineArgs,
             columns: tuple[str, ...] | None = None,
             geometry: bool = True) -> tuple[gpd.GeoDataFrame, list[UnitResult]]:
    """INPUT's units assessed and combined (sorted by parcel id), and the failed units.

    With ``columns``, each task returns only those columns of its parcels (and their
    geometry only with ``geometry``): the client gathers that slice, not the whole
    assessment (:class:`landuse.engine.SliceJob`)."""
    from landuse.engine import SliceJob, combine

    job, units = _job(input, read, assessing)
    task: Callable[[Unit], Any] = job if columns is None else SliceJob(job, columns, geometry)
    results = _run(task, units, engine)
    failed = [r for r in results if r.error is not None]
    return combine(results), failed


def report_parts(input: str, read: ReadArgs, assessing: AssessArgs, engine: EngineArgs,
                 ledger_ids: set[str], zone: str | None,
                 geometry: bool) -> tuple[Any, list[UnitResult]]:
    """INPUT's report part (:class:`landuse.report.partial.ReportPart`), one part per unit
    (:class:`landuse.engine.ReportPartJob`) merged in the units' order, and the failed
    units. The map's rows of the parts are dropped as soon as the parts hold more than
    :data:`~landuse.report.partial.MAP_ALL_PARCELS` parcels (the map then draws the
    listed parcels only), so this process never holds more of them."""
    from landuse.engine import Engine, ReportPartJob
    from landuse.report.partial import MAP_ALL_PARCELS, merge_parts

    job, units = _job(input, read, assessing)
    parts: list[Any] = []

    def keep(r: UnitResult) -> None:
        if r.frame is None:
            return
        parts.append(r.frame)
        if sum(p.parcels for p in parts) > MAP_ALL_PARCELS:
            for p in parts:
                p.map_rows = None

    with Engine(engine.workers, engine.cluster) as eng:
        results = _run_on(eng, ReportPartJob(job, frozenset(ledger_ids), zone, geometry),
                          units, on_result=keep)
    failed = [r for r in results if r.error is not None]
    done: list[Any] = [r.frame for r in results if r.frame is not None]
    if not done:
        errors = "; ".join(f"{r.unit.name}: {r.error}" for r in results)
        raise EngineError(f"no zone could be assessed: {errors or 'the dataset is empty'}.")
    return merge_parts(done), failed


@dataclass(frozen=True)
class WrittenRun:
    """An assessment written zone by zone: the file, its counts and ``attrs``, the failed
    units."""

    path: Path
    rows: int
    idle: int
    low: int
    attrs: dict[str, Any]
    failed: list[UnitResult]


@contextmanager
def parts_folder(output: str) -> Iterator[tuple[Path, str]]:
    """OUTPUT's absolute path and a hidden folder beside it for the zones' parts (shared by
    every worker when OUTPUT's folder is), removed at the end."""
    import shutil
    import tempfile

    target = Path(output).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp(prefix=f".{target.stem}.zones.", dir=target.parent)
    try:
        yield target, folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def written_zones(results: list[UnitResult]) -> tuple[list[UnitResult], list[UnitResult]]:
    """The units that wrote their part and those that failed; an error naming every
    zone's when none could be assessed."""
    failed = [r for r in results if r.error is not None]
    written = [r for r in results if r.written is not None]
    if not written:
        errors = "; ".join(f"{r.unit.name}: {r.error}" for r in results)
        raise EngineError(f"no zone could be assessed: {errors or 'the dataset is empty'}.")
    return written, failed


def assessed_to_file(input: str, read: ReadArgs, assessing: AssessArgs, engine: EngineArgs,
                     output: str, overwrite: bool) -> WrittenRun:
    """INPUT's units assessed, each task writing its zone's part beside ``output`` and
    returning only its counts; the parts then streamed into ``output`` in parcel-id order
    (:func:`landuse.io.assessment.write_assessment_parts`) and removed. This process never
    holds every zone's rows at once (one zone's at a time, in every format)."""
    from landuse.engine import Engine, WriteJob
    from landuse.io.assessment import write_assessment_parts

    job, units = _job(input, read, assessing)
    with parts_folder(output) as (target, folder), \
            Engine(engine.workers, engine.cluster) as eng:
        done, failed = written_zones(_run_on(eng, WriteJob(job, folder), units))
        written: list[Written] = [r.written for r in done if r.written is not None]
        attrs = written[0].attrs
        parts = [(w.path, w.first_id, w.last_id) for w in written]
        if eng.distributed and target.suffix.lower() == ".csv":
            path = csv_by_workers(eng, parts, folder, output, overwrite)
        else:
            path = write_assessment_parts(parts, output, attrs, overwrite=overwrite)
    return WrittenRun(path, sum(w.rows for w in written), sum(w.idle for w in written),
                      sum(w.low for w in written), attrs, failed)


def csv_by_workers(eng: Engine, parts: list[Part], folder: str, output: str,
                   overwrite: bool) -> Path:
    """The ``.csv`` of an assessment held in ``parts``: each piece (a group of parts) turned
    into CSV text by a worker (:func:`csv_pieces`), the pieces joined here in parcel-id
    order: the bytes :func:`landuse.io.assessment.write_assessment_parts` writes, the client
    only copying them."""
    from landuse.io.assessment import join_pieces

    return join_pieces(csv_pieces(eng, parts, folder, output), output, overwrite=overwrite)


def csv_pieces(eng: Engine, parts: list[Part], folder: str, output: str) -> list[str]:
    """The CSV pieces of ``parts`` (:class:`landuse.engine.CsvPieceJob`, one task per
    group of parts) written into ``folder`` by the workers; their paths in parcel-id order."""
    from landuse.engine import CsvPieceJob, piece_units
    from landuse.io.assessment import csv_plan

    plan = csv_plan(parts)
    results = _run_on(eng, CsvPieceJob(plan, folder), piece_units(len(plan.groups)),
                      desc="CSV")
    bad = [r for r in results if r.error is not None or r.written is None]
    if bad:
        raise EngineError(f"{output}: a piece of the CSV could not be written "
                          f"({bad[0].error}). Fix: check the output folder is writable and "
                          "shared by every worker, then run again.")
    return [r.written.path for r in results if r.written is not None]


def evidence_by_zone(input: str, read: ReadArgs, engine: EngineArgs,
                     buildings: str | None, layer: str | None, options: dict[str, Any],
                     cache_dir: str | None = None) -> tuple[Any, list[UnitResult]]:
    """INPUT's evidence, one task per development zone (:mod:`landuse.engine.evidence`):
    the :class:`landuse.evidence.EvidenceResult` of the zones put together (parcels sorted
    by parcel id; buildings outside supply judged over every zone's parcels), and the
    failed units."""
    from pathlib import Path

    from landuse.core.discrepancy import load_thresholds
    from landuse.engine import plan_units
    from landuse.engine.evidence import EvidenceJob, combine_evidence, zone_boxes
    from landuse.evidence import EvidenceResult, discrepancy_list, outside_note

    units = plan_units(input, read.where())
    if not units:
        raise EngineError(f"{input}: no partition matches --partition. Fix: check the values.")
    boxes = zone_boxes(input, units, read.where(), read.bbox)
    job = EvidenceJob(
        path=input, units=tuple(units), boxes=tuple(boxes),
        read={"assume_crs": read.assume_crs, "id_column": read.id_column,
              "attributes": read.attributes, "where": read.where(), "bbox": read.bbox},
        buildings=None if buildings is None else str(Path(buildings).absolute()),
        layer=layer, scan_beyond=units[0].name, options=options,
        cache_dir=None if cache_dir is None else str(Path(cache_dir).absolute()),
    )
    results = _run(job, units, engine)
    failed = [r for r in results if r.error is not None]
    parcels, outside, runs, notes = combine_evidence(
        results, load_thresholds(options.get("thresholds")).outside_supply_max_share)
    if outside is not None and len(outside):
        notes.append(outside_note(len(outside)))
    res = EvidenceResult(parcels, discrepancy_list(parcels), outside,
                         {k: _Found(**v) for k, v in runs.items()}, notes)
    return res, failed


@dataclass(frozen=True)
class _Found:
    """What a raster pass found over every zone (the fields the command prints)."""

    outside_ids: list[Any]
    no_valid_ids: list[Any]
    unmapped_codes: list[Any]


def report_failures(failed: list[UnitResult]) -> None:
    """Each failed unit with its error on stderr; exit code 1 when there is any."""
    import sys

    for r in failed:
        click.secho(f"错误 error: zone {r.unit.name}: {r.error}", fg="red", err=True)
    if failed:
        click.secho(f"{len(failed)} 个开发区未评估 zone(s) not assessed; the others were "
                    "written.", fg="red", err=True)
        sys.exit(1)


def zone_job(input: str, read: ReadArgs, assessing: AssessArgs) -> tuple[AssessJob, list[Unit]]:
    """The assessment task of every unit and the units of INPUT, for a command that runs
    further tasks on the assessed zones (``map --pmtiles``: the zones' tiles)."""
    return _job(input, read, assessing)
