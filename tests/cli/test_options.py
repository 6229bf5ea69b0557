"""The option groups shared by the commands: same options, same checks, same errors.

The tiny register: one producing industrial parcel P0 of 10 000 m² (15 亩) that paid
600 万元 of tax, with no contract tax target. The national ruleset sets no 亩均税收 minimum,
so without a target the indicator is not judged and P0 is not low-efficiency. The zone file
sets ``min_tax_per_mu_wan = 50``: 600 / 15 = 40 万元/亩 < 50, so under the zone's rules P0
fails 亩均税收 and is low-efficiency. Every other indicator passes under both
(``tests.builders.make``, ``producing``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner, Result
from shapely.geometry import box

from landuse.cli import cli
from landuse.cli._common import check_date
from tests.builders import ROOT, make, producing

ASSESSING = ("assess", "summary", "map", "report")
"""Every command that assesses a register."""
FOUR = ("--as-of", "--rules", "--lang", "--buildings")
READ = ("--layer", "--encoding", "--attributes", "--assume-crs", "--id-column", "--unit")


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("register")
    make([producing(parcel_id="P0", target_tax_per_mu_wan=None)]).to_file(
        d / "reg.gpkg", layer="parcels", driver="GPKG", engine="pyogrio")
    (d / "ledger.csv").write_text(
        "event_id,parcel_id,event_date,stage\nE1,P0,2023-03-01,investigating\n",
        encoding="utf-8")
    (d / "zone.toml").write_text(
        '[ruleset]\nname = "zone"\nversion = "1"\n\n[control]\nmin_tax_per_mu_wan = 50.0\n',
        encoding="utf-8")
    (d / "bad.toml").write_text(
        '[ruleset]\nname = "b"\nversion = "1"\n[idle]\nfee_share = 0.1\n', encoding="utf-8")
    # one footprint inside P0 (P0 is the square 39500000..39500100 x 3100000..3100100)
    bld = gpd.GeoDataFrame(geometry=[box(39500010, 3100010, 39500040, 3100040)],
                           crs="EPSG:4527")
    bld.to_file(d / "bld.gpkg", driver="GPKG", engine="pyogrio")
    bld.to_crs(4326).to_file(d / "bld_4326.gpkg", driver="GPKG", engine="pyogrio")
    return {"dir": d, "reg": d / "reg.gpkg", "ledger": d / "ledger.csv",
            "zone": d / "zone.toml", "bad": d / "bad.toml", "bld": d / "bld.gpkg",
            "bld_4326": d / "bld_4326.gpkg"}


def _args(cmd: str, reg: dict[str, Path], out: Path) -> list[str]:
    """``cmd`` on the register, writing to ``out`` (no assessment options yet)."""
    args = [cmd, str(reg["reg"])]
    if cmd == "report":
        args += ["--from", "2023-01-01", "--to", "2023-10-31", "--ledger", str(reg["ledger"])]
    if cmd != "summary":
        args += ["-o", str(out)]
    return args


def _out(cmd: str, tmp_path: Path) -> Path:
    return tmp_path / {"assess": "a.csv", "map": "m.html", "report": "r.json"}.get(cmd, "x")


def _error_line(res: Result) -> str:
    return [line for line in res.output.splitlines() if line.startswith("Error:")][-1]


def _low_rows(report_json: Path) -> list[list[object]]:
    doc = json.loads(report_json.read_text(encoding="utf-8"))
    return list(doc["tables"]["low_efficiency"]["rows"])


@pytest.mark.parametrize("cmd", ASSESSING)
def test_every_assessing_command_lists_the_shared_options(cmd: str) -> None:
    res = CliRunner().invoke(cli, [cmd, "--help"])
    assert res.exit_code == 0, res.output
    for opt in (*FOUR, *READ):
        assert opt in res.output, f"landuse {cmd} has no {opt}"


@pytest.mark.parametrize("cmd", ASSESSING)
def test_every_assessing_command_accepts_the_four_options(
    cmd: str, register: dict[str, Path], tmp_path: Path
) -> None:
    out = _out(cmd, tmp_path)
    res = CliRunner().invoke(cli, [*_args(cmd, register, out), "--as-of", "2023-10-31",
                                   "--rules", str(register["zone"]), "--lang", "en",
                                   "--buildings", str(register["bld"])])
    assert res.exit_code == 0, res.output
    if cmd != "summary":
        assert out.exists()
    if cmd == "assess":
        import pandas as pd

        row = pd.read_csv(out, encoding="utf-8-sig").iloc[0]
        # the zone's 50 万元/亩 minimum applies: 40 < 50
        assert bool(row["low_efficiency"]) and row["failed_indicators"] == "tax_per_mu"


@pytest.mark.parametrize("bad", ["2023-02-30", "31/10/2023", "1989-12-31", "2999-01-01"])
def test_a_bad_as_of_gives_the_same_error_everywhere(
    bad: str, register: dict[str, Path], tmp_path: Path
) -> None:
    seen = {}
    for cmd in ASSESSING:
        out = _out(cmd, tmp_path)
        res = CliRunner().invoke(cli, [*_args(cmd, register, out), "--as-of", bad])
        assert res.exit_code == 2, (cmd, res.output)
        assert not out.exists(), cmd
        seen[cmd] = _error_line(res)
    res = CliRunner().invoke(cli, ["ledger", "show", str(register["reg"]), "P0", "--as-of", bad])
    assert res.exit_code == 2
    seen["ledger show"] = _error_line(res)
    assert len(set(seen.values())) == 1, seen
    line = seen["assess"]
    assert "--as-of" in line and f"'{bad}'" in line and "Fix:" in line


def test_a_bad_ruleset_gives_the_same_error_everywhere(
    register: dict[str, Path], tmp_path: Path
) -> None:
    lines = set()
    for cmd in ASSESSING:
        out = _out(cmd, tmp_path)
        res = CliRunner().invoke(cli, [*_args(cmd, register, out), "--as-of", "2023-10-31",
                                       "--rules", str(register["bad"])])
        assert res.exit_code == 2, (cmd, res.output)
        assert not out.exists()
        lines.add(_error_line(res))
    assert len(lines) == 1
    assert "bad.toml, line 5, key 'idle.fee_share'" in lines.pop()


def test_check_date_bounds() -> None:
    """Real calendar days from 1990-01-01 on; 2024 is a leap year, 2023 is not."""
    assert check_date("1990-01-01") == "1990-01-01"
    assert check_date("2024-02-29") == "2024-02-29"
    for bad in ("1989-12-31", "2023-02-29", "2023-1-5", "20231031", "", "2023-10-31 "):
        with pytest.raises(ValueError, match="Fix:"):
            check_date(bad)


def test_report_uses_the_zones_rules(register: dict[str, Path], tmp_path: Path) -> None:
    base = _args("report", register, tmp_path / "national.json")
    res = CliRunner().invoke(cli, base)
    assert res.exit_code == 0, res.output
    assert _low_rows(tmp_path / "national.json") == []  # no national 亩均税收 minimum
    zone = _args("report", register, tmp_path / "zone.json")
    res = CliRunner().invoke(cli, [*zone, "--rules", str(register["zone"])])
    assert res.exit_code == 0, res.output
    rows = _low_rows(tmp_path / "zone.json")
    assert [r[0] for r in rows] == ["P0"]
    assert rows[0][5] == "亩均税收"  # failed_indicators: 40 万元/亩 < the zone's 50


def test_map_refuses_a_bad_date(register: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    res = CliRunner().invoke(cli, [*_args("map", register, out), "--as-of", "2023-13-01"])
    assert res.exit_code == 2 and "--as-of" in _error_line(res)
    assert not out.exists()


def test_map_refuses_rules_without_a_date(register: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    res = CliRunner().invoke(cli, [*_args("map", register, out), "--rules",
                                   str(register["zone"])])
    assert res.exit_code == 2 and "--as-of" in res.output
    assert not out.exists()


@pytest.mark.parametrize("cmd", ASSESSING)
def test_buildings_in_another_crs_are_refused(
    cmd: str, register: dict[str, Path], tmp_path: Path
) -> None:
    out = _out(cmd, tmp_path)
    res = CliRunner().invoke(cli, [*_args(cmd, register, out), "--as-of", "2023-10-31",
                                   "--buildings", str(register["bld_4326"])])
    assert res.exit_code == 2, res.output
    assert "EPSG:4326" in res.output and "EPSG:4527" in res.output and "Fix:" in res.output
    assert not out.exists()


def test_buildings_without_crs_are_refused(register: dict[str, Path], tmp_path: Path) -> None:
    geojson = tmp_path / "nocrs.csv"
    geojson.write_text("id,WKT\n1,\"POLYGON ((0 0, 1 0, 1 1, 0 0))\"\n", encoding="utf-8")
    res = CliRunner().invoke(cli, [*_args("assess", register, tmp_path / "a.csv"), "--as-of",
                                   "2023-10-31", "--buildings", str(geojson)])
    assert res.exit_code == 2 and "no CRS" in res.output
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize("cmd", ["assess", "map", "report"])
def test_an_existing_output_is_refused_before_any_work(
    cmd: str, register: dict[str, Path], tmp_path: Path
) -> None:
    out = _out(cmd, tmp_path)
    out.write_text("keep me")
    res = CliRunner().invoke(cli, [*_args(cmd, register, out), "--as-of", "2023-10-31"])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert out.read_text() == "keep me"


def test_real_process_report_with_zone_rules_and_a_bad_date(
    register: dict[str, Path], tmp_path: Path
) -> None:
    """The installed entry point as a user runs it: a separate Python process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    out = tmp_path / "r.json"
    args = [sys.executable, "-m", "landuse", *_args("report", register, out)]
    done = subprocess.run([*args, "--rules", str(register["zone"])], env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stderr
    assert [r[0] for r in _low_rows(out)] == ["P0"]
    bad = subprocess.run([*args, "--overwrite", "--as-of", "2023-02-30"], env=env,
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert bad.returncode == 2
    assert "Invalid value for '--as-of': '2023-02-30'" in bad.stderr


@pytest.mark.parametrize("cmd", [["load"], ["keys", "add"], ["keys", "list"], ["keys", "revoke"]])
def test_store_commands_share_the_store_options(cmd: list[str]) -> None:
    res = CliRunner().invoke(cli, [*cmd, "--help"])
    assert res.exit_code == 0, res.output
    assert "--store" in res.output and "LANDUSE_DATABASE_URL" in res.output


def test_a_missing_buildings_file_is_a_usage_error(register: dict[str, Path],
                                                   tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, [*_args("assess", register, tmp_path / "a.csv"), "--as-of",
                                   "2023-10-31", "--buildings", str(tmp_path / "nope.gpkg")])
    assert res.exit_code == 2 and "--buildings" in _error_line(res)


@pytest.mark.parametrize("cmd", ASSESSING)
def test_every_assessing_command_lists_the_industry_edition(cmd: str) -> None:
    res = CliRunner().invoke(cli, [cmd, "--help"])
    assert res.exit_code == 0, res.output
    assert "--industry-edition" in res.output


def test_industry_edition_reads_codes_in_that_edition(
    register: dict[str, Path], tmp_path: Path
) -> None:
    # code 39 and FAR 0.8 (8000 m² on 10 000 m²): in the 2002 edition 39 is 电气机械 (min
    # 0.7, passes); in 2017 it is 计算机、通信 = 2002 division 40 (min 1.0, fails). The option
    # applies with a zone's ruleset too (its tax minimum of 50 still fails 40 万元/亩).
    import pandas as pd

    reg = tmp_path / "r39.gpkg"
    make([producing(parcel_id="P0", industry_code="39", floor_area_m2=8000.0,
                    target_tax_per_mu_wan=None)]).to_file(
        reg, layer="parcels", driver="GPKG", engine="pyogrio")
    failed = {}
    for edition in (None, "2002", "2017"):
        out = tmp_path / f"a{edition}.csv"
        args = ["assess", str(reg), "--as-of", "2023-10-31", "-o", str(out)]
        if edition:
            args += ["--industry-edition", edition]
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 0, res.output
        failed[edition] = str(pd.read_csv(out, encoding="utf-8-sig").iloc[0]
                              ["failed_indicators"])
    assert failed == {None: "nan", "2002": "nan", "2017": "far"}
    out = tmp_path / "zone.csv"
    res = CliRunner().invoke(cli, ["assess", str(reg), "--as-of", "2023-10-31", "-o", str(out),
                                   "--rules", str(register["zone"]),
                                   "--industry-edition", "2017"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out, encoding="utf-8-sig").iloc[0]["failed_indicators"] == \
        "far;tax_per_mu"
    res = CliRunner().invoke(cli, ["assess", str(reg), "--as-of", "2023-10-31", "-o",
                                   str(tmp_path / "x.csv"), "--industry-edition", "2005"])
    assert res.exit_code != 0 and "2005" in res.output
