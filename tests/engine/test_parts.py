"""Outputs written per zone: each task writes its zone's part and returns only its counts;
the combined CSV is streamed from the parts and has the bytes of the gathered write."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from landuse.cli import cli
from landuse.engine import AssessJob, Unit, WriteJob, Written, combine, plan_units, run_unit
from landuse.io.assessment import _groups, write_assessment, write_assessment_parts
from tests.engine.conftest import AS_OF


def _frame(ids: list[str], score: list[float]) -> gpd.GeoDataFrame:
    """A small parcel table: ids, one number column, squares."""
    return gpd.GeoDataFrame(
        {"parcel_id": ids, "score": score, "name": [f"地块{i}" for i in ids]},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(ids))], crs="EPSG:4490",
    )


def test_overlapping_parts_form_one_group_disjoint_parts_stay_apart() -> None:
    parts = [("c", "P20", "P29"), ("a", "P01", "P09"), ("b", "P05", "P12"),
             ("d", "P30", "P30")]
    # a [P01..P09] and b [P05..P12] overlap; c and d stand apart; order is by first id
    assert _groups(parts) == [["a", "b"], ["c"], ["d"]]


def test_streamed_csv_equals_gathered_write_interleaved_ids_and_mixed_dtypes(
        tmp_path: Path) -> None:
    # part A: whole-number scores (int64); part B: a missing score (float64), ids interleaved
    # with A's; part C: ids after both. Put together, score is float64 for every row.
    a = _frame(["P01", "P03", "P05"], [1, 2, 3])
    a["score"] = a["score"].astype("int64")
    b = _frame(["P02", "P04"], [np.nan, 2.5])
    c = _frame(["P10", "P11"], [7, 8])
    c["score"] = c["score"].astype("int64")
    paths = []
    for name, part in (("a", a), ("b", b), ("c", c)):
        p = tmp_path / f"{name}.parquet"
        part.to_parquet(p, index=False)
        paths.append((str(p), part["parcel_id"].iloc[0], part["parcel_id"].iloc[-1]))
    streamed = write_assessment_parts(paths, tmp_path / "streamed.csv", {})
    import pandas as pd

    whole = pd.concat([a, b, c], ignore_index=True).sort_values("parcel_id")
    gathered = write_assessment(gpd.GeoDataFrame(whole.reset_index(drop=True), crs=a.crs),
                                tmp_path / "gathered.csv")
    assert streamed.read_bytes() == gathered.read_bytes()
    text = streamed.read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in text] == [
        "parcel_id", "P01", "P02", "P03", "P04", "P05", "P10", "P11"]
    assert text[6].split(",")[1] == "7.0"  # float, as in the gathered frame


def test_write_job_returns_counts_not_rows(small_province: Path, tmp_path: Path) -> None:
    unit: Unit = plan_units(small_province)[0]
    job = AssessJob(path=str(small_province), as_of=AS_OF)
    r = run_unit(WriteJob(job, str(tmp_path)), unit)
    assert r.frame is None and r.error is None and isinstance(r.written, Written)
    frame = combine([run_unit(job, unit)])
    w = r.written
    assert w.rows == len(frame) > 0
    assert w.idle == int(frame["idle_type"].isin(["not_started", "stalled"]).sum())
    assert w.low == int(frame["low_efficiency"].sum())
    ids = frame["parcel_id"].astype(str)
    assert (w.first_id, w.last_id) == (ids.min(), ids.max())
    part = gpd.read_parquet(w.path)
    assert list(part["parcel_id"].astype(str)) == list(ids)
    assert part.crs == frame.crs


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]])
def test_assess_csv_equals_gathered_write_parts_removed(small_province: Path, tmp_path: Path,
                                                        workers: list[str]) -> None:
    job = AssessJob(path=str(small_province), as_of=AS_OF)
    gathered = write_assessment(
        combine([run_unit(job, u) for u in plan_units(small_province)]),
        tmp_path / "gathered.csv")
    out = tmp_path / "run" / "a.csv"
    r = CliRunner().invoke(cli, ["assess", str(small_province), "--as-of", AS_OF, "-o",
                                 str(out), *workers])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == gathered.read_bytes()
    assert "已评估1600宗" in r.output
    assert [p.name for p in out.parent.iterdir()] == ["a.csv"]  # the zones' parts are gone
