"""The assessment on the sample park (designed counts), the shared real datasets, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.io import read_parcels
from landuse.rules import assess

AS_OF = "2023-10-31"


@pytest.fixture(scope="module")
def expected(root: Path) -> dict:
    return json.loads((root / "data" / "geo" / "sample_park_expected.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def park(sample_park: Path) -> gpd.GeoDataFrame:
    return assess(read_parcels(sample_park), AS_OF)


def _counts(s: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in s.value_counts().items()}


def _exploded(s: pd.Series) -> dict[str, int]:
    e = s.str.split(";").explode()
    return _counts(e[e != ""])


def test_sample_park_counts_as_designed(park: gpd.GeoDataFrame, expected: dict) -> None:
    exp = expected["assessment"]
    assert len(park) == expected["parcel_count"]
    assert _counts(park["lifecycle"]) == exp["lifecycle"]
    assert _counts(park["idle_type"]) == exp["idle_type"]
    assert int(park["recovery_candidate"].sum()) == exp["recovery_candidates"]
    assert int((park["idle_fee_wan"] > 0).sum()) == exp["fee_parcels"]
    assert round(float(park["idle_fee_wan"].sum()), 2) == exp["idle_fee_wan_total"]
    assert int(park["low_efficiency"].sum()) == exp["low_efficiency"]
    assert _exploded(park["failed_indicators"]) == exp["failed_indicators"]
    flags = _exploded(park["flags"])
    assert flags.get("use_changed", 0) == exp["use_changed"]
    assert flags.get("mortgaged_idle", 0) == exp["mortgaged_idle"]


def test_sample_park_every_parcel_as_designed(park: gpd.GeoDataFrame, expected: dict) -> None:
    r = park.set_index("parcel_id")
    wrong = {}
    for pid, e in expected["parcels"].items():
        a = r.loc[pid]
        got = {
            "lifecycle": a["lifecycle"],
            "idle_type": a["idle_type"],
            "overdue_days": None if pd.isna(a["overdue_days"]) else int(a["overdue_days"]),
            "idle_fee_wan": round(float(a["idle_fee_wan"]), 2),
            "recovery_candidate": bool(a["recovery_candidate"]),
            "failed_indicators": [x for x in a["failed_indicators"].split(";") if x],
            "use_changed": "use_changed" in a["flags"],
            "mortgaged_idle": "mortgaged_idle" in a["flags"],
        }
        diff = {k: (got[k], e[k]) for k in got if got[k] != e[k]}
        if diff:
            wrong[pid] = (e["case"], diff)
    assert not wrong


def test_sample_park_special_cases_reasons(park: gpd.GeoDataFrame, expected: dict) -> None:
    r = park.set_index("parcel_id")["reasons"]
    case = expected["special_cases"]
    sentence = "约定动工日期2022年8月15日起满一年未动工(已逾期442天)"
    assert sentence in r[case["investigating_442_days"]]
    assert "须核实" in r[case["delay_cause_missing"]]
    assert "不可抗力" in r[case["force_majeure"]]
    assert "还差1天" in r[case["one_day_short_of_a_year"]]
    assert "缺少批准日期" in r[case["no_approval_or_supply_data"]]
    assert "按“或”判定,依《闲置土地处置办法》第二条属中止开发闲置" in r[
        case["investigating_stalled_or_rule"]
    ]


def test_sample_park_and_combinator_clears_the_or_case(
    sample_park: Path, expected: dict, tmp_path: Path
) -> None:
    p = tmp_path / "and.toml"
    p.write_text('[ruleset]\nname = "and"\nversion = "1"\n[idle]\nstalled_combinator = "and"\n')
    r = assess(read_parcels(sample_park), AS_OF, ruleset=str(p)).set_index("parcel_id")
    assert r.loc[expected["special_cases"]["investigating_stalled_or_rule"], "idle_type"] == "none"
    assert (r["idle_type"] == "stalled").sum() == expected["assessment"]["idle_type"]["stalled"] - 1


def test_sample_park_mujun_classes(park: gpd.GeoDataFrame) -> None:
    rated = park[park["mujun_class"] != "T"]
    assert len(rated) > 100
    share_a = (rated["mujun_class"] == "A").mean()
    assert 0.15 <= share_a <= 0.20
    assert park.loc[park["mujun_class"] == "T", "mujun_score"].isna().all()


# ------------------------------------------------------------------ shared real data


def test_hangzhou_osm_industrial_everything_unknown(shared_data: Path) -> None:
    g = read_parcels(shared_data / "hangzhou-osm-landuse" / "hangzhou_osm_landuse.gpkg")
    g = g[g["fclass"] == "industrial"].copy()
    g["parcel_id"] = g["osm_id"]
    r = assess(g, AS_OF)
    assert len(r) == 540
    assert (r["lifecycle"] == "unknown").all()
    assert (r["idle_type"] == "none").all() and (r["mujun_class"] == "T").all()
    assert (
        r["reasons"]
        .str.contains("缺少批准日期和供地日期", regex=False)
        .all()
    )
    # 66.7 km² of industrial land per the provenance notes
    assert r["area_m2"].sum() / 1e6 == pytest.approx(66.7, abs=0.5)
    assert "supply_date" in r.attrs["assessment"]["absent_fields"]
    assert list(g.columns) == list(r.columns[: len(g.columns)])
    en = assess(g.head(3), AS_OF, lang="en")
    assert en["reasons"].str.contains("approval_date and supply_date are missing").all()


def test_cambridge_parcels_with_assessor_table(shared_data: Path) -> None:
    d = shared_data / "cambridge-parcels-fy2014"
    parcels = gpd.read_file(d / "ASSESSING_ParcelsFY2014.topojson").set_crs(4326)
    tax = pd.read_csv(d / "TaxFY14.csv")
    sqft = 0.09290304
    agg = tax.groupby("ML").agg(LandArea=("LandArea", "max"), GrossArea=("GrossArea", "sum"))
    g = parcels.merge(agg, left_on="ML", right_index=True, how="left")
    g = g.drop_duplicates("id")
    g["parcel_id"] = g["id"].astype(str)
    g["registered_area_m2"] = g["LandArea"] * sqft
    g["floor_area_m2"] = g["GrossArea"] * sqft
    r = assess(g, AS_OF)
    assert len(r) == len(g)
    assert (r["lifecycle"] == "unknown").all()
    has_geom = ~(r.geometry.isna() | r.geometry.is_empty)
    assert has_geom.sum() > 13000
    assert (r.loc[has_geom, "area_m2"] > 0).all() and r.loc[~has_geom, "area_m2"].isna().all()
    matched = r["registered_area_m2"] > 0
    assert matched.sum() > 12000
    ratio = (r.loc[matched, "area_m2"] / r.loc[matched, "registered_area_m2"]).median()
    assert ratio == pytest.approx(1.0, abs=0.05)  # ellipsoidal area vs the assessor's land area
    assert r["reasons"].str.contains("批准日期").all()


# ------------------------------------------------------------------ CLI and demo


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet", ".geojson", ".csv", ".xlsx"])
def test_cli_assess_formats(sample_park: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"a{suffix}"
    res = CliRunner().invoke(cli, ["assess", str(sample_park), "--as-of", AS_OF, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "已评估302宗，评估基准日2023年10月31日，闲置16宗" in res.output
    assert "assessed 302 parcels as of 2023-10-31" in res.output and "idle 16," in res.output
    if suffix == ".xlsx":
        t = pd.read_excel(out, sheet_name="assessment")
        about = pd.read_excel(out, sheet_name="about 说明")
        assert "cn-national 1.0.0" in " ".join(map(str, about.to_numpy().ravel()))
    elif suffix == ".csv":
        t = pd.read_csv(out, encoding="utf-8-sig")
        assert t["geometry_wkt"].str.startswith("POLYGON").all()
    elif suffix == ".parquet":
        t = gpd.read_parquet(out)
    else:
        t = gpd.read_file(out)
    assert len(t) == 302
    assert (t["lifecycle"] == "supplied_unused").sum() == 27
    assert t["reasons"].str.len().min() > 0


def test_cli_assess_refuses_to_overwrite_and_bad_rules(sample_park: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.gpkg"
    out.write_text("keep me")
    res = CliRunner().invoke(cli, ["assess", str(sample_park), "--as-of", AS_OF, "-o", str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert out.read_text() == "keep me"
    bad = tmp_path / "bad.toml"
    bad.write_text('[ruleset]\nname = "b"\nversion = "1"\n[idle]\nfee_share = 0.1\n')
    res = CliRunner().invoke(
        cli,
        [
            "assess",
            str(sample_park),
            "--as-of",
            AS_OF,
            "--rules",
            str(bad),
            "-o",
            str(tmp_path / "b.csv"),
        ],
    )
    assert res.exit_code == 2
    assert "bad.toml, line 5, key 'idle.fee_share'" in res.output
    assert not (tmp_path / "b.csv").exists()
    res = CliRunner().invoke(
        cli, ["assess", str(sample_park), "--as-of", "31/10/2023", "-o", str(tmp_path / "x.csv")]
    )
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
    res = CliRunner().invoke(
        cli, ["assess", str(sample_park), "--as-of", AS_OF, "-o", str(tmp_path / "x.txt")]
    )
    assert res.exit_code == 2 and ".xlsx" in res.output


def test_cli_assess_en_and_overwrite(sample_park: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    out.write_text("old")
    args = ["assess", str(sample_park), "--as-of", AS_OF, "--lang", "en", "-o", str(out)]
    res = CliRunner().invoke(cli, [*args, "--overwrite"])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert t["reasons"].str.contains("Not started 1 full year").any()


def test_cli_summary(sample_park: Path, expected: dict) -> None:
    res = CliRunner().invoke(cli, ["summary", str(sample_park), "--as-of", AS_OF])
    assert res.exit_code == 0, res.output
    for heading in ("五未阶段 Five-not stage", "闲置类型 Idle type", "未达标指标 Failed indicators",
                    "亩均效益分类 Per-mu class"):
        assert heading in res.output
    line = next(x for x in res.output.splitlines() if "供而未用 supplied_unused" in x)
    assert line.split()[2] == str(expected["assessment"]["lifecycle"]["supplied_unused"])
    assert "宗地 parcels: 302" in res.output


def test_demo_step_writes_assessment(sample_park: Path, tmp_path: Path) -> None:
    from landuse_demo.steps import STEPS, DemoContext

    step = dict(STEPS)[next(t for t, _ in STEPS if t.startswith("assess"))]
    ctx = DemoContext(sample=sample_park, out_dir=tmp_path, maps_dir=tmp_path)
    paths = step(ctx)
    assert sorted(p.name for p in paths) == ["assessment.gpkg", "assessment.xlsx"]
    assert len(gpd.read_file(tmp_path / "assessment.gpkg")) == 302
