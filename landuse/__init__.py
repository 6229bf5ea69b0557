"""landuse: idle and low-efficiency land in development zones.

The library takes GeoDataFrames in the names of the parcel data standard
(:mod:`landuse.standard`) and returns new GeoDataFrames; readers and writers live in
:mod:`landuse.io`, the command line in :mod:`landuse.cli`.
"""

from __future__ import annotations

from landuse.core.area import add_areas, ellipsoidal_area_m2
from landuse.core.validate import validate
from landuse.errors import (
    CRSError,
    DataSourceError,
    GeometryError,
    LanduseError,
    OutputExistsError,
    RulesetError,
    SchemaError,
)
from landuse.units import M2_PER_HA, M2_PER_MU

__version__ = "0.1.0"

__all__ = [
    "M2_PER_HA",
    "M2_PER_MU",
    "CRSError",
    "DataSourceError",
    "GeometryError",
    "LanduseError",
    "OutputExistsError",
    "RulesetError",
    "SchemaError",
    "__version__",
    "add_areas",
    "ellipsoidal_area_m2",
    "validate",
]
