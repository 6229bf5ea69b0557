"""The date slider's data: each ledger parcel's "reclaimed" classes by ledger date.

Expected states are read by hand from the sample park's ledger (data/geo/sample_park.gpkg,
layer ledger): the state on a date is the parcel's last effective event dated on or before
it, a correction superseding the event it corrects only from its own date.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from landuse.io import read_ledger, read_parcels
from landuse.webmap import make_map
from landuse.webmap.classes import LAYERS, classify_layers, ledger_as_of


@pytest.fixture(scope="module")
def sample(sample_park: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    from landuse.rules import assess

    parcels = assess(read_parcels(sample_park), "2023-10-31")
    ledger = read_ledger(sample_park)
    timeline = make_map(parcels, ledger).config["timeline"]
    return parcels, ledger, timeline


def _at(timeline: dict, feature: int, k: int) -> list | None:
    steps = next(p[2] for p in timeline["p"] if p[0] == feature)
    st = None
    for s in steps:
        if s[0] <= k:
            st = s
    return st


def test_dates_are_the_ledger_dates_up_to_the_map_date(sample: tuple) -> None:
    _, _, tl = sample
    # 6 events in 2022 on 6 dates; 28 events up to 2023-10-31 on 27 dates (E2023-020 and
    # its correction E2023-021 share 2023-06-28); E2023-029/030 are dated after the map
    assert len(tl["dates"]) == 33
    assert tl["dates"][0] == "2022-05-20" and tl["dates"][5] == "2022-12-20"
    assert tl["dates"][-1] == "2023-09-26"
    assert "2023-11-20" not in tl["dates"]


def test_states_read_by_hand(sample: tuple) -> None:
    parcels, ledger, tl = sample
    pos = {p: i for i, p in enumerate(parcels["parcel_id"].astype(str))}
    day = {d: k for k, d in enumerate(tl["dates"])}
    _, specs, _ = classify_layers(parcels, ledger_as_of(ledger, "2023-10-31"))
    reclaim = [c.code for c in specs[LAYERS.index("reclaim")].classes]
    periods = [c.code for c in specs[LAYERS.index("reclaim_date")].classes]
    # DZ-001: investigated 2022-09-13, buy-back 2022-12-20, disposed (先租后让) 2023-04-20
    dz = pos["DZ-001"]
    assert _at(tl, dz, day["2022-08-09"]) is None
    assert reclaim[_at(tl, dz, day["2022-09-13"])[1]] == "in_progress"
    assert reclaim[_at(tl, dz, day["2023-04-10"])[1]] == "in_progress"
    st = _at(tl, dz, day["2023-04-20"])
    assert reclaim[st[1]] == "lease_then_transfer" and periods[st[2]] == "2023-Q2"
    assert st[3:] == ["2023-04-20", "先租后让"]
    # FB-011: investigated 2022-06-14, disposed by agreement 2022-11-15 (class "2022")
    fb = pos["FB-011"]
    assert reclaim[_at(tl, fb, day["2022-09-13"])[1]] == "in_progress"
    st = _at(tl, fb, day["2022-11-15"])
    assert reclaim[st[1]] == "agreement_transfer" and periods[st[2]] == "2022"
    # the map's own date: 8 disposed, 12 in progress (20 parcels in the ledger)
    last = len(tl["dates"]) - 1
    states = [reclaim[_at(tl, p[0], last)[1]] for p in tl["p"]]
    assert len(states) == 20 and states.count("in_progress") == 12
    assert states.count("agreement_transfer") == 3 and states.count("merger") == 3
    assert states.count("lease_then_transfer") == 2


def test_each_date_equals_the_map_built_on_that_date(sample: tuple) -> None:
    """The slider's state on every date is the map's "reclaimed" layer with the ledger as it
    stood on that date (the path the map takes for its own date)."""
    parcels, ledger, tl = sample
    for k, d in enumerate(tl["dates"]):
        codes, specs, _ = classify_layers(parcels, ledger_as_of(ledger, d))
        j = LAYERS.index("reclaim")
        want = {i: specs[j].classes[c].code for i, c in enumerate(codes[:, j]) if c >= 0}
        _, map_specs, _ = classify_layers(parcels, ledger_as_of(ledger, "2023-10-31"))
        names = [c.code for c in map_specs[j].classes]
        got = {}
        for p in tl["p"]:
            st = _at(tl, p[0], k)
            if st is not None and st[1] >= 0:
                got[p[0]] = names[st[1]]
        assert got == want, d


def test_correction_takes_effect_on_its_own_date() -> None:
    """A correction dated later than the event it corrects supersedes it only from then."""
    from tests.builders import fake_assess, synthetic_parcels

    parcels = fake_assess(synthetic_parcels(3))
    pid = str(parcels["parcel_id"].iloc[0])
    ledger = pd.DataFrame({
        "event_id": ["A", "B"], "parcel_id": [pid, pid],
        "event_date": ["2023-01-10", "2023-03-01"], "stage": ["disposed", "investigating"],
        "method": ["merger", None], "corrects": [None, "A"],
    })
    tl = make_map(parcels, ledger).config["timeline"]
    assert tl["dates"] == ["2023-01-10", "2023-03-01"]
    assert [s[3] for s in tl["p"][0][2]] == ["2023-01-10", None]
