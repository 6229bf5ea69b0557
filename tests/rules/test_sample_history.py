"""The sample park's second register version: ``changes`` for 2023-01-01 -> 2023-10-31
equals the transitions worked out by hand in ``data/geo/sample_history_expected.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.io import read_ledger, read_parcels
from landuse.rules import assess
from landuse.rules.changes import changes, summarise_changes
from tests.builders import ROOT

GEO = ROOT / "data" / "geo"
EXPECTED = json.loads((GEO / "sample_history_expected.json").read_text("utf-8"))
D1, D2 = EXPECTED["from"], EXPECTED["to"]


def rows(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["parcel_id"], frame["transitions"], strict=True))


@pytest.fixture(scope="module")
def version_rows() -> pd.DataFrame:
    """The changes with the second version, less those the first version alone shows."""
    v1 = read_parcels(GEO / "sample_park.gpkg")
    v2 = read_parcels(GEO / EXPECTED["dataset"].rsplit("/", 1)[1])
    led = read_ledger(GEO / "sample_park.gpkg", layer="ledger")
    before = assess(v1, D1)
    with_v2 = changes(before, assess(v2, D2), D1, D2, ledger=led)
    alone = changes(before, assess(v1, D2), D1, D2, ledger=led)
    keep = [(p, t) not in rows(alone) for p, t in zip(with_v2["parcel_id"],
                                                     with_v2["transitions"], strict=True)]
    return with_v2[keep]


def test_changes_equal_the_hand_worked_transitions(version_rows: pd.DataFrame) -> None:
    want = {(p, ";".join(ts)) for p, ts in EXPECTED["transitions"].items()}
    assert rows(version_rows) == want
    s = summarise_changes(version_rows).set_index("transition")["parcels"]
    assert {k: int(v) for k, v in s.items() if v} == EXPECTED["summary"]


def test_measured_areas_agree_with_the_registered_ones(version_rows: pd.DataFrame) -> None:
    r = version_rows.set_index("parcel_id")["area_mu"]
    for pid, mu in EXPECTED["registered_area_mu"].items():
        assert r[pid] == pytest.approx(mu, rel=0.01), pid


def test_the_store_finds_the_same(tmp_path: Path) -> None:
    store = tmp_path / "park.gpkg"
    run = CliRunner().invoke
    res = run(cli, ["load", str(GEO / "sample_park.gpkg"), "--store", str(store),
                    "--keep-problems"])
    assert res.exit_code == 0, res.output
    res = run(cli, ["load", str(GEO / "sample_park_v2.gpkg"), "--store", str(store),
                    "--effective", EXPECTED["effective"], "--keep-problems"])
    assert res.exit_code == 0, res.output
    c = EXPECTED["version_counts"]
    assert (f"added {c['added']}, 变更 changed {c['changed']}, 注销 retired {c['retired']}"
            in res.output)
    res = run(cli, ["changes", str(store), "--from", D1, "--to", D2, "-o",
                    str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    res = run(cli, ["changes", str(GEO / "sample_park.gpkg"), str(GEO / "sample_park_v2.gpkg"),
                    "--from", D1, "--to", D2, "--ledger", str(GEO / "sample_park.gpkg"),
                    "-o", str(tmp_path / "f.csv")])
    assert res.exit_code == 0, res.output
    from_store, from_files = pd.read_csv(tmp_path / "s.csv"), pd.read_csv(tmp_path / "f.csv")
    assert rows(from_store) == rows(from_files)
    want = {(p, ";".join(ts)) for p, ts in EXPECTED["transitions"].items()}
    assert want <= rows(from_store)


def test_the_file_is_what_the_generator_makes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample_history",
                                                  GEO / "make_sample_history.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    made = mod.second_version(read_parcels(GEO / "sample_park.gpkg"))
    shipped = read_parcels(GEO / "sample_park_v2.gpkg")
    assert made["parcel_id"].tolist() == shipped["parcel_id"].tolist()
    # the file holds MultiPolygons throughout (the merged parcel is one): same outlines
    assert made.geometry.geom_equals(shipped.geometry).all()
    cols = ["holder", "supply_date", "parent_ids", "registered_area_m2"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(made[cols]).reset_index(drop=True).astype(str),
        pd.DataFrame(shipped[cols]).reset_index(drop=True).astype(str))
