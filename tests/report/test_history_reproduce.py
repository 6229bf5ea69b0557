"""Last year's report reproduced exactly: the sample park's 2023-10-31 report, made from a
store, is made again byte for byte with ``--known-at`` the time it was first made, after
later ledger events, a correction and a new register version changed what the store knows
about that period."""

from __future__ import annotations

import time
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.io import read_parcels
from landuse.store.types import now_iso

FORMATS = (".html", ".json", ".md")


def run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def report(store: Path, out: Path, *extra: str) -> dict[str, bytes]:
    outs = [str(out.with_suffix(s)) for s in FORMATS]
    run("report", str(store), "--from", "2023-01-01", "--to", "2023-10-31",
        *(a for o in outs for a in ("-o", o)), *extra)
    return {s: out.with_suffix(s).read_bytes() for s in FORMATS}


def test_the_2023_10_31_report_is_reproduced_byte_for_byte(sample_park: Path,
                                                            tmp_path: Path) -> None:
    store = tmp_path / "park.gpkg"
    run("load", str(sample_park), "--store", str(store), "--keep-problems")
    first = report(store, tmp_path / "first")
    then = now_iso()
    time.sleep(0.01)

    # later: a correction of a 2023 disposal (16 000 m² -> 12 000 m²), a new event in the
    # period, and a register version effective 2023-06-01 (FB-002's holder changes, FB-003
    # is retired), all recorded after the report was made
    from landuse.store import open_store

    with open_store(store) as s:
        s.append_events([
            ({"event_id": "E2023-023c", "parcel_id": "YS-013", "event_date": "2023-08-18",
              "stage": "disposed", "method": "merger", "area_m2": 12000.0,
              "corrects": "E2023-023"}, None),
            ({"event_id": "E2023-031", "parcel_id": "DZ-010", "event_date": "2023-10-15",
              "stage": "recovery_in_progress", "method": "free_recovery"}, None),
        ], actor="t")
    v2 = read_parcels(sample_park)
    v2.loc[v2.parcel_id == "FB-002", "holder"] = "抚州新承接有限公司"
    v2 = v2[v2.parcel_id != "FB-003"]
    v2_path = tmp_path / "v2.gpkg"
    pyogrio.write_dataframe(v2, v2_path, layer="parcels")
    out = run("load", str(v2_path), "--store", str(store), "--effective", "2023-06-01",
              "--keep-problems")
    assert "changed 1" in out and "retired 1" in out

    now = report(store, tmp_path / "now")
    assert now[".json"] != first[".json"]  # what the store knows today has moved
    again = report(store, tmp_path / "again", "--known-at", then)
    for suffix in FORMATS:
        assert again[suffix] == first[suffix], suffix


def test_assess_reads_the_register_valid_on_as_of(sample_park: Path, tmp_path: Path) -> None:
    store = tmp_path / "park.gpkg"
    run("load", str(sample_park), "--store", str(store), "--keep-problems")
    v2 = read_parcels(sample_park)
    v2 = v2[v2.parcel_id != "FB-003"]
    pyogrio.write_dataframe(v2, tmp_path / "v2.gpkg", layer="parcels")
    run("load", str(tmp_path / "v2.gpkg"), "--store", str(store), "--effective",
        "2023-06-01", "--keep-problems")
    # the sample park has 302 parcels; FB-003 is retired from 2023-06-01 on
    for as_of, n in (("2023-05-31", 302), ("2023-06-01", 301)):
        out = tmp_path / f"a{as_of}.csv"
        run("assess", str(store), "--as-of", as_of, "-o", str(out))
        ids = pyogrio.read_dataframe(out)["parcel_id"].tolist()
        assert len(ids) == n and ("FB-003" in ids) == (n == 302)


def test_known_at_needs_a_store(sample_park: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["assess", str(sample_park), "--as-of", "2023-10-31",
                                   "--known-at", "2024-01-01", "-o", str(tmp_path / "a.csv")])
    assert res.exit_code == 2 and "not a store" in res.output
    res = CliRunner().invoke(cli, ["summary", str(sample_park), "--as-of", "2023-10-31",
                                   "--known-at", "2024-13-01"])
    assert res.exit_code == 2 and "not a date or time" in res.output


def test_a_store_report_compares_with_the_start_and_a_year_before(tmp_path: Path) -> None:
    import json

    from tests.builders import ROOT

    geo = ROOT / "data" / "geo"
    expected = json.loads((geo / "sample_history_expected.json").read_text("utf-8"))
    store = tmp_path / "park.gpkg"
    run("load", str(geo / "sample_park.gpkg"), "--store", str(store), "--keep-problems")
    run("load", str(geo / "sample_park_v2.gpkg"), "--store", str(store), "--effective",
        expected["effective"], "--keep-problems")
    run("report", str(store), "--from", "2023-01-01", "--to", "2023-10-31", "-o",
        str(tmp_path / "r.json"))
    tables = json.loads((tmp_path / "r.json").read_text("utf-8"))["tables"]
    keys = list(tables)
    assert keys[keys.index("lifecycle") + 1:keys.index("lifecycle") + 4] == \
        ["lifecycle_compare", "transitions", "changed_parcels"]
    # 期末 is the 五未 table's 亩; 较年初 and 同比 are differences of the columns beside
    life = {r[0]: r[2] for r in tables["lifecycle"]["rows"]}
    for name, now, start, vs_start, year, vs_year in tables["lifecycle_compare"]["rows"]:
        assert now == life[name]
        assert vs_start == pytest.approx(now - start, abs=0.11)
        assert vs_year == pytest.approx(now - year, abs=0.11)
    # the second version's lineage transitions, as worked out by hand
    counts = {r[0]: r[1] for r in tables["transitions"]["rows"]}
    assert (counts["分割"], counts["合并"], counts["宗地注销"]) == (2, 1, 3)
    changed = {r[0]: r[1] for r in tables["changed_parcels"]["rows"]}
    assert changed["DZ-017"] == "权属变更、闲置消除（重新供地）"


def test_a_register_file_report_has_no_comparison(sample_park: Path, tmp_path: Path) -> None:
    import json

    run("report", str(sample_park), "--from", "2023-01-01", "--to", "2023-10-31", "-o",
        str(tmp_path / "r.json"))
    tables = json.loads((tmp_path / "r.json").read_text("utf-8"))["tables"]
    assert "lifecycle_compare" not in tables and "transitions" not in tables
