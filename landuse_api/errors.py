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

__all__ = ["STATUS_CODES", "ApiError", "add_exception_handlers", "problem"]

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
        return problem(status, str(exc), param, instance=request.url.path,
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
