"""`landuse ledger add|list|show` on the three places a ledger lives: a plain GeoPackage
register, a GeoPackage store and a PostGIS store. The SAME tests run on each; every write
goes through the one validation (landuse.ledger.validate_events)."""

from __future__ import annotations

import json
import sqlite3
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.io.ledger import append_events
from landuse.store import is_store_file, open_store
from landuse_api.main import create_app
from landuse_api.settings import Settings
from tests.builders import make_ledger, make_register
from tests.support.store import pg_schema_url

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402


@dataclass
class Ledger:
    """A ledger to write to: how the CLI names it, and how the test reads it back."""

    kind: str  # register | gpkg-store | postgis
    where: str
    args: list[str]
    label: str

    def count(self) -> int:
        if self.kind == "register":
            return len(pyogrio.read_dataframe(self.where, layer="ledger", read_geometry=False))
        with open_store(self.where) as s:
            return s.count("ledger")


def _plain_register(path: Path) -> None:
    make_register().to_file(path, layer="parcels", driver="GPKG", engine="pyogrio")
    append_events(path, make_ledger(), actor="setup")


@pytest.fixture(params=["register", "gpkg-store", "postgis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    kind = request.param
    if kind == "register":
        p = tmp_path / "register.gpkg"
        _plain_register(p)
        yield Ledger(kind, str(p), [str(p)], "plain register")
        return
    if kind == "gpkg-store":
        where = str(tmp_path / "store.gpkg")
        with open_store(where, create=True) as s:
            s.load(make_register(), make_ledger(), actor="test")
        yield Ledger(kind, where, ["--store", where], "landuse store")
        return
    where = pg_schema_url(request.getfixturevalue("postgis_url"))
    with open_store(where) as s:
        s.load(make_register(), make_ledger(), actor="test")
    yield Ledger(kind, where, ["--database", where], "PostGIS store")


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else "")


GOOD = ["--parcel", "P0005", "--date", "2023-09-01", "--stage", "已盘活", "--method", "先租后让",
        "--area-mu", "5", "--new-holder", "新公司", "--event-id", "N1"]


def test_add_list_show(target: Ledger) -> None:
    n0 = target.count()
    code, out = run("ledger", "add", *target.args, *GOOD, "--actor", "王工")
    assert code == 0, out
    assert target.label in out and "appended 1 event" in out and "王工" in out
    assert target.count() == n0 + 1
    code, out = run("ledger", "list", *target.args, "--json")
    assert code == 0, out
    got = {r["event_id"]: r for r in json.loads(out)}
    assert got["N1"]["stage"] == "disposed" and got["N1"]["method"] == "lease_then_transfer"
    assert got["N1"]["event_date"] == "2023-09-01"
    assert got["N1"]["recorded_by"] == "王工"
    assert got["E0002"]["method"] == "agreement_transfer"  # loaded with the register
    code, out = run("ledger", "show", *target.args, "P0005")
    assert code == 0, out
    assert "已盘活" in out and "5.0 亩" in out and "新公司" in out
    # a correction is a new event; show marks the corrected one
    code, out = run("ledger", "add", *target.args, *GOOD[:-2], "--event-id", "N2",
                    "--corrects", "N1", "--area-mu", "4", "--note", "面积更正")
    assert code == 0, out
    code, out = run("ledger", "show", *target.args, "P0005")
    assert "4.0 亩" in out and "× N1" in out
    # default actor: the OS user
    import getpass

    code, out = run("ledger", "add", *target.args, "--parcel", "P0006", "--date", "2023-09-03",
                    "--stage", "investigating")
    assert code == 0, out
    assert f"{getpass.getuser()}" in out


def test_fee_and_holder_are_stored(target: Ledger) -> None:
    """The fields added to the standard (holder, fee_wan) reach every ledger: a plain
    register made before them gets the columns, a store has them (migration 005)."""
    code, out = run("ledger", "add", *target.args, "--parcel", "P0005", "--date", "2023-09-01",
                    "--stage", "已下达征缴土地闲置费决定书", "--fee", "12.5", "--holder", "旧厂",
                    "--event-id", "F1")
    assert code == 0, out
    code, out = run("ledger", "list", *target.args, "--json")
    assert code == 0, out
    got = {r["event_id"]: r for r in json.loads(out)}
    assert got["F1"]["stage"] == "fee_levied"
    assert got["F1"]["fee_wan"] == 12.5 and got["F1"]["holder"] == "旧厂"
    # a fee event without its fee is refused, naming the field
    code, out = run("ledger", "add", *target.args, "--parcel", "P0005", "--date", "2023-09-02",
                    "--stage", "fee_paid", "--event-id", "F2")
    assert code != 0 and "fee_wan" in out and "needs the fee" in out


BAD = [
    (["--parcel", "NOPE"], "parcel_id", "unknown parcel"),
    (["--stage", "won"], "stage", "unknown stage code"),
    (["--area-mu", "-3"], "area_m2", "negative area"),
    (["--stage", "auction_completed", "--area-mu", "0"], "area_m2", "needs the area"),
    (["--area-mu", "100"], "area_m2", "is larger than parcel P0005"),
    (["--date", "2014-01-01", "--stage", "investigating"], "event_date",
     "before the parcel's supply (2015-06-15)"),
    (["--date", "2099-01-01"], "event_date", "event dated after"),
    (["--corrects", "E404"], "corrects", "corrects an event that does not exist"),
    (["--event-id", "E0001"], "event_id", "event id already in the ledger"),
]


def _event_args(change: list[str]) -> list[str]:
    base = dict(zip(GOOD[::2], GOOD[1::2], strict=True))
    base.update(dict(zip(change[::2], change[1::2], strict=True)))
    base["--event-id"] = base.get("--event-id", "N1") if "--event-id" in change else "B1"
    return [x for kv in base.items() for x in kv]


@pytest.mark.parametrize(("change", "field", "words"), BAD, ids=[b[1] + ":" + b[2][:12]
                                                                   for b in BAD])
def test_bad_event_refused_naming_the_field(target: Ledger, change: list[str], field: str,
                                            words: str) -> None:
    n0 = target.count()
    code, out = run("ledger", "add", *target.args, *_event_args(change))
    assert code == 2, out
    assert f"field {field}" in out and words in out and "Fix:" in out, out
    assert "nothing was stored" in out
    assert target.count() == n0


def test_a_batch_from_csv_is_all_or_nothing(target: Ledger, tmp_path: Path) -> None:
    csv = tmp_path / "events.csv"
    csv.write_text("事件编号,宗地号,日期,阶段,面积(亩),备注2\n"
                   "C1,P0007,2023-08-01,正在调查清收,,x\n"
                   "C2,P0008,2023-08-02,已盘活,,y\n", encoding="utf-8")
    n0 = target.count()
    code, out = run("ledger", "add", *target.args, "--from-csv", str(csv))
    assert code == 2 and "row 2 (event C2), field area_m2" in out, out
    assert target.count() == n0
    csv.write_text(csv.read_text("utf-8").replace("已盘活,,y", "已盘活,3,y"), encoding="utf-8")
    code, out = run("ledger", "add", *target.args, "--from-csv", str(csv))
    assert code == 0, out
    assert target.count() == n0 + 2


def test_file_argument_is_told_apart(tmp_path: Path) -> None:
    reg = tmp_path / "register.gpkg"
    _plain_register(reg)
    store = tmp_path / "store.gpkg"
    with open_store(store, create=True) as s:
        s.load(make_register(), make_ledger())
    assert is_store_file(store) and not is_store_file(reg)
    code, out = run("ledger", "add", str(store), *GOOD)
    assert code == 0 and f"landuse store {store}" in out, out
    with open_store(store) as s:
        assert [r["actor"] for r in s.audit_log(1000) if r["target"] == "N1"]
    code, out = run("ledger", "add", str(reg), *GOOD)
    assert code == 0 and f"plain register {reg}" in out, out
    con = sqlite3.connect(reg)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name IN "
                       "('audit', 'landuse_meta')").fetchone()[0] == 0
    con.close()
    code, out = run("ledger", "list", "--store", str(reg))
    assert code == 2 and "not a landuse store" in out and "plain register" in out
    code, out = run("ledger", "list", str(reg), "--store", str(store))
    assert code == 2 and "not several" in out


def test_database_from_the_environment(postgis_url: str, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    url = pg_schema_url(postgis_url)
    with open_store(url) as s:
        s.load(make_register(), make_ledger())
    monkeypatch.setenv("LANDUSE_DATABASE_URL", url)
    code, out = run("ledger", "add", *GOOD, "--actor", "env")
    assert code == 0 and "PostGIS store" in out, out
    with open_store(url) as s:
        assert s.get("ledger", "N1").properties["recorded_by"] == "env"


@pytest.mark.parametrize("kind", ["gpkg-store", "postgis"])
def test_cli_and_api_share_the_ledger_and_its_messages(kind: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    if kind == "gpkg-store":
        where = str(tmp_path / "store.gpkg")
        args = ["--store", where]
        open_store(where, create=True).close()
    else:
        where = pg_schema_url(request.getfixturevalue("postgis_url"))
        args = ["--database", where]
    store = open_store(where)
    try:
        store.load(make_register(), make_ledger())
        code, out = run("ledger", "add", *args, *GOOD, "--actor", "王工")
        assert code == 0, out
        key = store.add_key("editor")
        c = TestClient(create_app(Settings(), store=store), raise_server_exceptions=False)
        r = c.get("/collections/ledger/items/N1")
        assert r.status_code == 200, r.text
        props = r.json()["properties"]
        assert props["recorded_by"] == "王工" and props["method"] == "lease_then_transfer"
        recs = c.get("/audit?limit=1000", headers={"Authorization": f"Bearer {key}"}).json()
        mine = [x for x in recs["records"] if x["target"] == "N1"]
        assert [(x["action"], x["actor"]) for x in mine] == [("ledger.append", "王工")]

        # the same bad event, refused with the same message through both
        bad = {"event_id": "B1", "parcel_id": "P0005", "event_date": "2014-01-01",
               "stage": "正在调查清收", "area_m2": 100 * 666.6666666666666}
        code, out = run("ledger", "add", *args, "--event-id", "B1", "--parcel", "P0005",
                        "--date", "2014-01-01", "--stage", "正在调查清收", "--area-mu", "100")
        assert code == 2
        r = c.post("/collections/ledger/items?lang=en",
                   headers={"Authorization": f"Bearer {key}"},
                   json={"type": "Feature", "geometry": None, "properties": bad})
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["detail"] in out
        assert body["parameter"] == "area_m2"
        names = sorted((p["name"], p["row"], p["event_id"]) for p in body["invalid-params"])
        assert names == [("area_m2", 1, "B1"), ("event_date", 1, "B1")]
        assert all("Fix:" in p["reason"] for p in body["invalid-params"])
        # and in Chinese, for a page in Chinese (the words of words.toml)
        zh = {p["name"]: p["reason_zh"] for p in body["invalid-params"]}
        assert zh["area_m2"].startswith("面积 100.0 亩大于宗地 P0005 的面积（")
        assert "改正：请核对面积及其单位（平方米还是亩）" in zh["area_m2"]
        assert zh["event_date"].startswith("事件日期早于该宗地的供地日期（")
        # a conflict (the id is stored) is a 409, with the field named
        dup = {**bad, "event_id": "N1", "event_date": "2023-09-02", "area_m2": 100.0}
        r = c.post("/collections/ledger/items", headers={"Authorization": f"Bearer {key}",
                                                          "Accept-Language": "en"},
                   json={"type": "Feature", "geometry": None, "properties": dup})
        assert r.status_code == 409 and r.json()["parameter"] == "event_id"
        code, out = run("ledger", "add", *args, "--event-id", "N1", "--parcel", "P0005",
                        "--date", "2023-09-02", "--stage", "disposed", "--method", "先租后让",
                        "--area-m2", "100")
        assert code == 2 and r.json()["detail"] in out
        assert store.count("ledger") == 3
    finally:
        store.close()


def test_older_gpkg_store_gets_the_new_ledger_fields(tmp_path: Path) -> None:
    """A GeoPackage store made before holder/fee_wan existed gains them when opened (the
    PostGIS store by migration 005); its events keep NULL there."""
    where = str(tmp_path / "old.gpkg")
    with open_store(where, create=True) as s:
        s.load(make_register(), make_ledger(), actor="test")
    con = sqlite3.connect(where)
    con.execute("ALTER TABLE ledger DROP COLUMN holder")
    con.execute("ALTER TABLE ledger DROP COLUMN fee_wan")
    con.commit()
    con.close()
    with open_store(where) as s:
        led = s.ledger_frame()
    assert {"holder", "fee_wan"} <= set(led.columns)
    assert led["fee_wan"].isna().all()
    code, out = run("ledger", "add", "--store", where, "--parcel", "P0005", "--date",
                    "2023-09-01", "--stage", "fee_levied", "--fee", "3", "--event-id", "F1")
    assert code == 0, out
