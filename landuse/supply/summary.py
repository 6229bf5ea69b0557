"""The supply summary as of a date: every figure of domain.md §11.2 with its sentence.

:func:`summarise` runs the computations of :mod:`landuse.supply.compute` once and keeps
their tables; :meth:`SupplySummary.figures` gives one row per figure (key, subject,
rounded value, unit, sentence, 口径) in Chinese or English, the sentences taken from
``[supply_reason]`` of ``landuse/data/words.toml`` (every key of :data:`REASON_KEYS`).
Pure: frames in, frames out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from landuse.labels import check_lang, label
from landuse.supply import compute as C
from landuse.supply.idle import disposals, idle_land
from landuse.supply.model import SupplyData
from landuse.supply.ruleset import SupplyRuleset, default_supply_ruleset

__all__ = ["FIGURE_COLUMNS", "REASON_KEYS", "SupplySummary", "half_up", "summarise", "summary_dict"]

M2_PER_MU = 10000.0 / 15.0

REASON_KEYS: tuple[str, ...] = (
    "unsupplied_total", "unsupplied_batch", "supply_rate", "supply_rate_none", "task",
    "task_no_idle", "task_met", "task_not_met", "idle_rate", "idle_rate_none", "suppliable",
    "years_left", "years_left_none", "quota", "quota_short", "plan", "plan_unplanned",
    "supplied_total", "mortgages",
)
"""Keys of the sentences in ``[supply_reason]``; each is used, and only these exist."""

FIGURE_COLUMNS = ("figure", "subject", "value", "unit", "reason", "koujing")


def half_up(x: float | None, decimals: int) -> float | None:
    """Round half up (四舍五入), as offices round; None stays None.

    Examples
    --------
    >>> half_up(2.675, 2), half_up(0.125, 2), half_up(None, 1)
    (2.68, 0.13, None)
    """
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP)) + 0.0  # no -0.0


@dataclass
class SupplySummary:
    """The computed tables of one summary (areas in m²) and what they were computed on."""

    as_of: pd.Timestamp
    ruleset: SupplyRuleset
    batches: pd.DataFrame
    supply_rate: dict[str, Any]
    tasks: pd.DataFrame
    idle: dict[str, Any]
    suppliable: pd.DataFrame
    years: dict[str, Any]
    quota: pd.DataFrame
    plan: pd.DataFrame
    by_way: pd.DataFrame
    by_use: pd.DataFrame
    supplied: dict[str, Any]
    mortgages: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)

    # ---------------------------------------------------------------- rounding
    def mu(self, m2: float | None) -> float | None:
        """m² as 亩, rounded as the ruleset says."""
        return half_up(None if m2 is None else m2 / M2_PER_MU,
                       int(self.ruleset.get("rounding", "area_decimals")))

    def pct(self, share: float | None) -> float | None:
        """A share as per cent, rounded as the ruleset says."""
        return half_up(None if share is None else share * 100.0,
                       int(self.ruleset.get("rounding", "percent_decimals")))

    def yi(self, wan: float) -> float | None:
        """万元 as 亿元, rounded as the ruleset says."""
        return half_up(wan / 10000.0, int(self.ruleset.get("rounding", "money_decimals")))

    def figures(self, lang: str = "zh") -> pd.DataFrame:
        """One row per figure: :data:`FIGURE_COLUMNS`, the words in ``lang``."""
        check_lang(lang)
        return pd.DataFrame(_figures(self, lang), columns=list(FIGURE_COLUMNS))

    def headline(self) -> dict[str, Any]:
        """The seed's paragraph figures: 宗, 亩 supplied, 户 and 亿元 financed."""
        return {"supplied_count": int(self.supplied["count"]),
                "supplied_mu": self.mu(self.supplied["area_m2"]),
                "mortgage_users": int(self.mortgages["users"]),
                "financed_yi": self.yi(self.mortgages["amount_wan"])}


def summarise(d: SupplyData, as_of: Any, rs: SupplyRuleset | None = None,
              ledger: pd.DataFrame | None = None,
              parcels: pd.DataFrame | None = None) -> SupplySummary:
    """Every supply figure of ``d`` as of ``as_of`` (see the module's docstring).

    ``ledger`` (the disposal ledger, normalised) gives the idle-land figures: the
    disposal rate (determinations and disposals) and the progress of idle-land tasks;
    ``parcels`` gives the zone of each ledger parcel (tasks by zone).
    """
    rs = rs or default_supply_ruleset()
    idle = None if ledger is None else idle_land(ledger, parcels)
    disposed = None if ledger is None else disposals(ledger, parcels)
    t = pd.Timestamp(as_of).normalize()
    batches = C.unsupplied_by_batch(d, t)
    suppliable = C.suppliable_land(d, t, rs)
    to_date = d.supply[(pd.to_datetime(d.supply["contract_date"]) <= t).to_numpy()]
    return SupplySummary(
        as_of=t, ruleset=rs, batches=batches,
        supply_rate=C.batch_supply_rate(d, t, rs),
        tasks=C.task_completion(d, t, rs, disposed),
        idle=C.idle_disposal_rate(idle, t),
        suppliable=suppliable,
        years=C.years_of_supply(d, t, rs, float(suppliable["area_m2"].sum())),
        quota=C.quota_balance(d, t),
        plan=C.plan_execution(d, t),
        by_way=C.supply_in_period(d, None, t, "supply_way"),
        by_use=C.supply_in_period(d, None, t, "use"),
        supplied={"count": len(to_date),
                  "area_m2": float(pd.to_numeric(to_date["area_m2"]).sum())},
        mortgages=C.mortgage_totals(d, t),
        counts=d.counts(),
    )


# -------------------------------------------------------------------- sentences
def _date(t: Any, lang: str) -> str:
    t = pd.Timestamp(t)
    return f"{t.year}年{t.month}月{t.day}日" if lang == "zh" else t.strftime("%Y-%m-%d")


def _n(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.10g}" if abs(x) >= 1000 else f"{x:.10g}"


def _say(key: str, lang: str, **kw: Any) -> str:
    return label("supply_reason", key, lang).format(**kw)


def _row(fig: str, subject: str, value: Any, unit: str, reason: str,
         s: SupplySummary, section: str, lang: str) -> dict[str, Any]:
    return {"figure": fig, "subject": subject, "value": value, "unit": unit,
            "reason": reason, "koujing": s.ruleset.koujing(section, lang)}


def _figures(s: SupplySummary, lang: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    date = _date(s.as_of, lang)
    mu = label("unit", "mu", lang)
    b = s.batches
    total = s.mu(float(b["unsupplied_m2"].sum()))
    out.append(_row("unsupplied_total", "", total, mu, _say(
        "unsupplied_total", lang, date=date, n=len(b), approved=_n(s.mu(b["approved_m2"].sum())),
        supplied=_n(s.mu(b["supplied_m2"].sum())), reduced=_n(s.mu(b["reduced_m2"].sum())),
        value=_n(total)), s, "unsupplied", lang))
    for r in b.to_dict("records"):
        v = s.mu(r["unsupplied_m2"])
        share = None if np.isnan(r["unsupplied_share"]) else r["unsupplied_share"]
        out.append(_row("unsupplied_batch", str(r["batch_id"]), v, mu, _say(
            "unsupplied_batch", lang, batch=r["batch_id"], approved=_n(s.mu(r["approved_m2"])),
            supplied=_n(s.mu(r["supplied_m2"])), reduced=_n(s.mu(r["reduced_m2"])),
            value=_n(v), share=_n(s.pct(share))), s, "unsupplied", lang))
    out.append(_supply_rate(s, lang, date))
    out.extend(_tasks(s, lang, date, mu))
    out.append(_idle(s, lang, date))
    out.extend(_suppliable_and_years(s, lang, date, mu))
    out.extend(_quota(s, lang, date, mu))
    out.extend(_plan(s, lang, date, mu))
    sup = s.mu(s.supplied["area_m2"])
    out.append(_row("supplied_total", "", sup, mu, _say(
        "supplied_total", lang, date=date, count=s.supplied["count"], value=_n(sup)),
        s, "supplied", lang))
    yi = s.yi(s.mortgages["amount_wan"])
    out.append(_row("mortgages", "", yi, label("unit", "yi", lang), _say(
        "mortgages", lang, date=date, users=s.mortgages["users"],
        count=s.mortgages["registrations"], value=_n(yi)), s, "mortgages", lang))
    return out


def _supply_rate(s: SupplySummary, lang: str, date: str) -> dict[str, Any]:
    r = s.supply_rate
    start = _date(r["window_start"], lang)
    if r["rate"] is None:
        return _row("supply_rate", "", None, "%", _say("supply_rate_none", lang, start=start,
                                                        date=date), s, "supply_rate", lang)
    v = s.pct(r["rate"])
    return _row("supply_rate", "", v, "%", _say(
        "supply_rate", lang, start=start, date=date, n=r["batches"],
        approved=_n(s.mu(r["approved_m2"])), supplied=_n(s.mu(r["supplied_m2"])), value=_n(v)),
        s, "supply_rate", lang)


def _tasks(s: SupplySummary, lang: str, date: str, mu: str) -> list[dict[str, Any]]:
    out = []
    whole = label("report", "whole_zone", lang)
    for r in s.tasks.to_dict("records"):
        zone = whole if pd.isna(r["zone"]) else str(r["zone"])
        kind = label("task_kind", str(r["task_kind"]), lang)
        subject = f"{r['year']} {zone} {kind}"
        rate = r["rate"]
        if rate is None or (isinstance(rate, float) and np.isnan(rate)):
            out.append(_row("task", subject, None, "%", _say(
                "task_no_idle", lang, year=r["year"], zone=zone, kind=kind,
                task=_n(s.mu(r["task_m2"]))), s, "digestion", lang))
            continue
        v = s.pct(rate)
        met = label("supply_reason", "task_met" if r["met"] else "task_not_met", lang)
        out.append(_row("task", subject, v, "%", _say(
            "task", lang, year=r["year"], zone=zone, kind=kind, task=_n(s.mu(r["task_m2"])),
            date=_date(r["period_end"], lang), done=_n(s.mu(r["done_m2"])), value=_n(v),
            met=met), s, "digestion", lang))
    return out


def _idle(s: SupplySummary, lang: str, date: str) -> dict[str, Any]:
    r = s.idle
    if r["rate"] is None:
        return _row("idle_rate", "", None, "%", _say("idle_rate_none", lang, date=date),
                    s, "idle_disposal", lang)
    v = s.pct(r["rate"])
    return _row("idle_rate", "", v, "%", _say(
        "idle_rate", lang, date=date, determined=_n(s.mu(r["determined_m2"])),
        disposed=_n(s.mu(r["disposed_m2"])), value=_n(v)), s, "idle_disposal", lang)


def _suppliable_and_years(s: SupplySummary, lang: str, date: str,
                          mu: str) -> list[dict[str, Any]]:
    cat = s.suppliable.groupby("category")["area_m2"].sum()
    total = s.mu(float(s.suppliable["area_m2"].sum()))
    out = [_row("suppliable", "", total, mu, _say(
        "suppliable", lang, date=date, value=_n(total),
        e1=_n(s.mu(float(cat.get("E1", 0.0)))), e21=_n(s.mu(float(cat.get("E21", 0.0)))),
        e22=_n(s.mu(float(cat.get("E22", 0.0))))), s, "suppliable", lang)]
    y = s.years
    if y["years"] is None:
        out.append(_row("years_left", "", None, label("unit", "year", lang), _say(
            "years_left_none", lang, first=y["first_year"], last=y["last_year"]),
            s, "years_left", lang))
    else:
        v = half_up(y["years"], int(s.ruleset.get("rounding", "years_decimals")))
        out.append(_row("years_left", "", v, label("unit", "year", lang), _say(
            "years_left", lang, suppliable=_n(s.mu(y["suppliable_m2"])),
            first=y["first_year"], last=y["last_year"], supplied=_n(s.mu(y["supplied_m2"])),
            mean=_n(s.mu(y["mean_m2"])), value=_n(v)), s, "years_left", lang))
    return out


def _quota(s: SupplySummary, lang: str, date: str, mu: str) -> list[dict[str, Any]]:
    out = []
    for r in s.quota.to_dict("records"):
        kind = label("quota_kind", str(r["quota_kind"]), lang)
        short = r["shortfall"] > 0
        v = s.mu(-r["shortfall"] if short else r["balance"])
        out.append(_row("quota", kind, v, mu, _say(
            "quota_short" if short else "quota", lang, date=date, kind=kind,
            granted=_n(s.mu(r["granted"])), rewarded=_n(s.mu(r["rewarded"])),
            used=_n(s.mu(r["used"])), deducted=_n(s.mu(r["deducted"])), value=_n(v),
            shortfall=_n(s.mu(r["shortfall"]))), s, "quota", lang))
    return out


def _plan(s: SupplySummary, lang: str, date: str, mu: str) -> list[dict[str, Any]]:
    out = []
    for r in s.plan.to_dict("records"):
        use = label("supply_use", str(r["use"]), lang)
        if r["planned_m2"] <= 0:
            out.append(_row("plan", use, None, "%", _say(
                "plan_unplanned", lang, year=s.as_of.year, use=use, date=date,
                supplied=_n(s.mu(r["supplied_m2"]))), s, "plan", lang))
            continue
        v = s.pct(r["rate"])
        out.append(_row("plan", use, v, "%", _say(
            "plan", lang, year=s.as_of.year, use=use, planned=_n(s.mu(r["planned_m2"])),
            date=date, supplied=_n(s.mu(r["supplied_m2"])), value=_n(v)), s, "plan", lang))
    return out


def _clean(v: Any) -> Any:
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    return v


def _records(frame: pd.DataFrame, s: SupplySummary, lang: str,
             codes: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Rows with areas (``*_m2``) as 亩 (``*_mu``), shares as per cent, codes as words."""
    out = []
    for rec in frame.to_dict("records"):
        row: dict[str, Any] = {}
        for k, v in rec.items():
            key = str(k)
            if key.endswith("_m2"):
                row[key[:-3] + "_mu"] = s.mu(_clean(v))
            elif key in ("rate", "unsupplied_share"):
                row[key + "_pct"] = s.pct(_clean(v))
            elif codes and key in codes and _clean(v) is not None:
                row[key] = label(codes[key], str(v), lang)
            else:
                row[key] = _clean(v)
        out.append(row)
    return out


def summary_dict(s: SupplySummary, lang: str = "zh") -> dict[str, Any]:
    """The summary as plain data (JSON): figures with their sentences, and the tables in
    亩 and per cent, codes as words of ``lang``; the one serialisation of a supply summary
    (the CLI's files and the report's section lay it out)."""
    figs = s.figures(lang)
    return {
        "as_of": s.as_of.strftime("%Y-%m-%d"),
        "ruleset": s.ruleset.label,
        "headline": s.headline(),
        "counts": dict(s.counts),
        "figures": [{k: _clean(v) for k, v in r.items()} for r in figs.to_dict("records")],
        "batches": _records(s.batches, s, lang),
        "supply_rate": {k: _clean(v) for k, v in s.supply_rate.items()
                        if not k.endswith("_m2")} | {
            "approved_mu": s.mu(s.supply_rate["approved_m2"]),
            "supplied_mu": s.mu(s.supply_rate["supplied_m2"]),
            "rate_pct": s.pct(s.supply_rate["rate"])},
        "tasks": _records(s.tasks, s, lang, {"task_kind": "task_kind"}),
        "suppliable": _records(s.suppliable, s, lang, {"category": "supply_category"}),
        "years": {k: _clean(v) for k, v in s.years.items() if not k.endswith("_m2")} | {
            "suppliable_mu": s.mu(s.years["suppliable_m2"]),
            "supplied_mu": s.mu(s.years["supplied_m2"]), "mean_mu": s.mu(s.years["mean_m2"])},
        "quota": _records(s.quota.rename(columns={k: f"{k}_m2" for k in
                                                  ("granted", "rewarded", "used", "deducted",
                                                   "balance", "shortfall")}),
                          s, lang, {"quota_kind": "quota_kind"}),
        "plan": _records(s.plan, s, lang, {"use": "supply_use"}),
        "by_way": _records(s.by_way, s, lang, {"supply_way": "supply_way"}),
        "by_use": _records(s.by_use, s, lang, {"use": "supply_use"}),
        "mortgages": {"registrations": s.mortgages["registrations"],
                      "users": s.mortgages["users"],
                      "amount_wan": _clean(s.mortgages["amount_wan"]),
                      "amount_yi": s.yi(s.mortgages["amount_wan"])},
    }
