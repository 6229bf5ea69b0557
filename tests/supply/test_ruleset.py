"""The supply ruleset loads strictly; every sentence key exists once, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from landuse import labels
from landuse.errors import RulesetError
from landuse.supply.ruleset import default_supply_ruleset, load_supply_ruleset
from landuse.supply.summary import REASON_KEYS
from tests.builders import ROOT

PACKAGED = ROOT / "landuse" / "rules" / "rulesets" / "supply_2024.toml"


def test_the_packaged_ruleset_states_each_koujing() -> None:
    rs = default_supply_ruleset()
    assert rs.label == "cn-supply-2024 1.0.0"
    assert rs.get("supply_rate", "window_years") == 5
    assert rs.get("years_left", "window_years") == 3
    assert "近五年" in rs.koujing("supply_rate", "zh")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("window_years = 5", "window_years = 5\nwindow = 3", r"supply_rate\.window is not a key"),
    ("window_years = 5", 'window_years = "5"', r"supply_rate\.window_years = '5' is not a"),
    ("window_years = 5", "window_years = 0", "out of range"),
    ('industrial_uses = ["industrial_storage"]', 'industrial_uses = ["工业"]', "list of uses"),
])
def test_a_bad_file_names_the_key_and_line(tmp_path: Path, old: str, new: str,
                                           message: str) -> None:
    p = tmp_path / "zone.toml"
    p.write_text(PACKAGED.read_text("utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesetError, match=message) as e:
        load_supply_ruleset(p)
    assert f"{p}, line " in str(e.value)


def test_every_sentence_key_exists_and_no_other() -> None:
    keys = {key for kind, key, _zh, _en in labels.entries() if kind == "supply_reason"}
    assert keys == set(REASON_KEYS)
    for k in REASON_KEYS:
        assert labels.label("supply_reason", k, "zh") and labels.label("supply_reason", k, "en")
