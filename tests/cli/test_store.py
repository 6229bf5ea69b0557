"""``landuse load`` / ``keys`` on the sample park: validation gate, keys printed once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from landuse.store import open_store
from tests.builders import ROOT


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "landuse", *args], capture_output=True,
                          text=True, env={"PYTHONPATH": os.pathsep.join(
                              [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
                              "PATH": "/usr/bin:/bin"},
                          timeout=300)


@pytest.mark.slow
def test_load_validates_then_imports_and_keys(sample_park: Path, tmp_path: Path) -> None:
    store = tmp_path / "park.gpkg"
    # YS-079 is registered 4.2 % larger than its polygon: a warning, loaded all the same
    r = cli("load", str(sample_park), "--store", str(store))
    assert r.returncode == 0, r.stderr
    assert "302" in r.stdout and "36" in r.stdout
    assert "0 errors, 2 warnings" in r.stdout
    assert "警告 warning: YS-079 registered_area_m2" in r.stdout and "+4.2%" in r.stdout
    store.unlink()
    r = cli("load", str(sample_park), "--store", str(store), "--keep-problems")
    assert r.returncode == 0, r.stderr
    r = cli("load", str(sample_park), "--store", str(store), "--keep-problems")
    assert r.returncode == 2 and "--overwrite" in r.stderr
    r = cli("keys", "add", "--role", "viewer", "--label", "规划局", "--store", str(store))
    key = r.stdout.split()[-1]
    assert r.returncode == 0 and key.startswith("lu_")
    with open_store(store) as s:
        info = s.verify_key(key)
        assert info is not None and info.role == "viewer" and info.label == "规划局"
        assert s.count("parcels") == 302 and s.count("ledger") == 36
    assert key not in store.read_bytes().decode("latin-1")  # only the hash is stored
    r = cli("keys", "list", "--store", str(store))
    assert info.key_id in r.stdout and "active" in r.stdout
    assert cli("keys", "revoke", info.key_id, "--store", str(store)).returncode == 0
    assert "revoked" in cli("keys", "list", "--store", str(store)).stdout
    r = cli("keys", "revoke", info.key_id, "--store", str(store))
    assert r.returncode == 2 and "not an active key" in r.stderr
    r = cli("serve", str(tmp_path / "missing.gpkg"))
    assert r.returncode == 2 and "landuse load" in r.stderr
