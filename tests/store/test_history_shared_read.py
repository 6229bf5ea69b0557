# ruff: noqa: F811
"""The fast path of ``changes`` equals the plain one, on both backends.

The fast path reads the registers of both dates from one read of the history
(:meth:`~landuse.store.Store.registers_frames`) and assesses them without writing sentences
(:func:`landuse.rules.changes.changes_between`); the plain path reads each date's register
by itself (:meth:`~landuse.store.Store.parcels_frame`), assesses it whole
(:func:`landuse.rules.assess`) and compares (:func:`landuse.rules.changes.changes`). Every
parcel is judged at both dates on both paths. The stores: a random register of 600 parcels
in three versions (splits, merges, holder changes, re-supplies, starts, retirements, a field
emptied in the third) with closing and other ledger events, and the sample park with its
second version.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.rules import assess
from landuse.rules.changes import changes, changes_between
from landuse.store import Store, open_store
from tests.builders import ROOT, history_ledger, history_register, history_version
from tests.support.store import store_target  # noqa: F401

DATES = [("2022-06-30", "2024-06-30"), ("2022-06-30", "2023-06-30"),
         ("2023-06-30", "2024-06-30"), ("2024-02-01", "2024-06-30")]


def plain(store: Store, d1: str, d2: str, known_at: str | None = None) -> pd.DataFrame:
    led = store.ledger_frame(known_at=known_at)
    before = assess(store.parcels_frame(as_of=d1, known_at=known_at), d1)
    after = assess(store.parcels_frame(as_of=d2, known_at=known_at), d2)
    return changes(before, after, d1, d2, ledger=led)


def fast(store: Store, d1: str, d2: str, known_at: str | None = None) -> pd.DataFrame:
    before, after = store.registers_frames([d1, d2], known_at=known_at)
    return changes_between(before, after, d1, d2, ledger=store.ledger_frame(known_at=known_at))


@pytest.fixture
def random_history(store_target: str) -> Store:
    v1 = history_register(600, seed=11)
    v2 = history_version(v1, 12, "2", "2022-12-01")
    v3 = history_version(v2, 13, "3", "2023-12-01")
    v3["delay_cause"] = None  # a field with values on the first dates, none on the last
    store = open_store(store_target)
    store.load(v1, history_ledger(v1, 300, 14), actor="t")
    store.load(v2, None, actor="t", effective="2023-01-01")
    store.load(v3, None, actor="t", effective="2024-01-01")
    return store


@pytest.mark.parametrize("workers", [1, 2])
def test_registers_read_together_equal_each_read_alone(random_history: Store, workers: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Also when every other page of versions is read by another process (pages of 100)."""
    monkeypatch.setattr("landuse.store.sql.HISTORY_PAGE", 100)
    dates = ["2022-06-30", "2023-06-30", "2024-06-30", None]
    together = random_history.registers_frames(dates, workers=workers)
    for d, frame in zip(dates, together, strict=True):
        alone = random_history.parcels_frame(as_of=d or "9999-12-31")
        pd.testing.assert_frame_equal(frame, alone, check_exact=True)
    # the versions differ: splits, merges and retirements between the dates
    assert len(together[0]) != len(together[2])
    assert together[2]["delay_cause"].isna().all() and together[0]["delay_cause"].notna().any()
    random_history.close()


def test_fast_changes_equal_plain_changes_on_random_versions(random_history: Store) -> None:
    seen: set[str] = set()
    for d1, d2 in DATES:
        want = plain(random_history, d1, d2)
        got = fast(random_history, d1, d2)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        seen |= {t for ts in want["transitions"] for t in ts.split(";")}
    random_history.close()
    # the draw exercises every kind of transition the comparison makes
    assert {"split", "merged", "retired", "holder_changed", "idle_new", "stage_moved",
            "idle_cleared_resupplied", "idle_cleared_disposed", "idle_cleared_started",
            "low_efficiency_found", "mujun_class_moved"} <= seen, seen


def test_fast_changes_equal_plain_changes_as_known_before_a_version(
        random_history: Store) -> None:
    """As known before the third version was recorded: its parcels are not yet known."""
    now = random_history.registers_frames([None])[0]
    part = now.loc[now["parcel_id"].str.endswith("-3a"), "parcel_id"].iloc[0]
    recorded = dt.datetime.fromisoformat(random_history.parcel_history(part)[0]["recorded_at"])
    known_before = (recorded - dt.timedelta(microseconds=1)).isoformat()
    assert part not in set(random_history.parcels_frame(known_at=known_before)["parcel_id"])
    want = plain(random_history, "2022-06-30", "2024-06-30", known_at=known_before)
    got = fast(random_history, "2022-06-30", "2024-06-30", known_at=known_before)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    random_history.close()


def test_fast_changes_equal_plain_changes_on_the_sample_park(store_target: str,
                                                             tmp_path: Path) -> None:
    geo = ROOT / "data" / "geo"
    run = CliRunner().invoke
    target = ["--database", store_target] if store_target.startswith("postgresql") \
        else ["--store", store_target]
    res = run(cli, ["load", str(geo / "sample_park.gpkg"), *target, "--keep-problems"])
    assert res.exit_code == 0, res.output
    res = run(cli, ["load", str(geo / "sample_park_v2.gpkg"), *target, "--effective",
                    "2023-08-15", "--keep-problems"])
    assert res.exit_code == 0, res.output
    with open_store(store_target) as store:
        for d1, d2 in (("2023-01-01", "2023-10-31"), ("2022-01-01", "2024-12-31")):
            want = plain(store, d1, d2)
            pd.testing.assert_frame_equal(fast(store, d1, d2), want, check_exact=True)
            assert len(want)
