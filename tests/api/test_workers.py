# ruff: noqa: F811
"""``landuse serve --workers 2`` over real HTTP on both backends: two processes answer, the
assessment is made once per store version whichever process asks first, and a write through
one process is seen by the other (its cached answers are dropped too); a report job started
in one process is followed (status, file) through either.

Nothing here is timed: requests are repeated (a bounded number of times) until both worker
processes have answered; each response names its process in ``Landuse-Worker``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from landuse.store import open_store
from tests.builders import make_ledger, make_register
from tests.support.store import Server, store_target  # noqa: F401

AS_OF = "2023-12-31"
LEDGER_CSV = "/collections/ledger/items?f=csv&limit=2000"  # a download: a cached heavy answer
REPORT = "/reports/reclamation?from=2023-01-01&to=2023-12-31&f=xlsx"


@pytest.fixture
def target(store_target: str) -> str:
    if not store_target.startswith("postgresql"):
        Path(store_target).unlink()
    store = open_store(store_target, create=not store_target.startswith("postgresql"))
    store.load(make_register(), make_ledger(), actor="test")
    store.close()
    return store_target


def _from_both(url: str, path: str, check: Callable[[httpx.Response], None],
               tries: int = 400) -> dict[str, httpx.Response]:
    """Ask ``path`` on fresh connections (8 at a time) until both worker processes have
    answered; every answer must pass ``check`` (a 503 of a heavy request, all slots busy,
    is asked again). Returns one answer per worker PID."""
    seen: dict[str, httpx.Response] = {}

    def one(_: int) -> httpx.Response | None:
        r = httpx.get(url + path, timeout=120)
        if r.status_code == 503 and "heavy_max" in r.text:
            return None
        check(r)
        return r

    with ThreadPoolExecutor(8) as pool:
        for _ in range(tries // 8):
            for r in pool.map(one, range(8)):
                if r is not None:
                    seen.setdefault(r.headers["Landuse-Worker"], r)
            if len(seen) == 2:
                return seen
    raise AssertionError(f"only worker(s) {sorted(seen)} answered {tries} requests")


def _state(target: str) -> tuple[dict[str, object] | None, int, int]:
    store = open_store(target)
    try:
        return store.assessment_state(), store.assessment_runs(), store.change_seq()
    finally:
        store.close()


def _wait_current(target: str) -> int:
    """Wait until the stored assessment is for the store's version; the runs counted."""
    for _ in range(6000):  # a hung refresh fails; a busy machine waits
        state, runs, seq = _state(target)
        if state is not None and state["as_of"] == AS_OF and state["seq"] == seq:
            return runs
        time.sleep(0.05)
    raise AssertionError(f"assessment not made: {state}")


def test_two_workers_one_assessment_and_writes_seen_by_both(target: str) -> None:
    store = open_store(target)
    editor = store.add_key("editor", "test")
    store.close()
    assert _state(target)[1] == 0  # loading made no assessment
    server = Server(target, {"LANDUSE_AS_OF": AS_OF, "LANDUSE_JOB_MIN_PARCELS": "10"},
                    ["--workers", "2"]).start()
    try:
        assert server.proc is not None

        def ok(r: httpx.Response) -> None:
            assert r.status_code == 200, r.text

        pages = _from_both(server.url, "/collections/parcels/items?limit=5", ok)
        pids = set(pages)
        assert len(pids) == 2 and str(server.proc.pid) not in pids
        # both processes warmed up and read the parcels with their assessment: made once
        assert _wait_current(target) == 1
        for r in pages.values():
            assert f"as_of={AS_OF}" in r.headers["Landuse-Assessment"]
        # each process caches the download
        before = _from_both(server.url, LEDGER_CSV, ok)
        assert all("E9001" not in r.text for r in before.values())
        # a write through one process ...
        ev = {"type": "Feature", "geometry": None,
              "properties": {"event_id": "E9001", "parcel_id": "P0003",
                             "event_date": "2023-05-01", "stage": "investigating"}}
        r = httpx.post(server.url + "/collections/ledger/items", json=ev, timeout=120,
                       headers={"Authorization": f"Bearer {editor}"})
        assert r.status_code == 201, r.text

        def has_event(r: httpx.Response) -> None:
            ok(r)
            assert "E9001" in r.text  # no process answers from its cache of before the write

        # ... is seen by both, in their items and their cached downloads
        _from_both(server.url, "/collections/ledger/items/E9001", ok)
        after = _from_both(server.url, LEDGER_CSV, has_event)
        assert set(after) == pids
        # the new store version is assessed once more, by one of the two
        _from_both(server.url, "/collections/parcels/items?limit=5", ok)
        assert _wait_current(target) == 2
        # a report job (60 parcels > 10: a job) started in one process is followed in either
        r = httpx.get(server.url + REPORT, timeout=120)
        assert r.status_code == 202, r.text
        status = r.headers["Location"].removeprefix(server.url)
        _from_both(server.url, status, ok)  # both know it (running or done), none says 404
        for _ in range(6000):  # a hung job fails; a busy machine waits
            if httpx.get(server.url + status, timeout=120).json()["status"] == "done":
                break
            time.sleep(0.05)
        files = _from_both(server.url, status + "/result", ok)
        a, b = (f.content for f in files.values())
        assert a == b and a[:2] == b"PK"  # the same xlsx from both processes
    finally:
        server.stop()
    assert server.proc is not None and server.proc.stderr is not None
    log = server.proc.stderr.read().decode()
    assert log.count(f"warm-up 1/3: assessment as of {AS_OF} ready") == 2  # one per worker
