"""Task-shaped endpoints: parcel at a point, typeahead search, parcels inside a polygon."""

from __future__ import annotations

import json
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Body, Query, Request, Response
from pyproj import Transformer

from landuse.errors import GeometryError
from landuse.store import Page
from landuse.store import Query as StoreQuery
from landuse_api import crs as crsmod
from landuse_api.deps import Reader, StoreDep
from landuse_api.routers.ogc import _fmt, ensure_assessment, parse_geometry, respond_features

router = APIRouter(prefix="/parcels", tags=["land 土地"])


def _circle(lon: float, lat: float, radius_m: float) -> Any:
    """A geodesic circle: buffered in a local azimuthal equidistant projection."""
    aeqd = f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m"
    back = Transformer.from_crs(aeqd, 4490, always_xy=True)
    ring = shapely.Point(0, 0).buffer(radius_m, quad_segs=16)
    return shapely.transform(ring, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


@router.get("/at", summary="Parcel at a point 点查宗地",
            description="Parcels containing the point (all of them when stacked); with "
            "radius_m, parcels within that distance.")
def parcel_at(
    request: Request,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)], *,
    radius_m: Annotated[float, Query(ge=0, le=5000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    crs: Annotated[str | None, Query()] = None,
    f: Annotated[str | None, Query()] = None,
    store: StoreDep,
    _: Reader,
) -> Response:
    fmt = _fmt(f, request)
    code = crsmod.parse_crs(crs, "crs")
    # below a millimetre the circle is the point (GEOS fails on denormal buffer radii)
    geom = _circle(lon, lat, radius_m) if radius_m >= 1e-3 else shapely.Point(lon, lat)
    ensure_assessment(request)
    feats = store.parcels_in(geom, limit=limit)
    return respond_features(request, Page(feats, None, None), fmt=fmt, crs_code=code,
                            title="点查宗地 Parcels at a point", layer="parcels", filename=None,
                            skip_geometry=False)


@router.get("/search", summary="Search by parcel id or holder 宗地/企业搜索",
            description="Typeahead: parcel ids starting with q, then holders (企业名称) "
            "containing q.")
def search(
    q: Annotated[str, Query(min_length=1, max_length=100)], *,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    store: StoreDep,
    _: Reader,
) -> Response:
    body = {"query": q, "results": store.search(q, limit=limit)}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.post("/inside", summary="Parcels inside a polygon 区域查宗地",
             description="Body: a GeoJSON Polygon/MultiPolygon (or a Feature holding one) in "
             "CRS84. predicate=intersects (default) or within.")
def inside(
    request: Request,
    body: Annotated[dict[str, Any], Body()], *,
    predicate: Annotated[str, Query(pattern="^(intersects|within)$")] = "intersects",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    crs: Annotated[str | None, Query()] = None,
    f: Annotated[str | None, Query()] = None,
    store: StoreDep,
    _: Reader,
) -> Response:
    fmt = _fmt(f, request, ("json", "html", "csv", "geojson", "xlsx", "gpkg"))
    code = crsmod.parse_crs(crs, "crs")
    obj = body.get("geometry") if body.get("type") == "Feature" else body
    geom = parse_geometry(obj, "body", required=True)
    assert geom is not None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryError(f"body: needs a Polygon or MultiPolygon, got {geom.geom_type}.")
    ensure_assessment(request)
    page = store.query("parcels", StoreQuery(intersects=geom, limit=limit))
    feats = page.features
    if predicate == "within":
        shapely.prepare(geom)
        feats = [x for x in feats if x.geometry is not None and geom.contains(x.geometry)]
    return respond_features(request, Page(feats, None, None), fmt=fmt, crs_code=code,
                            title="区域内宗地 Parcels inside", layer="parcels", filename=None,
                            skip_geometry=False)
