"""Units of the parcel data standard: areas in m², shown in 亩 (mu) and 公顷 (ha)."""

from __future__ import annotations

__all__ = ["M2_PER_HA", "M2_PER_MU", "ha_to_m2", "m2_to_ha", "m2_to_mu", "mu_to_m2"]

M2_PER_MU = 10000.0 / 15.0
"""Square metres in one 亩: 1 公顷 = 15 亩."""
M2_PER_HA = 10000.0
"""Square metres in one 公顷 (hectare)."""


def mu_to_m2(mu: float) -> float:
    """Convert 亩 to m²."""
    return mu * M2_PER_MU


def m2_to_mu(m2: float) -> float:
    """Convert m² to 亩."""
    return m2 / M2_PER_MU


def ha_to_m2(ha: float) -> float:
    """Convert 公顷 to m²."""
    return ha * M2_PER_HA


def m2_to_ha(m2: float) -> float:
    """Convert m² to 公顷."""
    return m2 / M2_PER_HA
