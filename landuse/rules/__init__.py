"""The land rules: idle land, 五未 stage, low efficiency and 亩均 class, as of a date.

:func:`assess` is a pure function (GeoDataFrame in, GeoDataFrame out); the thresholds live
in versioned TOML rulesets (:func:`load_ruleset`).
"""

from __future__ import annotations

from landuse.rules.assess import ASSESSMENT_COLUMNS, assess
from landuse.rules.ruleset import Ruleset, default_ruleset, load_ruleset
from landuse.rules.summary import summarise

__all__ = [
    "ASSESSMENT_COLUMNS",
    "Ruleset",
    "assess",
    "default_ruleset",
    "load_ruleset",
    "summarise",
]
