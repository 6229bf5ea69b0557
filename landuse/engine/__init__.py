"""Province scale: the units of a partitioned dataset run here or on Dask distributed.

The rules stay pure; this package is the adapter that plans the units (one development zone
each, :mod:`landuse.engine.units`), checks that the workers run the same geometry stack
(:mod:`landuse.engine.versions`), runs one task per unit and puts the results in a fixed
order (:mod:`landuse.engine.run`).
"""

from __future__ import annotations

from landuse.engine.run import (
    AssessJob,
    CsvPieceJob,
    Engine,
    ReportPartJob,
    SliceJob,
    UnitResult,
    WriteJob,
    Written,
    combine,
    piece_units,
    run_unit,
    sort_by_id,
)
from landuse.engine.units import Unit, plan_units
from landuse.engine.versions import check_versions, stack_versions

__all__ = [
    "AssessJob",
    "CsvPieceJob",
    "Engine",
    "ReportPartJob",
    "SliceJob",
    "Unit",
    "UnitResult",
    "WriteJob",
    "Written",
    "check_versions",
    "combine",
    "piece_units",
    "plan_units",
    "run_unit",
    "sort_by_id",
    "stack_versions",
]
