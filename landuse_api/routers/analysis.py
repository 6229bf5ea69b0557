"""Land answers computed by the library: assessment, reclamation report, indicators, map, tiles.

Routes only parse, call ``landuse.rules.assess`` / ``landuse.report`` / ``landuse.webmap``
(through the per-version cache of :mod:`api.derived`) and serialise.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from landuse.errors import LanduseError, NotFoundError, SchemaError
from landuse_api import formats
from landuse_api.deps import Reader, get_settings
from landuse_api.derived import Derived
from landuse_api.errors import ApiError
from landuse_api.heavy import Answer, Heavy, Task, bounded, respond
from landuse_api.routers.ogc import _disposition, ensure_assessment

router = APIRouter(tags=["land 土地"])

DATE = r"^\d{4}-\d{2}-\d{2}$"


def derived(request: Request) -> Derived:
    d: Derived = request.app.state.derived
    return d


DerivedDep = Annotated[Derived, Depends(derived)]


def heavy(request: Request) -> Heavy:
    h: Heavy = request.app.state.heavy
    return h


HeavyDep = Annotated[Heavy, Depends(heavy)]


def _date(value: str | None, param: str, default: str | None = None) -> str:
    if value is None:
        if default is None:
            raise ApiError(400, f"{param}: required (YYYY-MM-DD).", param)
        return default
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ApiError(400, f"{param}: '{value}' is not a date. Fix: YYYY-MM-DD.",
                       param) from None


def _plain(v: Any) -> Any:
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp | dt.date):
        return v.isoformat()[:10]
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = [c for c in df.columns if c != "geometry"]
    return [{c: _plain(v) for c, v in zip(cols, row, strict=True)}
            for row in df[cols].itertuples(index=False, name=None)]


@router.get("/assessment", summary="Assessment of a parcel or a zone 宗地/园区评估",
            description="The §3 assessment (五未 stage, idle type, overdue days, idle fee, "
            "low efficiency, 亩均 class, reasons) as of a date: the store's materialised "
            "assessment, the one the parcels items join, with its reasons in lang.")
def assessment(request: Request, *,
    as_of: Annotated[str | None, Query(description="YYYY-MM-DD (default: the server's "
                                       "assessment date, as the parcels items)")] = None,
    parcel_id: Annotated[str | None, Query(max_length=200)] = None,
    zone: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    f: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    d: DerivedDep,
    h: HeavyDep,
    _: Reader,
) -> Response:
    default = get_settings(request).as_of or dt.date.today()
    day = _date(as_of, "as_of", default.isoformat())
    state = d.store.assessment_state() or {}
    key = (d.store.change_seq(), "assessment", day, parcel_id, zone, lang, f,
           bool(state.get("ranks_stale")))  # the lazy whole refresh changes no sequence
    return bounded(h, key, (_assessment, (day, parcel_id, zone, lang, f)))


def _assessment(d: Derived, day: str, parcel_id: str | None, zone: str | None, lang: str,
                f: str) -> Answer:
    df = d.stored_assessment(day, lang)
    if parcel_id is not None:
        df = df[df["parcel_id"] == parcel_id]
        if df.empty:
            raise NotFoundError(f"parcel_id: '{parcel_id}' is not in the store.")
    if zone is not None:
        df = df[df["zone"] == zone]
        if df.empty:
            raise NotFoundError(f"zone: no parcels in zone '{zone}'.")
    from landuse.rules import ASSESSMENT_COLUMNS, summarise

    cols = ["parcel_id", "zone", "holder", "land_use", *ASSESSMENT_COLUMNS]
    cols = [c for c in cols if c in df.columns]
    if f == "csv":
        data = "\ufeff" + df[cols].to_csv(index=False)
        return Answer(data.encode(), formats.MEDIA["csv"], {
            "Content-Disposition": _disposition(f"assessment-{day}.csv")})
    body: dict[str, Any] = {"as_of": day, "parcels": len(df)}
    if (d.store.assessment_state() or {}).get("ranks_stale"):
        body["ranks_stale"] = True  # 亩均 ranks of untouched parcels may be behind
    if parcel_id is None:
        summary = summarise(df)
        body["summary"] = {
            dim: {str(code): {"parcels": int(t.loc[code, ("all", "parcels")]),
                              "mu": round(float(t.loc[code, ("all", "mu")]), 2)}
                  for code in t.index}
            for dim, t in summary.items()
        }
    body["results"] = _records(df[cols])
    return Answer(json.dumps(body, ensure_ascii=False).encode(), "application/json")


_REPORT_SUFFIX = {"json": ".json", "html": ".html", "xlsx": ".xlsx", "docx": ".docx"}
_REPORT_MEDIA = {"json": "application/json", "html": formats.MEDIA["html"],
                 "xlsx": formats.MEDIA["xlsx"],
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@router.get("/reports/reclamation", summary="Reclamation report 盘活报告",
            description="The zone's land report for a period (landuse.report), in json, "
            "html, xlsx or docx, Chinese or English. Cached until the store changes "
            "(header Landuse-Cache: hit/miss). When the register holds more parcels than "
            "the server's LANDUSE_JOB_MIN_PARCELS and the report is not cached, the answer "
            "is 202 with a status link (Location: /jobs/{id}); the file follows at "
            "/jobs/{id}/result. 503 with Retry-After when the server already computes "
            "LANDUSE_HEAVY_MAX heavy answers; 504 past LANDUSE_HEAVY_DEADLINE_S.",
            responses={202: {"description": "Report started as a job; see Location"}})
def reclamation_report(
    request: Request,
    from_: Annotated[str, Query(alias="from", description="YYYY-MM-DD")],
    to: Annotated[str, Query(description="YYYY-MM-DD")], *,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    zone: Annotated[str | None, Query(max_length=200)] = None,
    f: Annotated[str, Query(pattern="^(json|html|xlsx|docx)$")] = "json",
    d: DerivedDep,
    h: HeavyDep,
    _: Reader,
) -> Response:
    start, end = _date(from_, "from"), _date(to, "to")
    if start > end:
        raise ApiError(400, "from: later than 'to'. Fix: give from <= to.", "from")
    key = (d.store.change_seq(), "reclamation", start, end, lang, zone, f)
    hit = h.cached(key)
    if hit is not None:
        return respond(hit, "hit")

    task: Task = (_report, (start, end, zone, lang, f))
    if d.store.count("parcels") > get_settings(request).job_min_parcels:
        job = h.submit(key, task, f"reclamation report {start}..{end} {lang} {f}")
        return _job_response(request, job.id, job.status(), 202)
    return respond(h.answer(key, task), "miss")


def _report(d: Derived, start: str, end: str, zone: str | None, lang: str,
            f: str) -> Answer:
    from landuse.report import build_report, write_report

    assessed = d.assessed(end, lang)
    _, ledger = d.frames()
    report = build_report(assessed, ledger.drop(columns=["recorded_at", "recorded_by"]),
                          start, end, zone=zone, lang=lang, as_of=end)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"reclamation_{start}_{end}_{lang}{_REPORT_SUFFIX[f]}"
        write_report(report, path)
        data = path.read_bytes()
    headers = {}
    if f in ("xlsx", "docx"):
        headers["Content-Disposition"] = _disposition(path.name)
    return Answer(data, _REPORT_MEDIA[f], headers)


def _job_response(request: Request, job_id: str, status: str, code: int) -> Response:
    base = str(request.base_url).rstrip("/")
    links = [{"rel": "self", "type": "application/json", "href": f"{base}/jobs/{job_id}"}]
    if status == "done":
        links.append({"rel": "enclosure", "href": f"{base}/jobs/{job_id}/result"})
    body = {"id": job_id, "status": status, "links": links}
    headers = {"Location": f"{base}/jobs/{job_id}"} if code == 202 else {}
    if status == "running":
        headers["Retry-After"] = "1"
    return Response(json.dumps(body), status_code=code, media_type="application/json",
                    headers=headers)


@router.get("/jobs/{job_id}", summary="A report job's status 报告任务状态",
            description="running, done (with an 'enclosure' link to the file) or failed "
            "(with the problem). Jobs are kept in the server's memory: a restart forgets "
            "them.")
def job_status(request: Request, job_id: Annotated[str, PathParam(max_length=64)],
               h: HeavyDep, _: Reader) -> Response:
    job = h.job(job_id)
    if job is None:
        raise NotFoundError(f"job_id: job '{job_id}' is unknown (or forgotten after a "
                            "restart). Fix: ask for the report again.")
    status = job.status()
    if status == "failed":
        _raise_failure(job.future.exception())
    return _job_response(request, job.id, status, 200)


def _raise_failure(exc: BaseException | None) -> None:
    if isinstance(exc, ApiError | LanduseError):
        raise exc
    raise ApiError(500, "job: the report failed on the server; it is logged.", "job_id")


@router.get("/jobs/{job_id}/result", summary="A report job's file 报告任务结果",
            description="The finished report, as the report route would have sent it; "
            "409 with Retry-After while the job runs.")
def job_result(job_id: Annotated[str, PathParam(max_length=64)], h: HeavyDep,
               _: Reader) -> Response:
    job = h.job(job_id)
    if job is None:
        raise NotFoundError(f"job_id: job '{job_id}' is unknown (or forgotten after a "
                            "restart). Fix: ask for the report again.")
    status = job.status()
    if status == "running":
        raise ApiError(409, f"job_id: job '{job_id}' is still running. Fix: poll "
                       f"/jobs/{job_id} until its status is done.", "job_id",
                       {"Retry-After": "1"})
    if status == "failed":
        _raise_failure(job.future.exception())
    return respond(job.future.result(), "miss")


@router.get("/indicators", summary="Zone indicators 园区用地指标",
            description="Land-use intensity indicators of the whole park or one zone "
            "(landuse.report.zone_indicators) on the assessment as of a date. Cached until "
            "the store changes; bounded as the reports are.")
def indicators(*,
    as_of: Annotated[str | None, Query()] = None,
    zone: Annotated[str | None, Query(max_length=200)] = None,
    d: DerivedDep,
    h: HeavyDep,
    _: Reader,
) -> Response:
    day = _date(as_of, "as_of", dt.date.today().isoformat())
    key = (d.store.change_seq(), "indicators", day, zone)
    return bounded(h, key, (_indicators, (day, zone)))


def _indicators(d: Derived, day: str, zone: str | None) -> Answer:
    from landuse.report import zone_indicators

    df = d.assessed(day)
    if zone is not None:
        df = df[df["zone"] == zone]
        if df.empty:
            raise NotFoundError(f"zone: no parcels in zone '{zone}'.")
    body = {"as_of": day, "zone": zone, "indicators": _records(zone_indicators(df))}
    return Answer(json.dumps(body, ensure_ascii=False).encode(), "application/json")


@router.get("/map", summary="Interactive map 交互地图",
            description="The landuse.webmap map of today's assessment, reading vector tiles "
            "from /tiles/parcels/{z}/{x}/{y}.mvt (offline: no CDN).")
def parcel_map(
    request: Request, *,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    d: DerivedDep,
    _: Reader,
) -> Response:
    from landuse.webmap import page_for_tile_url

    m = d.tiled_map(lang)
    base = str(request.base_url).rstrip("/")
    html = page_for_tile_url(m["webmap"], f"{base}/tiles/parcels/{{z}}/{{x}}/{{y}}.mvt?lang={lang}",
                             f"{base}/map/{lang}/files/", m["info"])
    return Response(html, media_type=formats.MEDIA["html"])


@router.get("/map/{lang}/files/{kind}/{name}", include_in_schema=False)
def map_files(lang: str, kind: str, name: str, d: DerivedDep,
              _: Reader) -> Response:
    if lang not in ("zh", "en") or kind not in ("attr", "search") or not name.endswith(".js") \
            or "/" in name or ".." in name:
        raise NotFoundError(f"map file {kind}/{name} does not exist.")
    p = d.tiled_map(lang)["folder"] / kind / name
    if not p.is_file():
        raise NotFoundError(f"map file {kind}/{name} does not exist.")
    return Response(p.read_bytes(), media_type="text/javascript; charset=utf-8")


@router.get("/tiles/parcels/{z}/{x}/{y}.mvt", summary="Vector tiles of the parcels 矢量切片",
            description="Mapbox Vector Tiles (layer 'p'; properties f, id (the parcel id) and "
            "c0..cN, one class index per map layer, as the map uses them) made by "
            "landuse.webmap on first ask and kept until a write changes a parcel in the "
            "tile; with `filter`, only the parcels it selects (the workbench's filters); "
            "204 where a tile has no parcels.")
def tile(
    request: Request,
    z: Annotated[int, PathParam(ge=0, le=24)],
    x: Annotated[int, PathParam(ge=0)],
    y: Annotated[int, PathParam(ge=0)], *,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    filter: Annotated[str | None, Query(
        max_length=20_000, description="CQL2 text (as /collections/parcels/items takes "
        "it): only the parcels it selects are drawn")] = None,
    d: DerivedDep,
    _: Reader,
) -> Response:
    if x >= 2**z or y >= 2**z:
        raise SchemaError(f"x: tile {z}/{x}/{y} is outside the zoom level's grid.")
    if filter:
        ensure_assessment(request)
    body = d.tile(lang, z, x, y, filter or None)
    headers = {"Cache-Control": "max-age=60"}
    if body is None:
        return Response(status_code=204, headers=headers)
    return Response(body, media_type="application/vnd.mapbox-vector-tile", headers=headers)


@router.get("/changes", summary="Changes between two dates 变化",
            description="One row per parcel that changed between `from` and `to` "
            "(landuse.rules.changes): the register valid on each date, assessed as of it, "
            "as recorded by `known_at` (default now); the summary counts parcels and 亩 per "
            "transition. Cached until the store changes; bounded as the reports are.")
def changes_route(*,
    from_: Annotated[str | None, Query(alias="from", description="First date, YYYY-MM-DD")
                     ] = None,
    to: Annotated[str | None, Query(description="Second date (default today)")] = None,
    known_at: Annotated[str | None, Query(description="Record time (default now)")] = None,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    d: DerivedDep,
    h: HeavyDep,
    _: Reader,
) -> Response:
    from landuse.store.history import known_at_iso

    d1 = _date(from_, "from")
    d2 = _date(to, "to", dt.date.today().isoformat())
    if d2 < d1:
        raise ApiError(400, f"to: {d2} is before from {d1}. Fix: swap them.", "to")
    try:
        known = known_at_iso(known_at)
    except LanduseError as e:
        raise ApiError(400, str(e), "known_at") from None
    key = (d.store.change_seq(), "changes", d1, d2, known, lang)
    return bounded(h, key, (_changes, (d1, d2, known, lang)))


def _changes(d: Derived, d1: str, d2: str, known: str | None, lang: str) -> Answer:
    from landuse.rules.changes import changes_between, summarise_changes

    store = d.store
    before, after = store.registers_frames([d1, d2], known_at=known)
    found = changes_between(before, after, d1, d2, ledger=store.ledger_frame(known_at=known),
                            lang=lang)
    body = {"from": d1, "to": d2, "known_at": known,
            "summary": _records(summarise_changes(found, lang)),
            "changes": _records(found)}
    return Answer(json.dumps(body, ensure_ascii=False).encode(), "application/json")
