"""The land rules: idle land, 五未 stage, low efficiency and 亩均 class, as of a date.

:func:`assess` is a pure function (GeoDataFrame in, GeoDataFrame out); the thresholds live
in versioned TOML rulesets (:func:`load_ruleset`). The rules by family, each a pure function
returning masks and values: :mod:`~landuse.rules.lifecycle` (五未 stage),
:mod:`~landuse.rules.idle` (闲置: clock, not started, stalled, fee and recovery),
:mod:`~landuse.rules.efficiency` (control indicators), :mod:`~landuse.rules.mujun` (亩均 score
and class) and :mod:`~landuse.rules.flags`; :mod:`~landuse.rules.reasons` writes every
sentence of ``reasons`` from their results. :func:`reassess` re-assesses only the parcels a
write touched (:mod:`~landuse.rules.incremental`).
"""

from __future__ import annotations

from landuse.rules.assess import ASSESSMENT_COLUMNS, assess
from landuse.rules.incremental import Reassessed, reassess
from landuse.rules.ruleset import Ruleset, default_ruleset, load_ruleset
from landuse.rules.summary import summarise

__all__ = [
    "ASSESSMENT_COLUMNS",
    "Reassessed",
    "Ruleset",
    "assess",
    "default_ruleset",
    "load_ruleset",
    "reassess",
    "summarise",
]
