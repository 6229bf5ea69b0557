"""Fixtures shared by the store and API tests: small registers made in code and stores on
both backends (a fresh GeoPackage file; a fresh schema in the test PostGIS database)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import httpx
import pandas as pd
import pytest
import shapely

from landuse.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
N_PARCELS = 60


def make_register(n: int = N_PARCELS) -> gpd.GeoDataFrame:
    """A grid of n square parcels near 120.5E 30.2N in CGCS2000, with varied fields."""
    cols = 10
    polys = [
        shapely.box(120.5 + (i % cols) * 0.001, 30.2 + (i // cols) * 0.001,
                    120.5 + (i % cols) * 0.001 + 0.0009, 30.2 + (i // cols) * 0.001 + 0.0009)
        for i in range(n)
    ]
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i:04d}" for i in range(n)],
            "zone": ["东区" if i % 3 == 0 else ("西区" if i % 3 == 1 else None) for i in range(n)],
            "holder": [f"{'甲乙丙丁'[i % 4]}科技有限公司{i}" for i in range(n)],
            "land_use": ["工业" if i % 2 else "storage" for i in range(n)],
            "supply_date": pd.to_datetime([f"20{10 + i % 12:02d}-0{1 + i % 9}-15"
                                           for i in range(n)]),
            "land_price_wan": [None if i % 7 == 0 else 100.0 + i for i in range(n)],
            "above_scale": [bool(i % 2) for i in range(n)],
            "stat_year": [2022] * n,
            "local_note": [f"note {i}" for i in range(n)],
        },
        geometry=polys,
        crs="EPSG:4490",
    )


def make_ledger() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["E0001", "E0002"],
        "parcel_id": ["P0001", "P0002"],
        "event_date": ["2023-03-01", "2023-04-01"],
        "stage": ["investigating", "已盘活"],
        "method": [None, "协议转让"],
        "area_m2": [None, 1200.0],
    })


def pg_schema_url(base: str) -> str:
    """A fresh schema in the test database; the URL puts it first on the search path."""
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:10]
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema},public')}"


@pytest.fixture(params=["gpkg", "postgis"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where an empty store lives: a GeoPackage path or a PostGIS URL."""
    if request.param == "gpkg":
        p = tmp_path / "store.gpkg"
        open_store(p, create=True).close()
        return str(p)
    base = request.getfixturevalue("postgis_url")
    return pg_schema_url(base)


@pytest.fixture
def loaded(store_target: str) -> Iterator[Store]:
    """A store holding the small register and ledger."""
    store = open_store(store_target)
    store.load(make_register(), make_ledger(), actor="test")
    yield store
    store.close()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """``landuse serve`` in a subprocess on a free loopback port."""

    def __init__(self, target: str, env: dict[str, str] | None = None) -> None:
        self.target = target
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        args = [sys.executable, "-m", "landuse", "serve", "--port", str(self.port)]
        args += ["--database", self.target] if self.target.startswith("postgresql") \
            else [self.target]
        self.proc = subprocess.Popen(args, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 180  # only a hung start fails; a busy machine waits
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"server exited: {err}")
            try:
                if httpx.get(self.url + "/conformance", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in 180 s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def rss_kb(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0
