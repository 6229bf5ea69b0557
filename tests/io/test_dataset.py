"""The partitioned register: convert --partition-by writes it, every reader filters it."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from landuse.cli import cli
from landuse.errors import CRSError, SchemaError
from landuse.io import read_parcels
from landuse.io.dataset import DATASET_META, dataset_info, read_dataset, write_dataset

X0, Y0 = 39_500_000.0, 3_100_000.0


def _province() -> gpd.GeoDataFrame:
    """Six parcels in two cities, three development zones; parcel i at x = X0 + 1000 i."""
    rows = [("江西省", "抚州市", "抚州高新区"), ("江西省", "抚州市", "抚州高新区"),
            ("江西省", "抚州市", "东乡经开区"), ("江西省", "南昌市", "南昌经开区"),
            ("江西省", "南昌市", "南昌经开区"), ("江西省", "抚州市", "东乡经开区")]
    return gpd.GeoDataFrame(
        {"parcel_id": [f"P{6 - i}" for i in range(6)],
         "province": [r[0] for r in rows], "city": [r[1] for r in rows],
         "dev_zone": [r[2] for r in rows], "holder": [f"企业{i}" for i in range(6)]},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * i + 100, Y0 + 100) for i in range(6)],
        crs="EPSG:4527",
    )


KEYS = ("province", "city", "dev_zone")


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    write_dataset([("province.gpkg", _province())], tmp_path / "ds", KEYS)
    return tmp_path / "ds"


def _files(ds: Path) -> dict[str, Path]:
    return {p.parent.name: p for p in ds.rglob("*.parquet")}


def test_layout_hive_folders_one_file_per_zone_sorted(dataset: Path) -> None:
    files = sorted(str(p.relative_to(dataset)) for p in dataset.rglob("*.parquet"))
    assert len(files) == 3
    assert all(f.startswith("province=%E6%B1%9F%E8%A5%BF%E7%9C%81/city=") for f in files)
    fz = pq.read_table(_files(dataset)["dev_zone=%E6%8A%9A%E5%B7%9E%E9%AB%98%E6%96%B0%E5%8C%BA"])
    assert fz.column("parcel_id").to_pylist() == ["P5", "P6"]  # sorted by id
    assert "dev_zone" not in fz.column_names  # the partition value lives in the path


def test_geoparquet_11_bbox_covering_and_one_crs(dataset: Path) -> None:
    f = next(iter(_files(dataset).values()))
    geo = json.loads(pq.read_schema(f).metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    col = geo["columns"]["geometry"]
    assert col["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    assert col["crs"]["id"] == {"authority": "EPSG", "code": 4527}
    info = dataset_info(dataset)
    assert info.keys == KEYS
    assert info.crs.to_epsg() == 4527
    bbox = pq.read_table(f).column("bbox").to_pylist()[0]
    assert bbox["xmax"] - bbox["xmin"] == pytest.approx(100)


def test_read_whole_dataset_roundtrip(dataset: Path) -> None:
    g = read_dataset(dataset)
    assert sorted(g["parcel_id"]) == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert list(g.columns) == list(_province().columns)  # the register's order
    assert g.crs.to_epsg() == 4527
    by_id = g.set_index("parcel_id")
    assert by_id.loc["P3", "dev_zone"] == "南昌经开区"
    assert by_id.loc["P3", "geometry"].bounds[0] == X0 + 3000


def test_partition_filter_never_opens_other_files(dataset: Path) -> None:
    # the files of every other zone are garbage: reading one of them would fail
    keep = "dev_zone=%E5%8D%97%E6%98%8C%E7%BB%8F%E5%BC%80%E5%8C%BA"  # 南昌经开区
    for name, f in _files(dataset).items():
        if name != keep:
            f.write_bytes(b"not parquet at all")
    g = read_parcels(dataset, where={"dev_zone": ["南昌经开区"]})
    assert sorted(g["parcel_id"]) == ["P2", "P3"]
    assert g.attrs["landuse"]["format"] == "GeoParquet dataset"
    with pytest.raises(Exception, match="cannot be read"):
        read_parcels(dataset)


def test_bbox_filter_by_covering_column(dataset: Path) -> None:
    # parcel i spans x = X0 + 1000 i .. + 100; the box meets parcels 2 and 3 (ids P4, P3)
    g = read_parcels(dataset, bbox=(X0 + 2050, Y0 - 10, X0 + 3010, Y0 + 10))
    assert sorted(g["parcel_id"]) == ["P3", "P4"]
    g = read_parcels(dataset, where={"city": ["抚州市"]},
                     bbox=(X0 + 2050, Y0 - 10, X0 + 3010, Y0 + 10))
    assert g["parcel_id"].tolist() == ["P4"]


def test_unknown_partition_value_or_key_is_an_error(dataset: Path) -> None:
    with pytest.raises(SchemaError, match="no partition dev_zone=九江经开区"):
        read_dataset(dataset, where={"dev_zone": ["九江经开区"]})
    with pytest.raises(SchemaError, match="not by 'zone'"):
        read_dataset(dataset, where={"zone": ["x"]})


def test_mixed_crs_is_an_error(tmp_path: Path) -> None:
    a = _province()
    b = _province().to_crs("EPSG:4490")
    b["parcel_id"] = [f"Q{i}" for i in range(6)]
    with pytest.raises(CRSError, match=r"b\.gpkg is in EPSG:4490 but a\.gpkg is in EPSG:4527"):
        write_dataset([("a.gpkg", a), ("b.gpkg", b)], tmp_path / "ds", KEYS)
    assert not (tmp_path / "ds").exists()


def test_empty_partition_value_names_the_record(tmp_path: Path) -> None:
    g = _province()
    g.loc[4, "city"] = None
    with pytest.raises(SchemaError, match=r"'city' is empty in record\(s\) 5"):
        write_dataset([("p.gpkg", g)], tmp_path / "ds", KEYS)


def test_cli_convert_several_inputs_and_read_back(tmp_path: Path) -> None:
    g = _province()
    g.iloc[:3].to_file(tmp_path / "a.gpkg", layer="parcels")
    g.iloc[3:].to_file(tmp_path / "b.gpkg", layer="parcels")
    r = CliRunner().invoke(cli, ["convert", str(tmp_path / "a.gpkg"), str(tmp_path / "b.gpkg"),
                                 str(tmp_path / "ds"), "--partition-by", ",".join(KEYS)])
    assert r.exit_code == 0, r.output
    assert "6 parcels in 3 partitions" in r.output
    assert (tmp_path / "ds" / DATASET_META).is_file()
    r = CliRunner().invoke(cli, ["info", str(tmp_path / "ds"), "--partition", "city=南昌市"])
    assert r.exit_code == 0, r.output
    assert "宗地数 parcels:   2" in r.output
    r = CliRunner().invoke(cli, ["info", str(tmp_path / "ds"), "--bbox", "1,2,3"])
    assert r.exit_code == 2 and "MINX,MINY,MAXX,MAXY" in r.output
    r = CliRunner().invoke(cli, ["convert", str(tmp_path / "a.gpkg"), str(tmp_path / "b.gpkg"),
                                 str(tmp_path / "x.gpkg")])
    assert r.exit_code == 2 and "--partition-by" in r.output


def test_filter_on_a_plain_file_is_an_error(tmp_path: Path) -> None:
    _province().to_file(tmp_path / "a.gpkg", layer="parcels")
    with pytest.raises(Exception, match="not a partitioned dataset"):
        read_parcels(tmp_path / "a.gpkg", where={"city": ["南昌市"]})


def test_chunks_written_one_at_a_time_read_like_one(tmp_path: Path) -> None:
    from landuse.io.dataset import write_dataset_chunks

    g = _province()
    by_zone = [g[g["dev_zone"] == z] for z in sorted(g["dev_zone"].unique())]
    write_dataset_chunks(iter(by_zone), tmp_path / "a", KEYS)
    write_dataset([("p", g)], tmp_path / "b", KEYS)
    assert dataset_info(tmp_path / "a").partitions == dataset_info(tmp_path / "b").partitions
    a, b = read_dataset(tmp_path / "a"), read_dataset(tmp_path / "b")
    assert a.to_wkb().equals(b.to_wkb())
    # a partition split over two chunks is refused, and nothing is left behind
    with pytest.raises(SchemaError, match="an earlier chunk held"):
        write_dataset_chunks(iter([g.iloc[:1], g.iloc[1:]]), tmp_path / "c", KEYS)
    assert not (tmp_path / "c").exists()
