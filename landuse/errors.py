"""The exception hierarchy of landuse.

One root, :class:`LanduseError`; every subclass also inherits the matching built-in so
that ``except ValueError`` keeps working for callers who do not know our types. The CLI
and the API branch on these types, never on message text.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CRSError",
    "ConflictError",
    "DataSourceError",
    "EngineError",
    "GeometryError",
    "LanduseError",
    "MissingPartError",
    "NotFoundError",
    "OutputExistsError",
    "RulesetError",
    "SchemaError",
    "StaleVersionError",
]


class LanduseError(Exception):
    """Root of every error raised by landuse.

    ``problems`` lists the individual problems behind the error when there are several
    (e.g. one record per bad ledger field: row, event_id, field, value, problem, fix), so
    that the CLI and the API can name each field; empty otherwise.
    """

    problems: list[dict[str, Any]] = []  # noqa: RUF012 - instances assign their own list


class DataSourceError(LanduseError, OSError):
    """A file or store cannot be opened or read (missing, corrupt, truncated, empty)."""


class SchemaError(LanduseError, ValueError):
    """Columns or values do not follow the parcel data standard."""


class GeometryError(LanduseError, ValueError):
    """Geometries are missing, empty, invalid or of the wrong type."""


class CRSError(LanduseError, ValueError):
    """A coordinate reference system is missing, implausible or mismatched."""


class RulesetError(LanduseError, ValueError):
    """A ruleset file is malformed: unknown key, wrong type, missing entry."""


class OutputExistsError(LanduseError, FileExistsError):
    """An output file exists and ``overwrite`` was not given."""


class NotFoundError(LanduseError, LookupError):
    """A parcel, event, collection or key asked for by id does not exist in the store."""


class ConflictError(LanduseError, ValueError):
    """A write clashes with what the store holds (duplicate id, store not empty)."""


class StaleVersionError(ConflictError):
    """An edit was based on a version of the record that is no longer current."""


class EngineError(LanduseError, RuntimeError):
    """The cluster cannot run the job: unreachable scheduler, workers whose geopandas,
    shapely, GEOS or PROJ differ from the client's, or zones that failed."""


class MissingPartError(LanduseError, ImportError):
    """An optional part of landuse (an extra: ``raster``, ``report``, ``map``, ``api``, …)
    that the command needs is not installed."""
