"""A report's part of some parcels: what every section needs of them, small and mergeable.

:func:`report_part` turns assessed parcels (prepared as :func:`landuse.report.build_report`
prepares them) into a :class:`ReportPart`; :func:`merge_parts` adds the parts of several
development zones in zone order; :func:`landuse.report.build.report_from_part` builds the
report from one part. :func:`~landuse.report.build_report` on a whole frame is the part of
every parcel, the same code; a province run makes one part per zone on the workers
(:class:`landuse.engine.ReportPartJob`), so the client holds the zones' parts, never every
parcel:

* sums and counts by category (:mod:`landuse.report.sums`, exact, so the merge does not
  depend on the split): 五未 stages, 亩均 classes, sub-parks, the indicators' categories
  and intensities, the parcels covered;
* the rows of the parcels the report lists: idle, low-efficiency, flagged, and every parcel
  the ledger names (the ledger's check, 盘活, zombies, cases);
* the rated parcels' few columns the 亩均 enterprise table reads (:data:`RATED_COLUMNS`;
  the table lists every rated enterprise);
* the overview map's parcels (id and geometry) while the report covers at most
  :data:`MAP_ALL_PARCELS` parcels; above that the map draws the listed parcels only (as
  cells when they are more than :data:`~landuse.report.overview.SHAPES_LIMIT`).

Parcel ids are checked unique within each part (as :func:`~landuse.report.build_report`
checks them) and among the listed parcels of all parts; across the zones of a dataset
``convert`` checks them when it writes it (the unlisted parcels of different zones are
not compared: that would need every id on the client).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.errors import SchemaError
from landuse.report.cells import idle_mask, low_mask, split_codes
from landuse.report.indicators import IndicatorPart, indicator_part
from landuse.report.ledger_tables import zone_part
from landuse.report.parcel_tables import lifecycle_part, mujun_part
from landuse.report.sums import Tally, merge_tallies

__all__ = [
    "LISTED_COLUMNS",
    "MAP_ALL_PARCELS",
    "RATED_COLUMNS",
    "ReportPart",
    "listed_mask",
    "merge_parts",
    "report_part",
]

LISTED_COLUMNS: tuple[str, ...] = (
    "parcel_id", "zone", "holder", "area_m2", "area_mu", "registered_area_m2", "supply_date",
    "lifecycle", "idle_type", "overdue_days", "idle_fee_wan", "recovery_candidate",
    "low_efficiency", "failed_indicators", "mujun_class", "mujun_score", "flags",
)
"""The columns of the listed parcels the sections read (their tables, the ledger's check),
besides the geometry (the overview map)."""
RATED_COLUMNS: tuple[str, ...] = (
    "parcel_id", "enterprise", "holder", "credit_code", "area_mu", "mujun_score",
    "mujun_class", "mujun_rank", "mujun_scheme",
)
"""The columns of the rated parcels the 亩均 enterprise table reads."""

MAP_ALL_PARCELS = 20_000
"""Up to this many parcels in a report, its overview map draws every parcel; above, only
the parcels of a category (disposed, idle, low-efficiency, open case)."""


@dataclass
class ReportPart:
    """What a report needs of some parcels (see the module's text).

    ``parcels`` counts the parcels of the report (of ``--zone`` when given), ``zones``
    names every sub-park read, ``listed`` holds the listed parcels' rows
    (:data:`LISTED_COLUMNS` and geometry), ``rated`` the rated parcels'
    (:data:`RATED_COLUMNS`), ``columns`` the 亩均-by-enterprise columns the assessment
    had, ``map_rows`` the id and geometry of every parcel of the report (None above
    :data:`MAP_ALL_PARCELS` or without geometry).
    """

    parcels: int
    zones: frozenset[str]
    listed: gpd.GeoDataFrame
    lifecycle: dict[Any, Tally]
    mujun: dict[Any, Tally]
    by_zone: dict[Any, Tally]
    indicators: IndicatorPart
    rated: pd.DataFrame
    columns: frozenset[str]
    map_rows: gpd.GeoDataFrame | None


def listed_mask(parcels: pd.DataFrame) -> pd.Series:
    """The parcels some section lists by their assessment: idle, low-efficiency or
    flagged (the parcels the ledger names are added by :func:`report_part`)."""
    flagged = parcels["flags"].map(lambda f: bool(split_codes(f)))
    return idle_mask(parcels) | low_mask(parcels) | flagged


def report_part(parcels: gpd.GeoDataFrame, ledger_ids: Collection[str],
                zone: str | None = None, columns: Collection[str] = (),
                map_rows: bool = True) -> ReportPart:
    """The :class:`ReportPart` of prepared parcels.

    ``zone`` restricts the sums and lists to one sub-park (the parcels the ledger names are
    kept from every sub-park: the ledger is checked against them); ``columns`` are the
    亩均-by-enterprise columns present in the assessment; ``map_rows`` False leaves the
    map's rows out (no HTML).
    """
    zones = frozenset(str(z) for z in parcels["zone"].dropna())
    in_zone = pd.Series(True, index=parcels.index) if zone is None else \
        parcels["zone"].astype(str) == zone
    sel = parcels[in_zone]
    keep = (listed_mask(parcels) & in_zone) | parcels["parcel_id"].isin(set(ledger_ids))
    rows = None
    geom = parcels.geometry.name
    if map_rows and len(sel) <= MAP_ALL_PARCELS:
        rows = gpd.GeoDataFrame(sel[["parcel_id", geom]], geometry=geom, crs=parcels.crs)
    listed = parcels.loc[keep, [c for c in parcels.columns if c in LISTED_COLUMNS or c == geom]]
    rated = sel.loc[sel["mujun_scheme"].notna(), [c for c in RATED_COLUMNS if c in sel]]
    return ReportPart(
        parcels=len(sel), zones=zones, listed=listed, lifecycle=lifecycle_part(sel),
        mujun=mujun_part(sel), by_zone=zone_part(sel), indicators=indicator_part(sel),
        rated=pd.DataFrame(rated), columns=frozenset(columns), map_rows=rows,
    )


def _by_id(frames: Sequence[pd.DataFrame]) -> Any:
    first = frames[0]
    whole = pd.concat(frames, ignore_index=True)
    whole = whole.sort_values("parcel_id", kind="stable", key=lambda s: s.astype(str))
    whole = whole.reset_index(drop=True)
    if not isinstance(first, gpd.GeoDataFrame):
        return whole
    return gpd.GeoDataFrame(whole, geometry=first.geometry.name, crs=first.crs)


def merge_parts(parts: Sequence[ReportPart]) -> ReportPart:
    """The part of the parcels of all ``parts`` (each of parcels in parcel-id order, as the
    zones' tasks make them): sums added, listed, rated and map rows in parcel-id order.
    One part is returned as it is."""
    if len(parts) == 1:
        return parts[0]
    n = sum(p.parcels for p in parts)
    maps = [p.map_rows for p in parts]
    indicators = parts[0].indicators
    for p in parts[1:]:
        indicators = indicators + p.indicators
    listed = _by_id([p.listed for p in parts])
    dup = listed["parcel_id"].duplicated()
    if dup.any():
        pid = listed.loc[dup, "parcel_id"].iloc[0]
        raise SchemaError(
            f"parcels: 宗地号 {pid} 在多个开发区重复，请改为唯一后重新生成数据集。"
            f"parcel_id '{pid}' appears in more than one development zone. Fix: make ids "
            "unique ('landuse convert' checks them when it writes the dataset)."
        )
    return ReportPart(
        parcels=n, zones=frozenset().union(*(p.zones for p in parts)),
        listed=listed,
        lifecycle=merge_tallies(p.lifecycle for p in parts),
        mujun=merge_tallies(p.mujun for p in parts),
        by_zone=merge_tallies(p.by_zone for p in parts), indicators=indicators,
        rated=_by_id([p.rated for p in parts]),
        columns=frozenset().union(*(p.columns for p in parts)),
        map_rows=None if n > MAP_ALL_PARCELS or any(m is None for m in maps)
        else _by_id([m for m in maps if m is not None]),
    )
