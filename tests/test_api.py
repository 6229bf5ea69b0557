# ruff: noqa: F811
"""The service in-process (TestClient) on both backends, plus a schemathesis run."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import pytest
from _storekit import loaded, make_ledger, make_register, store_target  # noqa: F401
from api_surface import check_read_surface, check_write_surface, problem

from api.main import create_app
from api.settings import Settings
from landuse.store import Store, open_store

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402


def client(store: Store, **settings: object) -> TestClient:
    app = create_app(Settings(**settings), store=store)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


def test_read_surface_in_process(loaded: Store) -> None:
    check_read_surface(client(loaded))


def test_write_surface_in_process(loaded: Store) -> None:
    check_write_surface(client(loaded), loaded.add_key("editor"), loaded.add_key("viewer"))


def test_reads_can_require_a_key_and_cors_is_configurable(loaded: Store) -> None:
    c = client(loaded, read_requires_key=True, cors_origins=["https://gis.example.cn"])
    problem(c.get("/collections/parcels/items"), 401, "Authorization")
    key = loaded.add_key("viewer")
    r = c.get("/collections/parcels/items?limit=1", headers={
        "Authorization": f"Bearer {key}", "Origin": "https://gis.example.cn"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://gis.example.cn"
    pre = c.options("/collections/ledger/items", headers={
        "Origin": "https://gis.example.cn", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization"})
    assert pre.status_code == 200
    r = client(loaded).get("/collections", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_limit_is_capped_by_setting(loaded: Store) -> None:
    body = client(loaded, max_limit=7).get("/collections/parcels/items?limit=50").json()
    assert body["numberReturned"] == 7


def test_openapi_and_docs(loaded: Store) -> None:
    c = client(loaded)
    spec = c.get("/openapi.json").json()
    for path in ("/collections/{collectionId}/items", "/parcels/at", "/parcels/search",
                 "/parcels/inside", "/collections/{collectionId}/items/{featureId}"):
        assert path in spec["paths"], path
    assert c.get("/docs").status_code == 200


@pytest.fixture
def gpkg_store(tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    s = open_store(tmp_path / "s.gpkg", create=True)
    s.load(make_register(), make_ledger())
    yield s
    s.close()


def test_no_input_yields_a_500(gpkg_store: Store) -> None:
    """schemathesis: generated requests against our OpenAPI never get a server error."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    key = gpkg_store.add_key("editor")
    app = create_app(Settings(), store=gpkg_store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: list[int] = []
    for op in schema.get_all_operations():
        operation = op.ok()

        @settings(max_examples=int(os.environ.get("LANDUSE_FUZZ_EXAMPLES", "25")),
                  deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            headers = {"Authorization": f"Bearer {key}"}
            response = case.call(headers=headers)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} "
                                f"{case.body!r}: {response.status_code} {response.text}"[:600])
            elif response.status_code >= 400:
                ctype = response.headers.get("content-type")
                ctype = ctype[0] if isinstance(ctype, list) else ctype
                if not str(ctype).startswith("application/problem+json"):
                    failures.append(f"{case.method} {case.formatted_path}: {ctype}")

        given(case=operation.as_strategy())(run)()
    assert not failures, "\n".join(failures[:5])
    assert len(calls) > 100 and any(c < 300 for c in calls) and any(c >= 400 for c in calls)


@pytest.fixture
def sample_store(store_target: str, sample_park) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    """The bundled sample park loaded into the store (both backends)."""
    from landuse.io import read_ledger, read_parcels

    s = open_store(store_target)
    s.load(read_parcels(sample_park), read_ledger(sample_park, layer="ledger"))
    yield s
    s.close()


def test_land_answers_on_the_sample_park(sample_store: Store, root) -> None:  # type: ignore[no-untyped-def]
    """/assessment, /indicators, /reports/reclamation, /map and /tiles call the library."""
    import json

    import mapbox_vector_tile

    expected = json.loads((root / "data/geo/sample_park_expected.json").read_text("utf-8"))
    c = client(sample_store)
    body = c.get("/assessment?as_of=2023-10-31").json()
    assert body["parcels"] == expected["parcel_count"] == 302
    life = {k: v["parcels"] for k, v in body["summary"]["lifecycle"].items()}
    assert life == expected["assessment"]["lifecycle"]
    idle = {k: v["parcels"] for k, v in body["summary"]["idle_type"].items()}
    assert idle == expected["assessment"]["idle_type"]
    one = c.get("/assessment", params={"as_of": "2023-10-31", "parcel_id": "FB-001"}).json()
    assert one["parcels"] == 1 and one["results"][0]["reasons"]
    zone = body["results"][0]["zone"]
    assert c.get("/assessment", params={"zone": zone, "as_of": "2023-10-31"}).json()["parcels"]
    problem(c.get("/assessment?parcel_id=NOPE"), 404, "parcel_id")
    problem(c.get("/assessment?as_of=31.10.2023"), 400, "as_of")

    ind = c.get("/indicators?as_of=2023-10-31").json()["indicators"]
    assert any(i["key"] == "land_development_rate" and i["value"] is not None for i in ind)

    r = c.get("/reports/reclamation?from=2023-01-01&to=2023-10-31&f=json")
    assert r.status_code == 200 and "175.8" in r.text  # disposed 亩 in the period
    for f, magic in (("xlsx", b"PK"), ("docx", b"PK")):
        r = c.get(f"/reports/reclamation?from=2023-01-01&to=2023-10-31&f={f}&lang=en")
        assert r.status_code == 200 and r.content[:2] == magic
        assert f".{f}" in r.headers["content-disposition"]
    html = c.get("/reports/reclamation?from=2023-01-01&to=2023-10-31&f=html").text
    assert "<html" in html and "盘活" in html
    problem(c.get("/reports/reclamation?from=2023-11-01&to=2023-10-31"), 400, "from")

    page = c.get("/map")
    assert page.status_code == 200 and "/tiles/parcels/{z}/{x}/{y}.mvt" in page.text
    import re

    external = re.findall(r"""(?:src=|<link[^>]*href=)["']https?://(?!testserver)[^"']+""",
                          page.text)
    assert external == []  # offline: scripts and styles are inlined, nothing from a CDN
    info = c.app.state.derived.tiled_map("zh")  # type: ignore[attr-defined]
    some = sorted((info["folder"] / "tiles").rglob("*.pbf"))[0]
    z, x, y = some.parts[-3], some.parts[-2], some.stem
    r = c.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert len(mapbox_vector_tile.decode(r.content)["p"]["features"]) > 0
    assert c.get("/tiles/parcels/3/0/0.mvt").status_code == 204
    problem(c.get("/tiles/parcels/3/9/0.mvt"), 400)
    assert c.get("/map/zh/files/attr/0.js").text.startswith("LU.attrs(")
    # a write changes the store version: the next assessment sees it
    key = sample_store.add_key("editor")
    r = c.post("/collections/ledger/items", headers={"Authorization": f"Bearer {key}"}, json={
        "type": "Feature", "geometry": None, "properties": {
            "event_id": "API-1", "parcel_id": "FB-001", "event_date": "2023-10-30",
            "stage": "investigating"}})
    assert r.status_code == 201
    assert sample_store.change_seq() > 0
