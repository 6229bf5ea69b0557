"""The app factory: ``create_app(settings)`` wires the store, routers, CORS, size limit, errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from landuse import __version__
from landuse.store import Store, open_store
from landuse_api import workbench
from landuse_api.derived import Derived
from landuse_api.errors import add_exception_handlers, problem
from landuse_api.heavy import Heavy
from landuse_api.openapi30 import to_oas30
from landuse_api.patch import enterprise_groups
from landuse_api.refresh import whole_refresh
from landuse_api.routers import analysis, land, ogc, pmtiles
from landuse_api.settings import Settings, get_settings

# plus a lazy `app` (module __getattr__) for uvicorn
__all__ = ["SWITCH_INTERVAL_S", "WORKER_HEADER", "create_app", "warm"]

log = logging.getLogger("landuse.api")


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413 (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = problem(413, f"body: larger than {self.max_bytes} bytes. Fix: send less per "
                          "request.", "body")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = self.max_bytes + 1
            if size > self.max_bytes:
                await too_big(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await too_big(scope, receive, send)


class _TooLarge(Exception):
    pass


WORKER_HEADER = "Landuse-Worker"
"""Response header naming the server process that answered (its PID): with
``landuse serve --workers N`` several processes answer on one port."""


class WorkerHeader:
    """Add :data:`WORKER_HEADER` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.value = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                msg["headers"] = [*msg.get("headers", []),
                                  (WORKER_HEADER.lower().encode(), self.value)]
            await send(msg)

        await self.app(scope, receive, named)


OAS30_MEDIA = "application/vnd.oai.openapi+json;version=3.0"


def _add_oas30(app: FastAPI) -> None:
    """Serve the definition as OpenAPI 3.0 at ``/openapi-3.0.json`` (3.1 stays at
    ``/openapi.json``): the ``oas30`` conformance class names OpenAPI 3.0."""
    cached: dict[str, bytes] = {}

    @app.get("/openapi-3.0.json", include_in_schema=False)
    def openapi30() -> Response:
        if "doc" not in cached:
            cached["doc"] = json.dumps(to_oas30(app.openapi()), ensure_ascii=False).encode()
        return Response(cached["doc"], media_type=OAS30_MEDIA)


SWITCH_INTERVAL_S = 0.0005
"""The interpreter's thread switch interval in a server that opened its store itself
(``landuse serve``; Python's default is 5 ms). Measured at 1 000 000 parcels, a write's
request thread spent most of its slow answers waiting for the interpreter lock, not on
the CPU, while a thread of the same process read the register (the warm-up): each time
the write gave the lock up around a database call, it waited a whole interval to get it
back, a hundred times per write (each write 2-3 times slower; 10 times shorter
intervals halved that)."""


@contextlib.contextmanager
def _switch_interval(seconds: float) -> Iterator[None]:
    """The interpreter's thread switch interval set to ``seconds``, then set back."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def warm(derived: Derived, settings: Settings) -> None:
    """Make the store's assessment for the server's date (and read the frames the reports
    use, with the enterprise groups a write's patch of the map looks up), logging each
    step, so that no request waits for it."""
    day = (settings.as_of or dt.date.today()).isoformat()
    t0 = time.perf_counter()
    try:
        log.warning("warm-up 1/3: assessment as of %s ...", day)
        state = derived.assessment(dt.date.fromisoformat(day))
        log.warning("warm-up 1/3: assessment as of %s ready (ruleset %s) in %.1f s",
                    state["as_of"], state["ruleset"], time.perf_counter() - t0)
        log.warning("warm-up 2/3: parcels and ledger for reports ...")
        parcels, ledger = derived.frames()
        enterprise_groups(parcels)  # what a write's patch of the map looks its context up in
        log.warning("warm-up 2/3: %d parcels, %d ledger events read, enterprises grouped "
                    "in %.1f s", len(parcels), len(ledger), time.perf_counter() - t0)
        log.warning("warm-up 3/3: the workbench's map and counts ...")
        derived.warm_workbench()
        log.warning("warm-up 3/3: ready in %.1f s", time.perf_counter() - t0)
    except Exception:  # the first request will make it and report its error
        log.exception("warm-up failed; the first request will make the assessment")


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the service for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    the_store = store or open_store(settings.target)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with contextlib.ExitStack() as served:
            if store is None:  # a server: its writes wait less behind its own threads
                served.enter_context(_switch_interval(SWITCH_INTERVAL_S))
            if settings.warm:
                threading.Thread(target=warm, args=(app.state.derived, settings),
                                 name="warm-up", daemon=True).start()
            yield
        app.state.heavy.close()
        app.state.derived.close()
        if store is None:
            the_store.close()

    app = FastAPI(
        title=settings.title,
        version=__version__,
        description="OGC API – Features for the parcel register and disposal ledger, plus "
        "land questions. 宗地、处置台账与土地查询接口。Errors are RFC 9457 problem+json.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = the_store
    app.state.derived = Derived(the_store, incremental=settings.incremental)
    # heavy work in worker processes on the same store, when the app opened it itself
    app.state.heavy = Heavy(settings, app.state.derived,
                            settings.target if store is None and settings.heavy_processes
                            else None)
    if app.state.heavy.in_processes:  # the lazy whole refresh too, off the request process
        app.state.derived.ranks.runner = partial(app.state.heavy.detached, whole_refresh)
    add_exception_handlers(app)
    app.include_router(ogc.router, tags=["OGC API – Features"])
    app.include_router(land.router)
    app.include_router(analysis.router)
    app.include_router(pmtiles.router)
    app.include_router(workbench.router)
    _add_oas30(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "PATCH", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "If-Match"],
                           expose_headers=["ETag", "Location", "Content-Crs",
                                           "Landuse-Assessment", "Content-Disposition",
                                           "Link", WORKER_HEADER])
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(WorkerHeader)
    return app


def __getattr__(name: str) -> Any:
    # ``uvicorn landuse_api.main:app`` builds the app from the environment on first access
    if name == "app":
        return create_app()
    raise AttributeError(name)
