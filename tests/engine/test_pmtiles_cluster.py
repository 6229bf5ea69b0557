"""The province's PMTiles archive made zone by zone on Dask: the same bytes on 1 and 2 workers
and in this process, and the same tiles as the archive of the whole register at once."""

from __future__ import annotations

import gzip
from pathlib import Path

import mapbox_vector_tile
import pandas as pd
from pmtiles.reader import MmapSource, Reader, all_tiles

from landuse.engine import UnitResult, combine, plan_units
from landuse.io import read_parcels
from landuse.rules import assess
from landuse.webmap.archive import write_pmtiles
from tests.engine.conftest import AS_OF
from tests.engine.test_engine import _run


def _tiles(path: Path) -> dict[tuple[int, int, int], list[dict]]:
    with open(path, "rb") as f:
        rd = Reader(MmapSource(f))
        return {zxy: sorted((ft["properties"] | {"g": str(ft["geometry"])}
                             for ft in mapbox_vector_tile.decode(gzip.decompress(d))["p"][
                                 "features"]), key=lambda p: p["f"])
                for zxy, d in all_tiles(rd.get_bytes)}


def test_same_archive_bytes_on_one_and_two_workers(small_province: Path,
                                                   tmp_path: Path) -> None:
    here, one, two = (tmp_path / f"{k}.pmtiles" for k in ("here", "one", "two"))
    _run("map", str(small_province), "--as-of", AS_OF, "--pmtiles", "-o", str(here))
    _run("map", str(small_province), "--as-of", AS_OF, "--pmtiles", "-o", str(one),
         "--workers", "1")
    out = _run("map", str(small_province), "--as-of", AS_OF, "--pmtiles", "-o", str(two),
               "--workers", "2")
    assert "dashboard: http://" in out and "PMTiles -> " in out
    assert here.read_bytes() == one.read_bytes() == two.read_bytes()
    # no part or piece left beside the archive
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    # the same tiles as the whole register tiled at once: its zones assessed one by one (the
    # 亩均 ranks are a zone's), in parcel-id order (the zones' ids do not interleave, so f is
    # the same row number)
    whole = combine([UnitResult(u, frame=assess(read_parcels(small_province, where=u.where),
                                                AS_OF))
                     for u in plan_units(small_province)])
    write_pmtiles(whole, tmp_path / "whole.pmtiles")
    assert _tiles(tmp_path / "whole.pmtiles") == _tiles(two)
    with open(two, "rb") as f:
        meta = Reader(MmapSource(f)).metadata()["landuse"]
    assert meta["n"] == 1600 and meta["as_of"] == AS_OF
    stage = pd.Series(whole["lifecycle"]).value_counts()
    assert {c["code"]: c["count"] for c in meta["layers"][0]["classes"] if c["count"]} == \
        stage.to_dict()
