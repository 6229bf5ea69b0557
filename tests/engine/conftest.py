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
