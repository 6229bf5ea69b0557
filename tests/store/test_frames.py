"""Frames of a whole collection are built as the features come: a register of a million
parcels is read page by page without holding every feature's dict of properties at once."""

from __future__ import annotations

import weakref
from collections.abc import Iterator

import pandas as pd
import shapely

from landuse.store.prepare import features_frame
from landuse.store.schema import COLLECTIONS
from landuse.store.types import Feature


class _Props(dict):  # type: ignore[type-arg]
    """A dict of properties that can be watched (weakly referenced)."""


def test_features_are_dropped_as_they_are_read() -> None:
    coll = COLLECTIONS["parcels"]
    alive: list[weakref.ref[_Props]] = []
    most = [0]

    def feats() -> Iterator[Feature]:
        for k in range(50):
            props = _Props(parcel_id=f"P{k:02d}", zone="A", land_price_wan=float(k),
                           supply_date="2020-01-0" + str(1 + k % 9))
            alive.append(weakref.ref(props))
            most[0] = max(most[0], sum(r() is not None for r in alive))
            yield Feature(f"P{k:02d}", k + 1, props, shapely.box(k, 0, k + 1, 1))

    df = features_frame(feats(), coll, geo=True)
    # at most the feature being read and the one before it live at once (not all 50)
    assert most[0] <= 2
    assert list(df.columns[:-1]) == [c.name for c in coll.columns]
    assert df["parcel_id"].tolist() == [f"P{k:02d}" for k in range(50)]
    assert df["land_price_wan"].tolist() == [float(k) for k in range(50)]
    assert df["supply_date"].iloc[10] == pd.Timestamp("2020-01-02")
    assert df["holder"].isna().all()  # a property no feature has: empty, not dropped
    assert df.geometry.iloc[3].equals(shapely.box(3, 0, 4, 1))
    assert df.crs.to_epsg() == 4490


def test_no_features_give_an_empty_frame_of_the_columns() -> None:
    coll = COLLECTIONS["ledger"]
    df = features_frame(iter(()), coll, geo=False)
    assert df.empty
    assert list(df.columns) == [c.name for c in coll.columns]
