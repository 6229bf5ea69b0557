"""The 五未 lifecycle family: where each parcel stands, from approval to production.

:func:`progress` reads the dates and the start evidence and decides supplied / started /
completed / producing as of a date (domain.md §5, §1.2); :func:`lifecycle` turns that into
the standard's ``lifecycle`` codes. Pure and vectorised: arrays in, a dataclass of masks out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from landuse.rules.columns import Codes, Columns, code_is, ok
from landuse.standard import get_standard

__all__ = ["LIFECYCLES", "Lifecycle", "Progress", "lifecycle", "progress"]

LIFECYCLES: tuple[str, ...] = tuple(get_standard().codes["lifecycle"])
"""The standard's lifecycle codes, in its order (the ``lifecycle`` code list)."""
LC: dict[str, int] = {name: i for i, name in enumerate(LIFECYCLES)}
"""Position of each lifecycle code in :data:`LIFECYCLES`."""


@dataclass(frozen=True)
class Progress:
    """The recorded dates and what they say as of ``today`` (one entry per parcel)."""

    today: np.datetime64
    approval: np.ndarray
    supply: np.ndarray
    delivery: np.ndarray
    contract_delivery: np.ndarray
    """``contract_delivery_date``: when the contract says the land is to be delivered."""
    agreed: np.ndarray
    extension: np.ndarray
    start: np.ndarray
    suspended: np.ndarray
    completion: np.ndarray
    production: np.ndarray
    evidence: Codes
    approved: np.ndarray
    supplied: np.ndarray
    supply_future: np.ndarray
    completed: np.ndarray
    producing: np.ndarray
    ev_started: np.ndarray
    ev_none: np.ndarray
    start_by_date: np.ndarray
    started: np.ndarray
    start_ignored: np.ndarray
    """``start_evidence`` is ``none``, so a past ``start_date`` does not count as a start."""
    recorded: dict[str, np.ndarray]
    """The progress dates as recorded (``start``, ``suspended``, ``completion``,
    ``production``), before the former holder's are dropped."""
    former: dict[str, np.ndarray]
    """Per progress date: recorded before the current ``supply_date``, so the former
    holder's, not used (the attributes above hold NaT there)."""


def progress(cols: Columns, today: np.datetime64, idle_rules: dict[str, Any]) -> Progress:
    """Supplied, started, completed, producing as of ``today``.

    Started: ``start_evidence`` in ``idle_rules["started_evidence"]``; where the evidence is
    absent, a ``start_date`` on or before ``today``; ``none`` means not started whatever
    ``start_date`` says. A completion or production date on or before ``today`` also means
    started.
    """
    approval = cols.date("approval_date")
    supply = cols.date("supply_date")
    delivery = cols.date("delivery_date")
    contract_delivery = cols.date("contract_delivery_date")
    agreed = cols.date("agreed_start_date")
    ext = cols.date("extension_until")
    recorded = {
        "start": cols.date("start_date"),
        "suspended": cols.date("suspended_since"),
        "completion": cols.date("completion_date"),
        "production": cols.date("production_date"),
    }
    former = {k: ok(d) & ok(supply) & (d < supply) for k, d in recorded.items()}
    cur = {k: np.where(former[k], np.datetime64("NaT", "D"), d) for k, d in recorded.items()}
    start, susp = cur["start"], cur["suspended"]
    completion, production = cur["completion"], cur["production"]
    ev_raw = cols.codes("start_evidence", "start_evidence")
    ev = (np.where(former["start"], -1, ev_raw[0]).astype(ev_raw[0].dtype), ev_raw[1])
    supplied = ok(supply) & (supply <= today)
    completed = ok(completion) & (completion <= today)
    producing = ok(production) & (production <= today)
    ev_present = ev[0] >= 0
    ev_started = code_is(ev, *idle_rules["started_evidence"])
    ev_none = code_is(ev, "none")
    start_by_date = ok(start) & (start <= today)
    started = ev_started | (~ev_present & start_by_date) | completed | producing
    return Progress(
        today=today,
        approval=approval,
        supply=supply,
        delivery=delivery,
        contract_delivery=contract_delivery,
        agreed=agreed,
        extension=ext,
        start=start,
        suspended=susp,
        completion=completion,
        production=production,
        evidence=ev,
        approved=ok(approval),
        supplied=supplied,
        supply_future=ok(supply) & (supply > today),
        completed=completed,
        producing=producing,
        ev_started=ev_started,
        ev_none=ev_none,
        start_by_date=start_by_date,
        started=started,
        start_ignored=supplied & ev_none & start_by_date & ~completed & ~producing,
        recorded=recorded,
        former=former,
    )


@dataclass(frozen=True)
class Lifecycle:
    """The 五未 stage per parcel."""

    code: np.ndarray
    """Position in :data:`LIFECYCLES` (int8)."""
    bad_status: np.ndarray
    """The enterprise is stopped, a zombie or bankrupt."""
    status: Codes

    def is_(self, name: str) -> np.ndarray:
        """True where the stage is ``name`` (a code of :data:`LIFECYCLES`)."""
        return np.asarray(self.code == LC[name])

    @property
    def names(self) -> np.ndarray:
        """The stage codes as strings."""
        return np.asarray(LIFECYCLES, dtype=object)[self.code]


def lifecycle(p: Progress, status: Codes, low_efficiency: np.ndarray) -> Lifecycle:
    """The 五未 stage (domain.md §5) of every parcel.

    Parameters
    ----------
    p : Progress
        From :func:`progress`.
    status : (codes, code list)
        ``enterprise_status`` codes.
    low_efficiency : ndarray of bool
        Fails a control indicator (:func:`landuse.rules.efficiency.efficiency`).

    Returns
    -------
    Lifecycle
        Approved (or supplied after ``today``) and not supplied: ``approved_unsupplied``;
        supplied, not started: ``supplied_unused``; started, neither completed nor
        producing: ``used_incomplete``; completed, not producing: ``built_not_producing``;
        producing: ``in_use``, or ``producing_below_target`` when the enterprise is stopped,
        a zombie or bankrupt, or the parcel is of low efficiency; else ``unknown``.
    """
    n = len(p.supplied)
    sup = p.supplied
    lc = np.full(n, LC["unknown"], dtype=np.int8)
    lc[(p.approved | p.supply_future) & ~sup] = LC["approved_unsupplied"]
    lc[sup & ~p.started] = LC["supplied_unused"]
    lc[sup & p.started & ~p.completed & ~p.producing] = LC["used_incomplete"]
    lc[sup & p.completed & ~p.producing] = LC["built_not_producing"]
    sup_prod = sup & p.producing
    lc[sup_prod] = LC["in_use"]
    bad_status = code_is(status, "stopped", "zombie", "bankrupt")
    lc[sup_prod & (bad_status | low_efficiency)] = LC["producing_below_target"]
    return Lifecycle(code=lc, bad_status=bad_status, status=status)
