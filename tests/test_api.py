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

        @settings(max_examples=int(os.environ.get("LANDUSE_FUZZ_EXAMPLES", "25")), deadline=None, database=None,
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
