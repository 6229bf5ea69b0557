# ruff: noqa: F811
"""Register versions: the SAME tests on both backends (GeoPackage file and PostGIS).

The small register (60 squares P0000..P0059) is loaded as the first version; a second
version made by hand from it splits P0010 in two, merges P0020 and P0021, gives P0030 a new
holder and retires P0040. The expected rows are worked out from that edit, not read back
from the store.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest
import shapely

from landuse.errors import ConflictError, SchemaError
from landuse.store import Store, open_store
from landuse.store.types import now_iso
from tests.builders import make_ledger, make_register, second_version
from tests.support.store import loaded, store_target  # noqa: F401


def ids(frame: pd.DataFrame) -> set[str]:
    return set(frame["parcel_id"].astype(str))


def test_a_new_version_records_only_what_changed(loaded: Store) -> None:
    first = now_iso()
    time.sleep(0.01)
    counts = loaded.load(second_version(), None, actor="t", effective="2023-07-01")
    # 3 parcels added (2 parts, 1 merged), 1 changed (holder), 4 retired (P0010, P0020,
    # P0021, P0040)
    assert (counts["added"], counts["changed"], counts["retired"]) == (3, 1, 4)
    # the current register: 60 - 4 + 3
    assert loaded.count("parcels") == 59
    cur = loaded.parcels_frame()
    assert len(cur) == 59 and "P0010" not in ids(cur) and "P0020M" in ids(cur)
    assert loaded.get_parcel("P0030").properties["holder"] == "新持有人有限公司"
    assert loaded.get_parcel("P0030").version == 2
    assert [r["parcel_id"] for r in loaded.search("P0010")] == ["P0010-1", "P0010-2"]
    # as of a day before the version took effect: the first register, whatever is known
    before = loaded.parcels_frame(as_of="2023-06-30")
    assert len(before) == 60 and ids(before) == ids(make_register())
    assert before.set_index("parcel_id").loc["P0030", "holder"] == "丙科技有限公司30"  # [30 % 4]
    # as of the effective day, as known now: the new version
    after = loaded.parcels_frame(as_of="2023-07-01")
    assert ids(after) == ids(cur)
    assert after.set_index("parcel_id").loc["P0010-1", "parent_ids"] == "P0010"
    # as of the effective day, but as known before the version was recorded: the first
    known_then = loaded.parcels_frame(as_of="2023-07-01", known_at=first)
    assert ids(known_then) == ids(make_register())
    # the history of a split parcel and of a changed one
    h = loaded.parcel_history("P0010")
    assert [(r["change"], r["valid_from"]) for r in h] == [("added", "0001-01-01"),
                                                           ("retired", "2023-07-01")]
    h = loaded.parcel_history("P0030")
    assert [(r["change"], r["changed_fields"]) for r in h] == [("added", None),
                                                               ("changed", "holder")]


def test_a_load_that_changes_nothing_records_nothing(loaded: Store) -> None:
    seq = loaded.change_seq()
    counts = loaded.load(make_register(), None, actor="t", effective="2023-07-01")
    assert (counts["added"], counts["changed"], counts["retired"]) == (0, 0, 0)
    assert loaded.change_seq() == seq
    assert len(loaded.parcel_history("P0001")) == 1


def test_a_second_load_without_effective_is_refused(loaded: Store) -> None:
    with pytest.raises(ConflictError, match="--effective"):
        loaded.load(second_version(), None)


def test_effective_before_the_last_version_is_refused(loaded: Store) -> None:
    loaded.load(second_version(), None, actor="t", effective="2023-07-01")
    reg = second_version()
    reg.loc[reg.parcel_id == "P0030", "holder"] = "又一个持有人"
    with pytest.raises(SchemaError, match=r"2023-06-01 precedes .*P0030 \(last version "
                       r"effective 2023-07-01\)"):
        loaded.load(reg, None, actor="t", effective="2023-06-01")
    # nothing of the refused version was written
    assert loaded.get_parcel("P0030").properties["holder"] == "新持有人有限公司"


def test_parent_ids_that_do_not_exist_are_refused(loaded: Store) -> None:
    reg = second_version()
    reg.loc[reg.parcel_id == "P0020M", "parent_ids"] = "P0020;P9999"
    with pytest.raises(SchemaError, match=r"parcel P0020M, field parent_ids.*P9999"):
        loaded.load(reg, None, actor="t", effective="2023-07-01")
    assert loaded.count("parcels") == 60


def test_split_parts_larger_than_the_parent_are_refused(loaded: Store) -> None:
    reg = second_version()
    # the east part is drawn twice as wide: the parts measure 1.5 times the parent
    x0, y0, x1, y1 = reg.set_index("parcel_id").loc["P0010-2"].geometry.bounds
    reg.loc[reg.parcel_id == "P0010-2", "geometry"] = shapely.box(x0, y0, x1 + (x1 - x0), y1)
    with pytest.raises(SchemaError, match=r"P0010-1, P0010-2.*split from P0010"):
        loaded.load(reg, None, actor="t", effective="2023-07-01")


def test_known_at_before_the_store_existed_is_refused(loaded: Store) -> None:
    with pytest.raises(SchemaError, match=r"known-at 2001-01-01.*nothing was recorded before"):
        loaded.parcels_frame(as_of="2023-01-01", known_at="2001-01-01")
    with pytest.raises(SchemaError, match="known-at"):
        loaded.ledger_frame(known_at="2001-01-01")


def test_ledger_as_known_at(loaded: Store) -> None:
    first = now_iso()
    time.sleep(0.01)
    loaded.append_events([({"event_id": "E0003", "parcel_id": "P0002",
                            "event_date": "2023-04-01", "stage": "disposed",
                            "method": "agreement_transfer", "area_m2": 1100.0,
                            "corrects": "E0002"}, None)], actor="t")
    assert set(loaded.ledger_frame()["event_id"]) == {"E0001", "E0002", "E0003"}
    assert set(loaded.ledger_frame(known_at=first)["event_id"]) == {"E0001", "E0002"}


def test_an_edit_is_a_version_too(loaded: Store) -> None:
    before = now_iso()
    time.sleep(0.01)
    loaded.update_parcel("P0005", {"holder": "改名有限公司"}, None, 1, "t")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    h = loaded.parcel_history("P0005")
    assert [(r["change"], r["changed_fields"], r["valid_from"]) for r in h][1] == \
        ("changed", "holder", today)
    old = loaded.parcels_frame(as_of=today, known_at=before).set_index("parcel_id")
    assert old.loc["P0005", "holder"] == "乙科技有限公司5"  # '甲乙丙丁'[5 % 4]


def test_reopened_store_keeps_the_history(store_target: str) -> None:
    with open_store(store_target) as s:
        s.load(make_register(), make_ledger(), actor="t")
        s.load(second_version(), None, actor="t", effective="2023-07-01")
    with open_store(store_target) as s:
        assert len(s.parcels_frame(as_of="2023-01-01")) == 60
        assert len(s.parcels_frame()) == 59
        assert not s.integrity_check()
