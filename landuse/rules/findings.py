"""What the rule families found for every parcel, before any sentence is written.

:func:`evaluate` runs the families in their order (progress -> idle -> low efficiency ->
lifecycle -> 亩均 -> flags and contradictions) on the prepared columns and returns
:class:`Findings`; :mod:`landuse.rules.reasons` writes the sentences from it and
:func:`landuse.rules.assess` the columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from landuse.core.buildings import OutsideSupply
from landuse.rules.columns import Columns
from landuse.rules.efficiency import Efficiency, efficiency
from landuse.rules.flags import Contradictions, Flags, contradictions, flags, outside_supply_flag
from landuse.rules.idle import Idle, idle
from landuse.rules.lifecycle import Lifecycle, Progress, lifecycle, progress
from landuse.rules.mujun import Mujun, mujun
from landuse.rules.ruleset import Ruleset
from landuse.units import M2_PER_MU

__all__ = ["Findings", "evaluate"]


@dataclass(frozen=True)
class Findings:
    """Every family's result for the same parcels, as of the same date."""

    n: int
    area_m2: np.ndarray
    """The area the rules use: registered area when positive, else the measured one."""
    area_mu: np.ndarray
    progress: Progress
    idle: Idle
    efficiency: Efficiency
    lifecycle: Lifecycle
    mujun: Mujun
    flags: Flags
    contradictions: Contradictions


def evaluate(
    cols: Columns,
    measured_area_m2: np.ndarray,
    today: np.datetime64,
    rs: Ruleset,
    geometry: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
) -> Findings:
    """Run every rule family on the parcels' columns.

    Parameters
    ----------
    cols : Columns
        The parcels.
    measured_area_m2 : ndarray
        The ellipsoidal area of each parcel.
    today : numpy.datetime64
        The as-of date.
    rs : Ruleset
        The rules.
    geometry : GeoDataFrame, optional
        The parcels' geometry (needed with ``buildings``).
    buildings : GeoDataFrame, optional
        Building footprints, for the ``outside_supply`` flag.
    """
    reg = cols.num("registered_area_m2")
    area = np.where(reg > 0, reg, measured_area_m2)
    area[~(area > 0)] = np.nan
    area_mu = area / M2_PER_MU
    p = progress(cols, today, rs.idle)
    status = cols.codes("enterprise_status", "enterprise_status")
    idl = idle(cols, p, area, rs.idle)
    eff = efficiency(cols, p.supplied & (p.completed | p.producing), area, area_mu, rs.control,
                     today, p.production)
    lc = lifecycle(p, status, eff.low)
    mj = mujun(cols, p.producing, p.production, area_mu, today, rs.mujun)
    outside: OutsideSupply | None = None
    meta: dict[str, Any] = {}
    if buildings is not None and geometry is not None:
        outside, meta = outside_supply_flag(geometry, p.supplied, buildings)
    fl = flags(cols, idl.idle, outside, meta, p)
    return Findings(
        n=cols.n,
        area_m2=area,
        area_mu=area_mu,
        progress=p,
        idle=idl,
        efficiency=eff,
        lifecycle=lc,
        mujun=mj,
        flags=fl,
        contradictions=contradictions(p),
    )
