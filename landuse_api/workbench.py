"""The planner's workbench in the browser (``/app``): find a parcel, see why it is flagged,
record what was done, download the report.

The page is plain HTML, CSS and JavaScript shipped as package data
(``landuse_api/static/app/``); Leaflet and VectorGrid are the vendored copies the maps use
(``landuse/webmap/static/vendor/``), so nothing is fetched from outside the server. The
page reads the API the server already has (parcels items with CQL2 filters and paging,
``/parcels/search``, ``/tiles/parcels``, the ledger, ``/reports/reclamation``) and three
small routes here: its words (``/app/words``, from ``landuse/data/words.toml`` group
``[app]`` and the standard's code lists, through :func:`landuse.labels.label`), the count
and 亩 of a filter (``/app/summary``) and who a key is (``/app/whoami``).
"""

from __future__ import annotations

import re
from html import escape
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from landuse.errors import NotFoundError
from landuse.labels import label, label_keys
from landuse.store import cql
from landuse_api.deps import Reader, StoreDep
from landuse_api.errors import ApiError
from landuse_api.routers.ogc import ensure_assessment

__all__ = ["CODE_LISTS", "page", "router", "words"]

router = APIRouter(tags=["Workbench 工作台"])

STATIC = Path(str(resources.files("landuse_api").joinpath("static", "app")))
VENDOR = Path(str(resources.files("landuse.webmap").joinpath("static", "vendor")))
ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
VENDOR_FILES = {
    "leaflet.js": ("leaflet/dist/leaflet.js", "text/javascript"),
    "leaflet.css": ("leaflet/dist/leaflet.css", "text/css"),
    "vectorgrid.js": ("leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
                      "text/javascript"),
}
CODE_LISTS = ("lifecycle", "idle_type", "failed_indicator", "flag", "mujun_class", "stage",
              "method", "land_use", "supply_method", "enterprise_status", "start_evidence",
              "delay_cause")
"""The standard's code lists the page shows (filters, the record form)."""


def words(lang: str) -> dict[str, Any]:
    """The page's words in ``lang``: group ``[app]`` of words.toml, the code lists of
    :data:`CODE_LISTS` and the field names, all through :func:`landuse.labels.label`."""
    from landuse.standard import field_name_zh, get_standard

    std = get_standard()
    out: dict[str, Any] = {"app": {k: label("app", k, lang) for k in label_keys("app")}}
    out["app"].update({f"common.{k}": label("common", k, lang) for k in ("lang_zh", "lang_en",
                                                                      "parcel_count")})
    out["codes"] = {name: {code: label(name, code, lang) for code in std.codes[name]}
                    for name in CODE_LISTS}
    # register and ledger fields: the header a land office writes, or the standard's name
    out["fields"] = {f.name: field_name_zh(f.name) if lang == "zh" else f.name.replace("_", " ")
                     for layer in ("parcels", "ledger") for f in std.fields[layer]}
    out["fields"].update({k: label("field", k, lang) for k in label_keys("field")})
    return out


def page(lang: str) -> str:
    """The page with its words in ``lang`` filled into the elements marked ``data-w``."""
    html = (STATIC / "index.html").read_text("utf-8")
    html = html.replace("{html_lang}", "zh-CN" if lang == "zh" else "en")

    def fill(m: re.Match[str]) -> str:
        group, _, key = m.group(3).rpartition(".")
        return m.group(1) + escape(label(group or "app", key, lang)) + m.group(4)

    return re.sub(r'(<(\w+)\b[^>]*\bdata-w="([\w.]+)"[^>]*>)(</\2>)', fill, html)


@router.get("/app", include_in_schema=False)
def app_page(lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh") -> HTMLResponse:
    """The workbench page (Chinese by default; ``?lang=en`` or the switch for English)."""
    return HTMLResponse(page(lang))


@router.get("/app/assets/{name}", include_in_schema=False)
def app_asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFoundError(f"name: no asset '{name}'.")
    return FileResponse(STATIC / name, media_type=ASSETS[name])


@router.get("/app/vendor/{name}", include_in_schema=False)
def app_vendor(name: str) -> Response:
    if name not in VENDOR_FILES:
        raise NotFoundError(f"name: no vendored file '{name}'.")
    path, media = VENDOR_FILES[name]
    return FileResponse(VENDOR / path, media_type=media)


@router.get("/app/words", summary="The workbench's words 工作台用语")
def app_words(lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh") -> JSONResponse:
    return JSONResponse(words(lang))


@router.get("/app/summary", summary="Count and 亩 of a filter 筛选结果的宗数与亩数",
            description="The parcels matching a CQL2 text filter (as /collections/parcels/"
            "items takes it): how many and their area in 亩 (area_mu, ellipsoidal). A "
            "filter's answer is kept and patched by the writes since "
            "(landuse_api.selection), so asking again does not read the whole register.")
def app_summary(request: Request, _: Reader,
                filter: Annotated[str | None, Query(max_length=20_000)] = None) -> JSONResponse:
    if filter:
        cql.parse(filter)  # a wrong filter is refused before anything is read
    info = ensure_assessment(request)
    d = request.app.state.derived
    sel = d.selections.get(filter or "", d.frames()[0])
    return JSONResponse({"parcels": sel.count, "area_mu": round(sel.area_mu, 2),
                         "assessment": info})


@router.get("/app/map", summary="The zoom levels of the parcels' vector tiles and the classes "
            "they are coloured by 切片级别与图例",
            description="minzoom and maxzoom of /tiles/parcels; layer: the map layer the "
            "workbench colours by (property c0 of the tiles: the land-use stage), its "
            "classes in order with label and colour, as the legend shows them; version: "
            "the map's version, counted up each time a write or the 亩均 refresh changes "
            "it (/app/tiles); bbox: the parcels' extent (lon/lat), where the map opens.")
def app_map(request: Request, _: Reader,
            lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh") -> JSONResponse:
    d = request.app.state.derived
    st = d.tileset(lang)
    return JSONResponse({"minzoom": st["ts"].minzoom, "maxzoom": st["ts"].maxzoom,
                         "layer": st["layers"][0], "version": st["n"],
                         "bbox": d.store.bounds()})


@router.get("/app/tiles", summary="Which map tiles changed since a version 变化的切片",
            description="After a write the page redraws only these: [z, x, y] of the "
            "parcels' vector tiles (every level) holding a parcel whose class or drawing "
            "order changed after the map's version `since` (the `version` of /app/map when "
            "the page drew its tiles), and with `filter` also those holding a parcel the writes "
            "touched; `all: true` when every tile may have changed. `version`: the map's "
            "version now.")
def app_tiles(request: Request, _: Reader,
              since: Annotated[int, Query(ge=0)],
              lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
              filter: Annotated[str | None, Query(max_length=20_000)] = None) -> JSONResponse:
    if filter:
        ensure_assessment(request)
    return JSONResponse(request.app.state.derived.changed_tiles(lang, since, filter or None))


@router.get("/app/zones", summary="The sub-parks of the register 园区列表")
def app_zones(store: StoreDep, _: Reader) -> JSONResponse:
    return JSONResponse({"zones": store.zones()})


@router.get("/app/whoami", summary="The role of the key sent 当前密钥的角色")
def app_whoami(key: Reader) -> JSONResponse:
    if key is None:
        raise ApiError(401, "Authorization: send 'Authorization: Bearer KEY' to sign in.",
                       "Authorization", {"WWW-Authenticate": "Bearer"})
    return JSONResponse({"key_id": key.key_id, "role": key.role, "label": key.label})
