# ruff: noqa: F811
"""Heavy requests over real HTTP (``landuse serve`` in a subprocess): cached until a write,
at most LANDUSE_HEAVY_MAX at once (503 with Retry-After), a deadline (504 naming the
setting), and big reports as jobs (202 -> /jobs/{id} -> file).

Nothing here is timed. Where a computation must still be running when the next request
arrives, the test holds a PostgreSQL lock on the ledger table, which every report reads:
the computation waits on the lock until the test lets go, however fast the machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from landuse.store import open_store
from tests.builders import make_ledger, make_register
from tests.support.store import Server, pg_schema_url, store_target  # noqa: F401

REPORT = "/reports/reclamation?from=2023-01-01&to=2023-12-31"


def _load(target: str) -> None:
    store = open_store(target, create=not target.startswith("postgresql"))
    store.load(make_register(), make_ledger(), actor="test")
    store.close()


def _serve(target: str, **env: str) -> Server:
    return Server(target, {f"LANDUSE_{k.upper()}": v for k, v in env.items()}).start()


def _write(target: str) -> None:
    store = open_store(target)
    store.append_events([({"event_id": "E9001", "parcel_id": "P0003",
                           "event_date": "2023-05-01", "stage": "investigating"}, None)],
                        actor="test")
    store.close()


@pytest.fixture
def target(store_target: str) -> str:
    if not store_target.startswith("postgresql"):
        Path(store_target).unlink()
    _load(store_target)
    return store_target


def _wait_job(c: httpx.Client, status_url: str) -> dict[str, object]:
    for _ in range(6000):  # a hung job fails; a busy machine waits
        body: dict[str, object] = c.get(status_url).json()
        if body["status"] != "running":
            return body
        time.sleep(0.05)
    raise AssertionError("job still running after 5 minutes")


@pytest.mark.parametrize(("path", "other"), [
    (REPORT + "&f=xlsx", "&zone=东区"),
    ("/indicators?as_of=2023-12-31", "&zone=东区"),
    ("/assessment?as_of=2023-12-31&f=csv", "&zone=东区"),
    ("/collections/parcels/items?f=gpkg&limit=2000", "&zone=东区"),
    ("/collections/ledger/items?f=csv&limit=2000", "&parcel_id=P0001"),
])
def test_repeat_is_cached_and_a_write_empties_the_cache(target: str, path: str,
                                                        other: str) -> None:
    server = _serve(target, warm="false")
    try:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            first = c.get(path)
            assert first.status_code == 200, first.text
            assert first.headers["Landuse-Cache"] == "miss"
            again = c.get(path)
            assert again.headers["Landuse-Cache"] == "hit"
            assert again.content == first.content
            # other parameters are another answer
            other = c.get(path + other)
            assert other.status_code == 200, other.text
            assert other.headers["Landuse-Cache"] == "miss"
            _write(target)
            after = c.get(path)
            assert after.status_code == 200
            assert after.headers["Landuse-Cache"] == "miss"
            assert c.get(path).headers["Landuse-Cache"] == "hit"
    finally:
        server.stop()


def test_a_page_sized_download_is_not_held_in_the_cache(target: str) -> None:
    server = _serve(target, warm="false")
    try:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            r = c.get("/collections/parcels/items?f=csv&limit=1000")  # LANDUSE_MAX_LIMIT
            assert r.status_code == 200
            assert "Landuse-Cache" not in r.headers
    finally:
        server.stop()


def test_big_report_is_a_job(target: str) -> None:
    # the register has 60 parcels: over 10, reports are jobs
    server = _serve(target, warm="false", job_min_parcels="10")
    try:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            r = c.get(REPORT + "&f=xlsx")
            assert r.status_code == 202, r.text
            status_url = r.headers["Location"]
            assert status_url.startswith(server.url + "/jobs/")
            body = _wait_job(c, status_url)
            assert body["status"] == "done", body
            file_url = next(x["href"] for x in body["links"]  # type: ignore[attr-defined]
                            if x["rel"] == "enclosure")
            f = c.get(file_url)
            assert f.status_code == 200
            assert f.content[:2] == b"PK"  # an xlsx is a zip
            assert "reclamation_2023-01-01_2023-12-31_zh.xlsx" in \
                f.headers["Content-Disposition"]
            # the job's answer is cached: the same report now comes at once
            same = c.get(REPORT + "&f=xlsx")
            assert same.status_code == 200
            assert same.headers["Landuse-Cache"] == "hit"
            assert same.content == f.content
            assert c.get("/jobs/nope").status_code == 404
    finally:
        server.stop()


@pytest.fixture
def pg_target(postgis_url: str) -> str:
    url = pg_schema_url(postgis_url)
    _load(url)
    return url


@contextmanager
def ledger_locked(url: str) -> Iterator[Any]:
    """Hold an ACCESS EXCLUSIVE lock on the ledger: reading it waits until it is let go
    (``conn.rollback()``) or the block ends."""
    import psycopg

    conn = psycopg.connect(url)
    conn.execute("LOCK TABLE ledger IN ACCESS EXCLUSIVE MODE")
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def test_one_heavy_at_a_time_then_503_with_retry_after(pg_target: str) -> None:
    server = _serve(pg_target, warm="false", heavy_max="1", job_min_parcels="10",
                    heavy_retry_after="7")
    try:
        with httpx.Client(base_url=server.url, timeout=120) as c, \
                ledger_locked(pg_target) as lock:
            job = c.get(REPORT + "&f=xlsx")
            assert job.status_code == 202  # the job waits on the ledger lock, in its slot
            busy = c.get("/indicators?as_of=2023-12-31")
            assert busy.status_code == 503
            assert busy.headers["Retry-After"] == "7"
            assert busy.headers["Content-Type"] == "application/problem+json"
            problem = busy.json()
            assert problem["parameter"] == "heavy_max"
            assert "LANDUSE_HEAVY_MAX=1" in problem["detail"]
            assert c.get(job.headers["Location"]).json()["status"] == "running"
            result = c.get(job.headers["Location"] + "/result")
            assert result.status_code == 409
            # light requests are not bounded
            assert c.get("/collections/parcels/items?limit=2").status_code == 200
            # the report is made out of the request process, in a worker process of its own
            workers = [pid for pid, cmd in server.children().items() if "spawn_main" in cmd]
            assert len(workers) == 1
            lock.rollback()
            assert _wait_job(c, job.headers["Location"])["status"] == "done"
            assert c.get("/indicators?as_of=2023-12-31").status_code == 200
    finally:
        server.stop()
    # the worker processes end with the server
    assert all(_ended(pid) for pid in workers)


def _ended(pid: int) -> bool:
    """Whether process ``pid`` has ended (gone, or a zombie nobody reaped), waiting a
    bounded while."""
    for _ in range(600):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_deadline_gives_504_naming_the_setting(pg_target: str) -> None:
    server = _serve(pg_target, warm="false", heavy_deadline_s="0.5")
    try:
        with httpx.Client(base_url=server.url, timeout=120) as c, \
                ledger_locked(pg_target) as lock:
            r = c.get(REPORT)
            assert r.status_code == 504
            assert r.headers["Content-Type"] == "application/problem+json"
            assert "Retry-After" in r.headers
            problem = r.json()
            assert problem["parameter"] == "heavy_deadline_s"
            assert "LANDUSE_HEAVY_DEADLINE_S" in problem["detail"]
            lock.rollback()
            # the computation went on in its slot; its answer is cached for the repeat
            for _ in range(6000):
                again = c.get(REPORT)
                if again.status_code == 200:
                    break
                assert again.status_code in (503, 504)
                time.sleep(0.05)
            assert again.status_code == 200
    finally:
        server.stop()


def test_warm_up_makes_the_assessment_at_start(target: str) -> None:
    server = _serve(target, as_of="2023-12-31")
    try:
        store = open_store(target)
        try:
            for _ in range(6000):  # the warm-up runs beside the server, in its own thread
                state = store.assessment_state()
                if state is not None and state["as_of"] == "2023-12-31":
                    break
                time.sleep(0.05)
            assert state is not None and state["as_of"] == "2023-12-31"
        finally:
            store.close()
    finally:
        server.stop()
    assert server.proc is not None and server.proc.stderr is not None
    log = server.proc.stderr.read().decode()
    assert "warm-up 1/3: assessment as of 2023-12-31 ready" in log
