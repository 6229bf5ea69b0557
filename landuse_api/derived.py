"""Results derived from the whole store (assessment, map, tiles), cached per store version.

Every write adds an audit record, so the last audit sequence number is the store's version:
a cached result is reused until the store changes. The assessment, report, indicators and
map code are the library's (``landuse.rules``, ``landuse.report``, ``landuse.webmap``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.errors import ConflictError
from landuse.store import Store

__all__ = ["Derived"]


class Derived:
    """Per-app cache of the frames, assessments and tiled maps of a store."""

    def __init__(self, store: Store, size: int = 6) -> None:
        self.store = store
        self.size = size
        self.lock = threading.RLock()
        self.cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.root = Path(tempfile.mkdtemp(prefix="landuse-api-"))
        self.dates: dict[str, tuple[str, str] | None] = {}
        self.dates_version = -1

    def _get(self, key: tuple[Any, ...], make: Any) -> Any:
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
            value = make()
            self.cache[key] = value
            while len(self.cache) > self.size:
                _, old = self.cache.popitem(last=False)
                if isinstance(old, dict) and "folder" in old:
                    shutil.rmtree(old["folder"], ignore_errors=True)
            return value

    def frames(self) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """All parcels and the whole ledger, in the standard's names and types."""
        v = self.store.change_seq()
        return self._get(("frames", v), lambda: (self.store.parcels_frame(),
                                                 self.store.ledger_frame()))

    def assessed(self, as_of: str, lang: str = "zh") -> gpd.GeoDataFrame:
        """The parcels assessed as of ``as_of`` (``landuse.rules.assess``)."""
        from landuse.rules import assess

        parcels, _ = self.frames()
        v = self.store.change_seq()
        return self._get(("assessed", v, as_of, lang),
                         lambda: assess(parcels, as_of, lang=lang))

    def stored_assessment(self, as_of: str, lang: str = "zh") -> pd.DataFrame:
        """The store's materialised assessment as of ``as_of`` (the table the parcels items
        join), sentences in ``lang``, beside each parcel's zone, holder and land use.

        The table holds one date at a time: it is made for ``as_of`` first when it holds
        another, and read again if a request for another date remade it in between."""
        for _ in range(5):
            self.store.refresh_assessment(as_of, wait=True)
            table = self.store.assessment_frame(lang)
            if (table["as_of"] == as_of).all():
                break
        else:
            raise ConflictError(
                f"as_of: the assessment was remade for other dates while {as_of} was read. "
                "Fix: repeat the request.")
        parcels, _ = self.frames()
        head = pd.DataFrame(parcels[["parcel_id", "zone", "holder", "land_use"]])
        return head.merge(table.drop(columns=["as_of"]), on="parcel_id", how="inner")

    def assessment(self, as_of: dt.date | None, wait: bool = True) -> dict[str, Any]:
        """The store's materialised assessment as of ``as_of`` (default today), refreshed
        first when the parcels or the ledger changed since, or the date differs. With
        ``wait=False`` a reader does not queue behind a refresh another request is running:
        it reads the previous assessment, marked ``current: false``."""
        day = (as_of or dt.date.today()).isoformat()
        state = self.store.refresh_assessment(day, wait=wait)
        return {"as_of": state["as_of"], "ruleset": state["ruleset"],
                "current": state["current"]}

    def temporal_extent(self, collection: str) -> tuple[str, str] | None:
        """The first and last date of ``collection`` (:meth:`Store.temporal_extent`), read
        once per store version."""
        v = self.store.change_seq()
        with self.lock:  # apart from the LRU of frames and maps: these are small
            if self.dates_version != v:
                self.dates = {}
                self.dates_version = v
            if collection not in self.dates:
                self.dates[collection] = self.store.temporal_extent(collection)
            return self.dates[collection]

    def tiled_map(self, lang: str) -> dict[str, Any]:
        """A tiled map of today's assessment with its MVT tiles and chunks on disk."""
        from landuse.webmap import make_map, write_tiles

        today = dt.date.today().isoformat()
        v = self.store.change_seq()

        def make() -> dict[str, Any]:
            assessed = self.assessed(today, lang)
            _, ledger = self.frames()
            webmap = make_map(assessed, ledger, lang=lang, tiled=True)
            folder = Path(tempfile.mkdtemp(prefix=f"map-{lang}-", dir=self.root))
            info = write_tiles(webmap, folder, fmt="pbf")
            return {"webmap": webmap, "info": info, "folder": folder}

        return self._get(("map", v, today, lang), make)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
