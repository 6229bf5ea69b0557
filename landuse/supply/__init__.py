"""Land supply, reserve, quotas and disposal targets (domain.md §11): the records
(:mod:`landuse.supply.model`), their checks (:mod:`landuse.supply.validate`) and the
figures computed from them (pure; frames in, frames out, no I/O)."""

from __future__ import annotations

from landuse.supply.model import KINDS, SupplyData, empty_layer
from landuse.supply.validate import check_supply, supply_problems

__all__ = ["KINDS", "SupplyData", "check_supply", "empty_layer", "supply_problems"]
