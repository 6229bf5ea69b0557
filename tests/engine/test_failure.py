"""Failure: a zone with unusable data, a worker killed mid-run, on real Dask processes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from landuse.cli import cli
from landuse.engine import AssessJob, Engine, combine, plan_units
from landuse.io.assessment import write_assessment
from tests.engine.conftest import AS_OF, LoopbackCluster

BROKEN = "开发区003"


def _break_zone(ds: Path, zone: str) -> None:
    from urllib.parse import quote

    [f] = [p for p in ds.rglob("*.parquet") if p.parent.name == f"dev_zone={quote(zone)}"]
    f.write_bytes(b"PAR1 truncated by a failed copy")


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def _assess(ds: Path, out: Path, *extra: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["assess", str(ds), "--as-of", AS_OF, "-o", str(out), *extra])
    return r.exit_code, r.output


def test_unusable_zone_others_finish_exit_1(small_province: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    assert _assess(small_province, good)[0] == 0
    ds = _copy(small_province, tmp_path / "ds")
    _break_zone(ds, BROKEN)
    for extra in ((), ("--workers", "2")):
        out = tmp_path / f"out{len(extra)}.csv"
        code, text = _assess(ds, out, *extra)
        assert code == 1, text
        assert f"zone province=江西省/city=城市00/dev_zone={BROKEN}: " in text
        assert "cannot be read" in text
        assert "1 个开发区未评估 zone(s) not assessed" in text
        # the other seven zones are written: the good run without the broken zone's rows
        lines = good.read_text(encoding="utf-8-sig").splitlines()
        kept = [lines[0], *(ln for ln in lines[1:] if f",{BROKEN}," not in ln)]
        assert len(kept) == 1 + 1400
        assert out.read_text(encoding="utf-8-sig").splitlines() == kept


def test_scheduler_and_two_worker_processes_same_bytes(small_province: Path, tmp_path: Path,
                                                      loopback_cluster: LoopbackCluster) -> None:
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert _assess(small_province, one)[0] == 0
    code, text = _assess(small_province, two, "--cluster", loopback_cluster.address)
    assert code == 0, text
    assert one.read_bytes() == two.read_bytes()


def test_worker_killed_mid_run_zones_rerun_same_bytes(small_province: Path, tmp_path: Path,
                                                      loopback_cluster: LoopbackCluster) -> None:
    one = tmp_path / "one.csv"
    assert _assess(small_province, one)[0] == 0
    units = plan_units(small_province)
    job = AssessJob(path=str(small_province), as_of=AS_OF)
    killed: list[tuple[str, int]] = []
    with Engine(address=loopback_cluster.address) as eng:

        def kill_busy_worker(done: int, total: int, r: object) -> None:
            if killed:
                return
            busy = {a: len(k) for a, k in eng.client.processing().items() if k}
            addr = next((a for a in loopback_cluster.workers if busy.get(a)), None)
            if addr is None:  # both between tasks: try after the next zone
                return
            killed.append((addr, busy[addr]))
            loopback_cluster.kill(addr)

        results = eng.run(job, units, kill_busy_worker)
        left = list(eng.client.scheduler_info()["workers"])
    assert killed and killed[0][1] >= 1  # it was running a zone when it died
    assert killed[0][0] not in left and len(left) == 1
    assert [r.error for r in results] == [None] * len(units)
    two = write_assessment(combine(results), tmp_path / "two.csv")
    assert one.read_bytes() == two.read_bytes()
