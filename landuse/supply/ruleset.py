"""The supply ruleset: 口径, windows and rounding of the supply figures as TOML data.

The package ships ``landuse/rules/rulesets/supply_2024.toml``; a zone gives its own whole
file. Loading is strict: an unknown section or key, a missing key, a value of the wrong
type or out of range raises :class:`~landuse.errors.RulesetError` naming the file, the key
and its line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from landuse.errors import RulesetError
from landuse.rules.ruleset import line_of
from landuse.standard import get_standard

__all__ = ["SupplyRuleset", "default_supply_ruleset", "load_supply_ruleset"]

_USES = tuple(get_standard().codes["supply_use"])
_TEXT = {"koujing_zh": str, "koujing_en": str}

_SCHEMA: dict[str, dict[str, Any]] = {
    "ruleset": {"name": str, "version": str, "title": str, "source": str},
    "rounding": {"area_decimals": (int, 0, 6), "percent_decimals": (int, 0, 6),
                 "money_decimals": (int, 0, 6), "years_decimals": (int, 0, 6)},
    "unsupplied": dict(_TEXT),
    "supply_rate": {"window_years": (int, 1, 50), **_TEXT},
    "digestion": {"reductions_count": bool, "met_at": (float, 0.0, 10.0), **_TEXT},
    "idle_disposal": dict(_TEXT),
    "suppliable": {"allocation_uses": ("uses",), "industrial_uses": ("uses",), **_TEXT},
    "years_left": {"window_years": (int, 1, 50), **_TEXT},
    "quota": dict(_TEXT),
    "plan": dict(_TEXT),
    "supplied": dict(_TEXT),
    "mortgages": dict(_TEXT),
}
"""Each section's keys and what they hold: a type, (type, low, high), or ("uses",)."""


@dataclass(frozen=True)
class SupplyRuleset:
    """The loaded supply ruleset: ``data[section][key]`` as in the file."""

    data: dict[str, dict[str, Any]]
    path: str

    @property
    def label(self) -> str:
        """``name version``, as outputs name the ruleset."""
        r = self.data["ruleset"]
        return f"{r['name']} {r['version']}"

    def get(self, section: str, key: str) -> Any:
        """The value of ``section.key``."""
        return self.data[section][key]

    def koujing(self, section: str, lang: str) -> str:
        """The 口径 (definition) of a figure, in ``lang``."""
        return str(self.data[section][f"koujing_{lang}"])


def _check(text: str, data: dict[str, Any], where: str) -> None:
    def fail(path: tuple[str, ...], what: str) -> RulesetError:
        return RulesetError(f"{where}, line {line_of(text, path)}: {'.'.join(path)} {what}")

    for section in data:
        if section not in _SCHEMA:
            raise fail((section,), f"is not a section of the supply ruleset. Fix: use "
                                   f"{', '.join(_SCHEMA)}.")
    for section, keys in _SCHEMA.items():
        got = data.get(section)
        if not isinstance(got, dict):
            raise fail((section,), "is missing. Fix: copy it from supply_2024.toml.")
        for key in got:
            if key not in keys:
                raise fail((section, key), f"is not a key of [{section}]. Fix: use "
                                           f"{', '.join(keys)}.")
        for key, spec in keys.items():
            if key not in got:
                raise fail((section, key), "is missing. Fix: give it (see supply_2024.toml).")
            v = got[key]
            if spec == ("uses",):
                if not isinstance(v, list) or any(u not in _USES for u in v):
                    raise fail((section, key), f"= {v!r}: give a list of uses from "
                                               f"{', '.join(_USES)}.")
                continue
            typ, lo, hi = spec if isinstance(spec, tuple) else (spec, None, None)
            ok = isinstance(v, typ) and not (typ is int and isinstance(v, bool))
            if typ is float and isinstance(v, int) and not isinstance(v, bool):
                ok = True
            if not ok:
                raise fail((section, key), f"= {v!r} is not a {typ.__name__}. Fix: write "
                                           f"a {typ.__name__}.")
            if lo is not None and not lo <= v <= hi:
                raise fail((section, key), f"= {v!r} is out of range [{lo}, {hi}].")


def load_supply_ruleset(path: str | Path) -> SupplyRuleset:
    """Load and check a supply ruleset file."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
        data = tomllib.loads(text)
    except OSError as e:
        raise RulesetError(f"{p}: cannot be read ({e}). Fix: check the path.") from e
    except tomllib.TOMLDecodeError as e:
        raise RulesetError(f"{p}: not valid TOML ({e}).") from e
    _check(text, data, str(p))
    return SupplyRuleset(data, str(p))


@cache
def default_supply_ruleset() -> SupplyRuleset:
    """The packaged ``supply_2024.toml``."""
    res = resources.files("landuse.rules").joinpath("rulesets", "supply_2024.toml")
    text = res.read_text("utf-8")
    data = tomllib.loads(text)
    _check(text, data, "supply_2024.toml")
    return SupplyRuleset(data, "supply_2024.toml")
