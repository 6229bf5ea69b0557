"""The lazy whole refresh: after a write patched the assessment (only the touched parcels
re-assessed, :meth:`landuse.store.Store.refresh_assessment`) in a way that may have moved
the zone's 亩均 ranks, the whole assessment is made again in the background.

Meanwhile every answer says so: ``"ranks_stale": true`` in the JSON's ``assessment`` and
``ranks_stale=true`` in the ``Landuse-Assessment`` header. One whole refresh runs at a
time; a write during it leaves the table patched and stale again, and the next write or
read starts another.

Where it runs: when the server opened its store itself (``landuse serve``), in one of the
heavy worker processes (:meth:`landuse_api.heavy.Heavy.detached`, at their lower CPU
priority): its seconds of pandas work then do not hold the request process's interpreter
lock, so tiles and item pages answer meanwhile. An app given a store object runs it on a
thread of its own.

Writes do not wait for it: the store assesses the whole register and writes the result
into a table beside the one read, without the store-wide lock, then takes the lock only
to patch the writes made meanwhile onto it and swap the two tables' names
(:meth:`landuse.store.sql.SQLStore._whole_beside`); a write during it is patched and
answered as any other, and the installed table says ``ranks_stale`` again when such a
write moved a rated enterprise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from landuse.store import Store

if TYPE_CHECKING:
    from landuse_api.derived import Derived

__all__ = ["LazyRanks", "whole_refresh"]

log = logging.getLogger("landuse.api")

Runner = Callable[[str], "Future[Any]"]
"""Starts the whole refresh as of a date elsewhere (a worker process) and returns its
future."""


def whole_refresh(derived: Derived, as_of: str) -> None:
    """The whole assessment as of ``as_of`` made again and stored (exact ranks); run in a
    heavy worker process on that worker's own store."""
    derived.store.refresh_assessment(as_of, wait=True, exact_ranks=True)


class LazyRanks:
    """Starts the whole refresh of a store's assessment in the background: on a thread,
    or by ``runner`` (set by the app when it has worker processes)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.future: Future[Any] | None = None
        self.runner: Runner | None = None
        self.runs = 0
        self.after_done: list[Callable[[], None]] = []  # called when a refresh committed

    def _running(self) -> bool:
        return (self.thread is not None and self.thread.is_alive()) or \
            (self.future is not None and not self.future.done())

    def after(self, state: dict[str, Any]) -> None:
        """Start the whole refresh when ``state`` (of the table) says its ranks are stale
        and none is running."""
        if not state.get("ranks_stale"):
            return
        with self.lock:
            if self._running():
                return
            if self.runner is not None:
                self._start_elsewhere(self.runner, state["as_of"])
                return
            self.thread = threading.Thread(target=self._run, args=(state["as_of"],),
                                           name="ranks", daemon=True)
            self.thread.start()

    def _start_elsewhere(self, runner: Runner, as_of: str) -> None:
        try:
            future = runner(as_of)
        except RuntimeError:  # the pool is shut down: the server is stopping
            log.warning("the whole refresh of the assessment as of %s was not started: the "
                        "server is stopping", as_of)
            return
        self.future = future
        future.add_done_callback(lambda done: self._finished(done, as_of))

    def _finished(self, done: Future[Any], as_of: str) -> None:
        if done.cancelled():
            return
        exc = done.exception()
        if exc is not None:  # the next write or read starts it again
            log.error("the whole refresh of the assessment as of %s failed", as_of,
                      exc_info=exc)
            return
        with self.lock:
            self.runs += 1
        self._done()

    def _done(self) -> None:
        for call in self.after_done:
            try:
                call()
            except Exception:  # what follows the refresh is not the refresh
                log.exception("after the whole refresh of the assessment")

    def _run(self, as_of: str) -> None:
        try:
            self.store.refresh_assessment(as_of, wait=True, exact_ranks=True)
            with self.lock:
                self.runs += 1
            self._done()
        except Exception:  # the next write or read starts it again
            log.exception("the whole refresh of the assessment as of %s failed", as_of)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a running whole refresh (tests, benchmarks)."""
        t = self.thread
        if t is not None:
            t.join(timeout)
        f = self.future
        if f is not None:
            try:
                f.result(timeout)
            except Exception:  # logged by _finished
                pass
