"""Results derived from the whole store (assessment, map, tiles), cached per store version.

Every write adds an audit record, so the last audit sequence number is the store's version:
a cached result is reused until the store changes. The assessment, report, indicators and
map code are the library's (``landuse.rules``, ``landuse.report``, ``landuse.webmap``).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.errors import ConflictError
from landuse.store import Store
from landuse_api.patch import context_positions, ids_index, replace_rows, replaced_since
from landuse_api.refresh import LazyRanks
from landuse_api.selection import Orders, Selections, page_positions

__all__ = ["Derived"]

log = logging.getLogger("landuse.api")


class Derived:
    """Per-app cache of the frames, assessments and tiled maps of a store."""

    def __init__(self, store: Store, size: int = 6, incremental: bool = True) -> None:
        self.store = store
        self.incremental = incremental  # False: every refresh makes the whole assessment
        self.size = size
        self.lock = threading.RLock()
        self.cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.root = Path(tempfile.mkdtemp(prefix="landuse-api-"))
        self.dates: dict[str, tuple[str, str] | None] = {}
        self.dates_version = -1
        self.ranks = LazyRanks(store)
        self.tilesets: dict[str, dict[str, Any]] = {}
        self.tile_lock = threading.RLock()
        self.held: set[tuple[Any, ...]] = set()  # assessments whose 亩均 ranks are held
        self.remaking: threading.Thread | None = None
        self.selections = Selections(store)
        self.orders = Orders(store)
        self.ranks.after_done.append(self.ask_again)
        self.asking: threading.Thread | None = None
        # per language: (map version it replaced, its store version, the store version
        # now, the positions of the parcels drawn differently or None for all)
        self.tile_log: dict[str, list[tuple[int, int, int, np.ndarray | None]]] = {}

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
        """All parcels and the whole ledger, in the standard's names and types (patched
        from the previous version's when only ledger events and parcel edits came since)."""
        v = self.store.change_seq()

        def make() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
            older = self._older("frames", v) if self.incremental else None
            patched = patch_frames(self.store, older, v)
            return patched or (self.store.parcels_frame(), self.store.ledger_frame())

        return self._get(("frames", v), make)

    def assessed(self, as_of: str, lang: str = "zh") -> gpd.GeoDataFrame:
        """The parcels assessed as of ``as_of`` (``landuse.rules.assess``); after ledger
        events and parcel edits, the previous version's patched (``landuse.rules.reassess``;
        the 亩均 ranks of the parcels of rated enterprises it touched wait for the next
        whole assessment, which a write that leaves the store's table with
        ``ranks_stale`` starts). Once that whole refresh has installed the store's exact
        ranks (the store's version unchanged), a patched assessment holding ranks is made
        whole again in the background and replaces it (:meth:`follow_ranks`): the map
        follows the installed ranks."""
        from landuse.rules import assess

        parcels, _ = self.frames()
        v = self.store.change_seq()
        key = ("assessed", v, as_of, lang)

        def make() -> gpd.GeoDataFrame:
            old = self._older("assessed", v, as_of, lang) if self.incremental else None
            patched = None if old is None else patch_assessed(self.store, old, parcels,
                                                              as_of, lang, v)
            if patched is None:
                return assess(parcels, as_of, lang=lang)
            frame, stale = patched
            if stale or ("assessed", old[0], as_of, lang) in self.held:  # type: ignore[index]
                self.held.add(key)
            return frame

        out = self._get(key, make)
        if key in self.held:
            self.follow_ranks(key, parcels)
        return out

    def follow_ranks(self, key: tuple[Any, ...], parcels: gpd.GeoDataFrame) -> None:
        """When the store's assessment has its exact ranks installed at the version of
        ``key`` (an assessment holding ranks), make ``key`` whole again on a thread and
        put it in its place (one at a time; :meth:`wait_ranks` waits for it)."""
        from landuse.rules import assess

        state = self.store.assessment_state()
        if state is None or state["seq"] != key[1] or state["ranks_stale"]:
            return
        with self.lock:
            if self.remaking is not None and self.remaking.is_alive():
                return

            def run() -> None:
                try:
                    whole = assess(parcels, key[2], lang=key[3])
                except Exception:  # the next read tries again
                    log.exception("the map's assessment as of %s was not made whole", key[2])
                    return
                with self.lock:
                    if key in self.cache:
                        self.cache[key] = whole
                    self.held.discard(key)

            self.remaking = threading.Thread(target=run, name="map-ranks", daemon=True)
            self.remaking.start()

    def wait_ranks(self, timeout: float | None = None) -> None:
        """Wait for the map's assessment being made whole (tests, benchmarks)."""
        t = self.remaking
        if t is not None:
            t.join(timeout)

    def _older(self, kind: str, v: int, *rest: Any) -> tuple[int, Any] | None:
        """The newest cached ``kind`` entry (same ``rest``) of a version before ``v``."""
        with self.lock:
            found = [(k[1], val) for k, val in self.cache.items()
                     if k[0] == kind and k[2:] == rest and k[1] < v]
        return max(found, key=lambda kv: kv[0]) if found else None

    def stored_assessment(self, as_of: str, lang: str = "zh") -> pd.DataFrame:
        """The store's materialised assessment as of ``as_of`` (the table the parcels items
        join), sentences in ``lang``, beside each parcel's zone, holder and land use.

        The table holds one date at a time: it is made for ``as_of`` first when it holds
        another, and read again if a request for another date remade it in between."""
        for _ in range(5):
            self.ranks.after(self.store.refresh_assessment(
                as_of, wait=True, exact_ranks=not self.incremental))
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
        it reads the previous assessment, marked ``current: false``. ``ranks_stale``: the
        table was patched after a write and the 亩均 ranks and classes of parcels the write
        did not touch may be behind until the whole refresh started in the background
        (:class:`landuse_api.refresh.LazyRanks`) commits."""
        day = (as_of or dt.date.today()).isoformat()
        state = self.store.refresh_assessment(day, wait=wait, exact_ranks=not self.incremental)
        self.ranks.after(state)
        return {"as_of": state["as_of"], "ruleset": state["ruleset"],
                "current": state["current"], "ranks_stale": bool(state.get("ranks_stale"))}

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
        """A tiled map of today's assessment with its popup records and search index on
        disk; its tiles are not written: the page reads those :meth:`tile` makes on
        demand (``/tiles/parcels``), so a cold ``/map`` does not tile every level first."""
        from landuse.webmap import make_map, write_records

        today = dt.date.today().isoformat()
        v = self.store.change_seq()

        def make() -> dict[str, Any]:
            assessed = self.assessed(today, lang)
            _, ledger = self.frames()
            webmap = make_map(assessed, ledger, lang=lang, tiled=True)
            folder = Path(tempfile.mkdtemp(prefix=f"map-{lang}-", dir=self.root))
            info = write_records(webmap, folder)
            return {"webmap": webmap, "info": info, "folder": folder}

        return self._get(("map", v, today, lang), make)

    def tileset(self, lang: str) -> dict[str, Any]:
        """The parcels of today's assessment prepared for tiling (``ts``, a
        :class:`landuse.webmap.tiles.TileSet`), their ids and the tiles made so far.

        A new store version re-classifies the parcels (the map's classes,
        :func:`landuse.webmap.classes.classify_layers`); when the parcels and their
        outlines are those of the tiles made before, only the tiles whose area holds a
        parcel whose class changed are dropped, the others are carried over."""
        today = dt.date.today().isoformat()
        v = self.store.change_seq()
        with self.tile_lock:
            old = self.tilesets.get(lang)
            assessed = self.assessed(today, lang)
            if old is not None and old["v"] == v and old["day"] == today \
                    and old["frame"] is assessed:
                return old
            new = tileset_of(assessed, self.frames()[1], lang, old
                             if old is not None and old["day"] == today else None)
            new.update(v=v, day=today, n=1 if old is None else old["n"] + 1)
            self.tilesets[lang] = new
            log = self.tile_log.setdefault(lang, [])
            if old is not None:
                log.append((old["n"], old["v"], v, new.get("drawn")))
                del log[:-TILE_LOG]
            return new

    def changed_tiles(self, lang: str, since: int, filter: str | None = None
                      ) -> dict[str, Any]:
        """The tiles of today's map that changed after its version ``since`` (the
        ``version`` of :meth:`tileset`, counted up each time the map is made again, when
        a page drew its tiles): ``{"version": the map's version now, "all": True}`` when
        every tile may have (the map made anew, or ``since`` is older than the versions
        remembered), else ``"tiles"``: ``[z, x, y]``
        of every level holding a parcel whose class or drawing order changed, and with
        ``filter``, also those holding a parcel the writes since touched (directly or as
        one of its enterprise's parcels: the only parcels whose filter answer can change
        while the table is patched, :mod:`landuse_api.selection`)."""
        from landuse.webmap.tiles import tiles_of_features

        st = self.tileset(lang)
        v, n = int(st["v"]), int(st["n"])
        if since == n:
            return {"version": n, "all": False, "tiles": []}
        with self.tile_lock:
            log = list(self.tile_log.get(lang, []))
        steps = [e for e in log if e[0] >= since]
        if since > n or not steps or steps[0][0] != since \
                or any(e[3] is None for e in steps):
            return {"version": n, "all": True}
        feats = [e[3] for e in steps if e[3] is not None]
        if filter:
            w = self.store.writes_since(steps[0][1], v)
            if w is None:
                return {"version": n, "all": True}
            if w["parcels"]:
                at = context_positions(self.frames()[0], sorted(w["parcels"]))
                if at is None:
                    return {"version": n, "all": True}
                feats.append(self._tile_positions(st, at))
        changed = np.unique(np.concatenate(feats)) if feats else np.zeros(0, np.int64)
        ts = st["ts"]
        tiles = sorted([z, x, y] for z in range(ts.minzoom, ts.maxzoom + 1)
                       for x, y in tiles_of_features(ts, changed, z))
        return {"version": n, "all": False, "tiles": tiles}

    def _tile_positions(self, st: dict[str, Any], at: np.ndarray) -> np.ndarray:
        """Positions in the tiling state ``st`` of the parcels at ``at`` in the app's
        parcels frame."""
        order = self._frame_order(st)
        return at if order is None else order[at][order[at] >= 0]

    def _frame_order(self, st: dict[str, Any]) -> np.ndarray | None:
        """Where each parcel of the app's parcels frame is in ``st`` (None: the same
        order), worked out once per tiling lineage."""
        frame_ids = ids_index(self.frames()[0])
        seen = st.get("order")
        if seen is not None and seen[0] is frame_ids:
            return seen[1]
        mine = ids_index(st["frame"])
        order = None if mine is frame_ids or mine.equals(frame_ids) \
            else np.asarray(mine.get_indexer(frame_ids))
        st["order"] = (frame_ids, order)
        return order

    def tile(self, lang: str, z: int, x: int, y: int,
             filter: str | None = None) -> bytes | None:
        """Vector tile ``z/x/y`` of today's map (MVT, layer ``p``: ``f``, ``id``,
        ``c0``..), made on first ask and kept until a write changes a parcel in it.

        With ``filter`` (CQL2 text over the parcels and their assessment, as
        ``/collections/parcels/items`` takes it), only the parcels it selects; such tiles
        are kept until the next write."""
        from landuse.webmap.tiles import mvt_tile, tiles_of_features

        st = self.tileset(lang)
        mask = self.filter_mask(st, filter) if filter else None
        with self.tile_lock:
            if filter:
                cache = self._filtered_cache(st, filter, mask, tiles_of_features)
            else:
                cache = st["cache"]
            key = (z, x, y)
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        body = mvt_tile(st["ts"], z, x, y, st["ids"], mask)
        with self.tile_lock:
            cache[key] = body
            while len(cache) > TILE_CACHE:
                cache.popitem(last=False)
        return body

    @staticmethod
    def _filtered_cache(st: dict[str, Any], filter: str, mask: np.ndarray | None,
                        tiles_of: Any) -> OrderedDict[tuple[int, int, int], bytes | None]:
        """The tiles of ``filter`` made so far in ``st`` (under :attr:`tile_lock`); those
        holding a parcel whose answer to the filter differs from ``mask`` dropped first."""
        entry = st["fcache"].get(filter)
        if entry is None:
            entry = st["fcache"][filter] = {"mask": mask, "tiles": OrderedDict()}
            while len(st["fcache"]) > 8:
                st["fcache"].pop(next(iter(st["fcache"])))
        elif entry["mask"] is not mask and mask is not None:
            moved = np.flatnonzero(entry["mask"] != mask)
            for z in range(st["ts"].minzoom, st["ts"].maxzoom + 1):
                for x, y in tiles_of(st["ts"], moved, z):
                    entry["tiles"].pop((z, x, y), None)
            entry["mask"] = mask
        return entry["tiles"]

    def filter_mask(self, st: dict[str, Any], filter: str) -> np.ndarray:
        """Which parcels of the tiling state ``st`` the CQL2 text ``filter`` selects
        (:class:`landuse_api.selection.Selections`: asked of the store once, then patched
        by the writes since)."""
        sel = self.selections.get(filter, self.frames()[0])
        with self.tile_lock:
            seen = st["masks"].get(filter)
            if seen is not None and seen[0] is sel:
                return seen[1]
        order = self._frame_order(st)
        if order is None:
            mask = sel.mask
        else:
            mask = np.zeros(len(st["ids"]), dtype=bool)
            mask[order[(order >= 0) & sel.mask]] = True
        with self.tile_lock:
            st["masks"][filter] = (sel, mask)
            while len(st["masks"]) > 8:
                st["masks"].pop(next(iter(st["masks"])))
        return mask

    def sorted_page(self, q: Any, filter: str) -> Any:
        """The page of current parcels the store's :meth:`query` would give for ``q``
        (its filter the CQL2 text ``filter``, "" for none) when ``q`` sorts by one number
        and filters by nothing else: the page's parcels found among the kept filter
        (:attr:`selections`) and sort order (:attr:`orders`), then read from the store
        by their ids with the same sort, limit and cursor, so the page, its order and
        its next cursor are the store's. None when ``q`` is not such a query."""
        import dataclasses

        from landuse.store import Page, cql
        from landuse.store.schema import COLLECTIONS

        if len(q.sortby) != 1 or q.equals or q.bbox is not None or q.intersects is not None \
                or q.count or q.valid_at is not None or q.known_at is not None:
            return None
        name, desc = q.sortby[0]
        try:
            kind = COLLECTIONS["parcels"].column(name).kind
        except KeyError:
            return None
        if kind not in ("real", "int"):
            return None
        parcels, _ = self.frames()
        sel = self.selections.get(filter, parcels)
        order = self.orders.get(name, desc, sel, parcels)
        if order is None:
            return None
        at = page_positions(sel, order, q.limit + 1, q.after)
        if not len(at):
            return Page([], None, None)
        ids = cql.In("parcel_id", tuple(str(i) for i in sel.ids[at]))
        return self.store.query("parcels", dataclasses.replace(
            q, filter=ids if q.filter is None else cql.And((q.filter, ids))))

    def warm_workbench(self, lang: str = "zh") -> None:
        """Make what the workbench's first view and first write would otherwise wait
        for: today's map prepared for tiling (:meth:`tileset`), the count and 亩 of the
        whole register (:attr:`selections`), the orders its list sorts by
        (:data:`LIST_ORDERS`) and the register's enterprises grouped (the context of a
        write, :func:`landuse_api.patch.context_positions`)."""
        parcels, _ = self.frames()
        if len(parcels):
            context_positions(parcels, [str(parcels["parcel_id"].iloc[0])])
        self.tileset(lang)
        sel = self.selections.get("", parcels)
        for name, desc in LIST_ORDERS:
            self.orders.get(name, desc, sel, parcels)

    def ask_again(self) -> None:
        """After the whole refresh committed (the table made whole: every kept filter
        and order would be asked of the whole store by the next request), ask them again
        now, on a thread, so that the next page does not wait for it."""
        def run() -> None:
            try:
                parcels, _ = self.frames()
                with self.selections.lock:
                    filters = list(self.selections.kept)
                with self.orders.lock:
                    orders = list(self.orders.kept)
                for f in filters:
                    sel = self.selections.get(f, parcels)
                    if f == "":
                        for name, desc in orders:
                            self.orders.get(name, desc, sel, parcels)
            except Exception:  # the next request asks
                log.exception("the workbench's filters were not asked again")

        with self.lock:
            if self.asking is not None and self.asking.is_alive():
                return
            self.asking = threading.Thread(target=run, name="ask-again", daemon=True)
            self.asking.start()

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


TILE_CACHE = 50_000
"""Tiles kept per language (least recently asked dropped first)."""

LIST_ORDERS = (("area_mu", True), ("overdue_days", True), ("idle_fee_wan", True))
"""The numbers the workbench's list sorts by (largest first), kept from the start."""

TILE_LOG = 64
"""Versions of the map whose changed parcels are remembered (:meth:`Derived.changed_tiles`)."""


def tileset_of(assessed: gpd.GeoDataFrame, ledger: pd.DataFrame, lang: str,
               old: dict[str, Any] | None) -> dict[str, Any]:
    """The tiling state of ``assessed`` (see :meth:`Derived.tileset`): from ``old`` when
    it has the same parcels with the same outlines (only the parcels whose classification
    inputs changed are classified again, :func:`landuse.webmap.classes.patch_layers`; its
    tiles that hold no parcel whose class or drawing priority changed are kept), else
    prepared anew with no tiles."""
    import shapely

    from landuse.webmap import tiles as _tiles
    from landuse.webmap.build import _display_frame, stage_priority
    from landuse.webmap.classes import classify_layers, ledger_as_of

    as_of = assessed.attrs.get("assessment", {}).get("as_of")
    led = ledger_as_of(ledger, as_of)
    if old is not None and old["crs"] == assessed.crs:
        since = replaced_since(old["frame"], assessed)
        if since is not None:  # patched from the frame drawn: compare the rows replaced
            patched = _patched_tileset(old, assessed, since, led, lang)
            if patched is not None:
                return patched
    ids = assessed["parcel_id"].astype(str).tolist()
    geoms = assessed.geometry.to_numpy()
    if old is not None and old["ids"] == ids and old["crs"] == assessed.crs \
            and bool(shapely.equals_exact(old["geoms"], geoms, 0).all()):
        patched = _patched_tileset(old, assessed, np.arange(len(ids)), led, lang)
        if patched is not None:
            return patched
    codes, specs, _ = classify_layers(assessed, led, lang)
    codes = codes.astype(np.int16)
    disp = _display_frame(assessed, shift=False)
    ts = _tiles.prepare(disp.geometry.to_numpy(), codes, stage_priority(codes, specs))
    return {"ts": ts, "ids": ids, "geoms": geoms, "crs": assessed.crs,
            "cache": OrderedDict(), "changed": len(ids), "reclassified": len(ids),
            "frame": assessed, "fcache": OrderedDict(), "masks": {}, "drawn": None,
            "layers": [sp.to_json() for sp in specs]}


def _patched_tileset(old: dict[str, Any], assessed: gpd.GeoDataFrame, rows: np.ndarray,
                     led: pd.DataFrame | None, lang: str) -> dict[str, Any] | None:
    """The tiling state of ``assessed`` from ``old``'s, where only the rows at ``rows``
    may differ from ``old["frame"]``; None when one of their outlines changed."""
    import shapely

    from landuse.webmap import tiles as _tiles
    from landuse.webmap.build import stage_priority
    from landuse.webmap.classes import changed_rows, patch_layers

    before = old["frame"]
    geoms = old["geoms"]
    if len(rows):
        new_geoms = assessed.geometry.to_numpy()[rows]
        if not bool(shapely.equals_exact(geoms[rows], new_geoms, 0).all()):
            return None
        rows = rows[changed_rows(before.iloc[rows], assessed.iloc[rows])]
    ts0 = old["ts"]
    codes, specs, _ = patch_layers(ts0.codes, assessed, rows, led, lang, ids_index(assessed))
    codes = codes.astype(np.int16)
    prio = stage_priority(codes, specs)
    changed = np.flatnonzero((ts0.codes != codes).any(axis=1) | (ts0.priority != prio))
    ts = replace(ts0, codes=codes, priority=prio)
    cache = old["cache"]
    caches = [cache] + [entry["tiles"] for entry in old["fcache"].values()]
    for z in range(ts.maxzoom + 1):
        for x, y in _tiles.tiles_of_features(ts, changed, z):
            for c in caches:
                c.pop((z, x, y), None)
    return {"ts": ts, "ids": old["ids"], "geoms": geoms, "crs": assessed.crs,
            "cache": cache, "changed": len(changed), "reclassified": len(rows),
            "frame": assessed, "fcache": old["fcache"], "masks": {}, "drawn": changed,
            "order": old.get("order"), "layers": [sp.to_json() for sp in specs]}


def patch_frames(store: Store, old: tuple[int, Any] | None,
                 v: int) -> tuple[gpd.GeoDataFrame, pd.DataFrame] | None:
    """The frames of version ``v`` from those of an older version: the parcels the writes
    in between touched read again, their new ledger events appended. None when the
    writes are not only ledger events and parcel edits (:meth:`Store.writes_since`)."""
    from landuse.store import COLLECTIONS, Query, cql
    from landuse.store.prepare import features_frame

    if old is None:
        return None
    v0, (parcels, ledger) = old
    w = store.writes_since(v0, v)
    if w is None:
        return None
    if w["parcels"]:
        page = store.query("parcels", Query(filter=cql.In("parcel_id", tuple(sorted(
            w["parcels"]))), limit=len(w["parcels"]) + 1,
            properties=COLLECTIONS["parcels"].names))
        new = features_frame(page.features, COLLECTIONS["parcels"], geo=True)
        parcels = replace_rows(parcels, new)
    if w["events"]:
        page = store.query("ledger", Query(filter=cql.In("event_id", tuple(sorted(
            w["events"]))), limit=len(w["events"]) + 1, skip_geometry=True,
            properties=COLLECTIONS["ledger"].names))
        new_events = features_frame(page.features, COLLECTIONS["ledger"], geo=False)
        # the older frames may already hold some of them (read while they were written)
        ledger = ledger[~ledger["event_id"].astype(str).isin(w["events"])]
        ledger = pd.concat([ledger, new_events], ignore_index=True)
    return parcels, ledger


def patch_assessed(store: Store, old: tuple[int, Any], parcels: gpd.GeoDataFrame,
                   as_of: str, lang: str, v: int) -> tuple[gpd.GeoDataFrame, bool] | None:
    """The assessment of version ``v`` from an older version's: the touched parcels
    re-assessed (:func:`landuse.rules.reassess`), and whether ranks are held (its
    ``ranks_stale``). None when it cannot be patched."""
    from landuse.rules import reassess

    v0, assessed = old
    w = store.writes_since(v0, v)
    if w is None:
        return None
    if not w["parcels"]:
        return assessed, False
    at = context_positions(parcels, w["parcels"])
    if at is None:  # an unknown parcel: reassess says which
        out = reassess(assessed, parcels, w["parcels"], as_of, lang=lang)
    else:  # the context alone: the same rows, without a pass over the whole register
        ctx = parcels.iloc[at]
        prev_at = ids_index(assessed).get_indexer(ids_index(ctx))
        if (prev_at < 0).any():
            return None
        out = reassess(assessed.iloc[prev_at], ctx, w["parcels"], as_of, lang=lang)
    return replace_rows(assessed, out.rows), out.ranks_stale
