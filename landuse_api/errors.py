"""Errors -> RFC 9457 problem+json, from ONE table of exception types to HTTP codes.

Routes raise library errors (or :class:`ApiError` for HTTP-only cases); nothing here
matches on message text. Unknown exceptions become a 500 problem that hides internals
(and the test suite makes sure no input reaches that branch).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from landuse.errors import (
    ConflictError,
    CRSError,
    DataSourceError,
    GeometryError,
    LanduseError,
    NotFoundError,
    OutputExistsError,
    RulesetError,
    SchemaError,
    StaleVersionError,
)
from landuse.labels import label

__all__ = ["DETAIL_LINES", "STATUS_CODES", "ApiError", "add_exception_handlers", "answer_lang",
           "problem", "problems_detail_zh"]

log = logging.getLogger("landuse.api")


class ApiError(Exception):
    """An HTTP-level problem (auth, preconditions, sizes) with the parameter it concerns."""

    def __init__(self, status: int, detail: str, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.param = param
        self.headers = headers or {}

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt whole when raised in a worker process (landuse_api.heavy)
        return (type(self), (self.status, self.detail, self.param, self.headers))


# most specific first: the first matching type decides
STATUS_CODES: list[tuple[type[BaseException], int]] = [
    (StaleVersionError, 412),
    (NotFoundError, 404),
    (ConflictError, 409),
    (OutputExistsError, 409),
    (CRSError, 400),
    (GeometryError, 400),
    (SchemaError, 400),
    (RulesetError, 400),
    (DataSourceError, 503),
    (LanduseError, 400),
]

_TITLES = {400: "Bad request 请求有误", 401: "Unauthorized 未认证", 403: "Forbidden 无权限",
           404: "Not found 未找到", 405: "Method not allowed", 406: "Not acceptable",
           409: "Conflict 冲突", 412: "Precondition failed 版本已变", 413: "Too large 请求过大",
           415: "Unsupported media type", 428: "Precondition required 需要 If-Match",
           500: "Internal error 内部错误", 501: "Not implemented 未实现",
           503: "Unavailable 暂不可用", 504: "Timeout 处理超时"}


def problem(status: int, detail: str, param: str | None = None,
            headers: dict[str, str] | None = None, instance: str | None = None,
            invalid_params: list[dict[str, Any]] | None = None) -> JSONResponse:
    """An ``application/problem+json`` response.

    ``invalid_params`` (RFC 9457's ``invalid-params`` extension) lists one entry per bad
    field: ``name`` (the field), ``reason`` (problem and fix; ``reason_zh`` the same in
    Chinese where the problem has its words in both), and where known ``row``
    (1-based: the feature of a FeatureCollection), ``event_id`` and ``value``.
    """
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if param:
        body["parameter"] = param
    if instance:
        body["instance"] = instance
    if invalid_params:
        body["invalid-params"] = invalid_params
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


def _invalid_params(exc: LanduseError) -> list[dict[str, Any]]:
    """``invalid-params`` entries from an error's problem records (may be empty)."""
    out = []
    for p in exc.problems:
        entry: dict[str, Any] = {"name": p.get("field"),
                                 "reason": f"{p.get('problem')}. Fix: {p.get('fix')}."}
        if p.get("problem_zh"):
            entry["reason_zh"] = f"{p['problem_zh']}。改正：{p.get('fix_zh')}。"
        if p.get("row"):
            entry["row"] = int(p["row"])
        for k in ("event_id", "value"):
            if p.get(k) not in (None, ""):
                entry[k] = str(p[k])
        out.append(entry)
    return out


DETAIL_LINES = 20
"""Problems listed in a refused write's detail; the others are counted."""


def answer_lang(request: Request) -> str:
    """The language of an answer's words: ``?lang=`` when given, else the first of zh and
    en in the Accept-Language header (by its q weights), else Chinese."""
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        return asked
    best, weight = "zh", -1.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        if lang not in ("zh", "en"):
            continue
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        if q > weight:
            best, weight = lang, q
    return best if weight > 0 else "zh"


def problems_detail_zh(problems: list[dict[str, Any]]) -> str | None:
    """The detail of a refused write in Chinese: a head line with the count, then one line
    per problem (where, field, value, what is wrong, how to fix it), as the English
    message lists them; None when a problem has no Chinese words."""
    if not problems or not all(p.get("problem_zh") and p.get("fix_zh") for p in problems):
        return None

    def w(key: str, **params: Any) -> str:
        return label("refused", key, "zh").format(**params)

    lines = [w("head", n=len(problems)) + "。"]
    for p in problems[:DETAIL_LINES]:
        where = w("row", row=int(p["row"])) if p.get("row") else w("header")
        ev = w("event", event_id=p["event_id"]) if p.get("event_id") else ""
        val = w("value", value=p["value"]) if p.get("value") not in (None, "") else ""
        lines.append(f"{where}{ev}，{w('field', field=p.get('field'))}{val}："
                     f"{p['problem_zh']}。{w('fix')}{p['fix_zh']}。")
    if len(problems) > DETAIL_LINES:
        lines.append(w("more", n=len(problems) - DETAIL_LINES) + "。")
    return "\n".join(lines)


def _param_of(message: str) -> str | None:
    head = message.split(":", 1)[0].strip()
    return head if head and " " not in head and len(head) < 40 else None


def add_exception_handlers(app: FastAPI) -> None:
    """Register the table above, request-validation and HTTP errors on ``app``."""

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return problem(exc.status, exc.detail, exc.param, exc.headers, request.url.path)

    async def on_landuse(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LanduseError)
        status = next(code for t, code in STATUS_CODES if isinstance(exc, t))
        params = _invalid_params(exc)
        param = params[0]["name"] if params else _param_of(str(exc))
        detail = str(exc)
        if params and answer_lang(request) == "zh":
            detail = problems_detail_zh(exc.problems) or detail
        return problem(status, detail, param, instance=request.url.path,
                       invalid_params=params)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = [str(x) for x in first.get("loc", ())]
        param = loc[-1] if loc else None
        where = loc[0] if loc else "request"
        msg = first.get("msg", "invalid")
        return problem(400, f"{param or where}: {msg} (in {where}).", param,
                       instance=request.url.path)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None),
                       instance=request.url.path)

    async def on_other(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(500, "The server failed on this request; it is logged.",
                       instance=request.url.path)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(LanduseError, on_landuse)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_other)
