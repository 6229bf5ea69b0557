"""Raster evidence: exact parcel x pixel coverage, windowed reads, pure summaries.

- :mod:`~landuse.raster.source`: open a raster, refuse unusable ones (no CRS, corrupt).
- :mod:`~landuse.raster.coverage`: exact coverage with exactextract, cached per grid.
- :mod:`~landuse.raster.read`: the covered pixels as masked values, window by window.
- :mod:`~landuse.raster.summary`: pure numpy summaries (shares, weighted means, indices).
- :mod:`~landuse.raster.zonal`: the per-parcel functions built from the above.
- :mod:`~landuse.raster.classes`: land-cover class tables (WorldCover, Dynamic World, yours).
"""

from __future__ import annotations

from landuse.raster.classes import GROUPS, ClassTable, load_class_table
from landuse.raster.coverage import Coverage, CoverageCache, compute_coverage
from landuse.raster.source import RasterInfo, open_raster, parse_band_map
from landuse.raster.zonal import RasterRun, landcover_shares, spectral_indices

__all__ = [
    "GROUPS",
    "ClassTable",
    "Coverage",
    "CoverageCache",
    "RasterInfo",
    "RasterRun",
    "compute_coverage",
    "landcover_shares",
    "load_class_table",
    "open_raster",
    "parse_band_map",
    "spectral_indices",
]
