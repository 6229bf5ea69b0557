"""Fixtures of the engine tests: small partitioned datasets, and worker processes that can
import this checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.synth import PROVINCE_KEYS, make_province
from landuse.io.dataset import write_dataset
from tests.builders import ROOT

AS_OF = "2023-10-31"


@pytest.fixture(autouse=True)
def _workers_import_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dask's worker processes are new interpreters: give them this checkout first."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), *filter(None, [path])]))


def province_dataset(folder: Path, n: int, zones: int) -> Path:
    """``n`` synthetic parcels in ``zones`` development zones, partitioned by
    province, city and development zone."""
    write_dataset([("synthetic", make_province(n, zones))], folder, PROVINCE_KEYS)
    return folder


@pytest.fixture(scope="module")
def small_province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 600 parcels in 8 development zones (two cities)."""
    return province_dataset(tmp_path_factory.mktemp("prov") / "ds", 1600, 8)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackCluster:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 (free ports), each a
    separate process as on separate hosts; workers without a nanny, so killing one kills it."""

    def __init__(self, n_workers: int) -> None:
        import subprocess
        import sys

        self.address = f"tcp://127.0.0.1:{free_port()}"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        dask = [sys.executable, "-m", "dask"]
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        for _ in range(n_workers):
            wport = free_port()
            addr = f"tcp://127.0.0.1:{wport}"
            self.workers[addr] = subprocess.Popen(
                [*dask, "worker", self.address, "--host", "127.0.0.1", "--worker-port",
                 str(wport), "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        self._wait(n_workers)

    def _wait(self, n: int) -> None:
        from dask.distributed import Client

        with Client(self.address, timeout="60s") as c:
            c.wait_for_workers(n, timeout=60)

    def kill(self, addr: str) -> None:
        """SIGKILL the worker at ``addr`` (no goodbye to the scheduler)."""
        import signal

        proc = self.workers.pop(addr)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self) -> None:
        """Stop the processes this fixture started (SIGTERM, then SIGKILL after 5 s)."""
        import subprocess

        procs = [*self.workers.values(), self.scheduler]
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture()
def loopback_cluster() -> object:
    cluster = LoopbackCluster(2)
    try:
        yield cluster
    finally:
        cluster.close()
