# ruff: noqa: F811
"""Item pages of the sample park, byte for byte, against a writer that builds them object by
object: every parcel and ledger page (followed to the end, with and without geometry, in
another CRS) equals the features written one by one, each with its own encoder call and its
own geometry conversion, as the service wrote them before (both backends)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely

from landuse.io import read_ledger, read_parcels
from landuse.store import Query, Store, open_store
from landuse_api import crs as crsmod
from landuse_api.main import create_app
from landuse_api.settings import Settings
from tests.support.store import store_target  # noqa: F401

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

AS_OF = "2023-10-31"


@pytest.fixture
def park(store_target: str, sample_park: Path) -> Iterator[Store]:
    s = open_store(store_target)
    s.load(read_parcels(sample_park), read_ledger(sample_park, layer="ledger"))
    s.refresh_assessment(AS_OF)
    yield s
    s.close()


def _one_by_one(features: list[Any]) -> str:
    """The features of a page, written one at a time (the object-by-object writer)."""
    out = []
    for f, g in features:
        geometry = "null" if g is None else shapely.to_geojson(g)
        out.append('{"type":"Feature","id":' + json.dumps(f.id, ensure_ascii=False)
                   + ',"geometry":' + geometry + ',"properties":'
                   + json.dumps(f.properties, ensure_ascii=False, separators=(",", ":"),
                                allow_nan=False) + "}")
    return ',"features":[' + ",".join(out) + "]}"


@pytest.mark.parametrize(("collection", "params", "crs"), [
    ("parcels", "", None),
    ("parcels", "&skipGeometry=true&lang=en", None),
    ("parcels", "&crs=http://www.opengis.net/def/crs/EPSG/0/4490", 4490),
    ("ledger", "", None),
])
def test_pages_equal_the_object_by_object_writer(park: Store, collection: str, params: str,
                                                 crs: int | None) -> None:
    c = TestClient(create_app(Settings(as_of=AS_OF, warm=False), store=park))
    url = f"/collections/{collection}/items?limit=37{params}"
    skip = "skipGeometry=true" in params
    lang = "en" if "lang=en" in params else "zh"
    after = None
    pages = 0
    while url:
        r = c.get(url)
        assert r.status_code == 200, r.text
        body = r.content.decode()
        # the same page read from the store directly, written one feature at a time
        page = park.query(collection, Query(limit=37, after=after, skip_geometry=skip,
                                            lang=lang))
        geoms = crsmod.to_output([f.geometry for f in page.features], crs)
        expected = _one_by_one(list(zip(page.features, geoms, strict=True)))
        assert body[body.index(',"features":['):] == expected
        assert len(page.features) == r.json()["numberReturned"] > 0
        after = page.next_key
        url = next((x["href"] for x in r.json()["links"] if x["rel"] == "next"), "")
        pages += 1
    expected_pages = -(-park.count(collection) // 37)
    assert pages == expected_pages
