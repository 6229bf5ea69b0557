"""Which parcels a workbench filter selects, kept per filter and patched after writes.

The workbench asks the same filter again and again: its count and 亩 (``/app/summary``) and
which parcels its map tiles draw (``/tiles/parcels?filter=``). Asked of the store each
time, both are a pass over the whole register (the parcels joined to their assessment).
Here a filter's answer is kept as a mask over the register's parcels (in the order of the
app's parcels frame) with each parcel's 亩, for the store's assessment table as it stood:
its date, ruleset, how many times it was made whole (:meth:`Store.assessment_made`) and
the write it is current to (``seq``). When only writes came since (ledger events and
parcel edits, :meth:`Store.writes_since`), the table changed only in the rows of the
parcels they touched and of those parcels' enterprises (the assessment patch,
:func:`landuse.rules.reassess`), so only those rows are asked of the store again. A table
made whole again, another date or a load: the filter is asked of the whole store.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landuse.store import Query, Store, cql
from landuse_api.patch import context_positions, ids_index

__all__ = ["Order", "Orders", "Selected", "Selections", "page_positions", "table_of"]


def table_of(store: Store) -> tuple[Any, ...] | None:
    """The store's assessment table as it stands: its date, ruleset, how many times it was
    made whole and the write it is current to (None before the first assessment)."""
    state = store.assessment_state()
    made = store.assessment_made()
    if state is None or made is None:
        return None
    return (state["as_of"], state["ruleset"], made, int(state["seq"]))


@dataclass(frozen=True)
class Selected:
    """A filter's parcels: ``mask`` over ``ids`` (the register's parcel ids, the app's
    parcels frame order), each parcel's 亩 in ``mu`` (0 where not selected), for the
    assessment table at ``table`` (date, ruleset, times made whole, write ``seq``)."""

    ids: pd.Index
    mask: np.ndarray
    mu: np.ndarray
    table: tuple[Any, ...]

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    @property
    def area_mu(self) -> float:
        return float(self.mu[self.mask].sum())

    @property
    def seq(self) -> int:
        return int(self.table[3])


class Selections:
    """The answers of the last ``size`` filters asked (least recently asked dropped)."""

    def __init__(self, store: Store, size: int = 8) -> None:
        self.store = store
        self.size = size
        self.lock = threading.Lock()
        self.kept: OrderedDict[str, Selected] = OrderedDict()
        self.busy: dict[str, threading.Lock] = {}
        self.patched = 0  # answers patched from an older one (tests)
        self.whole = 0  # answers asked of the whole store (tests)

    def _table(self) -> tuple[Any, ...] | None:
        return table_of(self.store)

    def get(self, filter: str, parcels: pd.DataFrame) -> Selected:
        """The parcels of ``parcels`` (the app's frame of the register) that the CQL2 text
        ``filter`` selects ("" for all) in the store's assessment table as it stands."""
        with self.lock:
            busy = self.busy.setdefault(filter, threading.Lock())
        try:
            with busy:  # one request asks the store; the others wait for its answer
                return self._get(filter, parcels)
        finally:
            with self.lock:
                if filter not in self.kept:  # refused or not kept: nothing to wait for
                    self.busy.pop(filter, None)

    def _get(self, filter: str, parcels: pd.DataFrame) -> Selected:
        ids = ids_index(parcels)
        made: Selected | None = None
        for _ in range(3):
            table = self._table()
            with self.lock:
                old = self.kept.get(filter)
            if table is not None and old is not None and old.table == table \
                    and old.ids is ids:
                return old
            made = None
            if table is not None and old is not None and old.table[:3] == table[:3] \
                    and old.ids is ids and old.seq <= table[3]:
                made = self._patched(filter, parcels, old, table)
            if made is None:
                made = self._asked(filter, ids, table)
            if table is not None and self._table() == table:  # not changed meanwhile
                with self.lock:
                    self.kept[filter] = made
                    self.kept.move_to_end(filter)
                    while len(self.kept) > self.size:
                        gone, _ = self.kept.popitem(last=False)
                        self.busy.pop(gone, None)
                return made
        assert made is not None
        return made  # the table changed under every try: this answer, not kept

    def _query(self, filter: str, extra: cql.Node | None = None) -> Query:
        node = cql.parse(filter) if filter else None
        if extra is not None:
            node = extra if node is None else cql.And((node, extra))
        return Query(filter=node)

    def _asked(self, filter: str, ids: pd.Index, table: tuple[Any, ...] | None) -> Selected:
        found, mu = self.store.matching(self._query(filter))
        at = ids.get_indexer(pd.Index(found, dtype=object))
        keep = at >= 0  # a parcel registered after the app's frame was read: not drawn
        mask = np.zeros(len(ids), dtype=bool)
        mask[at[keep]] = True
        area = np.zeros(len(ids), dtype=np.float64)
        area[at[keep]] = mu[keep]
        self.whole += 1
        return Selected(ids, mask, area, table or ("", "", -1, -1))

    def _patched(self, filter: str, parcels: pd.DataFrame, old: Selected,
                 table: tuple[Any, ...]) -> Selected | None:
        w = self.store.writes_since(old.seq, table[3])
        if w is None:
            return None
        touched = sorted(w["parcels"])
        if not touched:
            return Selected(old.ids, old.mask, old.mu, table)
        at = context_positions(parcels, touched)
        if at is None:  # a parcel not in the app's frame: ask the whole store
            return None
        ids = old.ids
        found, mu = self.store.matching(self._query(
            filter, cql.In("parcel_id", tuple(str(i) for i in ids[at]))))
        mask, area = old.mask.copy(), old.mu.copy()
        mask[at] = False
        area[at] = 0.0
        pos = ids.get_indexer(pd.Index(found, dtype=object))
        if (pos < 0).any():
            return None
        mask[pos] = True
        area[pos] = mu
        self.patched += 1
        return Selected(ids, mask, area, table)


@dataclass(frozen=True)
class Order:
    """The register sorted by one number as the store sorts it (its value, then fid):
    ``order`` holds positions of ``ids`` (as :class:`Selected`), ``value`` and ``fid``
    each parcel's, for the assessment table at ``table``."""

    ids: pd.Index
    value: np.ndarray
    fid: np.ndarray
    desc: bool
    order: np.ndarray
    table: tuple[Any, ...]


def _sorted(value: np.ndarray, fid: np.ndarray, desc: bool) -> np.ndarray:
    return np.lexsort((fid, -value if desc else value))


class Orders:
    """Sort orders of the register by a number (``sortby=-area_mu`` …), kept per
    property and direction for the store's assessment table as it stood and patched by
    the writes since, as :class:`Selections` keeps filters: a page of a sorted, filtered
    list is then found among the kept positions instead of sorting the register."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.kept: dict[tuple[str, bool], Order] = {}

    def get(self, name: str, desc: bool, sel: Selected, parcels: pd.DataFrame
            ) -> Order | None:
        """The order by ``name`` for the table ``sel`` was made for; None when the store
        cannot say or its table changed meanwhile."""
        key = (name, desc)
        with self.lock:
            old = self.kept.get(key)
            if old is not None and old.table == sel.table and old.ids is sel.ids:
                return old
            made = None
            if old is not None and old.ids is sel.ids and old.table[:3] == sel.table[:3] \
                    and old.table[3] <= sel.table[3]:
                made = self._patched(name, old, sel, parcels)
            if made is None:
                made = self._whole(name, desc, sel)
            if made is None or self._table() != sel.table:
                return None
            self.kept[key] = made
            return made

    def _table(self) -> tuple[Any, ...] | None:
        return table_of(self.store)

    def _whole(self, name: str, desc: bool, sel: Selected) -> Order | None:
        got = self.store.sort_values(name)
        if got is None:
            return None
        found, fid, value = got
        at = sel.ids.get_indexer(pd.Index(found, dtype=object))
        if (at < 0).any() or len(at) != len(sel.ids):
            return None
        v = np.empty(len(sel.ids), dtype=np.float64)
        f = np.empty(len(sel.ids), dtype=np.int64)
        v[at], f[at] = value, fid
        return Order(sel.ids, v, f, desc, _sorted(v, f, desc), sel.table)

    def _patched(self, name: str, old: Order, sel: Selected, parcels: pd.DataFrame
                 ) -> Order | None:
        w = self.store.writes_since(old.table[3], sel.table[3])
        if w is None:
            return None
        if not w["parcels"]:
            return Order(old.ids, old.value, old.fid, old.desc, old.order, sel.table)
        at = context_positions(parcels, sorted(w["parcels"]))
        if at is None:
            return None
        got = self.store.sort_values(name, [str(i) for i in old.ids[at]])
        if got is None:
            return None
        found, fid, value = got
        pos = old.ids.get_indexer(pd.Index(found, dtype=object))
        if (pos < 0).any() or len(pos) != len(at):
            return None
        v, f = old.value.copy(), old.fid.copy()
        v[pos], f[pos] = value, fid
        return Order(old.ids, v, f, old.desc, _sorted(v, f, old.desc), sel.table)


def page_positions(sel: Selected, order: Order, limit: int,
                   after: tuple[Any, ...] | None) -> np.ndarray:
    """Positions of the first ``limit`` parcels of ``sel`` in ``order`` after the cursor
    ``after`` (the sort value and fid of a page's last row, as the store's keyset
    paging gives it; :mod:`landuse.store.keyset`)."""
    take = sel.mask[order.order]
    if after is not None:
        v, f = float(after[0]), int(after[1])
        value, fid = order.value[order.order], order.fid[order.order]
        beyond = value < v if order.desc else value > v
        take &= beyond | ((value == v) & (fid > f))
    return order.order[take][:limit]
