"""Rulesets: the packaged files, zone overrides, and strict errors naming file, key, line."""

from __future__ import annotations

from pathlib import Path

import pytest

from landuse.errors import RulesetError
from landuse.rules import assess, default_ruleset, load_ruleset
from landuse.rules.ruleset import INDUSTRY_EDITIONS
from tests.builders import ROOT

PACKAGED = ROOT / "landuse" / "rules" / "rulesets"


def test_default_ruleset_is_the_national_rules() -> None:
    rs = default_ruleset()
    assert rs.label == "cn-national 1.0.0"
    assert [p[0] for p in rs.parts] == [
        "cn-idle-land-2012",
        "cn-control-2008",
        "cn-mujun-example",
        "cn-national",
    ]
    assert rs.idle["stalled_combinator"] == "or"
    assert rs.idle["fee_share_of_price"] == 0.20
    assert rs.control["min_coverage"] == 0.30
    table = rs.control["industries"]
    assert sorted(table) == sorted(INDUSTRY_EDITIONS["GB/T 4754-2002"])
    # the domain.md §3.1 table, spot checks at every distinct value
    assert {c: table[c]["min_far"] for c in ("13", "17", "25", "26", "27", "40")} == {
        "13": 1.0,
        "17": 0.8,
        "25": 0.5,
        "26": 0.6,
        "27": 0.7,
        "40": 1.0,
    }
    assert all(row["mark"] in ("C", "S", "U", "R") for row in table.values())
    assert rs.mujun["classes"] == {"A": 0.2, "B": 0.6, "C": 0.95}


def test_example_zone_overrides_only_its_keys() -> None:
    rs = load_ruleset(PACKAGED / "example_zone.toml")
    assert rs.label == "example-zone 2023.1"
    assert rs.idle["stalled_combinator"] == "and"
    assert rs.control["min_tax_per_mu_wan"] == 20.0
    assert rs.idle["fee_share_of_price"] == 0.20  # untouched default
    assert rs.parts[-2] == ("cn-national", "1.0.0")


def write(tmp_path: Path, text: str, name: str = "zone.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEAD = '[ruleset]\nname = "z"\nversion = "1"\n'


def test_zone_file_changes_a_threshold_and_the_result(tmp_path: Path) -> None:
    from tests.builders import make, supplied

    p = write(tmp_path, HEAD + "\n[idle]\nfee_share_of_price = 0.1\n")
    rs = load_ruleset(p)
    r = assess(make([supplied(agreed_start_date="2021-06-01")]), "2023-10-31", ruleset=str(p))
    assert r["idle_fee_wan"].iloc[0] == 50.0
    assert r["ruleset"].iloc[0] == "z 1" == rs.label
    assert "10%征缴闲置费50万元" in r["reasons"].iloc[0]


def test_unknown_key_names_file_key_line(tmp_path: Path) -> None:
    p = write(tmp_path, HEAD + "\n[idle]\nfee_share_of_price = 0.1\nfee_shar = 0.2\n")
    with pytest.raises(
        RulesetError, match=r"zone\.toml, line 7, key 'idle\.fee_shar': unknown key"
    ):
        load_ruleset(p)


def test_unknown_section(tmp_path: Path) -> None:
    p = write(tmp_path, HEAD + "\n[idel]\nx = 1\n")
    with pytest.raises(RulesetError, match=r"line 5, key 'idel': unknown key"):
        load_ruleset(p)


def test_wrong_type_names_file_key_line(tmp_path: Path) -> None:
    p = write(tmp_path, HEAD + '\n[control]\n# comment\nmin_coverage = "30%"\n')
    with pytest.raises(
        RulesetError, match=r"zone\.toml, line 7, key 'control\.min_coverage': must be a number"
    ):
        load_ruleset(p)
    p = write(tmp_path, HEAD + '\n[idle]\nstalled_combinator = "xor"\n')
    with pytest.raises(RulesetError, match=r"line 6.*stalled_combinator.*'or', 'and'"):
        load_ruleset(p)
    p = write(tmp_path, HEAD + "\n[idle]\nnot_started_after_years = 1.5\n")
    with pytest.raises(RulesetError, match=r"line 6.*must be an integer"):
        load_ruleset(p)
    p = write(tmp_path, HEAD + "\n[idle]\nrecovery_applies_to_stalled = 1\n")
    with pytest.raises(RulesetError, match=r"line 6.*true or false"):
        load_ruleset(p)


def test_out_of_range(tmp_path: Path) -> None:
    p = write(tmp_path, HEAD + "\n[control]\nmax_green_ratio = 20\n")
    with pytest.raises(RulesetError, match=r"line 6.*max_green_ratio.*out of range"):
        load_ruleset(p)


def test_industry_row_wrong_type_and_unknown_industry(tmp_path: Path) -> None:
    p = write(tmp_path, HEAD + '\n[control.industries."34"]\nmin_far = "0.7"\n')
    with pytest.raises(RulesetError, match=r"line 6, key 'control\.industries\.34\.min_far'"):
        load_ruleset(p)
    p = write(
        tmp_path, HEAD + '\n[control.industries."38"]\nname = "x"\nmin_far = 1.0\nmark = "U"\n'
    )
    with pytest.raises(RulesetError, match=r"line 5, key 'control\.industries\.38'.*not a manu"):
        load_ruleset(p)


def test_missing_industry_for_another_edition(tmp_path: Path) -> None:
    rows = "".join(
        f'[control.industries."{c}"]\nname = "x"\nmin_far = 1.0\nmark = "U"\n'
        for c in INDUSTRY_EDITIONS["GB/T 4754-2017"]
        if c != "38"
    )
    text = HEAD + '\n[control]\nindustry_edition = "GB/T 4754-2017"\n\n' + rows
    p = write(tmp_path, text)
    with pytest.raises(
        RulesetError,
        match=r"zone\.toml, line 6, key 'control\.industries\.38': industry 38 of GB/T 4754-2017",
    ):
        load_ruleset(p)
    rows_all = (
        rows
        + '[control.industries."38"]\nname = "电气机械和器材制造业"\nmin_far = 0.7\nmark = "U"\n'
    )
    rs = load_ruleset(write(tmp_path, text.replace(rows, rows_all)))
    assert rs.control["industries"]["38"]["min_far"] == 0.7
    assert len(rs.control["industries"]) == 31


def test_missing_industry_in_a_standalone_ruleset(tmp_path: Path) -> None:
    # a full ruleset built from the packaged parts, minus one 容积率 row
    ctl = (PACKAGED / "control_2008.toml").read_text("utf-8")
    cut = ctl.replace(
        '[control.industries."27"]\nname = "医药制造业"\nmin_far = 0.7\nmark = "C"\n', ""
    )
    assert cut != ctl
    write(tmp_path, cut.replace('name = "cn-control-2008"', 'name = "cut"'), "control_cut.toml")
    p = write(
        tmp_path,
        '[ruleset]\nname = "own"\nversion = "2"\n'
        'include = ["idle_land_2012.toml", "control_cut.toml", "mujun_example.toml"]\n',
    )
    with pytest.raises(
        RulesetError, match=r"control_cut\.toml, line \d+, key 'control\.industries\.27'"
    ):
        load_ruleset(p)


def test_missing_required_key_in_a_standalone_ruleset(tmp_path: Path) -> None:
    idle = (PACKAGED / "idle_land_2012.toml").read_text("utf-8")
    write(tmp_path, idle.replace("fee_after_years = 1\n", ""), "idle_cut.toml")
    p = write(
        tmp_path,
        '[ruleset]\nname = "own"\nversion = "2"\n'
        'include = ["idle_cut.toml", "control_2008.toml", "mujun_example.toml"]\n',
    )
    with pytest.raises(
        RulesetError, match=r"idle_cut\.toml, line \d+, key 'idle\.fee_after_years'"
    ):
        load_ruleset(p)


def test_bad_toml_missing_file_missing_head(tmp_path: Path) -> None:
    with pytest.raises(RulesetError, match=r"zone\.toml: not valid TOML.*line 4"):
        load_ruleset(write(tmp_path, HEAD + "x = = 1\n"))
    with pytest.raises(RulesetError, match="not found"):
        load_ruleset(tmp_path / "nope.toml")
    with pytest.raises(RulesetError, match=r"\[ruleset\] with name and version"):
        load_ruleset(write(tmp_path, "[idle]\nfee_share_of_price = 0.1\n"))
    with pytest.raises(RulesetError, match="class cut-offs must rise"):
        load_ruleset(write(tmp_path, HEAD + "[mujun.classes]\nA = 0.7\n"))


def test_override_is_validated() -> None:
    with pytest.raises(RulesetError, match=r"idle.nope"):
        default_ruleset().override({"idle": {"nope": 1}})
    rs = default_ruleset().override({"control": {"min_coverage": 0.4}})
    assert rs.control["min_coverage"] == 0.4
    assert default_ruleset().control["min_coverage"] == 0.3  # the default is not changed


def test_scope_edition_and_review_keys_are_checked(tmp_path: Path) -> None:
    rs = load_ruleset()
    assert rs.control["applies_to_land_use"] == ["industrial", "storage"]
    assert rs.mujun["applies_to_land_use"] == ["industrial", "storage"]
    assert rs.control["industry_code_edition"] == "2002"
    assert rs.control["review_after_production_years"] == 2
    assert rs.control["invest_includes_land_price"] is True
    p = write(tmp_path, HEAD + '\n[control]\napplies_to_land_use = ["industrial", "factory"]\n')
    with pytest.raises(RulesetError, match=r"line 6.*applies_to_land_use.*'factory'"):
        load_ruleset(p)
    p = write(tmp_path, HEAD + '\n[control]\nindustry_code_edition = "2005"\n')
    with pytest.raises(RulesetError, match=r"line 6.*industry_code_edition.*'2005'"):
        load_ruleset(p)
    p = write(tmp_path, HEAD + "\n[control]\nreview_after_production_years = -1\n")
    with pytest.raises(RulesetError, match=r"line 6.*review_after_production_years.*range"):
        load_ruleset(p)
    z = load_ruleset(write(tmp_path, HEAD + '\n[mujun]\napplies_to_land_use = ["industrial"]\n'))
    assert z.mujun["applies_to_land_use"] == ["industrial"]
    assert z.control["applies_to_land_use"] == ["industrial", "storage"]
