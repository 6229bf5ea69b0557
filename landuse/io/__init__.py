"""Readers and writers: the adapters between files or stores and the standard's names.

Every reader returns a GeoDataFrame (or, for the ledger, a DataFrame) whose columns use
the field names of :mod:`landuse.standard`, with the source's CRS kept. What the reader
learnt on the way (encoding used, headers recognised and not) is in ``df.attrs["landuse"]``.

io owns every reader and writer of the library's files: the register and ledger
(:mod:`landuse.io.read`, :mod:`landuse.io.write`, :mod:`landuse.io.shapefile`), ledger
events appended to a plain GeoPackage (:mod:`landuse.io.ledger`), the assessment table
(:mod:`landuse.io.assessment`), the evidence file (:mod:`landuse.io.evidence`), the
problem report of ``validate`` (:mod:`landuse.io.problems`) and building footprints
(:mod:`landuse.io.buildings`). The stores are in :mod:`landuse.store`.
"""

from __future__ import annotations

from landuse.io.read import list_layers, read_attributes, read_ledger, read_parcels
from landuse.io.write import atomic_path, write_layer

__all__ = [
    "atomic_path",
    "list_layers",
    "read_attributes",
    "read_ledger",
    "read_parcels",
    "write_layer",
]
