# ruff: noqa: F811
"""The real service over HTTP: uvicorn in a subprocess (``landuse serve``) on both backends.

OGC client check (OWSLib), a bounded load test (a fixed number of requests: no errors,
stable memory), and a server killed with SIGKILL in the middle of writes: every acknowledged
event is there after restart. No test here depends on the machine's speed: work is counted,
not timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from landuse.store import open_store
from landuse.store.schema import SUPPLY_COLLECTIONS
from tests.builders import ROOT, make_ledger, make_register
from tests.support.api_surface import check_read_surface, check_write_surface
from tests.support.store import Server, store_target  # noqa: F401


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "landuse", *args], capture_output=True,
                          text=True, env={"PYTHONPATH": os.pathsep.join(
                              [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
                              "PATH": "/usr/bin:/bin"},
                          timeout=120)


@pytest.fixture
def served(store_target: str, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    """A store loaded through the CLI and served by ``landuse serve``."""
    src = tmp_path / "register.gpkg"
    make_register().to_file(src, layer="parcels")
    make_ledger().to_csv(tmp_path / "ledger.csv", index=False)
    if store_target.startswith("postgresql"):
        r = cli("load", str(src), "--ledger", str(tmp_path / "ledger.csv"),
                "--database", store_target)
    else:
        Path(store_target).unlink()
        r = cli("load", str(src), "--ledger", str(tmp_path / "ledger.csv"),
                "--store", store_target)
    assert r.returncode == 0, r.stderr
    assert "60" in r.stdout
    server = Server(store_target).start()
    yield server, store_target
    server.stop()


def key(target: str, role: str) -> str:
    where = ["--database", target] if target.startswith("postgresql") else ["--store", target]
    r = cli("keys", "add", "--role", role, *where)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()[-1]


def test_http_surface(served: tuple[Server, str]) -> None:
    server, target = served
    with httpx.Client(base_url=server.url, timeout=30) as c:
        check_read_surface(c)
        editor = key(target, "editor")
        viewer = key(target, "viewer")
        check_write_surface(c, editor, viewer)
        # revocation takes effect on the running server
        where = ["--database", target] if target.startswith("postgresql") else ["--store",
                                                                                 target]
        assert cli("keys", "revoke", editor, *where).returncode == 0
        r = c.post("/collections/ledger/items", headers={"Authorization": f"Bearer {editor}"},
                   json={"type": "Feature", "geometry": None, "properties": {}})
        assert r.status_code == 401


def test_owslib_reads_collections_and_items(served: tuple[Server, str]) -> None:
    from owslib.ogcapi.features import Features

    server, _ = served
    w = Features(server.url)
    assert {c["id"] for c in w.collections()["collections"]} == {
        "parcels", "ledger", *SUPPLY_COLLECTIONS}
    assert w.collection("parcels")["id"] == "parcels"
    items = w.collection_items("parcels", limit=5, zone="东区")
    assert [f["id"] for f in items["features"]] == ["P0000", "P0003", "P0006", "P0009",
                                                    "P0012"]
    assert "conformsTo" in w.conformance()


@pytest.mark.slow
def test_load_twenty_clients_no_errors_stable_memory(served: tuple[Server, str]) -> None:
    server, _ = served
    urls = ["/collections/parcels/items?bbox=120.5,30.2,120.505,30.203",
            "/collections/parcels/items?limit=20&sortby=-land_price_wan",
            "/parcels/at?lon=120.5035&lat=30.2035",
            "/parcels/search?q=%E4%B9%99",
            "/collections/parcels/items/P0042",
            "/collections/parcels/items?filter=zone%3D%27%E4%B8%9C%E5%8C%BA%27&f=csv"]

    def run(requests: int, results: list[int]) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            for i in range(requests):
                results.append(c.get(urls[i % len(urls)]).status_code)

    warm: list[int] = []
    run(60, warm)
    rss_before = server.rss_kb()
    results: list[int] = []
    per_client = 30  # a fixed amount of work, however fast the machine is
    threads = [threading.Thread(target=run, args=(per_client, results)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rss_after = server.rss_kb()
    assert len(results) == 20 * per_client
    assert all(s == 200 for s in results), set(results)
    growth = (rss_after - rss_before) / rss_before
    print(f"\nload: {len(results)} requests, RSS {rss_before} -> {rss_after} kB ({growth:+.1%})")
    assert growth < 0.5


@pytest.mark.slow
def test_kill_mid_write_and_restart(served: tuple[Server, str]) -> None:
    """Writers keep posting; once 24 writes are acknowledged the server is killed while
    they still write. Every acknowledged event is stored (counted, not timed)."""
    server, target = served
    editor = key(target, "editor")
    wanted = 24
    acked: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def writer(w: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            i = 0
            while not stop.is_set():
                eid = f"K{w}-{i}"
                try:
                    r = c.post("/collections/ledger/items",
                               headers={"Authorization": f"Bearer {editor}"},
                               json={"type": "Feature", "geometry": None, "properties": {
                                   "event_id": eid, "parcel_id": "P0001",
                                   "event_date": "2023-10-01", "stage": "investigating"}})
                except httpx.HTTPError:
                    return
                if r.status_code == 201:
                    with lock:
                        acked.append(eid)
                        if len(acked) >= wanted:
                            enough.set()
                i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    # the timeout only stops a hung server; a slow machine just takes longer to get there
    assert enough.wait(600), f"only {len(acked)} writes acknowledged"
    server.kill()  # SIGKILL while the writers are still posting
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) >= wanted
    with open_store(target) as s:
        assert s.integrity_check() == []
        stored = set(s.ledger_frame().event_id)
        assert set(acked) <= stored
    restarted = Server(target).start()
    try:
        with httpx.Client(base_url=restarted.url, timeout=10) as c:
            r = c.get(f"/collections/ledger/items/{acked[-1]}")
            assert r.status_code == 200
            r = c.post("/collections/ledger/items", headers={"Authorization": f"Bearer {editor}"},
                       json={"type": "Feature", "geometry": None, "properties": {
                           "event_id": "after-restart", "parcel_id": "P0001",
                           "event_date": "2023-10-02", "stage": "investigating"}})
            assert r.status_code == 201
    finally:
        restarted.stop()
    if not target.startswith("postgresql"):
        import sqlite3

        with sqlite3.connect(target) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_http_assessment_as_of_setting(store_target: str, sample_park: Path) -> None:
    """``LANDUSE_AS_OF`` pins the assessment the parcels items join (real uvicorn)."""
    from landuse.io import read_ledger, read_parcels

    with open_store(store_target) as s:
        s.load(read_parcels(sample_park), read_ledger(sample_park, layer="ledger"))
    server = Server(store_target, env={"LANDUSE_AS_OF": "2023-10-31"}).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            r = c.get("/collections/parcels/items", params={
                "lifecycle": "supplied_unused", "limit": 100, "skipGeometry": "true"})
            assert r.status_code == 200, r.text[:300]
            assert len(r.json()["features"]) == 27
            assert r.json()["assessment"]["as_of"] == "2023-10-31"
            assert r.headers["landuse-assessment"].startswith("as_of=2023-10-31")
    finally:
        server.stop()
