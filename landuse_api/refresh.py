"""The lazy whole refresh: after a write patched the assessment (only the touched parcels
re-assessed, :meth:`landuse.store.Store.refresh_assessment`) in a way that may have moved
the zone's 亩均 ranks, the whole assessment is made again in the background.

Meanwhile every answer says so: ``"ranks_stale": true`` in the JSON's ``assessment`` and
``ranks_stale=true`` in the ``Landuse-Assessment`` header. One whole refresh runs at a
time; a write during it leaves the table patched and stale again, and the next write or
read starts another.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from landuse.store import Store

__all__ = ["LazyRanks"]

log = logging.getLogger("landuse.api")


class LazyRanks:
    """Starts the whole refresh of a store's assessment in a background thread."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.runs = 0

    def after(self, state: dict[str, Any]) -> None:
        """Start the whole refresh when ``state`` (of the table) says its ranks are stale
        and none is running."""
        if not state.get("ranks_stale"):
            return
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(target=self._run, args=(state["as_of"],),
                                           name="ranks", daemon=True)
            self.thread.start()

    def _run(self, as_of: str) -> None:
        try:
            self.store.refresh_assessment(as_of, wait=True, exact_ranks=True)
            with self.lock:
                self.runs += 1
        except Exception:  # the next write or read starts it again
            log.exception("the whole refresh of the assessment as of %s failed", as_of)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a running whole refresh (tests, benchmarks)."""
        t = self.thread
        if t is not None:
            t.join(timeout)
