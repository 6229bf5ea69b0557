"""Run a job on every unit of a partitioned dataset: in this process, or on Dask distributed.

:class:`Engine` is the adapter: with no workers it runs the units one after another here;
with ``workers=N`` it starts a local Dask cluster of ``N`` single-threaded worker processes;
with ``address="tcp://HOST:8786"`` it joins an existing scheduler. Either way each unit is one
task calling the same pure functions (:func:`landuse.rules.assess` on the unit's parcels), and
:func:`combine` puts the results in one fixed order (by ``parcel_id``), so the bytes written
do not depend on the engine, the number of workers or the order tasks finish in.

A unit whose data cannot be used (unreadable partition, duplicate ids, a value of the wrong
type …) gives a :class:`UnitResult` with its error; the other units still run. A worker that
dies mid-run loses its tasks to the scheduler, which runs them again on another worker (Dask
keeps each task's inputs on the client), so the result is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.engine.units import Unit, plan_units
from landuse.engine.versions import check_versions, stack_versions
from landuse.errors import EngineError, LanduseError

__all__ = [
    "AssessJob",
    "Engine",
    "ReportPartJob",
    "SliceJob",
    "UnitResult",
    "WriteJob",
    "Written",
    "combine",
    "plan_units",
    "run_unit",
    "sort_by_id",
]

Progress = Callable[[int, int, "UnitResult"], None]
"""Called after each unit: (units done, units in all, its result)."""


@dataclass(frozen=True)
class Written:
    """What a task that wrote its unit's assessment returns instead of the rows: the part's
    file, its row count, its first and last parcel id (as text, the order of the combined
    output), the idle and low-efficiency counts, and the assessment's ``attrs``."""

    path: str
    rows: int
    first_id: str
    last_id: str
    idle: int
    low: int
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitResult:
    """A unit's assessed parcels (``frame``; or what else its task returns, e.g. a report's
    part) or the part a worker wrote (``written``), or why it has none (``error``, one
    line)."""

    unit: Unit
    frame: gpd.GeoDataFrame | None = None
    error: str | None = None
    written: Written | None = None


@dataclass(frozen=True)
class AssessJob:
    """Read one unit of the dataset and assess it: what every task runs.

    ``read`` holds the keyword arguments of :func:`landuse.io.read_parcels` (``where`` is the
    user's own partition filter, merged with the unit's), the rest those of
    :func:`landuse.rules.assess`.
    """

    path: str
    as_of: str
    ruleset: Any = None
    lang: str = "zh"
    buildings: gpd.GeoDataFrame | None = None
    read: dict[str, Any] = field(default_factory=dict)

    def __call__(self, unit: Unit) -> gpd.GeoDataFrame:
        from landuse.io import read_parcels
        from landuse.rules import assess

        kwargs = dict(self.read)
        where = {k: list(v) for k, v in (kwargs.pop("where", None) or {}).items()}
        where.update(unit.where)
        parcels = read_parcels(self.path, where=where or None, **kwargs)
        return assess(parcels, self.as_of, ruleset=self.ruleset, lang=self.lang,
                      buildings=self.buildings)


@dataclass(frozen=True)
class WriteJob:
    """Assess one unit (``job``) and write its parcels, sorted by parcel id, as one
    GeoParquet part in ``folder``; return only a :class:`Written` summary, so the client
    never holds a unit's rows. ``folder`` must be reachable by every worker (a local
    cluster: any folder; several hosts: a shared file system)."""

    job: AssessJob
    folder: str

    def __call__(self, unit: Unit) -> Written:
        import hashlib
        from pathlib import Path

        gdf = sort_by_id(self.job(unit))
        name = hashlib.sha1(unit.name.encode("utf-8")).hexdigest()[:20]
        path = Path(self.folder) / f"{name}.parquet"
        tmp = path.with_name(f".{name}.parquet.tmp")
        gdf.to_parquet(tmp, index=False)
        tmp.replace(path)
        ids = gdf["parcel_id"].astype(str)
        return Written(
            path=str(path), rows=len(gdf),
            first_id=str(ids.iloc[0]) if len(ids) else "",
            last_id=str(ids.iloc[-1]) if len(ids) else "",
            idle=int(gdf["idle_type"].isin(["not_started", "stalled"]).sum()),
            low=int(gdf["low_efficiency"].sum()),
            attrs=dict(gdf.attrs),
        )


@dataclass(frozen=True)
class CsvPieceJob:
    """Write piece ``int(unit.key[0])`` of an assessment's ``.csv`` (a group of parts of
    ``plan``, :func:`landuse.io.assessment.write_csv_group`) as ``folder/NNNNNN.csv``: the
    workers turn the parts into CSV text side by side, the client only joins the files.
    ``folder`` must be reachable by every worker, as for :class:`WriteJob`."""

    plan: Any
    folder: str

    def __call__(self, unit: Unit) -> Written:
        from pathlib import Path

        from landuse.io.assessment import write_csv_group

        i = int(unit.key[0])
        path = Path(self.folder) / f"{i:06d}.csv"
        tmp = path.with_name(f".{i:06d}.csv.tmp")
        write_csv_group(self.plan, i, tmp)
        tmp.replace(path)
        return Written(path=str(path), rows=0, first_id="", last_id="", idle=0, low=0,
                       attrs={})


def piece_units(n: int) -> list[Unit]:
    """``n`` units numbering the pieces of one output (for :class:`CsvPieceJob`)."""
    return [Unit(("piece",), (str(i),)) for i in range(n)]


@dataclass(frozen=True)
class SliceJob:
    """Assess one unit (``job``) and return only the columns a client needs of its
    parcels (``columns``, those present, in the assessment's order), sorted by parcel id;
    without ``geometry`` the geometry is left empty (None). The client then gathers the
    slices, not the whole assessment (e.g. the report's columns,
    :data:`landuse.report.REPORT_COLUMNS`)."""

    job: AssessJob
    columns: tuple[str, ...]
    geometry: bool = True

    def __call__(self, unit: Unit) -> gpd.GeoDataFrame:
        gdf = self.job(unit)
        geom = gdf.geometry.name
        out = gdf[[c for c in gdf.columns if c in self.columns or c == geom]].copy()
        if not self.geometry:
            out[geom] = gpd.GeoSeries([None] * len(out), index=out.index, crs=gdf.crs)
        out = gpd.GeoDataFrame(sort_by_id(out), geometry=geom, crs=gdf.crs)
        out.attrs.update(gdf.attrs)
        return out


@dataclass(frozen=True)
class ReportPartJob:
    """Assess one unit (``job``) and return its report's part
    (:class:`landuse.report.partial.ReportPart`): the sums by category, the rows of the
    parcels the report lists (idle, low-efficiency, flagged, and those of ``ledger_ids``),
    the rated parcels' columns of the enterprise table and, with ``geometry``, the map's
    parcels of a small zone. The client merges the parts; it never receives every
    parcel."""

    job: AssessJob
    ledger_ids: frozenset[str]
    zone: str | None = None
    geometry: bool = True

    def __call__(self, unit: Unit) -> Any:
        from landuse.report.build import ENTERPRISE_COLUMNS, REPORT_COLUMNS, prepare_parcels
        from landuse.report.partial import report_part

        gdf = SliceJob(self.job, REPORT_COLUMNS, self.geometry)(unit)
        columns = [c for c in ENTERPRISE_COLUMNS if c in gdf]
        return report_part(prepare_parcels(gdf), self.ledger_ids, self.zone, columns,
                           map_rows=self.geometry)


def sort_by_id(frame: pd.DataFrame) -> Any:
    """``frame`` sorted by ``parcel_id`` as text (stable): the one order of every output."""
    out = frame.sort_values("parcel_id", kind="stable", key=lambda s: s.astype(str))
    return out.reset_index(drop=True)


def run_unit(job: Callable[[Unit], Any], unit: Unit) -> UnitResult:
    """Run ``job`` on ``unit``; a library or file error becomes the unit's ``error``."""
    try:
        res = job(unit)
        if isinstance(res, Written):
            return UnitResult(unit, written=res)
        return UnitResult(unit, frame=res)
    except (LanduseError, OSError) as e:
        return UnitResult(unit, error=str(e).splitlines()[0] if str(e) else type(e).__name__)


class Engine:
    """Where the units run (a context manager).

    Parameters
    ----------
    workers : int, optional
        Start a local cluster of this many worker processes (one thread each).
    address : str, optional
        Join the scheduler at this address (``tcp://HOST:8786``). Not with ``workers``.
        Without either, the units run in this process one after another.
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        if workers is not None and address is not None:
            raise EngineError("give --workers or --cluster, not both.")
        if workers is not None and workers < 1:
            raise EngineError(f"--workers {workers}: needs at least 1 worker.")
        self.workers = workers
        self.address = address
        self.client: Any = None
        self._cluster: Any = None

    @property
    def distributed(self) -> bool:
        """True on a Dask cluster (local or remote)."""
        return self.workers is not None or self.address is not None

    @property
    def dashboard(self) -> str | None:
        """The Dask dashboard's address (None in this process)."""
        return None if self.client is None else str(self.client.dashboard_link)

    def __enter__(self) -> Engine:
        if not self.distributed:
            return self
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as e:
            raise EngineError(
                "--workers/--cluster need Dask distributed. Fix: pip install "
                "'landuse[cluster]'."
            ) from e
        if self.address is not None:
            try:
                self.client = Client(self.address, timeout="20s")
            except (OSError, TimeoutError) as e:
                raise EngineError(
                    f"cannot reach the Dask scheduler at {self.address} ({e}). Fix: start "
                    "'dask scheduler' there, or check the address and port."
                ) from e
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                scheduler_port=0, dashboard_address=":0", silence_logs=logging.ERROR,
            )
            self.client = Client(self._cluster)
        try:
            self._check_workers()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _check_workers(self) -> None:
        info = self.client.scheduler_info()
        if not info.get("workers"):
            self.client.wait_for_workers(1, timeout=30)
        check_versions(stack_versions(), self.client.run(stack_versions))

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def run(self, job: Callable[[Unit], Any], units: Sequence[Unit],
            progress: Progress | None = None) -> list[UnitResult]:
        """Run ``job`` on every unit; the results in ``units``' order."""
        done = 0
        if not self.distributed:
            out = []
            for u in units:
                r = run_unit(job, u)
                done += 1
                if progress is not None:
                    progress(done, len(units), r)
                out.append(r)
            return out
        from dask.distributed import as_completed

        futures = [self.client.submit(run_unit, job, u, pure=False) for u in units]
        pos = {f.key: i for i, f in enumerate(futures)}
        results: list[UnitResult | None] = [None] * len(units)
        for fut in as_completed(futures):
            i = pos[fut.key]
            if fut.status == "error":
                e = fut.exception()
                r = UnitResult(units[i], error=f"{type(e).__name__}: {e}".splitlines()[0])
            else:
                r = fut.result()
            fut.release()
            results[i] = r
            done += 1
            if progress is not None:
                progress(done, len(units), r)
        return [r for r in results if r is not None]


def combine(results: Sequence[UnitResult]) -> gpd.GeoDataFrame:
    """The units' parcels as one frame sorted by ``parcel_id`` (a fixed order whatever the
    engine), ``attrs`` of the first unit; EngineError when no unit has any."""
    frames = [r.frame for r in results if r.frame is not None]
    if not frames:
        errors = "; ".join(f"{r.unit.name}: {r.error}" for r in results)
        raise EngineError(f"no zone could be assessed: {errors or 'the dataset is empty'}.")
    first = frames[0]
    whole = pd.concat(frames, ignore_index=True)
    whole = whole.sort_values("parcel_id", kind="stable", key=lambda s: s.astype(str))
    out = gpd.GeoDataFrame(whole.reset_index(drop=True), geometry=first.geometry.name,
                           crs=first.crs)
    out.attrs.update(first.attrs)
    return out
