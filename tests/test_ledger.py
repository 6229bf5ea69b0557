"""The disposal ledger: validation, corrections, case state; append-only atomic writes (io)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.errors import ConflictError, DataSourceError, SchemaError
from landuse.io.ledger import append_events
from landuse.ledger import (
    apply_corrections,
    case_state,
    check_ledger,
    normalise_ledger,
    validate_ledger,
)
from landuse.units import M2_PER_MU
from tests.builders import mini_ledger, mini_parcels, write_mini_gpkg


@pytest.fixture()
def park(tmp_path: Path) -> Path:
    p = tmp_path / "park.gpkg"
    write_mini_gpkg(p)
    return p


def _event(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": "N1", "parcel_id": "P17", "event_date": "2023-05-01", "stage": "disposed",
        "method": "merger", "area_m2": 10 * M2_PER_MU, "new_holder": "X", "zombie_cleared": None,
        "corrects": None, "note": None,
    }
    base.update(kw)
    return base


def test_clean_ledger_has_no_problems() -> None:
    problems = validate_ledger(mini_ledger(), mini_parcels())
    assert problems.empty, problems.to_string()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"parcel_id": "P99"}, "parcel_id", "unknown parcel"),
        ({"stage": "sold"}, "stage", "unknown stage code"),
        ({"method": "先卖后租"}, "method", "unknown method code"),
        ({"area_m2": -5.0}, "area_m2", "negative area"),
        ({"area_m2": None}, "area_m2", "needs the area"),
        ({"area_m2": 999 * M2_PER_MU}, "area_m2", "larger than parcel P17"),
        ({"event_date": "2009-01-01", "stage": "investigating", "method": None},
         "event_date", "before the parcel's supply"),
        ({"event_date": "2023-13-45"}, "event_date", "not a date"),
        ({"corrects": "E404"}, "corrects", "does not exist"),
        ({"event_id": None}, "event_id", "required field"),
    ],
)
def test_each_bad_row_is_named(change: dict[str, object], field: str, words: str) -> None:
    led = pd.concat([mini_ledger(), pd.DataFrame([_event(**change)])], ignore_index=True)
    problems = validate_ledger(led, mini_parcels())
    errors = problems[problems["severity"] == "error"]
    assert len(errors) == 1, errors.to_string()
    p = errors.iloc[0]
    assert p["row"] == len(led)  # the appended row, 1-based
    assert p["field"] == field
    assert words in p["problem"]
    assert p["fix"]
    with pytest.raises(SchemaError, match=rf"row {len(led)}.*field {field}"):
        check_ledger(led, mini_parcels(), source="ledger.csv")


def test_events_before_a_resupply_are_accepted() -> None:
    """The register shows the new holder's supply date after a disposal re-supplied the land."""
    parcels = mini_parcels()
    parcels.loc[parcels["parcel_id"] == "P17", "supply_date"] = pd.Timestamp("2023-04-20")
    led = pd.DataFrame([
        _event(event_id="I1", stage="investigating", method=None, area_m2=None,
               event_date="2022-09-13"),
        _event(event_id="D1", event_date="2023-04-20"),
    ])
    assert validate_ledger(led, parcels).empty
    led2 = led[led["event_id"] == "I1"]  # without the disposal the early event is an error
    assert list(validate_ledger(led2, parcels)["field"]) == ["event_date"]


def test_duplicated_event_ids_name_both_rows() -> None:
    led = pd.concat([mini_ledger(), pd.DataFrame([_event(event_id="E03")])], ignore_index=True)
    problems = validate_ledger(led, mini_parcels())
    dup = problems[problems["problem"] == "duplicated event id"]
    assert sorted(dup["row"]) == [5, len(led)]
    assert set(dup["event_id"]) == {"E03"}


def test_chinese_codes_and_mu_column_are_read() -> None:
    raw = pd.DataFrame({"event_id": ["A1"], "parcel_id": ["P17"], "event_date": ["2023年5月8日"],
                        "stage": ["已盘活"], "method": ["兼并重组"], "area_m2": ["10"],
                        "zombie_cleared": ["是"]})
    raw.attrs["landuse"] = {"units": {"area_m2": "亩"}}
    out, problems = normalise_ledger(raw)
    assert problems.empty
    assert out.loc[0, "stage"] == "disposed" and out.loc[0, "method"] == "merger"
    assert out.loc[0, "area_m2"] == pytest.approx(10 * M2_PER_MU)
    assert out.loc[0, "event_date"] == pd.Timestamp("2023-05-08")
    assert bool(out.loc[0, "zombie_cleared"]) is True


def test_disposed_without_method_is_a_warning_not_an_error() -> None:
    led = pd.DataFrame([_event(method=None)])
    problems = validate_ledger(led, mini_parcels())
    assert list(problems["severity"]) == ["warning"]
    check_ledger(led, mini_parcels())  # does not raise


def test_corrections_chain_latest_wins() -> None:
    led = pd.DataFrame([
        _event(event_id="A", area_m2=100.0),
        _event(event_id="B", corrects="A", area_m2=200.0),
        _event(event_id="C", corrects="B", area_m2=300.0),
        _event(event_id="D", parcel_id="P18", area_m2=50.0),
    ])
    eff = apply_corrections(normalise_ledger(led)[0])
    assert list(eff["event_id"]) == ["A", "D"]
    assert list(eff["effective_event_id"]) == ["C", "D"]
    assert list(eff["area_m2"]) == [300.0, 50.0]
    assert list(eff["corrections"]) == [2, 0]


def test_case_state_follows_latest_event() -> None:
    eff = apply_corrections(normalise_ledger(mini_ledger())[0])
    st = case_state(eff, as_of="2023-10-31")
    assert st.loc["P12", "stage"] == "recovery_in_progress"
    assert st.loc["P07", "stage"] == "auction_completed"
    assert st.loc["P03", "disposed_area_m2"] == pytest.approx(30 * M2_PER_MU)  # corrected
    assert "P15" not in st.index  # its only event is in November
    st_nov = case_state(eff, as_of="2023-11-30")
    assert st_nov.loc["P15", "stage"] == "disposed"


def test_append_is_validated_and_atomic(park: Path) -> None:
    before = pyogrio.read_dataframe(park, layer="ledger", read_geometry=False)
    good = pd.DataFrame([_event(event_id="N1"), _event(event_id="N2", parcel_id="P18")])
    assert append_events(park, good, actor="王工") == 2
    after = pyogrio.read_dataframe(park, layer="ledger", read_geometry=False)
    assert len(after) == len(before) + 2
    assert list(after["recorded_by"].iloc[-2:]) == ["王工", "王工"]
    # earlier rows untouched
    pd.testing.assert_frame_equal(after.iloc[: len(before)][before.columns], before)

    bad = pd.DataFrame([_event(event_id="N3"), _event(event_id="N1")])  # N1 exists
    with pytest.raises(ConflictError, match="already in the ledger"):
        append_events(park, bad)
    assert len(pyogrio.read_dataframe(park, layer="ledger", read_geometry=False)) == len(after)


def test_failure_mid_batch_writes_nothing(park: Path) -> None:
    """A failure inside the database after some rows were inserted rolls everything back."""
    n0 = len(pyogrio.read_dataframe(park, layer="ledger", read_geometry=False))
    con = sqlite3.connect(park)
    con.execute("CREATE TRIGGER boom BEFORE INSERT ON ledger WHEN NEW.event_id = 'M3' "
                "BEGIN SELECT RAISE(ABORT, 'simulated crash'); END")
    con.commit()
    con.close()
    batch = pd.DataFrame([_event(event_id=f"M{i}") for i in range(1, 6)])
    with pytest.raises(DataSourceError, match="nothing was stored"):
        append_events(park, batch)
    con = sqlite3.connect(park)
    n = con.execute("SELECT count(*) FROM ledger").fetchone()[0]
    ms = con.execute("SELECT count(*) FROM ledger WHERE event_id LIKE 'M%'").fetchone()[0]
    con.close()
    assert (n, ms) == (n0, 0)


def test_append_creates_the_ledger_table(tmp_path: Path) -> None:
    p = tmp_path / "only_parcels.gpkg"
    mini_parcels().to_file(p, layer="parcels", driver="GPKG", engine="pyogrio")
    append_events(p, pd.DataFrame([_event()]))
    layers = dict(pyogrio.list_layers(p))
    assert "ledger" in layers
    led = pyogrio.read_dataframe(p, layer="ledger", read_geometry=False)
    assert led.loc[0, "event_id"] == "N1"


def test_cli_add_list_show(park: Path) -> None:
    r = CliRunner()
    res = r.invoke(cli, ["ledger", "add", str(park), "--parcel", "P17", "--date", "2023-05-01",
                         "--stage", "已盘活", "--method", "先租后让", "--area-mu", "10",
                         "--new-holder", "新公司", "--actor", "tester"])
    assert res.exit_code == 0, res.output
    res = r.invoke(cli, ["ledger", "show", str(park), "P17"])
    assert res.exit_code == 0, res.output
    assert "已盘活" in res.output and "10.0 亩" in res.output and "新公司" in res.output
    res = r.invoke(cli, ["ledger", "list", str(park), "--from", "2023-01-01", "--to",
                         "2023-10-31", "--json"])
    assert res.exit_code == 0, res.output
    assert '"P17"' in res.output and "E17" not in res.output
    # a correction is a new event; show marks the corrected row
    res = r.invoke(cli, ["ledger", "add", str(park), "--event-id", "FIX1", "--parcel", "P03",
                         "--date", "2023-06-08", "--stage", "disposed", "--method",
                         "agreement_transfer", "--area-mu", "31", "--corrects", "C01"])
    assert res.exit_code == 0, res.output
    res = r.invoke(cli, ["ledger", "show", str(park), "P03"])
    assert "31.0 亩" in res.output and "× C01" in res.output


def test_cli_add_bad_row_and_csv(park: Path, tmp_path: Path) -> None:
    r = CliRunner()
    res = r.invoke(cli, ["ledger", "add", str(park), "--parcel", "P17", "--date", "2023-05-01",
                         "--stage", "卖掉了", "--area-mu", "3"])
    assert res.exit_code == 2
    assert "field stage" in res.output and "卖掉了" in res.output
    csv = tmp_path / "events.csv"
    pd.DataFrame({"事件编号": ["K1", "K2"], "宗地号": ["P17", "P18"],
                  "日期": ["2023-05-01", "2099-01-01"], "阶段": ["已盘活", "已盘活"],
                  "处置方式": ["兼并重组", "兼并重组"], "面积(亩)": [5, 5]}
                 ).to_csv(csv, index=False)
    n0 = len(pyogrio.read_dataframe(park, layer="ledger", read_geometry=False))
    res = r.invoke(cli, ["ledger", "add", str(park), "--from-csv", str(csv)])
    assert res.exit_code == 2
    assert "row 2 (event K2)" in res.output and "event_date" in res.output
    assert len(pyogrio.read_dataframe(park, layer="ledger", read_geometry=False)) == n0


def test_every_problem_has_its_words_in_both_languages() -> None:
    """Each ledger problem has what is wrong and its fix, in Chinese and English, with the
    same placeholders (a stage as its word in Chinese); a refused event carries both languages."""
    import string

    from landuse.labels import label, label_keys

    assert label_keys("ledger_problem") == label_keys("ledger_fix")
    for group in ("ledger_problem", "ledger_fix"):
        for key in label_keys(group):
            # the Chinese names a stage by its Chinese word, the English by its code
            slots = [{f.removesuffix("_zh") for _, f, _, _ in
                      string.Formatter().parse(label(group, key, lang)) if f}
                     for lang in ("zh", "en")]
            assert slots[0] == slots[1], (group, key)
    bad = mini_ledger().head(1).assign(event_date="2023-13-02")
    problems = normalise_ledger(bad)[1]
    one = problems.iloc[0]
    assert (one["problem"], one["problem_zh"]) == ("not a date", "不是有效日期")
    assert one["fix_zh"] == "日期请写成 YYYY-MM-DD（如 2023-05-08）"
