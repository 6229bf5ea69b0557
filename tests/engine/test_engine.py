"""The engine: one task per development zone, the same bytes here and on Dask."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.engine import Unit, check_versions, plan_units, stack_versions
from landuse.errors import EngineError
from landuse.io.dataset import write_dataset
from tests.engine.conftest import AS_OF, province_dataset


def _run(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.output


def test_units_are_development_zones_never_sub_parks(tmp_path: Path) -> None:
    from bench.synth import make_province

    g = make_province(40, 2)
    g["zone"] = ["东区", "西区"] * 20  # sub-parks inside each development zone
    write_dataset([("p", g)], tmp_path / "ds", ["province", "city", "dev_zone", "zone"])
    units = plan_units(tmp_path / "ds")
    # the sub-park key never splits a unit: 亩均 sums an enterprise over the sub-parks and
    # rank_scope "all" ranks the whole development zone
    assert units == [Unit(("province", "city", "dev_zone"), ("江西省", "城市00", "开发区000")),
                     Unit(("province", "city", "dev_zone"), ("江西省", "城市00", "开发区001"))]
    assert units[0].where == {"province": ["江西省"], "city": ["城市00"],
                              "dev_zone": ["开发区000"]}
    assert plan_units(tmp_path / "ds", {"dev_zone": ["开发区001"], "zone": ["东区"]}) == units[1:]


def test_sample_park_partitioned_by_sub_park_is_one_unit(sample_park: Path,
                                                         tmp_path: Path) -> None:
    _run("convert", str(sample_park), str(tmp_path / "ds"), "--partition-by", "zone")
    assert [u.name for u in plan_units(tmp_path / "ds")] == ["(all)"]


def test_sample_park_same_bytes_local_cluster(sample_park: Path, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    _run("convert", str(sample_park), str(ds), "--partition-by", "zone")
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    _run("assess", str(ds), "--as-of", AS_OF, "-o", str(one))
    out = _run("assess", str(ds), "--as-of", AS_OF, "-o", str(two), "--workers", "2")
    assert "dashboard: http://" in out
    assert one.read_bytes() == two.read_bytes()
    # and the same parcels and values as the plain file's run, in parcel-id order
    plain = tmp_path / "plain.csv"
    _run("assess", str(sample_park), "--as-of", AS_OF, "-o", str(plain))
    a = pd.read_csv(plain).sort_values("parcel_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, pd.read_csv(one))


def test_province_same_bytes_and_summary_local_cluster(small_province: Path,
                                                       tmp_path: Path) -> None:
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    _run("assess", str(small_province), "--as-of", AS_OF, "-o", str(one))
    _run("assess", str(small_province), "--as-of", AS_OF, "-o", str(two), "--workers", "2")
    assert one.read_bytes() == two.read_bytes()
    ids = pd.read_csv(one)["parcel_id"]
    assert ids.is_monotonic_increasing and len(ids) == 1600
    s1 = _run("summary", str(small_province), "--as-of", AS_OF)
    s2 = _run("summary", str(small_province), "--as-of", AS_OF, "--workers", "2")
    strip = [line for line in s2.splitlines() if "dashboard" not in line]
    assert s1.splitlines() == strip


def test_each_zone_ranked_by_itself(small_province: Path, tmp_path: Path) -> None:
    """A zone's 亩均 ranks are among its own enterprises: the unit's count of rated
    enterprises is at most its own enterprise count, and every zone has a rank 1."""
    out = tmp_path / "a.csv"
    _run("assess", str(small_province), "--as-of", AS_OF, "-o", str(out), "--lang", "en")
    a = pd.read_csv(out)
    rated = a[a["mujun_class"].isin(["A", "B", "C", "D"])]
    per_zone = rated.groupby("dev_zone")["mujun_score"].max()
    assert len(per_zone) == 8
    # rank 1 of each zone: the sentence names "rank 1 of K" with K that zone's rated firms
    for zone, best in per_zone.items():
        top = rated[(rated["dev_zone"] == zone) & (rated["mujun_score"] == best)].iloc[0]
        k = rated[rated["dev_zone"] == zone]["holder"].nunique()
        assert f"rank 1 of {k} " in top["reasons"], (zone, top["reasons"])


def test_plain_file_with_workers_is_refused(sample_park: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["assess", str(sample_park), "--as-of", AS_OF, "-o",
                                 str(tmp_path / "a.csv"), "--workers", "2"])
    assert r.exit_code == 2
    assert "--partition-by" in r.output
    assert not (tmp_path / "a.csv").exists()


def test_versions_mismatch_is_an_error() -> None:
    here = stack_versions()
    assert {"geopandas", "shapely", "GEOS", "PROJ"} <= set(here)
    check_versions(here, {"tcp://127.0.0.1:1": dict(here)})
    other = dict(here, PROJ="6.3.1")
    with pytest.raises(EngineError, match=r"tcp://127\.0\.0\.1:2 PROJ 6\.3\.1 \(here "):
        check_versions(here, {"tcp://127.0.0.1:1": dict(here), "tcp://127.0.0.1:2": other})


@pytest.mark.slow
def test_200k_parcels_40_zones_same_bytes(tmp_path: Path) -> None:
    ds = province_dataset(tmp_path / "ds", 200_000, 40)
    assert len(plan_units(ds)) == 40
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    _run("assess", str(ds), "--as-of", AS_OF, "-o", str(one))
    _run("assess", str(ds), "--as-of", AS_OF, "-o", str(two), "--workers", "2")
    assert one.read_bytes() == two.read_bytes()
