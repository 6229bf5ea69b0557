"""The code stays ruff- and mypy-clean (issue 2: 'ruff + mypy configured and clean')."""

from __future__ import annotations

import subprocess
import sys

from tests.builders import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_clean() -> None:
    r = _run("ruff", "check", "landuse", "landuse_api", "landuse_demo", "tests", "bench",
             "data/geo")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_clean() -> None:
    r = _run("mypy")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout
