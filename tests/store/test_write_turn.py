"""Writes beside the whole refresh's batches in a GeoPackage store (issue 15): a write
that arrives while a batch holds the store waits for that batch only, and the next batch
waits for the write (SQLite's busy handler alone polls, and batches committed back to
back kept a write waiting for seconds)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from landuse.store import open_store
from tests.builders import make, supplied

WAIT_S = 30.0
"""Upper bound for what must happen (never reached when it works)."""
QUIET_S = 0.3
"""How long a thread that must not get in is watched."""


def _store(tmp_path: Path) -> Any:
    s = open_store(tmp_path / "turn.gpkg", create=True)
    s.load(make([supplied(holder="企业0"), supplied(holder="企业1")]), None, actor="test")
    return s


def _append(store: Any, n: int) -> None:
    store.append_events([({"event_id": f"WT-{n}", "parcel_id": "P0",
                           "event_date": "2023-10-02", "stage": "investigating"}, None)],
                        actor="test")


def test_a_write_takes_its_turn_between_two_batches(tmp_path: Path) -> None:
    """A write waiting while a batch holds the store is in before the next batch, though
    that batch asks for the store as soon as the first commits (as the whole refresh's
    batches do, :attr:`STAGE_PAUSE_S` apart)."""
    store = _store(tmp_path)
    try:
        batch_held, release_batch = threading.Event(), threading.Event()
        written = threading.Event()
        seen: list[int] = []

        def batch() -> None:
            with store._tx(stage=True) as cur:
                cur.execute("SELECT 1")
                batch_held.set()
                release_batch.wait(WAIT_S)

        def write() -> None:
            _append(store, 1)
            written.set()

        b = threading.Thread(target=batch)
        b.start()
        assert batch_held.wait(WAIT_S)
        w = threading.Thread(target=write)
        w.start()
        time.sleep(QUIET_S)
        assert not written.is_set()  # the batch holds the store
        release_batch.set()
        b.join(WAIT_S)
        time.sleep(store.STAGE_PAUSE_S)
        with store._tx(stage=True) as cur:  # the next batch
            seen += [r[0] for r in cur.execute(
                "SELECT count(*) FROM ledger WHERE event_id = 'WT-1'").fetchall()]
        w.join(WAIT_S)
        assert written.is_set()
        assert seen == [1]  # the write committed before the next batch began
    finally:
        store.close()


def test_a_batch_waits_for_a_write_in_progress(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        writing, finish = threading.Event(), threading.Event()
        batch_in = threading.Event()

        def write() -> None:
            with store._tx() as cur:
                cur.execute("SELECT 1")
                writing.set()
                finish.wait(WAIT_S)

        def batch() -> None:
            with store._tx(stage=True):
                batch_in.set()

        w = threading.Thread(target=write)
        w.start()
        assert writing.wait(WAIT_S)
        b = threading.Thread(target=batch)
        b.start()
        time.sleep(QUIET_S)
        assert not batch_in.is_set()  # never inside a write
        finish.set()
        assert batch_in.wait(WAIT_S)
        w.join(WAIT_S)
        b.join(WAIT_S)
    finally:
        store.close()
