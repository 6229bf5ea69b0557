# ruff: noqa: F811
"""Ledger events drawn at their parcel (both backends)."""

from __future__ import annotations

import shapely
from shapely.geometry import Point, Polygon

from landuse.store import Query, Store
from tests.support.store import loaded, store_target  # noqa: F401

# P0001 of tests.builders.make_register: the square 120.501..120.5019 E, 30.2..30.2009 N
P0001 = shapely.box(120.501, 30.2, 120.5019, 30.2009)
P0002 = shapely.box(120.502, 30.2, 120.5029, 30.2009)


def test_events_carry_a_point_inside_their_parcel(loaded: Store) -> None:
    feats = {f.id: f for f in loaded.query("ledger", Query()).features}
    for eid, square in (("E0001", P0001), ("E0002", P0002)):
        g = feats[eid].geometry
        assert isinstance(g, Point), eid
        assert square.contains(g), (eid, g.wkt)


def test_the_polygon_on_request(loaded: Store) -> None:
    g = loaded.get("ledger", "E0001", ledger_geometry="polygon").geometry
    assert isinstance(g, Polygon)
    assert g.equals(P0001)


def test_skip_geometry_and_properties_still_work(loaded: Store) -> None:
    page = loaded.query("ledger", Query(skip_geometry=True, properties=["stage"]))
    assert [f.geometry for f in page.features] == [None, None]
    page = loaded.query("ledger", Query(properties=["stage"]))
    assert all(isinstance(f.geometry, Point) for f in page.features)


def test_bbox_finds_events_where_their_parcel_is(loaded: Store) -> None:
    # a box over P0001 only (P0002 starts at 120.502)
    ids = [f.id for f in loaded.query("ledger", Query(bbox=(120.5012, 30.1, 120.5015, 30.3)))
           .features]
    assert ids == ["E0001"]
    assert loaded.query("ledger", Query(bbox=(121.0, 31.0, 121.1, 31.1))).features == []


def test_null_only_when_the_parcel_left_the_register(loaded: Store, store_target: str) -> None:
    # the store never deletes a parcel; a register edited outside it can lose one
    with loaded._tx() as cur:  # type: ignore[attr-defined]
        if store_target.endswith(".gpkg"):
            cur.execute("DROP TRIGGER parcels_no_delete")
        else:
            cur.execute("ALTER TABLE parcels DISABLE TRIGGER parcels_no_delete")
        cur.execute("DELETE FROM parcels WHERE parcel_id = ?", ("P0002",))
    feats = {f.id: f for f in loaded.query("ledger", Query()).features}
    assert feats["E0002"].geometry is None
    assert P0001.contains(feats["E0001"].geometry)


def test_the_events_own_geometry_on_request(loaded: Store) -> None:
    # an event given its own point (120.5025 30.2005, inside P0002) on parcel P0004
    own = Point(120.5025, 30.2005)
    loaded.append_events([({"event_id": "E0003", "parcel_id": "P0004",
                            "event_date": "2023-05-01", "stage": "investigating"}, own)],
                         actor="test")
    assert loaded.get("ledger", "E0003", ledger_geometry="event").geometry.equals(own)
    assert loaded.get("ledger", "E0001", ledger_geometry="event").geometry is None
    # drawn at the parcel by default: P0004 is 120.504..120.5049
    assert shapely.box(120.504, 30.2, 120.5049, 30.2009).contains(
        loaded.get("ledger", "E0003").geometry)
    # and found by the geometry that is drawn
    box_p0002 = (120.5021, 30.2001, 120.5028, 30.2008)
    assert [f.id for f in loaded.query("ledger", Query(bbox=box_p0002)).features] == ["E0002"]
    assert [f.id for f in loaded.query("ledger", Query(bbox=box_p0002,
                                                       ledger_geometry="event")).features
            ] == ["E0003"]
