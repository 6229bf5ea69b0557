"""The supply records of a zone as one value: approval batches, reductions, supply
records, reserve, quota events, supply plan, disposal tasks and mortgages (domain.md §11).

Each layer is a frame in the standard's names (``landuse/data/standard.toml``, the record
layers): batches and reserve may carry a geometry (GeoDataFrame), the others are plain
DataFrames. A layer the source does not hold is an empty frame with the standard's
columns, so computations never test for ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pandas as pd

from landuse.standard import RECORD_LAYERS, get_standard

__all__ = ["KINDS", "SupplyData", "empty_layer"]

KINDS: tuple[str, ...] = tuple(RECORD_LAYERS)
"""The record layers, in the order they are read, validated and stored."""


def empty_layer(kind: str) -> pd.DataFrame:
    """An empty frame with the standard's columns of ``kind``.

    Examples
    --------
    >>> list(empty_layer("supply_plan").columns)
    ['year', 'use', 'planned_area_m2']
    """
    return pd.DataFrame({n: pd.Series(dtype=object) for n in get_standard().names(kind)})  # type: ignore[arg-type]


@dataclass
class SupplyData:
    """The record layers of one zone; every attribute is a frame (maybe empty)."""

    batches: pd.DataFrame = field(default_factory=lambda: empty_layer("batches"))
    reductions: pd.DataFrame = field(default_factory=lambda: empty_layer("reductions"))
    supply: pd.DataFrame = field(default_factory=lambda: empty_layer("supply"))
    reserve: pd.DataFrame = field(default_factory=lambda: empty_layer("reserve"))
    quota_events: pd.DataFrame = field(default_factory=lambda: empty_layer("quota_events"))
    supply_plan: pd.DataFrame = field(default_factory=lambda: empty_layer("supply_plan"))
    disposal_tasks: pd.DataFrame = field(default_factory=lambda: empty_layer("disposal_tasks"))
    mortgages: pd.DataFrame = field(default_factory=lambda: empty_layer("mortgages"))
    sources: dict[str, str] = field(default_factory=dict)
    """kind -> where the layer was read from (file and layer or sheet), for messages."""

    def layer(self, kind: str) -> pd.DataFrame:
        """The frame of ``kind`` (one of :data:`KINDS`)."""
        if kind not in KINDS:
            raise KeyError(kind)
        frame: pd.DataFrame = getattr(self, kind)
        return frame

    def counts(self) -> dict[str, int]:
        """Number of records per layer."""
        return {k: len(self.layer(k)) for k in KINDS}


assert tuple(f.name for f in fields(SupplyData))[: len(KINDS)] == KINDS
