"""The map's browser packages ship as package data, pinned by the npm lock file.

``landuse/webmap/static/vendor/<package>/`` holds the files the map uses, the package's
``package.json`` and its licence (``make assets`` refreshes them); nothing reads
``node_modules/``.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from landuse.errors import DataSourceError
from landuse.store import Store
from landuse.webmap import assets
from landuse.webmap.assets import VENDOR, css_references, find_vendor, load_assets
from tests.builders import ROOT
from tests.support.store import loaded, store_target  # noqa: F401

LOCK = json.loads((ROOT / "package-lock.json").read_text("utf-8"))
DECLARED = json.loads((ROOT / "package.json").read_text("utf-8"))["dependencies"]
SHIPPED = sorted(p.name for p in VENDOR.iterdir() if p.is_dir())


def test_every_declared_package_ships_and_nothing_else() -> None:
    assert SHIPPED == sorted(DECLARED)


@pytest.mark.parametrize("pkg", SHIPPED)
def test_shipped_version_is_the_locked_one(pkg: str) -> None:
    shipped = json.loads((VENDOR / pkg / "package.json").read_text("utf-8"))
    assert shipped["name"] == pkg
    assert shipped["version"] == LOCK["packages"][f"node_modules/{pkg}"]["version"]
    assert shipped["version"] == DECLARED[pkg]  # package.json pins exact versions


@pytest.mark.parametrize("pkg", SHIPPED)
def test_licence_ships(pkg: str) -> None:
    d = VENDOR / pkg
    declared = json.loads((d / "package.json").read_text("utf-8"))["license"]
    files = [p for p in d.iterdir() if p.name.upper().startswith(("LICENSE", "LICENCE"))]
    if not files:  # leaflet.vectorgrid keeps its licence (Beer-ware) in its README
        readme = (d / "README.md").read_text("utf-8")
        assert declared.lower().replace("-", "") in readme.lower().replace("-", "")
        assert re.search(r"licen[sc]e", readme, re.I)
        return
    text = files[0].read_text("utf-8", errors="replace")
    assert len(text) > 200 and "copyright" in text.lower(), files[0]


def test_every_image_the_css_references_ships() -> None:
    for rel in assets.LIB_CSS:
        css = VENDOR / rel
        refs = css_references(css)
        assert all((css.parent / r).is_file() for r in refs), (rel, refs)


def test_assets_load_from_the_package_only() -> None:
    a = load_assets("zh")
    assert "leaflet-measure" in a.lib_js[-1] or "measure" in a.lib_js[-1].lower()
    assert any("L.Icon.Default.mergeOptions" in js for js in a.lib_js)
    assert all("url(images/" not in css and "url(assets/" not in css for css in a.lib_css)
    assert "node_modules" not in Path(assets.__file__).read_text("utf-8").split('"""', 2)[2]


def test_missing_files_error_names_them_but_no_machine_path(tmp_path: Path) -> None:
    empty = tmp_path / "vendor"
    empty.mkdir()
    with pytest.raises(DataSourceError) as e:
        find_vendor(empty)
    msg = str(e.value)
    assert "landuse/webmap/static/vendor/leaflet/dist/leaflet.js" in msg
    assert str(tmp_path) not in msg and "Fix:" in msg


@pytest.mark.parametrize("store_target", ["gpkg"], indirect=True)
def test_map_endpoint_never_shows_a_server_path(loaded: Store, tmp_path: Path,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from landuse_api.main import create_app
    from landuse_api.settings import Settings

    client = TestClient(create_app(Settings(), store=loaded), raise_server_exceptions=False)
    ok = client.get("/map")
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/html")
    gone = tmp_path / "nowhere" / "vendor"
    monkeypatch.setattr(assets, "VENDOR", gone)
    load_assets.cache_clear()
    try:
        r = client.get("/map?lang=en")
    finally:
        load_assets.cache_clear()
    assert r.status_code == 503
    body = r.text
    assert "browser files are missing" in body
    assert str(tmp_path) not in body and str(ROOT) not in body
    assert not re.search(r"(^|[\s(\"'])/(home|root|tmp|usr|work|srv|opt)/", body), body
