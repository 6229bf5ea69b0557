"""Shared fixtures: paths to data, small in-code GeoDataFrames, and real services.

Services (PostGIS, Chromium) are real. Where one is missing a test skips on a laptop,
but under ``CI=true`` it fails: CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.builders import ROOT

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(what: str, fix: str) -> None:
    """Skip (laptop) or fail (CI) because ``what`` is missing."""
    msg = f"{what} is not available. Fix: {fix}"
    if IN_CI:
        pytest.fail(f"CI=true: {msg}", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real datasets (``../shared/data`` next to the checkout)."""
    for cand in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"):
        if cand.is_dir():
            return cand
    need("../shared/data", "place the project's shared/ folder beside the checkout")
    raise AssertionError  # unreachable


@pytest.fixture(scope="session")
def sample_park() -> Path:
    p = ROOT / "data" / "geo" / "sample_park.gpkg"
    assert p.exists(), f"{p} missing: run python data/geo/make_sample_park.py"
    return p


@pytest.fixture(scope="session")
def postgis_url() -> str:
    """URL of a real PostGIS database (scripts/run-tests.sh starts one)."""
    url = os.environ.get("LANDUSE_TEST_DATABASE_URL")
    if not url:
        need(
            "PostGIS (LANDUSE_TEST_DATABASE_URL)",
            "run the suite with 'make test', which starts a throw-away server",
        )
    return url  # type: ignore[return-value]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's chromium for headless browser tests."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        need("chromium", "apt-get install chromium (make system does it)")
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for test artifacts (screenshots, sample outputs)."""
    p = ROOT / "test-artifacts"
    p.mkdir(exist_ok=True)
    return p
