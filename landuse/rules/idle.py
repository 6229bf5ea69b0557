"""The idle-land family (闲置土地, Order 53 of 2012, domain.md §1): clock, kinds, consequences.

* :func:`not_started` (case A): the clock starts at ``extension_until``, else
  ``agreed_start_date``, else ``delivery_date`` + N years; a supplied parcel not started
  N full years after it is idle. An extension dated before the agreed start date, or more
  than ``extension_max_years`` after it (Art. 12(1)), contradicts the rules and is not used.
  Only progress of the current supply counts (:func:`landuse.rules.lifecycle.progress`).
* :func:`stalled` (case B): a parcel under development (started, neither completed nor
  producing) suspended N full years whose developed share or invested share (combined
  with "or"/"and") is below the thresholds.
* :func:`consequences`: idle fee (a share of the land price) and recovery without
  compensation, unless the delay was caused by the government or force majeure. Land
  delivered after the contract delivery date or after the agreed start date is, when no
  cause is recorded, the government's (Art. 8(1)).

Pure and vectorised: arrays in, a dataclass of masks and values out; no sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from landuse.rules.columns import Codes, Columns, add_years, below, code_is, ok, ratio
from landuse.rules.lifecycle import Progress
from landuse.standard import get_standard

__all__ = [
    "IDLE_TYPES",
    "Consequences",
    "Idle",
    "NotStarted",
    "Stalled",
    "consequences",
    "idle",
    "not_started",
    "stalled",
]

IDLE_TYPES: tuple[str, ...] = tuple(get_standard().codes["idle_type"])
"""The standard's idle types. A parcel the idle rules cannot judge gets ``none`` (not found
idle) and a reason naming the missing fields."""
IT: dict[str, int] = {name: i for i, name in enumerate(IDLE_TYPES)}

BASE_SOURCES: tuple[str, ...] = ("extension_until", "agreed_start_date", "delivery_date")
"""Where the clock of a not-started parcel starts, by priority (``base_source`` indexes it)."""


@dataclass(frozen=True)
class NotStarted:
    """Case A: supplied and not started."""

    years: int
    delivery_years: int
    base: np.ndarray
    """The start date the clock counts from (NaT when none is recorded)."""
    base_source: np.ndarray
    """Index into :data:`BASE_SOURCES`, -1 when there is no base."""
    candidate: np.ndarray
    """Supplied and not started."""
    idle: np.ndarray
    unknown: np.ndarray
    """Supplied and not started, but no date to start the clock from."""
    not_yet: np.ndarray
    """Not started, but the N years have not passed yet."""
    overdue_days: np.ndarray
    """Days since the base for candidates with a base (0 before it), NaN elsewhere."""
    days_left: np.ndarray
    ext_before_agreed: np.ndarray
    """``extension_until`` before ``agreed_start_date``: a contradiction, not used."""
    ext_too_long: np.ndarray
    """``extension_until`` more than ``extension_max_years`` after the agreed start date
    (Art. 12(1) allows at most one year): a contradiction, not used."""
    extension_max_years: int
    late_delivery: np.ndarray
    """Supplied and delivered late: ``delivery_date`` after ``contract_delivery_date`` or
    after ``agreed_start_date`` (Art. 8(1): not delivered within the contract's term)."""
    late_vs_contract: np.ndarray
    """Supplied, ``delivery_date`` after ``contract_delivery_date`` (delivered on that date
    is in time)."""


def not_started(p: Progress, rules: dict[str, Any]) -> NotStarted:
    """Case A of Order 53 Art. 2: not started N full years after the agreed start."""
    today = p.today
    k_del = int(rules["base_after_delivery_years"])
    from_delivery = add_years(p.delivery, k_del)
    has_agreed = ok(p.agreed)
    k_ext = int(rules["extension_max_years"])
    ext_before = ok(p.extension) & has_agreed & (p.extension < p.agreed)
    ext_long = ok(p.extension) & has_agreed & (p.extension > add_years(p.agreed, k_ext))
    has_ext = ok(p.extension) & ~ext_before & ~ext_long
    base = np.where(has_ext, p.extension, np.where(has_agreed, p.agreed, from_delivery))
    base_src = np.where(has_ext, 0, np.where(has_agreed, 1, np.where(ok(p.delivery), 2, -1)))
    has_base = ok(base)
    k_idle = int(rules["not_started_after_years"])
    candidate = p.supplied & ~p.started
    idle_ns = candidate & has_base & (today >= add_years(base, k_idle))
    days_since_base = (today - base).astype("timedelta64[D]").astype("float64")
    days_since_base[~has_base] = np.nan
    overdue = np.full(len(base), np.nan)
    sel = candidate & has_base
    overdue[sel] = np.maximum(days_since_base[sel], 0)
    days_left = (add_years(base, k_idle) - today).astype("timedelta64[D]").astype("float64")
    delivered = p.supplied & ok(p.delivery)
    late_contract = delivered & ok(p.contract_delivery) & (p.delivery > p.contract_delivery)
    late_agreed = delivered & has_agreed & (p.delivery > p.agreed)
    return NotStarted(
        years=k_idle,
        delivery_years=k_del,
        base=base,
        base_source=base_src,
        candidate=candidate,
        idle=idle_ns,
        unknown=candidate & ~has_base,
        not_yet=sel & ~idle_ns,
        overdue_days=overdue,
        days_left=days_left,
        ext_before_agreed=ext_before,
        ext_too_long=ext_long,
        extension_max_years=k_ext,
        late_delivery=late_contract | late_agreed,
        late_vs_contract=late_contract,
    )


@dataclass(frozen=True)
class Stalled:
    """Case B: development suspended."""

    years: int
    combinator: str
    developed_share: np.ndarray
    invested_share: np.ndarray
    developed_below: float
    invested_below: float
    developed_low: np.ndarray
    invested_low: np.ndarray
    idle: np.ndarray
    unknown: np.ndarray
    """Suspended N years, but the shares needed by the combinator are missing."""
    missing: dict[str, np.ndarray]
    """For the unknown ones: which of the fields behind the shares is missing."""
    days_suspended: np.ndarray
    developing: np.ndarray
    """Under development (started, neither completed nor producing): where case B is judged."""
    no_suspension: np.ndarray
    """Under development, no suspension of the current supply recorded: not stalled."""
    short_suspension: np.ndarray
    """Under development, suspended less than N full years: not stalled."""
    shares_ok: np.ndarray
    """Suspended N full years, but developed and invested shares pass the combinator."""


def stalled(
    p: Progress,
    developed_m2: np.ndarray,
    invested_wan: np.ndarray,
    total_investment_wan: np.ndarray,
    area_m2: np.ndarray,
    rules: dict[str, Any],
) -> Stalled:
    """Case B of Order 53 Art. 2: suspended N full years with too little developed/invested.

    Judged on parcels under development only: a completed or producing parcel is not
    "suspended development" (it is past 用而未尽).
    """
    today = p.today
    susp = p.suspended
    k_st = int(rules["stalled_suspended_years"])
    susp_ok = ok(susp) & (susp <= today)
    developing = p.supplied & p.started & ~p.completed & ~p.producing
    clock = developing & susp_ok & (today >= add_years(susp, k_st))
    dev_ratio = ratio(developed_m2, area_m2)
    inv_ratio = ratio(invested_wan, total_investment_wan)
    dev_thr = float(rules["stalled_developed_share_below"])
    inv_thr = float(rules["stalled_invested_share_below"])
    dev_known, inv_known = np.isfinite(dev_ratio), np.isfinite(inv_ratio)
    dev_low = dev_known & below(dev_ratio, dev_thr)
    inv_low = inv_known & below(inv_ratio, inv_thr)
    comb = str(rules["stalled_combinator"])
    if comb == "or":
        cond_true = dev_low | inv_low
        cond_false = dev_known & ~dev_low & inv_known & ~inv_low
    else:
        cond_true = dev_low & inv_low
        cond_false = (dev_known & ~dev_low) | (inv_known & ~inv_low)
    unknown = clock & ~cond_true & ~cond_false
    return Stalled(
        years=k_st,
        combinator=comb,
        developed_share=dev_ratio,
        invested_share=inv_ratio,
        developed_below=dev_thr,
        invested_below=inv_thr,
        developed_low=dev_low,
        invested_low=inv_low,
        idle=clock & cond_true,
        unknown=unknown,
        missing={
            "developed_area_m2": unknown & ~np.isfinite(developed_m2),
            "invested_wan": unknown & ~np.isfinite(invested_wan),
            "total_investment_wan": unknown & ~(total_investment_wan > 0),
            "area": unknown & ~np.isfinite(area_m2),
        },
        days_suspended=(today - susp).astype("timedelta64[D]").astype("float64"),
        developing=developing,
        no_suspension=developing & ~susp_ok,
        short_suspension=developing & susp_ok & ~clock,
        shares_ok=clock & cond_false,
    )


@dataclass(frozen=True)
class Consequences:
    """What follows from idleness: fee, recovery, or a negotiated disposal."""

    cause: Codes
    """``delay_cause`` codes."""
    check_cause: np.ndarray
    """Idle, cause not recorded, treated as the holder's until checked."""
    exempt: np.ndarray
    """Idle, caused by the government or force majeure: no fee, no recovery."""
    fee_share: float
    fee_due: np.ndarray
    fee_wan: np.ndarray
    """The fee (0 where none is due; NaN where due but the land price is missing)."""
    land_price_wan: np.ndarray
    fee_priced: np.ndarray
    """A fee is due and the land price is known."""
    fee_unpriced: np.ndarray
    """A fee is due but the land price is missing."""
    recovery_years: int
    recovery: np.ndarray
    late_government: np.ndarray
    """Idle not started, delivered late, cause not recorded: the government's (Art. 8(1))."""
    late_but_holder: np.ndarray
    """Idle not started, delivered late, but the cause is recorded as the holder's."""


def consequences(
    p: Progress,
    ns: NotStarted,
    st: Stalled,
    cause: Codes,
    land_price_wan: np.ndarray,
    rules: dict[str, Any],
) -> Consequences:
    """Idle fee and recovery (Order 53 Art. 14), or none when the cause exempts the holder.

    A fee of ``fee_share_of_price`` of the land price once the clock has run
    ``fee_after_years``; recovery without compensation after ``recovery_after_years``
    (for stalled land only when ``recovery_applies_to_stalled``). Consequences apply
    where the cause is in ``consequence_causes``, and to an unrecorded cause when
    ``unrecorded_cause_is_holder``. Land not started because it was delivered after the
    contract delivery date or the agreed start date is the government's when no cause is
    recorded and ``late_delivery_is_government`` (Art. 8(1)); a recorded cause stands.
    """
    today = p.today
    idle_any = ns.idle | st.idle
    conseq_cause = code_is(cause, *rules["consequence_causes"])
    unrecorded = (cause[0] < 0) | code_is(cause, "unknown")
    late = ns.idle & ns.late_delivery
    late_gov = late & unrecorded & bool(rules["late_delivery_is_government"])
    conseq = (conseq_cause | unrecorded) if rules["unrecorded_cause_is_holder"] else conseq_cause
    conseq = conseq & ~late_gov
    clock = np.where(ns.idle, ns.base, p.suspended)
    fee_due = idle_any & conseq & (today >= add_years(clock, int(rules["fee_after_years"])))
    fee_share = float(rules["fee_share_of_price"])
    fee = np.where(fee_due, fee_share * land_price_wan, 0.0)
    k_rec = int(rules["recovery_after_years"])
    rec_ns = ns.idle & (today >= add_years(ns.base, k_rec))
    rec_st = st.idle & (today >= add_years(p.suspended, k_rec))
    if not rules["recovery_applies_to_stalled"]:
        rec_st[:] = False
    has_price = np.isfinite(land_price_wan)
    return Consequences(
        cause=cause,
        check_cause=idle_any & unrecorded & conseq & ~conseq_cause,
        exempt=idle_any & ~conseq,
        fee_share=fee_share,
        fee_due=fee_due,
        fee_wan=fee,
        land_price_wan=land_price_wan,
        fee_priced=fee_due & has_price,
        fee_unpriced=fee_due & ~has_price,
        recovery_years=k_rec,
        recovery=conseq & (rec_ns | rec_st),
        late_government=late_gov,
        late_but_holder=late & conseq_cause,
    )


@dataclass(frozen=True)
class Idle:
    """The idle family's result."""

    type_code: np.ndarray
    """Position in :data:`IDLE_TYPES` (int8)."""
    not_started: NotStarted
    stalled: Stalled
    consequences: Consequences

    @property
    def idle(self) -> np.ndarray:
        """Idle of either kind."""
        return np.asarray(self.type_code != IT["none"])


def idle(cols: Columns, p: Progress, area_m2: np.ndarray, rules: dict[str, Any]) -> Idle:
    """Both kinds of idle land and their consequences, from the parcels' columns."""
    ns = not_started(p, rules)
    st = stalled(
        p,
        cols.num("developed_area_m2"),
        cols.num("invested_wan"),
        cols.num("total_investment_wan"),
        area_m2,
        rules,
    )
    it = np.full(len(area_m2), IT["none"], dtype=np.int8)
    it[ns.idle] = IT["not_started"]
    it[st.idle] = IT["stalled"]
    cause = cols.codes("delay_cause", "delay_cause")
    cons = consequences(p, ns, st, cause, cols.num("land_price_wan"), rules)
    return Idle(type_code=it, not_started=ns, stalled=st, consequences=cons)
