"""The store interface: :class:`Store`.

A store holds the parcel register, the disposal ledger (append-only), an audit log of every
write (who, when, what), hashed API keys and the materialised assessment of the parcels.
Its value types are in :mod:`landuse.store.types`, the SQL engine both backends share in
:mod:`landuse.store.sql`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from landuse.store.prepare import features_frame
from landuse.store.schema import COLLECTIONS
from landuse.store.types import Feature, KeyInfo, Page, Query

__all__ = ["Store"]


class Store(abc.ABC):
    """One store: parcels, an append-only ledger, an audit log and API keys."""

    url: str

    @abc.abstractmethod
    def load(
        self, parcels: gpd.GeoDataFrame, ledger: pd.DataFrame | None = None,
        actor: str = "load", effective: str | None = None,
    ) -> dict[str, int]:
        """Import a validated register (and ledger): into an empty store as its first
        version (valid from ``effective``, default since always), or, given ``effective``,
        into a store that holds one as a new version taking effect that day: only what
        changed is recorded (parcels added, changed, retired; nothing when nothing
        changed). Returns counts: ``parcels``, ``events``, ``added``, ``changed``,
        ``retired``."""

    @abc.abstractmethod
    def query(self, collection: str, q: Query) -> Page:
        """Select features of ``parcels`` or ``ledger`` (bbox, filters, CQL, keyset paging)."""

    def query_parcels(self, q: Query) -> Page:
        """:meth:`query` on the parcels."""
        return self.query("parcels", q)

    @abc.abstractmethod
    def get(self, collection: str, item_id: str, lang: str = "zh",
            ledger_geometry: str = "point") -> Feature:
        """One feature by its id (a parcel's assessment sentences in ``lang``; a ledger
        event drawn at its parcel as ``ledger_geometry``); NotFoundError when absent."""

    def get_parcel(self, parcel_id: str) -> Feature:
        """One parcel by ``parcel_id`` (with its version)."""
        return self.get("parcels", parcel_id)

    def parcel_at(self, lon: float, lat: float, limit: int = 10) -> list[Feature]:
        """Parcels containing or touching the point (stacked parcels all returned)."""
        return self.parcels_in(shapely.Point(lon, lat), limit=limit)

    def parcels_in(self, geom: BaseGeometry, limit: int = 1000) -> list[Feature]:
        """Parcels intersecting ``geom`` (storage CRS), in fid order."""
        return self.query("parcels", Query(intersects=geom, limit=limit)).features

    def count_and_mu(self, q: Query) -> tuple[int, float]:
        """How many parcels match ``q`` (its filters; paging ignored) and their area in 亩
        (the assessment's ``area_mu``)."""
        n, mu, after = 0, 0.0, None
        while True:
            page = self.query("parcels", Query(bbox=q.bbox, equals=q.equals, filter=q.filter,
                                               intersects=q.intersects, limit=10_000,
                                               after=after, properties=["area_mu"],
                                               skip_geometry=True))
            n += len(page.features)
            mu += sum(float(f.properties.get("area_mu") or 0) for f in page.features)
            if page.next_key is None:
                return n, mu
            after = page.next_key

    def matching(self, q: Query) -> tuple[list[str], np.ndarray]:
        """The parcel ids matching ``q`` (its filters; paging ignored) and each one's
        area in 亩 (the assessment's ``area_mu``, 0 where there is none), in no set order:
        what :meth:`count_and_mu` sums, parcel by parcel."""
        ids: list[str] = []
        mu: list[float] = []
        after = None
        while True:
            page = self.query("parcels", Query(bbox=q.bbox, equals=q.equals, filter=q.filter,
                                               intersects=q.intersects, limit=10_000,
                                               after=after, properties=["area_mu"],
                                               skip_geometry=True))
            ids += [str(f.id) for f in page.features]
            mu += [float(f.properties.get("area_mu") or 0) for f in page.features]
            if page.next_key is None:
                return ids, np.asarray(mu, dtype=np.float64)
            after = page.next_key

    def sort_values(self, name: str, ids: Sequence[str] | None = None
                    ) -> tuple[list[str], np.ndarray, np.ndarray] | None:
        """The value every current parcel (or the parcels ``ids``) sorts by when a query
        sorts by the number ``name``, as :meth:`query` compares it (a missing value as
        its stand-in): ``(parcel ids, fids, values)``; None when ``name`` is not a number
        or the store does not say (then a caller sorts by :meth:`query`)."""
        return None

    def zones(self) -> list[str]:
        """The sub-parks (``zone``) the register names, sorted."""
        found: set[str] = set()
        after = None
        while True:
            page = self.query("parcels", Query(limit=10_000, after=after, properties=["zone"],
                                               skip_geometry=True))
            found |= {str(f.properties["zone"]) for f in page.features
                      if f.properties.get("zone")}
            if page.next_key is None:
                return sorted(found)
            after = page.next_key

    @abc.abstractmethod
    def search(self, text: str, limit: int = 10) -> list[dict[str, Any]]:
        """Typeahead: parcels whose id starts with, or holder contains, ``text``."""

    @abc.abstractmethod
    def append_events(
        self, events: Sequence[tuple[dict[str, Any], BaseGeometry | None]], actor: str
    ) -> list[Feature]:
        """Append ledger events in one transaction; returns them as stored."""

    @abc.abstractmethod
    def update_parcel(
        self,
        parcel_id: str,
        properties: dict[str, Any],
        geometry: BaseGeometry | None,
        expected_version: int,
        actor: str,
    ) -> Feature:
        """Edit a parcel if its version is still ``expected_version`` (else StaleVersionError)."""

    @abc.abstractmethod
    def audit_log(self, limit: int = 100, after: int = 0) -> list[dict[str, Any]]:
        """Audit records after sequence ``after``, oldest first."""

    @abc.abstractmethod
    def add_key(self, role: str, label: str = "", actor: str = "cli") -> str:
        """Make an API key; returns the key (shown once, only its hash is stored)."""

    @abc.abstractmethod
    def revoke_key(self, key_id: str, actor: str = "cli") -> None:
        """Revoke a key (kept, marked revoked)."""

    @abc.abstractmethod
    def list_keys(self) -> list[KeyInfo]:
        """All keys, revoked ones included."""

    @abc.abstractmethod
    def verify_key(self, key: str) -> KeyInfo | None:
        """The key's info when it is valid and not revoked, else None."""

    @abc.abstractmethod
    def change_seq(self) -> int:
        """Sequence number of the last write (audit); changes whenever the store changes."""

    @abc.abstractmethod
    def assessment_state(self) -> dict[str, Any] | None:
        """The materialised assessment: ``{as_of, ruleset, seq, ranks_stale}`` (None before
        the first); ``ranks_stale``: patched since the last whole assessment in a way that
        may have moved the 亩均 ranks and classes of parcels not re-assessed."""

    def assessment_made(self) -> int | None:
        """How many times the assessment table was made whole (for a date, or with exact
        ranks); a patch after a write does not count: a reader that kept something derived
        from the table may patch it by the writes since while this number stays. None when
        the store does not count them (then nothing derived is patched)."""
        return None

    @abc.abstractmethod
    def assessment_runs(self) -> int:
        """How many times the assessment table was refreshed, made whole or patched after
        writes (0 before the first): once per store version, however many processes serve
        the store."""

    @abc.abstractmethod
    def refresh_assessment(self, as_of: str, ruleset: Any = None, wait: bool = True,
                           exact_ranks: bool = False) -> dict[str, Any]:
        """Make table ``parcel_assessment`` hold ``landuse.rules.assess`` of the parcels as of
        ``as_of``; a no-op when it already does for the store's current change sequence.

        When the table is of the same date and ruleset and only ledger events, parcel edits
        and key changes were written since, only the parcels they touched are re-assessed
        (:func:`landuse.rules.reassess`); if that leaves the zone's 亩均 ranks possibly
        moved, the state says ``ranks_stale`` until a refresh with ``exact_ranks=True``
        (which makes the whole table again; any other write does too). A refresh with
        ``exact_ranks=True`` of a store that has a table does not hold the store-wide lock
        while it assesses: it writes the whole assessment beside the table and takes the
        lock only to patch the writes made meanwhile onto it and swap it in, so writers
        do not wait for it.

        Returns the state of the table (:meth:`assessment_state`) plus ``current``. With
        ``wait=False``, while another thread is refreshing, the table as it is (the previous
        assessment, which readers keep seeing until the refresh commits) is returned at once
        with ``current`` False instead of waiting."""

    def writes_since(self, after: int, upto: int) -> dict[str, set[str]] | None:
        """What the writes between two change sequences touched (``{"parcels", "events"}``
        ids), or None when unknown or more than that; a backend that cannot tell says None."""
        return None

    @abc.abstractmethod
    def assessment_frame(self, lang: str = "zh") -> pd.DataFrame:
        """The materialised assessment, one row per parcel in register order: ``parcel_id``,
        the §3 fields (sentences in ``lang``, zh or en), ``as_of`` and ``ruleset``. Call
        :meth:`refresh_assessment` first; the rows carry the ``as_of`` they were made for."""

    @abc.abstractmethod
    def count(self, collection: str) -> int:
        """Number of rows of a collection (cheap)."""

    @abc.abstractmethod
    def temporal_extent(self, collection: str) -> tuple[str, str] | None:
        """First and last date (YYYY-MM-DD) of the collection's temporal property (parcels'
        ``supply_date``, the ledger's ``event_date``); None when it has none or no dates."""

    @abc.abstractmethod
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Extent of the parcels in storage CRS."""

    @abc.abstractmethod
    def integrity_check(self) -> list[str]:
        """Problems found in the store (empty when consistent)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close every connection."""

    def parcels_frame(self, as_of: str | None = None,
                      known_at: str | None = None) -> gpd.GeoDataFrame:
        """The parcels as a GeoDataFrame in the standard's columns (EPSG:4490): the current
        register, or, given ``as_of`` (valid time, a date) and/or ``known_at`` (record time,
        a date or an ISO time; default now), the register as it stood on ``as_of`` as
        recorded by ``known_at``."""
        return features_frame(self._iter_all("parcels"), COLLECTIONS["parcels"], geo=True)

    def registers_frames(self, dates: Sequence[str | None], known_at: str | None = None,
                         workers: int = 1) -> list[gpd.GeoDataFrame]:
        """The register valid on each of ``dates`` as recorded by ``known_at``: each equal
        to ``parcels_frame(as_of=date, known_at=known_at)`` (None: the latest version). A
        backend may read what the registers share once, in up to ``workers`` processes."""
        return [self.parcels_frame(as_of=d or "9999-12-31", known_at=known_at) for d in dates]

    def ledger_frame(self, known_at: str | None = None) -> pd.DataFrame:
        """The ledger as a DataFrame in the standard's columns (dates as datetime64): every
        event, or those recorded by ``known_at`` (corrections recorded later are not
        known)."""
        df = features_frame(self._iter_all("ledger", geometry=False), COLLECTIONS["ledger"],
                            geo=False)
        return df

    @abc.abstractmethod
    def created_at(self) -> str | None:
        """When the store was made (ISO UTC): nothing is known before."""

    @abc.abstractmethod
    def parcel_history(self, parcel_id: str) -> list[dict[str, Any]]:
        """Every recorded version of a parcel, oldest first: ``seq``, ``change`` (added,
        changed, retired), ``changed_fields``, ``valid_from``, ``recorded_at``,
        ``recorded_by``, ``version``, ``parent_ids``."""

    def _iter_all(self, collection: str, geometry: bool = True) -> Iterator[Feature]:
        after = None
        while True:
            page = self.query(collection, Query(limit=10_000, after=after,
                                                properties=COLLECTIONS[collection].names,
                                                skip_geometry=not geometry))
            yield from page.features
            if page.next_key is None:
                return
            after = page.next_key

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def supply_data(self) -> Any:
        """Every stored supply record (:class:`landuse.supply.model.SupplyData`)."""
        raise NotImplementedError

    def import_supply(self, data: Any, parcel_ids: Any = None, actor: str = "import") -> int:
        """Check supply records (with those stored) and store them, all or nothing."""
        raise NotImplementedError
