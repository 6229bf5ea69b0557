"""Heavy requests (reports, indicators, zone assessments) bounded: cached, limited, timed, jobs.

How it works:

- **Cache.** An answer is kept under ``(store change sequence, route, parameters)``; every
  write adds an audit record, so a write changes the sequence and the next request misses.
  Entries of older sequences are dropped as soon as a newer one is stored. The cache is an
  LRU bounded in bytes (``LANDUSE_HEAVY_CACHE_BYTES``).
- **Slots.** At most ``LANDUSE_HEAVY_MAX`` heavy computations run at once (a pool of that
  size); a request that would be one more is refused at once with 503 and
  ``Retry-After: LANDUSE_HEAVY_RETRY_AFTER``. Cache hits need no slot.
- **Out of the request process.** When the app opened its store itself (``landuse serve``),
  the pool is of *processes* (started by ``spawn``, at a lower CPU priority), each opening
  the same store once and keeping its own per-version frames: a report's seconds of pandas
  work then hold no lock the light requests (item pages) need. A heavy computation is a
  :data:`Task`, a module-level function and its arguments, called as
  ``func(derived, *args)`` with the worker's :class:`~landuse_api.derived.Derived`. An app
  given a store object (tests with an in-process client), or run with
  ``LANDUSE_HEAVY_PROCESSES=false``, runs the same tasks on threads with its own
  ``Derived``.
- **Deadline.** A request waits at most ``LANDUSE_HEAVY_DEADLINE_S`` seconds for its answer,
  then gets 504; the computation goes on in its slot and its answer is cached for the repeat.
- **Jobs.** A report over ``LANDUSE_JOB_MIN_PARCELS`` parcels is answered 202 with a status
  link ``/jobs/{id}``; the status says ``running``, ``done`` (with a link to the file at
  ``/jobs/{id}/result``) or ``failed``. Jobs live in memory (``LANDUSE_JOBS_KEPT`` newest);
  when the server opened the store itself, each job's state and finished file are also
  written to a folder shared by every server process on that store (``landuse serve
  --workers N``: the poll may reach another process than the one that runs the job).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import multiprocessing
import os
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from fastapi import Response

from landuse.errors import LanduseError
from landuse_api.errors import STATUS_CODES, ApiError
from landuse_api.settings import Settings

if TYPE_CHECKING:
    from landuse_api.derived import Derived

__all__ = ["CACHE_HEADER", "Answer", "Heavy", "Job", "Task", "bounded", "respond"]

CACHE_HEADER = "Landuse-Cache"
"""Response header of heavy answers: ``hit`` (from the cache) or ``miss`` (made now)."""

log = logging.getLogger("landuse.api")


@dataclass(frozen=True)
class Answer:
    """A finished heavy answer: the body, its media type and headers."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


    @classmethod
    def of(cls, response: Response) -> Answer:
        """The answer a route's response holds (length and type headers dropped)."""
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-type")}
        return cls(bytes(response.body), response.media_type or "application/octet-stream",
                   headers)


def respond(answer: Answer, how: str) -> Response:
    """``answer`` as a response, marked ``Landuse-Cache: how`` (hit or miss)."""
    return Response(answer.body, media_type=answer.media_type,
                    headers={**answer.headers, CACHE_HEADER: how})


Task = tuple[Callable[..., Answer], tuple[Any, ...]]
"""A heavy computation: a module-level function (picklable by name) and its arguments; it is
called as ``func(derived, *args)`` in a worker (see the module text)."""


def bounded(h: Heavy, key: tuple[Any, ...], task: Task) -> Response:
    """The response for ``key``: cached, or made by ``task`` within the bounds."""
    hit = h.cached(key)
    if hit is not None:
        return respond(hit, "hit")
    return respond(h.answer(key, task), "miss")


# -- the worker side of the process pool: one Derived per worker process ---------------------

_worker_derived: Derived | None = None


WORKER_NICE = 10
"""Scheduling niceness added to the heavy worker processes: on a busy machine the request
process (item pages) gets the CPU first, reports take what is left."""


def _worker_start(target: str) -> None:
    """Pool initializer: open the store ``target`` once in this worker process, at a lower
    CPU priority (:data:`WORKER_NICE`)."""
    global _worker_derived
    os.nice(WORKER_NICE)
    _end_with_parent(os.getppid())
    from landuse.store import open_store
    from landuse_api.derived import Derived

    store = open_store(target)
    _worker_derived = Derived(store)

    def close() -> None:
        if _worker_derived is not None:
            _worker_derived.close()
        store.close()

    atexit.register(close)


def _end_with_parent(parent: int) -> None:
    """End this worker process when the server process that started it is gone (killed
    without a chance to stop its pool): a daemon thread checks once a second."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="heavy-parent-watch", daemon=True).start()


def _stop_pool(pool: Executor) -> None:
    """Stop taking work and end the pool's worker processes, running computations too (a
    stopping server does not wait for a report nobody will fetch)."""
    pool.shutdown(wait=False, cancel_futures=True)
    if isinstance(pool, ProcessPoolExecutor):
        # the standard library (before 3.14) offers no public way to end its workers
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(5)


def _worker_run(func: Callable[..., Answer], args: tuple[Any, ...]) -> Answer:
    """Run a task in a worker process on the worker's own store and caches."""
    if _worker_derived is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("heavy worker started without its store")
    return func(_worker_derived, *args)


def _pool(settings: Settings, target: str | None) -> Executor:
    """Processes on ``target`` (the store path or URL) when given, else threads."""
    if target is None:
        return ThreadPoolExecutor(max_workers=settings.heavy_max, thread_name_prefix="heavy")
    return ProcessPoolExecutor(max_workers=settings.heavy_max,
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_start, initargs=(target,))


@dataclass
class Job:
    """A heavy request run in the background."""

    id: str
    what: str
    future: Future[Answer]

    def status(self) -> str:
        """``running``, ``done`` or ``failed``."""
        if not self.future.done():
            return "running"
        return "failed" if self.future.exception() is not None else "done"


# -- jobs shared by the server processes of one store (landuse serve --workers N) -----------

def _jobs_dir(target: str) -> Path:
    """The folder of the jobs of the store ``target``, shared by the processes serving it
    (in the temporary folder, named after the store; made by the first job)."""
    name = hashlib.sha256(target.encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"landuse-jobs-{name}"


def _write_job(folder: Path, job_id: str, state: dict[str, Any], body: bytes | None = None
               ) -> None:
    """Record a job's state (and its finished file) for the other processes; each file is
    written whole under another name, then renamed."""
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if body is not None:
            tmp = folder / f"{job_id}.body.tmp"
            tmp.write_bytes(body)
            tmp.replace(folder / f"{job_id}.body")
        tmp = folder / f"{job_id}.json.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(folder / f"{job_id}.json")
    except OSError:
        log.exception("jobs: job %s cannot be recorded in %s (other server processes will "
                      "not know it)", job_id, folder)


def _publish_job(folder: Path, job: Job, done: Future[Answer]) -> None:
    """Record a finished job: its file and headers, or its error."""
    if done.cancelled():
        return
    exc = done.exception()
    if exc is None:
        answer = done.result()
        _write_job(folder, job.id, {"status": "done", "what": job.what,
                                    "media_type": answer.media_type,
                                    "headers": answer.headers}, answer.body)
        return
    if isinstance(exc, ApiError):
        problem = {"status": exc.status, "detail": exc.detail, "param": exc.param}
    elif isinstance(exc, LanduseError):
        status = next(code for kind, code in STATUS_CODES if isinstance(exc, kind))
        problem = {"status": status, "detail": str(exc), "param": None}
    else:
        problem = {"status": 500, "detail": "job: the report failed on the server; it is "
                   "logged.", "param": "job_id"}
    _write_job(folder, job.id, {"status": "failed", "what": job.what, "problem": problem})


def _read_job(folder: Path, job_id: str) -> Job | None:
    """A job recorded by another process (None when there is none)."""
    if not all(c in "0123456789abcdef" for c in job_id):
        return None
    try:
        state = json.loads((folder / f"{job_id}.json").read_text())
        future: Future[Answer] = Future()
        if state["status"] == "done":
            body = (folder / f"{job_id}.body").read_bytes()
            future.set_result(Answer(body, state["media_type"], state["headers"]))
        elif state["status"] == "failed":
            p = state["problem"]
            future.set_exception(ApiError(p["status"], p["detail"], p["param"]))
    except (OSError, ValueError, KeyError):
        return None
    return Job(job_id, state["what"], future)


def _forget_job(folder: Path, job_id: str) -> None:
    for suffix in (".json", ".body"):
        (folder / f"{job_id}{suffix}").unlink(missing_ok=True)


class _Answers:
    """Answers of the store's current version, least recently used dropped first, at most
    ``limit`` bytes of bodies in all (a :class:`cachetools.LRUCache` sized by body)."""

    def __init__(self, limit: int) -> None:
        self.lru: LRUCache[Hashable, Answer] = LRUCache(maxsize=limit,
                                                        getsizeof=lambda a: len(a.body))
        self.version = -1

    def get(self, key: Hashable) -> Answer | None:
        return self.lru.get(key)

    def put(self, key: Hashable, answer: Answer, version: int) -> None:
        if version < self.version or len(answer.body) > self.lru.maxsize:
            return  # made from a store that has changed since, or too big to keep
        if version > self.version:  # a write: every older answer is stale
            self.lru.clear()
            self.version = version
        self.lru[key] = answer


class Heavy:
    """The cache, slots, deadline and jobs of one app (see the module text)."""

    def __init__(self, settings: Settings, derived: Derived, target: str | None = None
                 ) -> None:
        """``derived`` serves tasks run on threads; with ``target`` (the store's path or
        URL) tasks run in worker processes that open that store themselves."""
        self.settings = settings
        self.derived = derived
        self.in_processes = target is not None
        self.lock = threading.Lock()
        self.cache = _Answers(settings.heavy_cache_bytes)
        self.pool = _pool(settings, target)
        self.shared = None if target is None else _jobs_dir(target)
        self.running = 0
        self.open: dict[Future[Answer], tuple[Any, ...]] = {}  # running: their keys
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def cached(self, key: tuple[Any, ...]) -> Answer | None:
        """The cached answer for ``key`` (``(version, route, params...)``), counted."""
        with self.lock:
            answer = self.cache.get(key)
            if answer is not None:
                self.hits += 1
            return answer

    def _start(self, key: tuple[Any, ...], task: Task) -> Future[Answer]:
        with self.lock:
            if self.running >= self.settings.heavy_max:
                retry = self.settings.heavy_retry_after
                raise ApiError(
                    503, f"heavy_max: {self.running} heavy requests (reports, indicators, "
                    "assessments) are running, the most this server runs at once "
                    f"(setting LANDUSE_HEAVY_MAX={self.settings.heavy_max}). Fix: repeat the "
                    f"request after {retry} s.", "heavy_max", {"Retry-After": str(retry)})
            self.running += 1
            self.misses += 1

        try:
            future = self._submit(task)
        except RuntimeError:  # pool shut down: the server is stopping
            with self.lock:
                self.running -= 1
            raise ApiError(503, "heavy_max: the server is stopping. Fix: repeat the request "
                           "later.", "heavy_max",
                           {"Retry-After": str(self.settings.heavy_retry_after)}) from None
        with self.lock:
            self.open[future] = key
        future.add_done_callback(self._finished)
        return future

    def _submit(self, task: Task) -> Future[Answer]:
        func, args = task
        if self.in_processes:
            return self.pool.submit(_worker_run, func, args)
        return self.pool.submit(func, self.derived, *args)

    def _finished(self, done: Future[Answer]) -> None:
        """Free the slot of a finished computation and keep its answer (``key[0]`` is the
        store version it was made at), once: called by the pool when it finishes, and by
        whoever sees it finished first, so a client's next request finds both."""
        with self.lock:
            key = self.open.pop(done, None)
            if key is None:
                return
            self.running -= 1
            if not done.cancelled() and done.exception() is None:
                self.cache.put(key, done.result(), key[0])

    def detached(self, func: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``func(derived, *args)`` in the pool outside the slots, the cache and the
        deadline (the lazy whole refresh, :mod:`landuse_api.refresh`): it waits there for
        a free worker like any task. Raises RuntimeError when the pool is shut down."""
        return self._submit((func, args))

    def answer(self, key: tuple[Any, ...], task: Task) -> Answer:
        """The answer for ``key``: from the cache, or made in a slot within the deadline."""
        hit = self.cached(key)
        if hit is not None:
            return hit
        future = self._start(key, task)
        deadline = self.settings.heavy_deadline_s
        try:
            answer = future.result(timeout=deadline)
        except FutureTimeout:
            raise ApiError(
                504, f"heavy_deadline_s: the answer took longer than {deadline:g} s (setting "
                "LANDUSE_HEAVY_DEADLINE_S); it is still being made and will be cached. Fix: "
                "repeat the request later, or raise the setting.", "heavy_deadline_s",
                {"Retry-After": str(self.settings.heavy_retry_after)}) from None
        finally:
            if future.done():
                self._finished(future)
        return answer

    def submit(self, key: tuple[Any, ...], task: Task, what: str) -> Job:
        """Start ``task`` as a job (needs a free slot) and remember it."""
        future = self._start(key, task)
        job = Job(uuid.uuid4().hex, what, future)
        shared = self.shared
        if shared is not None:
            _write_job(shared, job.id, {"status": "running", "what": what})
            future.add_done_callback(lambda done: _publish_job(shared, job, done))
        with self.lock:
            self.jobs[job.id] = job
            while len(self.jobs) > self.settings.jobs_kept:
                old, _ = self.jobs.popitem(last=False)
                if shared is not None:
                    _forget_job(shared, old)
        return job

    def job(self, job_id: str) -> Job | None:
        """The job ``job_id`` (None when unknown or forgotten)."""
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None and self.shared is not None:  # run by another server process?
            return _read_job(self.shared, job_id)
        if job is not None and job.future.done():
            self._finished(job.future)
        return job

    def stats(self) -> dict[str, int]:
        """Counters: cache hits and misses, running computations, cached bytes."""
        with self.lock:
            return {"hits": self.hits, "misses": self.misses, "running": self.running,
                    "cached": len(self.cache.lru), "cached_bytes": int(self.cache.lru.currsize)}

    def close(self) -> None:
        """Stop taking work; running computations are not waited for (worker processes
        are ended)."""
        _stop_pool(self.pool)
