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

import httpx
import pytest

from landuse.store import Store, open_store
from tests.builders import ROOT, make_ledger, make_register


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

    def __init__(self, target: str, env: dict[str, str] | None = None,
                 args: list[str] | None = None) -> None:
        self.target = target
        self.args = args or []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]), **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        args = [sys.executable, "-m", "landuse", "serve", "--port", str(self.port)]
        args += ["--database", self.target] if self.target.startswith("postgresql") \
            else [self.target]
        args += self.args
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

    def children(self) -> dict[int, str]:
        """The server's child processes (e.g. its heavy-work pool): PID -> command line."""
        assert self.proc is not None
        out: dict[int, str] = {}
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                out[int(pid)] = cmd.decode(errors="replace")
        return out

    def rss_kb(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0
