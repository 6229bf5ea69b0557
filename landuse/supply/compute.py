"""The supply figures (domain.md §11.2), pure: frames in, frames out, no I/O.

Every function takes the records (:class:`~landuse.supply.model.SupplyData`) and an as-of
date and returns a frame with areas in m² (the tool's unit; reports show 亩). What each
figure means (its 口径) and how it is rounded is in the supply ruleset
(``rules/rulesets/supply_2024.toml``); the sentences are in :mod:`landuse.supply.reasons`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse.supply.model import SupplyData
from landuse.supply.ruleset import SupplyRuleset

__all__ = [
    "batch_supply_rate",
    "idle_disposal_rate",
    "mortgage_totals",
    "plan_execution",
    "quota_balance",
    "reserve_stage",
    "suppliable_land",
    "supply_in_period",
    "task_completion",
    "unsupplied_by_batch",
    "years_of_supply",
]


def _date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce")


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").fillna(0.0).astype(float)


def _sum_by(frame: pd.DataFrame, key: str, value: str, keep: pd.Series) -> pd.Series:
    f = frame[keep.to_numpy()]
    return _num(f[value]).groupby(f[key].astype(str)).sum()


def unsupplied_by_batch(d: SupplyData, as_of: Any) -> pd.DataFrame:
    """批而未供 per batch approved on or before ``as_of``.

    Returns
    -------
    DataFrame
        ``batch_id``, ``zone``, ``approval_date``, ``approved_m2``, ``supplied_m2``,
        ``reduced_m2``, ``unsupplied_m2`` (批准 − 已供 − 核减/撤回) and
        ``unsupplied_share`` (批而未供 ÷ 批准; NaN for a batch of no area).
    """
    t = pd.Timestamp(as_of)
    b = d.batches
    appr = _date(b["approval_date"])
    b = b[(appr <= t).to_numpy()]
    ids = b["batch_id"].astype(str)
    sup = _sum_by(d.supply, "batch_id", "area_m2",
                  d.supply["batch_id"].notna() & (_date(d.supply["contract_date"]) <= t))
    red = _sum_by(d.reductions, "batch_id", "area_m2",
                  d.reductions["batch_id"].notna() & (_date(d.reductions["reduction_date"]) <= t))
    approved = _num(b["approved_area_m2"]).to_numpy()
    supplied = ids.map(sup).fillna(0.0).to_numpy(dtype=float)
    reduced = ids.map(red).fillna(0.0).to_numpy(dtype=float)
    left = approved - supplied - reduced
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(approved > 0, left / approved, np.nan)
    return pd.DataFrame({
        "batch_id": ids.to_numpy(), "zone": b["zone"].to_numpy(),
        "approval_date": _date(b["approval_date"]).to_numpy(), "approved_m2": approved,
        "supplied_m2": supplied, "reduced_m2": reduced, "unsupplied_m2": left,
        "unsupplied_share": share,
    })


def batch_supply_rate(d: SupplyData, as_of: Any, rs: SupplyRuleset) -> dict[str, Any]:
    """批次供地率 over the batches approved in the rolling window of the ruleset.

    A batch approved exactly ``window_years`` years before ``as_of`` (same month and day)
    is inside the window. Returns ``window_start``, ``batches`` (count), ``approved_m2``,
    ``supplied_m2`` and ``rate`` (None when no area was approved in the window).
    """
    t = pd.Timestamp(as_of)
    years = int(rs.get("supply_rate", "window_years"))
    start = t - pd.DateOffset(years=years)
    per = unsupplied_by_batch(d, t)
    inside = per[(per["approval_date"] >= start) & (per["approval_date"] <= t)]
    approved = float(inside["approved_m2"].sum())
    supplied = float(inside["supplied_m2"].sum())
    return {"window_start": start, "window_years": years, "batches": len(inside),
            "approved_m2": approved, "supplied_m2": supplied,
            "rate": supplied / approved if approved > 0 else None}


def _digested_unsupplied(d: SupplyData, start: pd.Timestamp, end: pd.Timestamp,
                         zone: Any, reductions_count: bool) -> float:
    b = d.batches
    keep = _date(b["approval_date"]) < start
    if zone is not None:
        keep &= b["zone"].astype(object) == zone
    stock = set(b.loc[keep.to_numpy(), "batch_id"].astype(str))
    total = 0.0
    parts = [("supply", "contract_date")]
    if reductions_count:
        parts.append(("reductions", "reduction_date"))
    for kind, col in parts:
        f = d.layer(kind)
        when = _date(f[col])
        m = (when >= start) & (when <= end) & f["batch_id"].astype(str).isin(stock)
        total += float(_num(f.loc[m.to_numpy(), "area_m2"]).sum())
    return total


def _disposed_idle(disposed: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp,
                   zone: Any) -> float | None:
    if disposed is None:
        return None
    when = _date(disposed["disposed_date"])
    m = (when >= start) & (when <= end)
    if zone is not None and "zone" in disposed.columns:
        m &= disposed["zone"].astype(object) == zone
    f = disposed[m.to_numpy()]
    # each parcel once, with its largest disposed area (the same land disposed twice
    # counts once, as in the ledger's period figures)
    return float(_num(f["area_m2"]).groupby(f["parcel_id"].astype(str)).max().sum())


def task_completion(d: SupplyData, as_of: Any, rs: SupplyRuleset,
                    disposed: pd.DataFrame | None = None) -> pd.DataFrame:
    """消化率 (任务完成率) of each annual task up to ``as_of``.

    Parameters
    ----------
    disposed : DataFrame, optional
        Idle land disposed (``zone``, ``area_m2``, ``disposed_date``), e.g. the ledger's
        disposals (:func:`landuse.supply.idle.disposals`); without it an idle task's
        progress cannot be computed (``done_m2`` NaN).

    Returns
    -------
    DataFrame
        ``year``, ``zone``, ``task_kind``, ``task_m2``, ``period_start``, ``period_end``,
        ``done_m2``, ``rate`` and ``met`` (rate ≥ ``met_at``; None when not computable).
    """
    t = pd.Timestamp(as_of)
    met_at = float(rs.get("digestion", "met_at"))
    red = bool(rs.get("digestion", "reductions_count"))
    rows = []
    for rec in d.disposal_tasks.to_dict("records"):
        year = int(rec["year"])
        start = pd.Timestamp(year=year, month=1, day=1)
        end = min(pd.Timestamp(year=year, month=12, day=31), t)
        zone = None if rec.get("zone") is None or pd.isna(rec.get("zone")) else rec["zone"]
        task = float(rec["task_area_m2"])
        done: float | None
        if end < start:
            done = 0.0
        elif rec["task_kind"] == "unsupplied":
            done = _digested_unsupplied(d, start, end, zone, red)
        else:
            done = _disposed_idle(disposed, start, end, zone)
        rate = done / task if done is not None and task > 0 else None
        rows.append({"year": year, "zone": zone, "task_kind": rec["task_kind"],
                     "task_m2": task, "period_start": start, "period_end": end,
                     "done_m2": np.nan if done is None else done, "rate": rate,
                     "met": None if rate is None else bool(rate >= met_at - 1e-12)})
    cols = ["year", "zone", "task_kind", "task_m2", "period_start", "period_end", "done_m2",
            "rate", "met"]
    out = pd.DataFrame(rows, columns=cols)
    out["zone"] = pd.Series([r["zone"] for r in rows], dtype=object)  # None: whole zone
    return out


def idle_disposal_rate(idle: pd.DataFrame | None, as_of: Any) -> dict[str, Any]:
    """闲置土地处置率: idle land disposed ÷ idle land determined, both up to ``as_of``.

    Returns ``determined_m2``, ``disposed_m2`` and ``rate`` (None without idle records or
    when none was determined).
    """
    if idle is None:
        return {"determined_m2": None, "disposed_m2": None, "rate": None}
    t = pd.Timestamp(as_of)
    det = _date(idle["determined_date"]) <= t
    disp = det & (_date(idle["disposed_date"]) <= t)
    determined = float(_num(idle.loc[det.to_numpy(), "area_m2"]).sum())
    disposed = float(_num(idle.loc[disp.to_numpy(), "area_m2"]).sum())
    return {"determined_m2": determined, "disposed_m2": disposed,
            "rate": disposed / determined if determined > 0 else None}


def reserve_stage(d: SupplyData, as_of: Any) -> pd.Series:
    """Readiness of each reserve record at ``as_of`` (code list ``reserve_stage``).

    ``supplied`` when its supply record's contract is dated on or before ``as_of``;
    ``ready`` when its 净地日期 is on or before ``as_of``; ``expropriating`` when
    expropriation has begun and households or buildings remain (0 < done < total); else
    ``acquiring`` (agreement signed, expropriation not begun or done while the land is
    not yet clean). [R]
    """
    t = pd.Timestamp(as_of)
    r = d.reserve
    contract = pd.Series(_date(d.supply["contract_date"]).to_numpy(),
                         index=d.supply["supervision_no"].astype(str))
    contract = contract[~contract.index.duplicated()]
    linked = pd.Series(contract.reindex(r["supervision_no"].astype(str)).to_numpy(),
                       index=r.index, dtype="datetime64[ns]")
    supplied = (r["supervision_no"].notna() & (linked <= t)).to_numpy()
    ready = (_date(r["clean_land_date"]) <= t).to_numpy()
    done = _num(r["expropriation_done"])
    left = ((_num(r["expropriation_total"]) > done) & (done > 0)).to_numpy()
    out = np.where(supplied, "supplied", np.where(ready, "ready",
                                                  np.where(left, "expropriating", "acquiring")))
    return pd.Series(out, index=r.index, dtype=object)


def suppliable_land(d: SupplyData, as_of: Any, rs: SupplyRuleset) -> pd.DataFrame:
    """尚可供应土地 (E1/E21/E22): reserve land ready and not supplied at ``as_of``.

    Returns the reserve records concerned with ``reserve_id``, ``zone``, ``area_m2`` and
    ``category`` (the record's own, else by its planned use as the ruleset says).
    """
    stage = reserve_stage(d, as_of)
    r = d.reserve[(stage == "ready").to_numpy()]
    alloc = set(rs.get("suppliable", "allocation_uses"))
    ind = set(rs.get("suppliable", "industrial_uses"))
    use = r["planned_use"].astype(object)
    by_use = np.where(use.isin(alloc), "E1", np.where(use.isin(ind), "E21", "E22"))
    own = r["supply_category"].astype(object)
    cat = np.where(own.notna(), own, by_use)
    return pd.DataFrame({"reserve_id": r["reserve_id"].to_numpy(), "zone": r["zone"].to_numpy(),
                         "area_m2": _num(r["area_m2"]).to_numpy(), "category": cat})


def years_of_supply(d: SupplyData, as_of: Any, rs: SupplyRuleset,
                    suppliable_m2: float) -> dict[str, Any]:
    """尚可供地年数 = 尚可供应 ÷ mean yearly supply of the window's full calendar years.

    Returns ``first_year``, ``last_year``, ``supplied_m2`` (over the window), ``mean_m2``
    and ``years`` (None with ``why = "no_supply"`` when nothing was supplied).
    """
    t = pd.Timestamp(as_of)
    n = int(rs.get("years_left", "window_years"))
    last = t.year - 1
    first = last - n + 1
    when = _date(d.supply["contract_date"])
    m = (when.dt.year >= first) & (when.dt.year <= last)
    supplied = float(_num(d.supply.loc[m.to_numpy(), "area_m2"]).sum())
    mean = supplied / n
    return {"first_year": first, "last_year": last, "window_years": n,
            "supplied_m2": supplied, "mean_m2": mean, "suppliable_m2": suppliable_m2,
            "years": suppliable_m2 / mean if mean > 0 else None,
            "why": None if mean > 0 else "no_supply"}


_SIGN = {"granted": 1.0, "rewarded": 1.0, "used": -1.0, "deducted": -1.0}


def quota_balance(d: SupplyData, as_of: Any) -> pd.DataFrame:
    """指标余额 by quota kind at ``as_of``: granted, rewarded, used, deducted (m²),
    ``balance`` (下达 + 奖励 − 使用 − 核减) and ``shortfall`` (−balance when negative)."""
    t = pd.Timestamp(as_of)
    q = d.quota_events
    q = q[(_date(q["event_date"]) <= t).to_numpy()]
    area = _num(q["area_m2"])
    kinds = sorted(set(q["quota_kind"].dropna().astype(str)))
    table = pd.DataFrame(index=pd.Index(kinds, name="quota_kind"))
    for k in _SIGN:
        m = (q["event_kind"] == k).to_numpy()
        per = area[m].groupby(q.loc[m, "quota_kind"].astype(str)).sum()
        table[k] = per.reindex(table.index, fill_value=0.0).astype(float)
    bal = pd.Series(0.0, index=table.index)
    for k, sign in _SIGN.items():
        bal = bal + sign * table[k]
    # to the µm²: 10 + 2 − 12 亩 in m² is 0, not 9e-13
    table["balance"] = bal.round(6) + 0.0
    table["shortfall"] = (-table["balance"]).clip(lower=0.0)
    return table.reset_index()


def plan_execution(d: SupplyData, as_of: Any) -> pd.DataFrame:
    """计划执行率 by use for the plan of the as-of year: ``use``, ``planned_m2``,
    ``supplied_m2`` (contracts from 1 January to ``as_of``) and ``rate``."""
    t = pd.Timestamp(as_of)
    p = d.supply_plan
    p = p[(pd.to_numeric(p["year"], errors="coerce") == t.year).to_numpy()]
    planned = _num(p["planned_area_m2"]).groupby(p["use"].astype(str)).sum()
    when = _date(d.supply["contract_date"])
    m = (when >= pd.Timestamp(year=t.year, month=1, day=1)) & (when <= t)
    s = d.supply[m.to_numpy()]
    supplied = _num(s["area_m2"]).groupby(s["use"].astype(str)).sum()
    uses = list(planned.index) + [u for u in supplied.index if u not in planned.index]
    out = pd.DataFrame({"use": uses})
    out["planned_m2"] = out["use"].map(planned).fillna(0.0).astype(float)
    out["supplied_m2"] = out["use"].map(supplied).fillna(0.0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(out["planned_m2"] > 0, out["supplied_m2"] / out["planned_m2"],
                               np.nan)
    return out


def supply_in_period(d: SupplyData, start: Any, end: Any, by: str) -> pd.DataFrame:
    """Supply with contracts dated in [start, end], grouped ``by`` ``supply_way`` or
    ``use``: ``count`` (宗) and ``area_m2``; ``start`` None means from the first record."""
    when = _date(d.supply["contract_date"])
    m = when <= pd.Timestamp(end)
    if start is not None:
        m &= when >= pd.Timestamp(start)
    s = d.supply[m.to_numpy()]
    g = pd.DataFrame({"key": s[by].astype(str), "area_m2": _num(s["area_m2"])}).groupby("key")
    out = pd.DataFrame({"count": g.size(), "area_m2": g["area_m2"].sum()}).reset_index()
    return out.rename(columns={"key": by}).sort_values(by, kind="stable").reset_index(drop=True)


def mortgage_totals(d: SupplyData, as_of: Any) -> dict[str, Any]:
    """他项权利登记 up to ``as_of``: ``registrations``, ``users`` (distinct land users; a
    registration without one counts its parcel) and ``amount_wan`` (Σ 融资金额)."""
    t = pd.Timestamp(as_of)
    m = d.mortgages[(_date(d.mortgages["registration_date"]) <= t).to_numpy()]
    who = m["holder"].astype(object).where(m["holder"].notna(),
                                          "parcel:" + m["parcel_id"].astype(str))
    return {"registrations": len(m), "users": int(who.nunique()),
            "amount_wan": float(_num(m["amount_wan"]).sum())}
