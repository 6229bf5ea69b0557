"""OGC API – Features (Parts 1, 2, 3 with CQL2 text and JSON): landing page to items, writes."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import re
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Body, Header, Query, Request, Response
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from starlette.datastructures import URL, QueryParams

from landuse.errors import GeometryError, SchemaError
from landuse.store import COLLECTIONS, Feature, Page, Store, cql
from landuse.store import Query as StoreQuery
from landuse_api import crs as crsmod
from landuse_api import formats
from landuse_api.deps import Editor, Reader, StoreDep, get_settings
from landuse_api.derived import Derived
from landuse_api.errors import ApiError
from landuse_api.heavy import Answer, Task, bounded
from landuse_api.settings import Settings

router = APIRouter()

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
]

RESERVED = {"f", "bbox", "bbox-crs", "crs", "limit", "cursor", "properties", "sortby",
            "skipGeometry", "filter", "filter-lang", "filter-crs", "numberMatched", "filename",
            "lang", "geometry", "datetime", "as_of", "known_at"}
FILTER_LANGS = ("cql2-text", "cql2-json")
DATETIME_HELP = ("A date, a date-time, or an interval start/end ('..' for open) on the "
                 "collection's date: parcels' supply_date, the ledger's event_date. A "
                 "date-time with a zone is read as the date in China (UTC+8).")
CHINA = dt.timezone(dt.timedelta(hours=8))
GEOMETRY_HELP = ("Ledger only: draw each event at its parcel's representative point (point, "
                 "the default; always inside the parcel), as the parcel's polygon (polygon), "
                 "or by the geometry stored with the event (event; null when none was given). "
                 "point and polygon are null only when the parcel is no longer in the "
                 "register.")
PAGE_FORMATS = ("json", "html", "csv")
LANG_HELP = ("Language of the parcels' assessment sentences (reasons): zh or en; codes, "
             "numbers and flags are the same in both. /assessment reads the same table.")
ALL_FORMATS = (*PAGE_FORMATS, *formats.DOWNLOADS)


def _fmt(f: str | None, request: Request, allowed: tuple[str, ...] = ("json", "html")) -> str:
    if f is None:
        accept = request.headers.get("accept", "")
        return "html" if "text/html" in accept and "html" in allowed else "json"
    if f not in allowed:
        raise ApiError(400, f"f: '{f}' is not an output format here. Fix: use one of "
                       f"{', '.join(allowed)}.", "f")
    return f


def _json(body: Any, status: int = 200, media: str = "application/json",
          headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type=media,
                    headers=headers)


def link_header(links: list[dict[str, str]]) -> str:
    """The body's links as one HTTP ``Link`` header value (RFC 8288).

    Each link keeps its ``rel`` and ``type``; a title goes as ``title`` when it is plain
    ASCII and as ``title*`` (RFC 8187, UTF-8) otherwise, since header values are Latin-1.

    Examples
    --------
    >>> print(link_header([{"rel": "next", "href": "http://h/i?cursor=a", "type": "text/csv",
    ...                     "title": "下页"}]))
    <http://h/i?cursor=a>; rel="next"; type="text/csv"; title*=UTF-8''%E4%B8%8B%E9%A1%B5
    """
    from urllib.parse import quote

    parts = []
    for x in links:
        href = quote(x["href"], safe=":/?#[]@!$&'()*+,;=%~-._")
        p = f'<{href}>; rel="{x["rel"]}"'
        if x.get("type"):
            p += f'; type="{x["type"]}"'
        title = x.get("title")
        if title:
            if title.isascii() and '"' not in title and "\\" not in title:
                p += f'; title="{title}"'
            else:
                p += f"; title*=UTF-8''{quote(title, safe='')}"
        parts.append(p)
    return ", ".join(parts)


def _doc(request: Request, f: str | None, title: str, body: dict[str, Any]) -> Response:
    """A JSON document (or its HTML page) whose self/alternate links are also in ``Link``."""
    fmt = _fmt(f, request)
    other = "html" if fmt == "json" else "json"
    media = {"json": "application/json", "html": "text/html"}
    links = [x for x in body.get("links", []) if x["rel"] not in ("self", "alternate")]
    body = {**body, "links": [
        {"rel": "self", "href": str(request.url), "type": media[fmt], "title": "this document"},
        {"rel": "alternate", "href": str(request.url.include_query_params(f=other)),
         "type": media[other], "title": other}, *links]}
    headers = {"Link": link_header(body["links"])}
    if fmt == "html":
        return Response(formats.page_html(title, body), media_type=formats.MEDIA["html"],
                        headers=headers)
    return _json(body, headers=headers)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _collection(collection_id: str) -> Any:
    if collection_id not in COLLECTIONS:
        raise ApiError(404, f"collectionId: '{collection_id}' does not exist. Fix: use parcels "
                       "or ledger.", "collectionId")
    return COLLECTIONS[collection_id]


@router.get("/", summary="Landing page 首页")
def landing(request: Request, *, f: Annotated[str | None, Query()] = None,
            _: Reader) -> Response:
    base = _base(request)
    settings = get_settings(request)
    body = {
        "title": settings.title,
        "description": "园区闲置与低效用地 Parcels, disposal ledger and land questions "
                       "(OGC API – Features).",
        "links": [
            {"rel": "service-desc", "href": f"{base}/openapi-3.0.json",
             "type": "application/vnd.oai.openapi+json;version=3.0", "title": "OpenAPI 3.0"},
            {"rel": "service-desc", "href": f"{base}/openapi.json",
             "type": "application/vnd.oai.openapi+json;version=3.1", "title": "OpenAPI 3.1"},
            {"rel": "service-doc", "href": f"{base}/docs", "type": "text/html",
             "title": "API docs 接口文档"},
            {"rel": "conformance", "href": f"{base}/conformance", "type": "application/json",
             "title": "conformance"},
            {"rel": "data", "href": f"{base}/collections", "type": "application/json",
             "title": "collections 数据集"},
            {"rel": "related", "href": f"{base}/app", "type": "text/html",
             "title": "workbench 工作台 (find, judge, record, report)"},
        ],
    }
    return _doc(request, f, settings.title, body)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, *, f: Annotated[str | None, Query()] = None,
                _: Reader) -> Response:
    return _doc(request, f, "Conformance", {"conformsTo": CONFORMANCE})


def _collection_doc(request: Request, store: Store, cid: str) -> dict[str, Any]:
    coll = COLLECTIONS[cid]
    base = _base(request)
    bounds = store.bounds()
    doc: dict[str, Any] = {
        "id": cid,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": crsmod.SUPPORTED,
        "storageCrs": crsmod.crs_uri(4490),
        "links": [
            {"rel": "self", "href": f"{base}/collections/{cid}", "type": "application/json",
             "title": coll.title},
            {"rel": "items", "href": f"{base}/collections/{cid}/items",
             "type": "application/geo+json", "title": "items 要素"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
             "href": f"{base}/collections/{cid}/queryables", "type": "application/schema+json",
             "title": "queryables"},
        ],
    }
    if bounds:
        doc["extent"] = {"spatial": {"bbox": [list(bounds)], "crs": crsmod.CRS84}}
    dates = request.app.state.derived.temporal_extent(cid)
    if dates is not None:
        doc.setdefault("extent", {})["temporal"] = temporal_extent(*dates)
    return doc


GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def temporal_extent(first: str, last: str) -> dict[str, Any]:
    """A collection's ``extent.temporal`` (OGC API – Features Part 1, 7.14.1) from its first
    and last date: one closed interval of RFC 3339 instants at the days' starts (the dates
    carry no time; the ``datetime`` parameter compares them as dates).

    Examples
    --------
    >>> temporal_extent("2019-03-01", "2023-10-31")["interval"]
    [['2019-03-01T00:00:00Z', '2023-10-31T00:00:00Z']]
    """
    return {"interval": [[f"{first}T00:00:00Z", f"{last}T00:00:00Z"]], "trs": GREGORIAN}


@router.get("/collections", summary="Collections 数据集")
def collections(request: Request, *, f: Annotated[str | None, Query()] = None,
                store: StoreDep,
                _: Reader) -> Response:
    body = {
        "links": [],
        "collections": [_collection_doc(request, store, c) for c in COLLECTIONS],
    }
    return _doc(request, f, "Collections 数据集", body)


@router.get("/collections/{collectionId}", summary="One collection")
def collection(request: Request, collectionId: str, *,
               f: Annotated[str | None, Query()] = None,
               store: StoreDep,
               _: Reader) -> Response:
    _collection(collectionId)
    return _doc(request, f, COLLECTIONS[collectionId].title,
                _collection_doc(request, store, collectionId))


_JSON_TYPES = {"text": "string", "date": "string", "real": "number", "int": "integer",
               "bool": "boolean"}


@router.get("/collections/{collectionId}/queryables", summary="Queryable properties")
def queryables(request: Request, collectionId: str, *,
               f: Annotated[str | None, Query()] = None,
               _: Reader) -> Response:
    coll = _collection(collectionId)
    props: dict[str, Any] = {"geom": {"format": "geometry-any", "title": "geometry"}}
    for c in coll.queryable:
        p: dict[str, Any] = {"type": _JSON_TYPES[c.kind], "title": c.title}
        if c.kind == "date":
            p["format"] = "date"
        props[c.name] = p
    body = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{_base(request)}/collections/{collectionId}/queryables",
            "type": "object", "title": coll.title, "properties": props,
            "additionalProperties": False}
    if _fmt(f, request) == "html":
        return Response(formats.page_html("Queryables", body), media_type=formats.MEDIA["html"])
    return _json(body, media="application/schema+json")


# -- items ---------------------------------------------------------------------------------


def _floats(text: str, param: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ApiError(400, f"{param}: '{text[:60]}' is not a comma-separated list of numbers.",
                       param) from None
    if not all(math.isfinite(v) for v in vals):
        raise ApiError(400, f"{param}: numbers must be finite.", param)
    return vals


def _cursor_number(v: Any) -> int | float:
    """A sort value PostgreSQL gave as a decimal (an integer column's value beside the
    stand-in for missing values makes the sort expression numeric) as a JSON number."""
    from decimal import Decimal

    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and abs(v) < 2**53 else float(v)
    raise TypeError(f"cursor: a value of type {type(v).__name__}")


def encode_cursor(key: tuple[Any, ...]) -> str:
    text = json.dumps(list(key), default=_cursor_number)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        val = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiError(400, "cursor: is damaged. Fix: follow the 'next' link as given.",
                       "cursor") from None
    if not isinstance(val, list) or not val:
        raise ApiError(400, "cursor: is damaged. Fix: follow the 'next' link as given.",
                       "cursor")
    return tuple(val)


def _ledger_geometry(collection: str, geometry: str | None) -> str:
    if geometry is None:
        return "point"
    if collection != "ledger":
        raise ApiError(400, f"geometry: only the ledger is drawn by choice; {collection} "
                       "features are their polygons. Fix: drop geometry.", "geometry")
    return geometry


def _filter(coll: Any, text: str | None, lang: str | None,
            crs: str | None) -> cql.Node | None:
    """The ``filter`` in ``filter-lang`` with its geometries moved from ``filter-crs``."""
    if lang is not None and lang not in FILTER_LANGS:
        raise ApiError(400, f"filter-lang: '{lang}' is not supported. Fix: use "
                       f"{' or '.join(FILTER_LANGS)}.", "filter-lang")
    code = crsmod.parse_crs(crs, "filter-crs")
    if text is None:
        if lang is not None or crs is not None:
            which = "filter-lang" if lang is not None else "filter-crs"
            raise ApiError(400, f"{which}: given without filter. Fix: add filter or drop "
                           f"{which}.", which)
        return None
    node = cql.parse_json(text) if lang == "cql2-json" else cql.parse(text)
    if code is not None:
        node = cql.map_geometries(node, lambda g: crsmod.storage_geometry(g, code))
    return node


def _instant(text: str) -> str:
    """A date or date-time of the ``datetime`` parameter as a date (China's, for a
    date-time with a zone)."""
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        t = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ApiError(400, f"datetime: '{text[:40]}' is not a date or date-time. Fix: write "
                       "2023-03-01, 2023-03-01T08:00:00Z, or an interval a/b with '..' for an "
                       "open end.", "datetime") from None
    if t.tzinfo is not None:
        t = t.astimezone(CHINA)
    return t.date().isoformat()


def _datetime_filter(coll: Any, text: str | None) -> cql.Node | None:
    """The OGC ``datetime`` parameter as a condition on the collection's date property:
    an instant matches that day; an interval matches its days, both ends included."""
    if text is None:
        return None
    if coll.temporal is None:
        raise ApiError(400, f"datetime: {coll.name} has no date property. Fix: drop datetime.",
                       "datetime")
    text = text.strip()
    if "/" not in text:
        return cql.Cmp(coll.temporal, "=", _instant(text))
    start, _, end = text.partition("/")
    low = None if start in ("..", "") else _instant(start)
    high = None if end in ("..", "") else _instant(end)
    if low is not None and high is not None and low > high:
        raise ApiError(400, "datetime: the interval ends before it starts. Fix: give "
                       "start/end in that order.", "datetime")
    parts: list[cql.Node] = []
    if low is not None:
        parts.append(cql.Cmp(coll.temporal, ">=", low))
    if high is not None:
        parts.append(cql.Cmp(coll.temporal, "<=", high))
    if not parts:
        # '../..' is every time, but a feature without a date has no time at all
        return cql.IsNull(coll.temporal, negate=True)
    return parts[0] if len(parts) == 1 else cql.And(tuple(parts))


def build_query(request: Request, coll: Any, settings: Settings, *, bbox: str | None,
                bbox_crs: str | None, limit: int | None, cursor: str | None,
                properties: str | None, sortby: str | None, skip_geometry: bool,
                filter_: str | None, filter_lang: str | None, number_matched: bool | None,
                download: bool, lang: str = "zh", geometry: str | None = None,
                filter_crs: str | None = None, datetime_: str | None = None) -> StoreQuery:
    """Turn OGC query parameters into a store query (400 names the bad parameter)."""
    q = StoreQuery(skip_geometry=skip_geometry, lang=lang,
                   ledger_geometry=_ledger_geometry(coll.name, geometry))
    for k, v in request.query_params.multi_items():
        if k in RESERVED:
            continue
        if k not in coll.all_names:
            raise ApiError(400, f"{k}: unknown parameter. Fix: use a property of {coll.name} "
                           f"({', '.join(coll.all_names[:8])}, …) or one of "
                           f"{', '.join(sorted(RESERVED))}.", k)
        q.equals[k] = v
    if bbox is not None:
        q.bbox = crsmod.to_storage_bbox(_floats(bbox, "bbox"),
                                        crsmod.parse_crs(bbox_crs, "bbox-crs"))
    elif bbox_crs is not None:
        raise ApiError(400, "bbox-crs: given without bbox. Fix: add bbox or drop bbox-crs.",
                       "bbox-crs")
    cap = settings.max_download if download else settings.max_limit
    q.limit = min(limit if limit is not None else
                  (cap if download else settings.default_limit), cap)
    if cursor is not None:
        q.after = decode_cursor(cursor)
    if properties is not None:
        q.properties = [p.strip() for p in properties.split(",") if p.strip()]
    if sortby:
        for item in sortby.split(","):
            item = item.strip()
            if not item:
                continue
            desc = item.startswith("-")
            name = item.lstrip("+-").strip()
            if " " in name:  # "+" decoded to a space in a query string
                name = name.replace(" ", "")
            q.sortby.append((name, desc))
    q.filter = _filter(coll, filter_, filter_lang, filter_crs)
    when = _datetime_filter(coll, datetime_)
    if when is not None:
        q.filter = when if q.filter is None else cql.And((q.filter, when))
    filtered = bool(q.equals or q.bbox or q.filter)
    q.count = bool(number_matched) if number_matched is not None else (
        settings.number_matched and not filtered)
    return q


def ensure_assessment(request: Request, wait: bool = False) -> dict[str, Any]:
    """Bring the store's assessment table up to date (see :meth:`Store.refresh_assessment`)
    before parcels are read; the response then names its as-of date and ruleset. Writers
    wait for the refresh; readers read the previous table while another request refreshes."""
    info: dict[str, Any] = request.app.state.derived.assessment(get_settings(request).as_of,
                                                                wait=wait)
    request.state.assessment = info
    return info


def assessment_header(info: dict[str, Any]) -> str:
    """The ``Landuse-Assessment`` header value: ``as_of=YYYY-MM-DD; ruleset="..."``."""
    from urllib.parse import quote

    stale = "; ranks_stale=true" if info.get("ranks_stale") else ""
    return (f'as_of={info["as_of"]}; ruleset="{quote(info["ruleset"], safe=" .-_")}"; '
            f'current={"true" if info["current"] else "false"}{stale}')


def _filename(name: str | None, default: str, fmt: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", name or default)[:80].strip("._") or default
    ext = "." + fmt
    return stem if stem.lower().endswith(ext) else stem + ext


def _disposition(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def respond_features(request: Request, page: Page, *, fmt: str, crs_code: int | None,
                     title: str, layer: str, filename: str | None, skip_geometry: bool,
                     extra_links: list[dict[str, str]] | None = None) -> Response:
    """Serialise a page in ``fmt`` with OGC links, Content-Crs and downloads' filenames."""
    assessment = getattr(request.state, "assessment", None) if layer == "parcels" else None
    return render_features(request.url, assessment, page, fmt=fmt, crs_code=crs_code,
                           title=title, layer=layer, filename=filename,
                           skip_geometry=skip_geometry, extra_links=extra_links)


def render_features(url: URL, assessment: dict[str, Any] | None, page: Page, *, fmt: str,
                    crs_code: int | None, title: str, layer: str, filename: str | None,
                    skip_geometry: bool, extra_links: list[dict[str, str]] | None = None
                    ) -> Response:
    """:func:`respond_features` for the request ``url`` and the parcels' ``assessment``
    state (what a worker process needs, no request)."""
    feats = page.features
    crs_uri = crsmod.crs_uri(crs_code)
    headers = {"Content-Crs": f"<{crs_uri}>"}
    if assessment:
        headers["Landuse-Assessment"] = assessment_header(assessment)
    links = [{"rel": "self", "href": str(url), "type": formats.MEDIA[fmt],
              "title": "this page"}]
    for alt in ("json", "html", "csv", "geojson", "xlsx", "gpkg"):
        if alt != fmt:
            links.append({"rel": "alternate" if alt in PAGE_FORMATS else "enclosure",
                          "href": str(url.include_query_params(f=alt)),
                          "type": formats.MEDIA[alt], "title": alt})
    if page.next_key is not None:
        links.append({"rel": "next", "type": formats.MEDIA[fmt], "title": "next page 下一页",
                      "href": str(url.include_query_params(
                          cursor=encode_cursor(page.next_key)))})
    links += extra_links or []
    headers["Link"] = link_header(links)
    storage_geoms = [f.geometry for f in feats]
    if fmt in formats.DOWNLOADS:
        ogc_axis = fmt not in ("gpkg",)
        geoms = crsmod.to_output(storage_geoms, crs_code, ogc_axis_order=ogc_axis)
        crs_name = "EPSG:4490" if crs_code is None else f"EPSG:{crs_code}"
        if fmt == "gpkg" and crs_code is None:
            crs_name = "OGC:CRS84"
        data = formats.render_download(fmt, feats, geoms, crs_name, layer, not skip_geometry)
        stamp = dt.date.today().isoformat()
        headers["Content-Disposition"] = _disposition(
            _filename(filename, f"{layer}-{stamp}", fmt))
        return Response(data, media_type=formats.MEDIA[fmt], headers=headers)
    geoms = crsmod.to_output(storage_geoms, crs_code)
    if fmt == "html":
        lang = "en" if QueryParams(url.query).get("lang") == "en" else "zh"
        note = _page_note(len(feats), page.number_matched, lang)
        return Response(formats.features_html(title, feats, links, note,
                                              COLLECTIONS.get(layer), lang),
                        media_type=formats.MEDIA["html"], headers=headers)
    if fmt == "csv":
        return Response(formats.features_csv(feats, geoms, not skip_geometry),
                        media_type=formats.MEDIA["csv"], headers=headers)
    meta: dict[str, Any] = {
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "numberReturned": len(feats),
    }
    if page.number_matched is not None:
        meta["numberMatched"] = page.number_matched
    if assessment:
        meta["assessment"] = assessment
    meta["links"] = links
    return Response(formats.features_geojson(feats, geoms, meta),
                    media_type=formats.MEDIA["json"], headers=headers)


@router.get("/collections/{collectionId}/items", summary="Features 要素",
            description="bbox, attribute equality filters (?zone=A), a CQL2-text filter, "
            "sortby, properties, skipGeometry, keyset paging (follow rel=next), crs/bbox-crs. "
            "f=json|html|csv pages; f=geojson|csv|xlsx|gpkg downloads with a filename.")
def items(
    request: Request,
    collectionId: str, *,
    f: Annotated[str | None, Query(description="json, html, csv, geojson, xlsx, gpkg")] = None,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
    crs: Annotated[str | None, Query()] = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000_000)] = None,
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
    properties: Annotated[str | None, Query()] = None,
    sortby: Annotated[str | None, Query(description="+a,-b")] = None,
    skipGeometry: Annotated[bool, Query()] = False,
    filter: Annotated[str | None, Query(description="CQL2 text or CQL2-JSON (filter-lang)")
                      ] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang",
                                             description="cql2-text (default) or "
                                             "cql2-json")] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs",
                                            description="CRS of the filter's geometries "
                                            "(default CRS84)")] = None,
    datetime: Annotated[str | None, Query(description=DATETIME_HELP)] = None,
    numberMatched: Annotated[bool | None, Query()] = None,
    filename: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[str, Query(pattern="^(zh|en)$", description=LANG_HELP)] = "zh",
    geometry: Annotated[str | None, Query(pattern="^(point|polygon|event)$",
                                          description=GEOMETRY_HELP)] = None,
    as_of: Annotated[str | None, Query(description=AS_OF_HELP)] = None,
    known_at: Annotated[str | None, Query(description=KNOWN_AT_HELP)] = None,
    store: StoreDep,
    _: Reader,
) -> Response:
    coll = _collection(collectionId)
    fmt = _fmt(f, request, ALL_FORMATS)
    crs_code = crsmod.parse_crs(crs, "crs")
    q = build_query(request, coll, get_settings(request), bbox=bbox, bbox_crs=bbox_crs,
                    limit=limit, cursor=cursor, properties=properties, sortby=sortby,
                    skip_geometry=skipGeometry, filter_=filter, filter_lang=filter_lang,
                    number_matched=numberMatched, download=fmt in formats.DOWNLOADS,
                    lang=lang, geometry=geometry, filter_crs=filter_crs,
                    datetime_=datetime)
    past = _past(collectionId, as_of, known_at)
    if past is not None:
        q.valid_at, q.known_at = past
    info = ensure_assessment(request) if collectionId == "parcels" and past is None else None

    extra = [{"rel": "collection", "type": "application/json",
              "href": f"{_base(request)}/collections/{collectionId}"}]
    if fmt in formats.DOWNLOADS and q.limit > get_settings(request).max_limit:
        # a download of more than a page: cached until a write and bounded (landuse_api.heavy)
        key = (store.change_seq(), "items", str(request.url), dt.date.today().isoformat(),
               None if info is None else (info["as_of"], info["current"],
                                          info.get("ranks_stale")))
        assessment = getattr(request.state, "assessment", None) \
            if collectionId == "parcels" else None
        task: Task = (_download, (collectionId, q, str(request.url), assessment, fmt,
                                  crs_code, filename, skipGeometry, extra))
        return bounded(request.app.state.heavy, key, task)
    page = None
    if collectionId == "parcels" and past is None and q.sortby and not datetime \
            and filter_lang in (None, "cql2-text") and filter_crs is None:  # kept orders
        page = request.app.state.derived.sorted_page(q, filter or "")
    return respond_features(
        request, page if page is not None else store.query(collectionId, q), fmt=fmt,
        crs_code=crs_code,
        title=coll.title, layer=collectionId, filename=filename,
        skip_geometry=skipGeometry, extra_links=extra)


def _download(d: Derived, collection_id: str, q: StoreQuery, url: str,
              assessment: dict[str, Any] | None, fmt: str, crs_code: int | None,
              filename: str | None, skip_geometry: bool,
              extra_links: list[dict[str, str]]) -> Answer:
    """A download of more than a page, as a heavy task (landuse_api.heavy)."""
    page = d.store.query(collection_id, q)
    return Answer.of(render_features(
        URL(url), assessment, page, fmt=fmt, crs_code=crs_code,
        title=_collection(collection_id).title, layer=collection_id, filename=filename,
        skip_geometry=skip_geometry, extra_links=extra_links))


def _page_note(n: int, matched: int | None, lang: str) -> str:
    """How many features the page shows (of how many), in ``lang``."""
    if lang == "zh":
        return (f"共{matched}条，" if matched is not None else "") + f"本页{n}条"
    return f"{n} features" + (f" of {matched}" if matched is not None else "")
AS_OF_HELP = ("Parcels only: the register as it stood on this date (YYYY-MM-DD), read "
              "from the store's history; its assessment fields are null (the stored "
              "assessment is the current register's). Default: the current register.")
KNOWN_AT_HELP = ("Parcels: the register as recorded by this time (YYYY-MM-DD = end of that "
                 "day, or an ISO time, UTC); ledger: the events recorded by then. Default "
                 "now.")


def _past(collection: str, as_of: str | None, known_at: str | None
          ) -> tuple[str | None, str | None] | None:
    """(valid date, record time) of a request for a past register, checked (400 names the
    parameter), or None for the current one."""
    from landuse.errors import LanduseError
    from landuse.store.history import known_at_iso

    if as_of is None and known_at is None:
        return None
    if collection != "parcels" and as_of is not None:
        raise ApiError(400, "as_of: only the parcels have past versions. Fix: use known_at "
                       "for the ledger, or drop as_of.", "as_of")
    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of).isoformat()
        except ValueError:
            raise ApiError(400, f"as_of: '{as_of}' is not a date. Fix: YYYY-MM-DD.",
                           "as_of") from None
    try:
        known = known_at_iso(known_at)
    except LanduseError as e:
        raise ApiError(400, str(e), "known_at") from None
    return day, known


def etag(f: Feature) -> str:
    return f'"v{f.version}"'


@router.get("/collections/{collectionId}/items/{featureId}", summary="One feature")
def item(request: Request, collectionId: str, featureId: str, *,
         f: Annotated[str | None, Query()] = None,
         crs: Annotated[str | None, Query()] = None,
         lang: Annotated[str, Query(pattern="^(zh|en)$", description=LANG_HELP)] = "zh",
         geometry: Annotated[str | None, Query(pattern="^(point|polygon|event)$",
                                               description=GEOMETRY_HELP)] = None,
         store: StoreDep,
         _: Reader) -> Response:
    coll = _collection(collectionId)
    fmt = _fmt(f, request)
    crs_code = crsmod.parse_crs(crs, "crs")
    how = _ledger_geometry(collectionId, geometry)
    info = ensure_assessment(request) if collectionId == "parcels" else None
    feat = store.get(collectionId, featureId, lang=lang, ledger_geometry=how)
    headers = {"Content-Crs": f"<{crsmod.crs_uri(crs_code)}>"}
    if info:
        headers["Landuse-Assessment"] = assessment_header(info)
    if feat.version is not None:
        headers["ETag"] = etag(feat)
    base = _base(request)
    other = "html" if fmt == "json" else "json"
    links = [{"rel": "self", "href": str(request.url), "type": formats.MEDIA[fmt]},
             {"rel": "alternate", "href": str(request.url.include_query_params(f=other)),
              "type": formats.MEDIA[other], "title": other},
             {"rel": "collection", "href": f"{base}/collections/{collectionId}",
              "type": "application/json"}]
    headers["Link"] = link_header(links)
    if fmt == "html":
        return Response(formats.features_html(f"{coll.title} {feat.id}", [feat], links, "",
                                              coll, lang),
                        media_type=formats.MEDIA["html"], headers=headers)
    geom = crsmod.to_output([feat.geometry], crs_code)[0]
    meta: dict[str, Any] = {"links": links}
    if info:
        meta["assessment"] = info
    return Response(formats.feature_json(feat, geom, meta).encode(),
                    media_type=formats.MEDIA["json"], headers=headers)


# -- writes ----------------------------------------------------------------------------------


def parse_geometry(obj: Any, where: str, required: bool = False) -> BaseGeometry | None:
    """A GeoJSON geometry (CRS84) as a storage geometry; GeometryError names ``where``."""
    if obj is None:
        if required:
            raise GeometryError(f"{where}: a geometry is required.")
        return None
    if not isinstance(obj, dict) or "type" not in obj:
        raise GeometryError(f"{where}: not a GeoJSON geometry object.")
    try:
        g = shape(obj)
    except Exception as e:  # shapely raises several types for malformed GeoJSON
        raise GeometryError(f"{where}: not a valid GeoJSON geometry ({e}).") from None
    coords = shapely.get_coordinates(g)
    if len(coords) and not (abs(coords[:, 0]).max() <= 180 and abs(coords[:, 1]).max() <= 90):
        raise GeometryError(f"{where}: coordinates are not longitude/latitude (CRS84).")
    if g.is_empty or not g.is_valid:
        raise GeometryError(f"{where}: empty or invalid geometry "
                            f"({shapely.is_valid_reason(g)}).")
    return g


def _feature_parts(obj: Any, where: str) -> tuple[dict[str, Any], BaseGeometry | None]:
    if not isinstance(obj, dict) or obj.get("type") != "Feature":
        raise SchemaError(f"{where}: expected a GeoJSON Feature "
                          '({"type": "Feature", "geometry": ..., "properties": {...}}).')
    props = obj.get("properties")
    if not isinstance(props, dict):
        raise SchemaError(f"{where}: 'properties' must be an object of ledger fields.")
    return props, parse_geometry(obj.get("geometry"), f"{where}: geometry")


@router.post("/collections/{collectionId}/items", status_code=201,
             summary="Append ledger events 追加台账事件",
             description="A GeoJSON Feature (or FeatureCollection) whose properties follow the "
             "ledger standard; geometry may be null. Needs an editor key. Corrections are new "
             "events naming the corrected one in 'corrects'.")
def add_items(request: Request, collectionId: str,
              body: Annotated[dict[str, Any], Body()],
              store: StoreDep,
              key: Editor) -> Response:
    _collection(collectionId)
    if collectionId != "ledger":
        raise ApiError(405, f"collectionId: {collectionId} cannot be added to over the API; "
                       "only the ledger takes new items (parcels are edited with PATCH).",
                       "collectionId", {"Allow": "GET"})
    if body.get("type") == "FeatureCollection":
        feats = body.get("features")
        if not isinstance(feats, list) or not feats:
            raise SchemaError("features: a FeatureCollection needs a non-empty 'features' list.")
        if len(feats) > 10_000:
            raise SchemaError("features: at most 10000 events per request.")
        events = [_feature_parts(x, f"features[{i}]") for i, x in enumerate(feats)]
    else:
        events = [_feature_parts(body, "body")]
    stored = store.append_events(events, actor=f"key:{key.key_id}")
    ensure_assessment(request, wait=True)  # the writer, not the next reader, waits for the refresh
    base = _base(request)
    loc = f"{base}/collections/ledger/items/{stored[0].id}"
    geoms = crsmod.to_output([f.geometry for f in stored], None)
    if len(stored) == 1 and body.get("type") != "FeatureCollection":
        data = formats.feature_json(stored[0], geoms[0]).encode()
    else:
        data = formats.features_geojson(stored, geoms, {"numberReturned": len(stored)})
    return Response(data, status_code=201, media_type=formats.MEDIA["json"],
                    headers={"Location": loc})


def _if_match(value: str | None) -> int:
    if value is None:
        raise ApiError(428, "If-Match: required for edits. Fix: GET the parcel, then send its "
                       "ETag as If-Match.", "If-Match")
    m = re.fullmatch(r'\s*(?:W/)?"?v?(\d{1,9})"?\s*', value)
    if m is None:
        raise ApiError(412, f"If-Match: '{value[:40]}' is not an ETag of this server.",
                       "If-Match")
    return int(m.group(1))


@router.patch("/collections/{collectionId}/items/{featureId}",
              summary="Edit a parcel 修改宗地 (If-Match)",
              description="Body: a GeoJSON Feature (or {'properties': {...}}) with the fields to "
              "change. Needs an editor key and If-Match with the parcel's ETag: 428 when "
              "missing, 412 when someone else edited it first.")
def edit_item(request: Request, collectionId: str, featureId: str,
              body: Annotated[dict[str, Any], Body()], *,
              if_match: Annotated[str | None, Header()] = None,
              store: StoreDep,
              key: Editor) -> Response:
    _collection(collectionId)
    if collectionId != "parcels":
        raise ApiError(405, "collectionId: ledger events are never edited; add a correcting "
                       "event instead (POST with 'corrects').", "collectionId",
                       {"Allow": "GET, POST"})
    expected = _if_match(if_match)
    props = body.get("properties", {})
    if not isinstance(props, dict):
        raise SchemaError("properties: must be an object of parcel fields.")
    geom = parse_geometry(body.get("geometry"), "geometry")
    feat = store.update_parcel(featureId, props, geom, expected, actor=f"key:{key.key_id}")
    ensure_assessment(request, wait=True)  # the writer, not the next reader, waits for the refresh
    feat = store.get_parcel(featureId)
    out = crsmod.to_output([feat.geometry], None)[0]
    return Response(formats.feature_json(feat, out).encode(), media_type=formats.MEDIA["json"],
                    headers={"ETag": etag(feat)})


@router.get("/audit", summary="Audit log 审计日志 (editor key)")
def audit(*, after: Annotated[int, Query(ge=0, le=2**62)] = 0,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          store: StoreDep,
          key: Editor) -> Response:
    return _json({"records": store.audit_log(limit=limit, after=after)})
