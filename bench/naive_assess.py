"""A naive row-by-row implementation of the default assessment rules.

The yardstick of ``bench_assess.py`` and a test oracle for :func:`landuse.rules.assess`:
one Python loop over the parcels, plain ``datetime.date`` arithmetic, the same ruleset.
It computes the decision fields (lifecycle, idle_type, overdue_days, idle_fee_wan,
recovery_candidate, low_efficiency, failed_indicators, mujun_score, flags) and a reasons
string with f-strings for the main findings; the 亩均 class needs a rank over all parcels
and is left out.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from landuse.rules.industry import concordance
from landuse.rules.ruleset import Ruleset, default_ruleset
from landuse.units import M2_PER_MU

__all__ = ["assess_naive"]

_EPS = 1e-9


def _d(v: Any) -> dt.date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return None
    return pd.Timestamp(v).date()


def _f(v: Any) -> float | None:
    if v is None or pd.isna(v):
        return None
    return float(v)


def _s(v: Any) -> str | None:
    if v is None or pd.isna(v):
        return None
    return str(v)


def _firm_key(r: dict[str, Any]) -> str | None:
    """The 亩均 enterprise: credit code, else holder (None: the row is rated alone)."""
    cc = (_s(r.get("credit_code")) or "").strip()
    holder = (_s(r.get("holder")) or "").strip()
    return "c:" + cc if cc else "h:" + holder if holder else None


def _plus_years(d: dt.date, k: int) -> dt.date:
    try:
        return d.replace(year=d.year + k)
    except ValueError:  # 29 Feb -> 28 Feb
        return d.replace(year=d.year + k, day=28)


def _below(v: float, t: float) -> bool:
    return v < t * (1 - _EPS) - _EPS * 1e-3


def _above(v: float, t: float) -> bool:
    return v > t * (1 + _EPS) + _EPS * 1e-3


def _stricter(contract: float | None, ruleset: float | None) -> float | None:
    vals = [v for v in (contract, ruleset) if v is not None]
    return max(vals) if vals else None


def _one(r: dict[str, Any], today: dt.date, rs: Ruleset) -> dict[str, Any]:
    idle_rs, ctl, mj = rs.idle, rs.control, rs.mujun
    reasons: list[str] = []
    reg = _f(r.get("registered_area_m2"))
    area = reg if reg is not None and reg > 0 else _f(r.get("area_m2"))
    if area is not None and not area > 0:
        area = None
    area_mu = area / M2_PER_MU if area else None

    supply = _d(r.get("supply_date"))
    approval = _d(r.get("approval_date"))

    def current(name: str) -> dt.date | None:
        """A progress date, unless it is before the supply (the former holder's)."""
        d = _d(r.get(name))
        return None if d is not None and supply is not None and d < supply else d

    completion = current("completion_date")
    production = current("production_date")
    start = current("start_date")
    susp = current("suspended_since")
    # the evidence that goes with a former holder's start is the former holder's too
    former_start = start is None and _d(r.get("start_date")) is not None
    ev = None if former_start else _s(r.get("start_evidence"))
    supplied = supply is not None and supply <= today
    completed = completion is not None and completion <= today
    producing = production is not None and production <= today
    if ev is not None:
        started = ev in idle_rs["started_evidence"]
    else:
        started = start is not None and start <= today
    started = started or completed or producing

    ext = _d(r.get("extension_until"))
    agreed = _d(r.get("agreed_start_date"))
    delivery = _d(r.get("delivery_date"))
    if ext is not None and agreed is not None and (
        ext < agreed or ext > _plus_years(agreed, idle_rs["extension_max_years"])
    ):
        ext = None
    if ext is not None:
        base = ext
    elif agreed is not None:
        base = agreed
    elif delivery is not None:
        base = _plus_years(delivery, idle_rs["base_after_delivery_years"])
    else:
        base = None

    idle_type = "none"
    overdue = None
    if supplied and not started and base is not None:
        overdue = max((today - base).days, 0)
        if today >= _plus_years(base, idle_rs["not_started_after_years"]):
            idle_type = "not_started"
            reasons.append(f"约定动工日期{base}起满一年未动工(已逾期{overdue}天)")
    dev_ratio = inv_ratio = None
    developing = supplied and started and not completed and not producing
    if developing and susp is not None and susp <= today:
        if today >= _plus_years(susp, idle_rs["stalled_suspended_years"]):
            dev = _f(r.get("developed_area_m2"))
            inv = _f(r.get("invested_wan"))
            tot = _f(r.get("total_investment_wan"))
            dev_ratio = dev / area if dev is not None and area else None
            inv_ratio = inv / tot if inv is not None and tot and tot > 0 else None
            dlow = dev_ratio is not None and _below(
                dev_ratio, idle_rs["stalled_developed_share_below"]
            )
            ilow = inv_ratio is not None and _below(
                inv_ratio, idle_rs["stalled_invested_share_below"]
            )
            ok = (dlow or ilow) if idle_rs["stalled_combinator"] == "or" else (dlow and ilow)
            if ok:
                idle_type = "stalled"
                reasons.append(f"自{susp}中止开发满一年")
    idle = idle_type != "none"
    cause = _s(r.get("delay_cause"))
    unrecorded = cause is None or cause == "unknown"
    conseq = cause in idle_rs["consequence_causes"] or (
        unrecorded and idle_rs["unrecorded_cause_is_holder"]
    )
    contract_delivery = _d(r.get("contract_delivery_date"))
    late = delivery is not None and (
        (agreed is not None and delivery > agreed)
        or (contract_delivery is not None and delivery > contract_delivery)
    )
    if idle_type == "not_started" and late and unrecorded:
        conseq = conseq and not idle_rs["late_delivery_is_government"]
    clock = base if idle_type == "not_started" else susp
    fee = 0.0
    recovery = False
    if idle and conseq and clock is not None:
        if today >= _plus_years(clock, idle_rs["fee_after_years"]):
            price = _f(r.get("land_price_wan"))
            fee = idle_rs["fee_share_of_price"] * price if price is not None else math.nan
            reasons.append(f"征缴闲置费{fee}万元")
        if today >= _plus_years(clock, idle_rs["recovery_after_years"]) and (
            idle_type == "not_started" or idle_rs["recovery_applies_to_stalled"]
        ):
            recovery = True
            reasons.append("可报请无偿收回")

    failed: list[str] = []
    lu = _s(r.get("land_use"))
    in_scope = lu is None or lu in ctl["applies_to_land_use"]
    if supplied and (completed or producing) and area and in_scope:
        ind = _s(r.get("industry_code"))
        code = group = None
        if ind:
            s = ind.strip().lstrip("Cc").strip()
            code = s[:2] if s[:2].isdigit() else None
            group = s[2] if len(s) > 2 and s[2].isdigit() else None
        floor = _f(r.get("floor_area_m2"))
        edition = _s(r.get("industry_code_edition")) or ctl["industry_code_edition"]
        rows2002 = [code] if code else []
        if code and edition != "2002":
            con = concordance()["editions"]["2017"]["divisions"].get(code)
            if con is not None:
                rows2002 = list(con["to"])
                if len(rows2002) > 1 and group is not None:
                    pick = con.get("groups", {}).get(code + group, con.get("other_groups"))
                    rows2002 = [pick] if pick else rows2002
        mins = [ctl["industries"][c]["min_far"] for c in rows2002 if c in ctl["industries"]]
        national = min(mins) if mins and len(mins) == len(rows2002) else None
        t_far = _f(r.get("target_far"))
        cands = [v for v in (national, t_far) if v is not None]
        if cands and floor is not None and _below(floor / area, max(cands)):
            failed.append("far")
        fp, yd = _f(r.get("footprint_m2")), _f(r.get("yard_area_m2"))
        if fp is not None and yd is not None and _below((fp + yd) / area, ctl["min_coverage"]):
            failed.append("coverage")
        adm = _f(r.get("admin_area_m2"))
        if adm is not None and _above(adm / area, ctl["max_admin_share"]):
            failed.append("admin_share")
        gr = _f(r.get("green_area_m2"))
        if gr is not None and _above(gr / area, ctl["max_green_ratio"]):
            failed.append("green_ratio")
        review = _d(r.get("review_date"))
        if review is None and production is not None:
            review = _plus_years(production, ctl["review_after_production_years"])
        if review is not None and review <= today:
            inv = _f(r.get("invested_wan"))
            if inv is not None and ctl["invest_includes_land_price"]:
                inv += _f(r.get("land_price_wan")) or 0.0
            t = _stricter(_f(r.get("target_invest_intensity_wan_per_mu")),
                          ctl.get("min_invest_intensity_wan_per_mu"))
            if inv is not None and t is not None and area_mu and _below(inv / area_mu, t):
                failed.append("invest_intensity")
            tax = _f(r.get("tax_wan"))
            t = _stricter(_f(r.get("target_tax_per_mu_wan")), ctl.get("min_tax_per_mu_wan"))
            if tax is not None and t is not None and area_mu and _below(tax / area_mu, t):
                failed.append("tax_per_mu")
        for f in failed:
            reasons.append(f"低效:{f}")
    low = bool(failed)

    if supplied:
        if producing:
            bad = _s(r.get("enterprise_status")) in ("stopped", "zombie", "bankrupt")
            lifecycle = "producing_below_target" if (bad or low) else "in_use"
        elif completed:
            lifecycle = "built_not_producing"
        elif started:
            lifecycle = "used_incomplete"
        else:
            lifecycle = "supplied_unused"
    elif approval is not None or supply is not None:
        lifecycle = "approved_unsupplied"
    else:
        lifecycle = "unknown"

    # 亩均 is per enterprise: this row's part; assess_naive sums the parts per enterprise
    figures = {
        name: _f(r.get(name))
        for sch in (mj, mj["below_scale"])
        for spec in sch["indicators"].values()
        for name in (spec["numerator"], spec["denominator"])
        if name != "area_mu"
    }
    lu_ok = lu is None or lu in mj["applies_to_land_use"]
    scale = r.get("above_scale")
    part = {
        "key": _firm_key(r),
        "lu_ok": lu_ok,
        "long": bool(
            producing and lu_ok and production is not None
            and today >= _plus_years(production, mj["min_years_producing"])
        ),
        "area_mu": area_mu,
        "above": None if scale is None or pd.isna(scale) else bool(scale),
        "figures": figures,
    }
    score = math.nan

    flags = []
    lu, ob = _s(r.get("land_use")), _s(r.get("observed_use"))
    if lu and ob and lu != ob:
        flags.append("use_changed")
    m = r.get("mortgaged")
    if idle and m is not None and not pd.isna(m) and bool(m):
        flags.append("mortgaged_idle")
    agreed_c = _d(r.get("agreed_completion_date"))
    if supplied and agreed_c is not None:
        if (not completed and not producing and agreed_c < today) or (
            completed and completion is not None and completion > agreed_c
        ):
            flags.append("overdue_completion")
    return {
        "lifecycle": lifecycle,
        "idle_type": idle_type,
        "overdue_days": overdue,
        "idle_fee_wan": fee,
        "recovery_candidate": recovery,
        "low_efficiency": low,
        "failed_indicators": ";".join(failed),
        "mujun_score": score,
        "flags": ";".join(flags),
        "reasons": "。".join(reasons),
        "_mujun": part,
    }


def assess_naive(parcels: pd.DataFrame, as_of: str, ruleset: Ruleset | None = None) -> pd.DataFrame:
    """Row-by-row assessment of ``parcels`` (which must already carry ``area_m2``)."""
    rs = ruleset or default_ruleset()
    today = pd.Timestamp(as_of).date()
    rows = [_one(r, today, rs) for r in parcels.to_dict("records")]
    _mujun_by_enterprise(rows, rs.mujun)
    return pd.DataFrame(rows, index=parcels.index)


def _mujun_by_enterprise(rows: list[dict[str, Any]], mj: dict[str, Any]) -> None:
    """Sum each enterprise's parcels (credit code, else holder, else the row alone) and score."""
    firms: dict[Any, list[dict[str, Any]]] = {}
    for i, row in enumerate(rows):
        part = row.pop("_mujun")
        firms.setdefault(part["key"] or ("row", i), []).append(part)
        row["_firm"] = part["key"] or ("row", i)
    scores: dict[Any, float] = {}
    for key, parts in firms.items():
        scales = [p["above"] for p in parts if p["above"] is not None]
        if any(scales):
            below = False
        elif scales:
            below = True
        else:
            below = mj["scale_unknown"] == "below"
        sch = mj["below_scale"] if below else mj
        areas = [p["area_mu"] for p in parts if p["area_mu"] is not None]
        area = sum(areas) if areas else None

        def total(name: str, parts: list[dict[str, Any]] = parts, area: Any = area) -> Any:
            if name == "area_mu":
                return area
            vals = [p["figures"][name] for p in parts if p["figures"][name] is not None]
            return sum(vals) if vals else None

        score = math.nan
        if (
            any(p["lu_ok"] for p in parts)
            and any(p["long"] for p in parts)
            and area is not None
            and area >= mj["min_area_mu"]
            and any(total(spec["numerator"]) is not None
                    for spec in sch["indicators"].values() if spec["numerator"] != "area_mu")
        ):
            score = 0.0
            for spec in sch["indicators"].values():
                num, den = total(spec["numerator"]), total(spec["denominator"])
                if num is None or den is None or not den > 0:
                    continue
                sub = num / den / spec["base"]
                if spec.get("cap") is not None:
                    sub = min(sub, spec["cap"])
                score += sub * spec["weight"]
        scores[key] = score
    for row in rows:
        row["mujun_score"] = scores[row.pop("_firm")]
