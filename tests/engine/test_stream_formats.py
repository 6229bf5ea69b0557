"""Every format ``assess -o`` writes is streamed from the zones' parts: CSV and GeoJSON
have the bytes of the gathered write, GeoPackage, GeoParquet and XLSX its content."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from shapely.geometry import MultiPolygon, box

from landuse.cli import cli
from landuse.engine import AssessJob, Engine, WriteJob, combine, plan_units, run_unit
from landuse.io.assessment import (
    csv_plan,
    join_pieces,
    write_assessment,
    write_assessment_parts,
    write_csv_group,
)
from landuse.io.write import TABLE_FORMATS
from tests.engine.conftest import AS_OF, province_dataset

BYTES = (".csv", ".geojson")
"""The formats whose writer is deterministic: streamed and gathered are the same bytes."""


def same_output(streamed: Path, gathered: Path) -> None:
    """``streamed`` equals ``gathered``: bytes for CSV and GeoJSON, else content read back
    (GeoParquet: also its schema and metadata)."""
    suffix = streamed.suffix
    if suffix in BYTES:
        assert streamed.read_bytes() == gathered.read_bytes()
    elif suffix == ".xlsx":
        a = pd.read_excel(streamed, sheet_name=None)
        b = pd.read_excel(gathered, sheet_name=None)
        assert list(a) == list(b)
        for name in a:
            pd.testing.assert_frame_equal(a[name], b[name])
    elif suffix == ".parquet":
        sa, sb = pq.read_schema(streamed), pq.read_schema(gathered)
        assert sa.equals(sb, check_metadata=False)
        assert json.loads(sa.metadata[b"geo"]) == json.loads(sb.metadata[b"geo"])
        assert json.loads(sa.metadata[b"pandas"]) == json.loads(sb.metadata[b"pandas"])
        pd.testing.assert_frame_equal(gpd.read_parquet(streamed), gpd.read_parquet(gathered))
    else:
        import pyogrio

        ia, ib = (pyogrio.read_info(p, layer="parcels") for p in (streamed, gathered))
        assert ia["geometry_type"] == ib["geometry_type"]
        assert list(ia["fields"]) == list(ib["fields"])
        assert list(ia["dtypes"]) == list(ib["dtypes"])
        assert ia["features"] == ib["features"]
        pd.testing.assert_frame_equal(gpd.read_file(streamed, layer="parcels"),
                                      gpd.read_file(gathered, layer="parcels"))


def _parts(tmp_path: Path) -> tuple[list[tuple[str, str, str]], gpd.GeoDataFrame]:
    """Three sorted parts, ids of the first two interleaved; int and float scores; a text
    column empty in one part; a multipolygon in one part, polygons elsewhere."""
    def frame(ids: list[str], score: list[float], x0: int) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"parcel_id": ids, "score": score, "name": [f"地块{i}" for i in ids],
             "day": pd.to_datetime(["2023-05-08"] * len(ids)),
             "note": [f"备注{i}" for i in ids]},
            geometry=[box(x0 + i, 0, x0 + i + 1, 1) for i in range(len(ids))],
            crs="EPSG:4527")

    a = frame(["P01", "P03", "P05"], [1, 2, 3], 0)
    a["score"] = a["score"].astype("int64")
    b = frame(["P02", "P04"], [np.nan, 2.5], 10)
    b["note"] = None
    b.loc[1, "day"] = pd.NaT
    c = frame(["P10", "P11"], [7, 8], 20)
    c["score"] = c["score"].astype("int64")
    c.loc[0, "geometry"] = MultiPolygon([box(20, 0, 21, 1), box(22, 0, 23, 1)])
    parts = []
    for name, part in (("a", a), ("b", b), ("c", c)):
        p = tmp_path / f"{name}.parquet"
        part.to_parquet(p, index=False)
        parts.append((str(p), part["parcel_id"].iloc[0], part["parcel_id"].iloc[-1]))
    whole = pd.concat([a, b, c], ignore_index=True).sort_values("parcel_id")
    return parts, gpd.GeoDataFrame(whole.reset_index(drop=True), crs=a.crs)


@pytest.mark.parametrize("suffix", TABLE_FORMATS)
def test_streamed_equals_gathered_interleaved_ids_mixed_types(tmp_path: Path,
                                                              suffix: str) -> None:
    parts, whole = _parts(tmp_path)
    attrs = {"assessment": {"as_of": AS_OF}}
    whole.attrs.update(attrs)
    streamed = write_assessment_parts(parts, tmp_path / f"streamed{suffix}", attrs)
    gathered = write_assessment(whole, tmp_path / f"gathered{suffix}")
    if suffix in BYTES:  # the names of the files differ: give them one
        gathered = write_assessment(whole, tmp_path / "g" / f"streamed{suffix}")
    same_output(streamed, gathered)


def test_csv_pieces_joined_are_the_streamed_bytes(tmp_path: Path) -> None:
    """The CSV written as pieces (one per group of overlapping parts, as the workers write
    them) and joined is the streamed CSV, byte for byte; only the first piece has the
    byte-order mark and the header."""
    parts, _ = _parts(tmp_path)
    streamed = write_assessment_parts(parts, tmp_path / "s" / "a.csv", {})
    plan = csv_plan(parts)
    assert [len(g) for g in plan.groups] == [2, 1]  # a and b interleave: one piece
    pieces = []
    for i in range(len(plan.groups)):
        pieces.append(tmp_path / f"{i}.csv")
        write_csv_group(plan, i, pieces[-1])
    assert pieces[0].read_bytes().startswith("\ufeffparcel_id,".encode())
    assert pieces[1].read_bytes().startswith(b"P10,")
    joined = join_pieces(pieces, tmp_path / "j" / "a.csv")
    assert joined.read_bytes() == streamed.read_bytes()


def test_streamed_geojson_is_one_collection_in_parcel_id_order(tmp_path: Path) -> None:
    parts, _ = _parts(tmp_path)
    out = write_assessment_parts(parts, tmp_path / "a.geojson", {})
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["name"] == "a"
    assert [f["properties"]["parcel_id"] for f in doc["features"]] == [
        "P01", "P02", "P03", "P04", "P05", "P10", "P11"]
    assert doc["features"][5]["geometry"]["type"] == "MultiPolygon"
    assert doc["features"][1]["properties"]["score"] is None


def test_gathered_geojson_names_its_collection_after_the_file(tmp_path: Path) -> None:
    # the same frame written twice gives the same bytes (not the temporary file's name)
    _, whole = _parts(tmp_path)
    one = write_assessment(whole, tmp_path / "1" / "a.geojson")
    two = write_assessment(whole, tmp_path / "2" / "a.geojson")
    assert one.read_bytes() == two.read_bytes()
    assert json.loads(one.read_text(encoding="utf-8"))["name"] == "a"


@pytest.fixture(scope="module")
def province_parts(tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[list[tuple[str, str, str]], gpd.GeoDataFrame, dict]:
    """A 40-zone synthetic province assessed on a local cluster of 2 workers, each zone
    written as a part; and the same zones assessed here and gathered."""
    root = tmp_path_factory.mktemp("prov40")
    ds = province_dataset(root / "ds", 4000, 40)
    units = plan_units(ds)
    job = AssessJob(path=str(ds), as_of=AS_OF)
    (root / "parts").mkdir()
    with Engine(workers=2) as eng:
        results = eng.run(WriteJob(job, str(root / "parts")), units)
    written = [r.written for r in results if r.written is not None]
    assert len(written) == len(units) == 40
    whole = combine([run_unit(job, u) for u in units])
    return [(w.path, w.first_id, w.last_id) for w in written], whole, written[0].attrs


@pytest.mark.parametrize("suffix", TABLE_FORMATS)
def test_province_40_zones_two_workers_streamed_equals_single_machine(
        province_parts: tuple, tmp_path: Path, suffix: str) -> None:
    parts, whole, attrs = province_parts
    streamed = write_assessment_parts(parts, tmp_path / "s" / f"a{suffix}", attrs)
    gathered = write_assessment(whole, tmp_path / "g" / f"a{suffix}")
    same_output(streamed, gathered)


@pytest.mark.parametrize("suffix", TABLE_FORMATS)
def test_sample_park_dataset_every_format_equals_plain_run(sample_park: Path, tmp_path: Path,
                                                           suffix: str) -> None:
    from landuse.io import read_parcels
    from landuse.rules import assess

    ds = tmp_path / "ds"
    r = CliRunner().invoke(cli, ["convert", str(sample_park), str(ds), "--partition-by", "zone"])
    assert r.exit_code == 0, r.output
    zoned = tmp_path / "z" / f"a{suffix}"
    r = CliRunner().invoke(cli, ["assess", str(ds), "--as-of", AS_OF, "-o", str(zoned)])
    assert r.exit_code == 0, r.output
    # the plain file's assessment in parcel-id order (the one order of a dataset's outputs)
    plain = assess(read_parcels(sample_park), AS_OF)
    plain = _sorted(plain)
    same_output(zoned, write_assessment(plain, tmp_path / "p" / f"a{suffix}"))


def _sorted(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from landuse.engine import sort_by_id

    out = gpd.GeoDataFrame(sort_by_id(gdf), geometry=gdf.geometry.name, crs=gdf.crs)
    out.attrs.update(gdf.attrs)
    return out


@pytest.mark.parametrize("suffix", BYTES)
def test_sample_park_same_bytes_on_two_workers(sample_park: Path, tmp_path: Path,
                                              suffix: str) -> None:
    from landuse.io import read_parcels
    from landuse.rules import assess

    ds = tmp_path / "ds"
    CliRunner().invoke(cli, ["convert", str(sample_park), str(ds), "--partition-by", "zone"])
    two = tmp_path / "t" / f"a{suffix}"
    r = CliRunner().invoke(cli, ["assess", str(ds), "--as-of", AS_OF, "-o", str(two),
                                 "--workers", "2"])
    assert r.exit_code == 0, r.output
    plain = write_assessment(_sorted(assess(read_parcels(sample_park), AS_OF)),
                             tmp_path / "p" / f"a{suffix}")
    assert two.read_bytes() == plain.read_bytes()
