"""What the ledger says about a period: 盘活, zombies, new enterprises, auctions, open cases.

Each function is pure and takes the effective events (corrections applied, see
:func:`landuse.ledger.apply_corrections`), usually those in the period in date order
(:meth:`landuse.report.period.Period.split`). The counting rules are those stated in
:mod:`landuse.report.build`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from landuse.ledger import rows as iter_rows
from landuse.report.cells import mu, r1
from landuse.report.period import Period
from landuse.report.sums import exact_sum
from landuse.report.text import day_text, fmt1, label
from landuse.standard import get_standard
from landuse.units import M2_PER_MU

__all__ = [
    "IDLE_STAGES",
    "Disposals",
    "Zombies",
    "auctions",
    "count_disposals",
    "expected_output_wan",
    "ledger_notes",
    "new_enterprises",
    "not_idle_note",
    "open_cases",
    "reclaimed_by_method",
    "reclamation_figures",
    "zombie_holders",
    "zombie_note",
    "zombies_cleared",
]

IDLE_STAGES: tuple[str, ...] = ("remedy_start_pending", "recovery_in_progress", "investigating")
"""Case stages of idle land that the headline counts (at the period's end)."""

_COUNTED = ["parcel_id", "method", "area_m2", "event_date", "event_id"]


@dataclass
class Disposals:
    """The parcels brought back into use (盘活) in a period, each counted once."""

    counted: pd.DataFrame
    """One row per parcel: ``parcel_id``, ``method`` and ``event_date``/``event_id`` of the
    latest disposal, ``area_m2`` the largest disposed area."""
    repeats: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    """Parcels disposed more than once: (parcel id, its disposal events in date order)."""


def count_disposals(events: pd.DataFrame) -> Disposals:
    """Count ``disposed`` events once per parcel (largest area, latest method).

    Parameters
    ----------
    events : DataFrame
        Effective events in the period, in date order.
    """
    disp = events[events["stage"] == "disposed"]
    counted: list[dict[str, Any]] = []
    repeats: list[tuple[str, pd.DataFrame]] = []
    for pid, g in disp.groupby("parcel_id", sort=False):
        last = g.iloc[-1]
        counted.append({"parcel_id": pid, "method": last["method"],
                        "area_m2": float(g["area_m2"].max()), "event_date": last["event_date"],
                        "event_id": last["event_id"]})
        if len(g) > 1:
            repeats.append((str(pid), g))
    return Disposals(pd.DataFrame(counted, columns=_COUNTED), repeats)


def reclaimed_by_method(counted: pd.DataFrame) -> tuple[dict[str, float], dict[str, int]]:
    """亩 and parcel count per disposal method, in the standard's order of methods.

    Methods without a disposal are left out; disposals without a method come last under
    ``not_recorded``.
    """
    area: dict[str, float] = {}
    count: dict[str, int] = {}
    for m in [*get_standard().codes["method"], None]:
        sel = counted["method"].isna() if m is None else counted["method"] == m
        if sel.any():
            key = m or "not_recorded"
            area[key] = mu(exact_sum(counted.loc[sel, "area_m2"]))
            count[key] = int(sel.sum())
    return area, count


@dataclass
class Zombies:
    """The zombie enterprises cleared in a period, named by the ledger where it can."""

    holder_of: dict[str, str]
    """Parcel id -> the zombie enterprise's name, in event order: the ``holder`` of the
    parcel's latest ``zombie_cleared`` event, else the parcel's holder in the register,
    else ``[parcel id]``."""
    from_register: list[str] = field(default_factory=list)
    """Parcels whose zombie event names no holder (named from the register)."""

    @property
    def parcels(self) -> list[str]:
        """The parcels with a ``zombie_cleared`` event, in event order."""
        return list(self.holder_of)

    @property
    def names(self) -> list[str]:
        """The distinct zombie enterprises, in event order."""
        return list(dict.fromkeys(self.holder_of.values()))


def zombies_cleared(events: pd.DataFrame, parcels: pd.DataFrame) -> Zombies:
    """The parcels with a ``zombie_cleared`` event and the enterprise each clears.

    The event's ``holder`` (原用地单位) names the zombie: the register's holder of a
    parcel already re-supplied is the new enterprise. Without it the parcel's holder in
    the register stands in, and the parcel is listed in ``from_register`` (the report
    says so in a note).
    """
    if "zombie_cleared" in events:
        zmask = events["zombie_cleared"].fillna(False).astype(bool)
    else:
        zmask = pd.Series(False, index=events.index)
    ev_holder = events["holder"] if "holder" in events else pd.Series(None, index=events.index)
    register: dict[Any, Any] = dict(zip(parcels["parcel_id"], parcels["holder"], strict=True))
    out = Zombies({})
    for pid, h in zip(events.loc[zmask, "parcel_id"], ev_holder[zmask], strict=True):
        if isinstance(h, str) and h.strip():
            out.holder_of[str(pid)] = h.strip()
            if pid in out.from_register:
                out.from_register.remove(pid)
        elif str(pid) not in out.holder_of:
            r = register.get(pid)
            out.holder_of[str(pid)] = str(r) if pd.notna(r) else f"[{pid}]"
            out.from_register.append(str(pid))
    return out


def zombie_holders(events: pd.DataFrame, parcels: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Parcels with a ``zombie_cleared`` event and their distinct zombie enterprises
    (:func:`zombies_cleared`): the parcel ids and the names, each in event order."""
    z = zombies_cleared(events, parcels)
    return z.parcels, z.names


def new_enterprises(events: pd.DataFrame) -> list[str]:
    """The distinct ``new_holder`` names of the events, in event order."""
    return list(dict.fromkeys(h for h in events["new_holder"].dropna().astype(str) if h))


def _last_given(s: pd.Series) -> Any:
    given = s.dropna()
    given = given[given.astype(str).str.strip() != ""]
    return given.iloc[-1] if len(given) else None


def _auction_list(events: pd.DataFrame, stage: str) -> pd.DataFrame:
    a = events[events["stage"] == stage]
    a = a.assign(holder=a["holder"] if "holder" in a else None,
                 method=a["method"] if "method" in a else None)
    return a.groupby("parcel_id", sort=False).agg(
        area_m2=("area_m2", "max"), event_date=("event_date", "last"),
        event_id=("event_id", "last"), method=("method", _last_given),
        holder=("holder", _last_given)).reset_index()


def auctions(events: pd.DataFrame, effective: pd.DataFrame,
             end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Online auctions completed in the period, and those started and not done by ``end``.

    Parameters
    ----------
    events : DataFrame
        Effective events in the period, in date order.
    effective : DataFrame
        All effective events (a completion before the period also closes a start).
    end : Timestamp
        The period's last day.

    Returns
    -------
    completed, started : DataFrame
        One row per parcel: ``parcel_id``, ``area_m2`` (largest), ``event_date`` and
        ``event_id`` (latest), ``method`` and ``holder`` (the latest given: the
        enterprise whose land is auctioned).
    """
    done_by_end = set(effective.loc[(effective["stage"] == "auction_completed")
                                    & (effective["event_date"] <= end), "parcel_id"])
    completed = _auction_list(events, "auction_completed")
    started = _auction_list(events, "auction_started")
    return completed, started[~started["parcel_id"].isin(done_by_end)]


def open_cases(until_end: pd.DataFrame, state: pd.DataFrame, area_mu: pd.Series,
               idle_ids: set[str] | None = None,
               ) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    """Area of every open case at the period's end, and the idle cases by stage.

    Parameters
    ----------
    until_end : DataFrame
        Effective events up to the period's end, in date order.
    state : DataFrame
        :func:`landuse.ledger.case_state` at the period's end (index ``parcel_id``).
    area_mu : Series
        The parcels' areas in 亩 by ``parcel_id``.
    idle_ids : set of str, optional
        The parcels the assessment holds idle: a case at an idle stage on another parcel
        is left out of ``idle_by_stage`` and listed under ``not_idle`` (the report says
        why). ``None``: every case counts.

    Returns
    -------
    state_area : dict
        亩 per parcel with a case: the area of its latest event when positive, else the
        parcel's area.
    idle_by_stage : dict
        For each of :data:`IDLE_STAGES`: ``parcels`` (count), ``area_mu``, ``parcel_ids``
        and ``not_idle`` (the parcels at that stage the assessment does not hold idle).
    """
    last_area = until_end.groupby("parcel_id").tail(1).set_index("parcel_id")["area_m2"]
    last_area = last_area[last_area > 0] / M2_PER_MU
    state_area = {
        pid: float(last_area[pid]) if pid in last_area.index else float(area_mu.get(pid, 0.0))
        for pid in state.index
    }
    idle_by_stage: dict[str, dict[str, Any]] = {}
    for s in IDLE_STAGES:
        at = list(state.index[state["stage"] == s])
        pids = [p for p in at if idle_ids is None or p in idle_ids]
        idle_by_stage[s] = {"parcels": len(pids),
                            "area_mu": r1(exact_sum([state_area[p] for p in pids])),
                            "parcel_ids": pids, "not_idle": [p for p in at if p not in pids]}
    return state_area, idle_by_stage


def expected_output_wan(events: pd.DataFrame) -> float | None:
    """The expected new annual output (预计新增年产值, 万元) of the period's events: per
    parcel the largest ``expected_output_wan`` given (an event repeated or restated
    counts once), summed; ``None`` when no event gives one."""
    if "expected_output_wan" not in events:
        return None
    v = pd.to_numeric(events["expected_output_wan"], errors="coerce")
    per_parcel = v.groupby(events["parcel_id"]).max().dropna()
    return exact_sum(per_parcel) if len(per_parcel) else None


def _judicial(a: pd.DataFrame) -> bool:
    return bool(len(a)) and bool((a["method"] == "judicial_auction").all())


def _names(a: pd.DataFrame) -> list[str] | None:
    return [str(h) for h in a["holder"]] if len(a) and a["holder"].notna().all() else None


def reclamation_figures(
    disposals: Disposals,
    zombies: list[str],
    new_names: list[str],
    completed: pd.DataFrame,
    started: pd.DataFrame,
    idle_by_stage: dict[str, dict[str, Any]],
    n_in_period: int,
    n_excluded: int,
) -> dict[str, Any]:
    """The headline figures (the machine-readable ``figures`` of the report)."""
    by_mu, by_n = reclaimed_by_method(disposals.counted)
    return {
        "zombie_enterprises_cleared": len(zombies),
        "zombie_enterprises": zombies,
        "reclaimed_mu": mu(exact_sum(disposals.counted["area_m2"])),
        "reclaimed_parcels": len(disposals.counted),
        "reclaimed_by_method_mu": by_mu,
        "reclaimed_by_method_parcels": by_n,
        "new_enterprises": len(new_names),
        "new_enterprise_names": new_names,
        "auctions_completed": len(completed),
        "auctions_completed_mu": [mu(a) for a in completed["area_m2"]],
        "auctions_completed_parcels": list(completed["parcel_id"]),
        "auctions_completed_judicial": _judicial(completed),
        "auctions_completed_holders": _names(completed),
        "auctions_started": len(started),
        "auctions_started_mu": [mu(a) for a in started["area_m2"]],
        "auctions_started_parcels": list(started["parcel_id"]),
        "auctions_started_judicial": _judicial(started),
        "auctions_started_holders": _names(started),
        "idle_by_stage": idle_by_stage,
        "reclaimed_more_than_once": [pid for pid, _ in disposals.repeats],
        "events_in_period": n_in_period,
        "events_excluded": n_excluded,
    }


def _repeat_note(pid: str, g: pd.DataFrame, lang: str) -> str:
    unit, sep = ("亩", "；") if lang == "zh" else (" mu", "; ")
    parts = sep.join(f"{day_text(r.event_date, lang)} {label('method', r.method, lang)} "
                     f"{fmt1(r.area_m2 / M2_PER_MU)}{unit}" for r in iter_rows(g))
    last_m = label("method", g.iloc[-1]["method"], lang)
    big = fmt1(g["area_m2"].max() / M2_PER_MU)
    if lang == "zh":
        return (f"宗地 {pid} 在统计期内盘活 {len(g)} 次（{parts}），面积只计 1 次（{big}亩），"
                f"计入最后一次的处置方式（{last_m}）。")
    return (f"Parcel {pid} was brought back into use {len(g)} times in the period ({parts}); "
            f"its area is counted once ({big} mu), under the method of the latest disposal "
            f"({last_m}).")


def _excluded_note(excluded: pd.DataFrame, period: Period, lang: str) -> str:
    zh = lang == "zh"
    n_before = int((excluded["event_date"] < period.start).sum())
    n_after = int((excluded["event_date"] > period.end).sum())
    rows_txt = ("、" if zh else ", ").join(
        f"{r.event_id}（{day_text(r.event_date, lang)}）" if zh else
        f"{r.event_id} ({day_text(r.event_date, lang)})" for r in iter_rows(excluded.head(20)))
    more = "" if len(excluded) <= 20 else (" 等" if zh else " and more")
    if zh:
        return (f"统计期外的 {len(excluded)} 条事件未计入（期前 {n_before} 条，期后 {n_after} "
                f"条）：{rows_txt}{more}。")
    return (f"{len(excluded)} events outside the period were not counted ({n_before} "
            f"before, {n_after} after): {rows_txt}{more}.")


def ledger_notes(
    disposals: Disposals,
    excluded: pd.DataFrame,
    effective: pd.DataFrame,
    warnings: pd.DataFrame,
    period: Period,
    lang: str,
) -> list[str]:
    """The notes on how the ledger was counted.

    One note per parcel disposed more than once, then the events outside the period, the
    corrections applied, the ledger's warnings (``row``, ``event_id``, ``problem``; 20 at
    most) and the counting rules.
    """
    zh = lang == "zh"
    notes = [_repeat_note(pid, g, lang) for pid, g in disposals.repeats]
    if len(excluded):
        notes.append(_excluded_note(excluded, period, lang))
    corr = effective[effective["corrections"] > 0]
    if len(corr):
        pairs = ", ".join(f"{r.event_id} → {r.effective_event_id}"
                          for r in iter_rows(corr.head(20)))
        notes.append(
            f"已按更正事件计算 {len(corr)} 条事件（原事件 → 生效的更正）：{pairs}。" if zh else
            f"{len(corr)} events were counted as corrected (original → correction in force): "
            f"{pairs}."
        )
    for w in iter_rows(warnings.head(20)):
        notes.append(
            f"台账第 {w.row} 行（事件 {w.event_id}）：{w.problem}，计入“未注明”。" if zh else
            f"Ledger row {w.row} (event {w.event_id}): {w.problem}; counted as "
            "'not recorded'."
        )
    notes.append(
        "盘活面积按宗地去重：同一宗地期内多次盘活只计一次（取最大面积）；僵尸企业按原用地单位去重；"
        "新入驻企业按名称去重；启动网上竞卖只计期末尚未完成的。" if zh else
        "Areas brought back into use are counted once per parcel (largest area if disposed "
        "more than once); zombie enterprises are distinct former holders; new enterprises "
        "distinct names; auctions started count those not completed by the period's end."
    )
    return notes


def zombie_note(z: Zombies, lang: str) -> str | None:
    """The note naming the zombie parcels whose event gives no holder, or ``None``."""
    if not z.from_register:
        return None
    pids = "、".join(z.from_register) if lang == "zh" else ", ".join(z.from_register)
    if lang == "zh":
        return (f"宗地 {pids} 的清理僵尸企业事件未记原用地单位，僵尸企业按宗地登记的用地单位计"
                "（如宗地已重新供应，登记的可能是新用地单位）；请在台账中补记原用地单位。")
    return (f"The zombie events of parcel(s) {pids} name no former holder; the zombie "
            "enterprise is named from the register's holder (after a re-supply that may be "
            "the new holder). Record the former holder in the ledger.")


def not_idle_note(idle_by_stage: dict[str, dict[str, Any]], lang: str) -> str | None:
    """The note naming cases at an idle stage on parcels the assessment does not hold
    idle (left out of the headline's idle land), or ``None``."""
    items = [(k, v["not_idle"]) for k, v in idle_by_stage.items() if v.get("not_idle")]
    if not items:
        return None
    if lang == "zh":
        parts = "；".join(f"{label('stage', k)}：{'、'.join(p)}" for k, p in items)
        return (f"以下宗地台账处于闲置土地处置阶段，但本次评估未认定为闲置，未计入工作概述的"
                f"闲置土地：{parts}。")
    parts = "; ".join(f"{label('stage', k, 'en')}: {', '.join(p)}" for k, p in items)
    return ("These parcels have a case at an idle-land stage but the assessment does not "
            f"hold them idle; the summary's idle land leaves them out: {parts}.")
