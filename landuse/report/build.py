"""All the figures of the report, computed from assessed parcels and the ledger (pure).

:func:`build_report` takes the assessed parcels (parcel standard §1 + §3) and the disposal
ledger (§2) and returns a :class:`ReportData`: the headline figures and paragraph, the
tables, chart series, the zone indicators, notes, and the geometries for the overview map.
Writers (:mod:`landuse.report.writers`) only lay these out; they compute nothing.

Counting rules (stated in the report's notes):

* events count when ``date_from <= event_date <= date_to``; others are listed as excluded;
* corrections are applied first: a corrected event counts with its latest correction;
* 盘活 (brought back into use) = effective ``disposed`` events; a parcel disposed more than
  once in the period counts once, with its largest area and the method of its latest
  disposal;
* zombie enterprises = distinct former holders of parcels with a ``zombie_cleared`` event;
  new enterprises = distinct ``new_holder`` names of events in the period;
* auctions completed = parcels with an ``auction_completed`` event in the period; auctions
  started = parcels with an ``auction_started`` event in the period and no completion by
  the period's end;
* idle parcels by stage = parcels whose case, at the period's end, is at
  ``remedy_start_pending`` / ``recovery_in_progress`` / ``investigating``; their area is
  the area of the latest event, else the parcel's area.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.errors import SchemaError
from landuse.ledger import apply_corrections, case_state, check_ledger, parse_date
from landuse.ledger import rows as iter_rows
from landuse.report.evidence import check_evidence, evidence_section
from landuse.report.indicators import CATEGORY_MAPPING, zone_indicators
from landuse.report.text import T, fmt1, label, period_label
from landuse.standard import get_standard
from landuse.units import M2_PER_HA, M2_PER_MU

__all__ = ["ASSESSED_COLUMNS", "Chart", "ReportData", "Table", "build_report"]

ASSESSED_COLUMNS: tuple[str, ...] = (
    "lifecycle", "idle_type", "overdue_days", "idle_fee_wan", "recovery_candidate",
    "low_efficiency", "failed_indicators", "mujun_score", "mujun_class", "flags",
)
"""The assessment columns (parcel standard §3) the report reads."""

IDLE_STAGES: tuple[str, ...] = ("remedy_start_pending", "recovery_in_progress", "investigating")
LIFECYCLES: tuple[str, ...] = (
    "approved_unsupplied", "supplied_unused", "used_incomplete", "built_not_producing",
    "producing_below_target", "in_use", "unknown",
)
MUJUN_CLASSES: tuple[str, ...] = ("A", "B", "C", "D", "T")


@dataclass
class Table:
    """One table: machine keys, human headers (with units) and the rows."""

    key: str
    title: str
    keys: list[str]
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""

    @property
    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the human headers."""
        return pd.DataFrame(self.rows, columns=self.headers)


@dataclass
class Chart:
    """A bar chart: one value per category."""

    key: str
    title: str
    categories: list[str]
    values: list[float]
    unit: str


@dataclass
class ReportData:
    """Everything a report shows, computed once, language-specific where people read."""

    lang: str
    title: str
    period_from: pd.Timestamp
    period_to: pd.Timestamp
    as_of: pd.Timestamp
    zone: str | None
    period_label: str
    zone_label: str
    figures: dict[str, Any]
    headline: str
    tables: list[Table]
    charts: list[Chart]
    indicators: pd.DataFrame
    notes: list[str]
    map_frame: gpd.GeoDataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def table(self, key: str) -> Table:
        """The table named ``key``."""
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content: meta, figures, headline, tables, charts, indicators, notes."""
        return {
            "meta": {
                "title": self.title,
                "lang": self.lang,
                "period_from": self.period_from.date().isoformat(),
                "period_to": self.period_to.date().isoformat(),
                "as_of": self.as_of.date().isoformat(),
                "period_label": self.period_label,
                "zone": self.zone,
                "zone_label": self.zone_label,
                **self.meta,
            },
            "figures": self.figures,
            "headline": self.headline,
            "tables": {
                t.key: {"title": t.title, "keys": t.keys, "headers": t.headers,
                        "rows": t.rows, "note": t.note}
                for t in self.tables
            },
            "charts": {
                c.key: {"title": c.title, "categories": c.categories, "values": c.values,
                        "unit": c.unit}
                for c in self.charts
            },
            "indicators": [
                {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                for r in self.indicators.to_dict("records")
            ],
            "notes": self.notes,
        }


def _ts(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = parse_date(value)
    except ValueError:
        ts = None
    if ts is None:
        raise SchemaError(f"{name} '{value}' is not a date. Fix: write it as YYYY-MM-DD.")
    return ts


def _r1(x: float) -> float:
    return round(float(x), 1) + 0.0


def _mu(m2: Any) -> float:
    return _r1(float(m2) / M2_PER_MU) if m2 is not None and not pd.isna(m2) else 0.0


def _split(s: Any) -> list[str]:
    if s is None or (isinstance(s, float) and np.isnan(s)) or s is pd.NA:
        return []
    return [p.strip() for p in str(s).split(";") if p.strip()]


def _bool(v: Any) -> bool:
    return False if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) \
        else bool(v)


def _prepare_parcels(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "parcel_id" not in parcels:
        raise SchemaError("parcels: column 'parcel_id' missing. Fix: add 宗地号/parcel_id.")
    missing = [c for c in ASSESSED_COLUMNS if c not in parcels]
    if missing:
        raise SchemaError(
            f"parcels: the assessment columns {', '.join(missing)} are missing. Fix: run "
            "'landuse assess' first (landuse report INPUT runs it for you)."
        )
    p = parcels.copy()
    p["parcel_id"] = p["parcel_id"].astype(str)
    if p["parcel_id"].duplicated().any():
        dup = p.loc[p["parcel_id"].duplicated(), "parcel_id"].iloc[0]
        raise SchemaError(f"parcels: parcel_id '{dup}' appears more than once. Fix: make ids "
                          "unique.")
    if "area_m2" not in p or p["area_m2"].isna().any():
        from landuse.core.area import ellipsoidal_area_m2

        p["area_m2"] = ellipsoidal_area_m2(p.geometry)
    p["area_mu"] = p["area_m2"].astype(float) / M2_PER_MU
    if "zone" not in p:
        p["zone"] = None
    if "holder" not in p:
        p["holder"] = None
    return p


def build_report(
    parcels_assessed: gpd.GeoDataFrame,
    ledger: pd.DataFrame,
    date_from: Any,
    date_to: Any,
    zone: str | None = None,
    lang: str = "zh",
    as_of: Any = None,
    evidence: pd.DataFrame | None = None,
    outside_supply: gpd.GeoDataFrame | None = None,
) -> ReportData:
    """Compute every figure of the report for a period (and optionally one sub-park).

    Parameters
    ----------
    parcels_assessed : GeoDataFrame
        Parcels with the assessment columns (:data:`ASSESSED_COLUMNS`) and ``area_m2``.
    ledger : DataFrame
        The disposal ledger in the standard's names; validated against all the parcels
        (a problem raises :class:`~landuse.errors.SchemaError` naming row, field and fix).
    date_from, date_to : date-like
        The period, both days included.
    zone : str, optional
        Restrict to the parcels of this sub-park (``zone`` field).
    lang : {"zh", "en"}
        Language of the words (figures are the same).
    as_of : date-like, optional
        The assessment date shown in the report (default ``date_to``).
    evidence : DataFrame, optional
        Evidence per parcel from :func:`landuse.evidence.run_evidence` (parcel standard §4
        plus ``evidence_reasons``/``evidence_warnings``). Adds the table
        ``records_disagree`` (记录与影像不符 / records vs imagery), its count to the figures
        and the headline, and a note. Parcel ids not in ``parcels_assessed`` raise
        :class:`~landuse.errors.SchemaError` naming them.
    outside_supply : GeoDataFrame, optional
        Buildings on no supplied parcel (``outside_supply`` of the evidence run): adds the
        table ``outside_supply`` with their area in m² and 亩 (whole-zone reports only).

    Returns
    -------
    ReportData
    """
    if lang not in T:
        raise SchemaError(f"lang '{lang}' is not supported. Fix: use zh or en.")
    tx = T[lang]
    start, end = _ts(date_from, "--from"), _ts(date_to, "--to")
    if start > end:
        raise SchemaError(
            f"the period starts ({start.date()}) after it ends ({end.date()}). "
            "Fix: swap --from and --to."
        )
    asof = _ts(as_of, "--as-of") if as_of is not None else end
    parcels = _prepare_parcels(parcels_assessed)
    if outside_supply is not None and evidence is None:
        raise SchemaError("outside_supply buildings come from an evidence run. Fix: give the "
                          "evidence too (--evidence FILE).")
    ev_checked = None if evidence is None else check_evidence(evidence, parcels["parcel_id"])
    source = str(ledger.attrs.get("landuse", {}).get("source") or "ledger")
    led = check_ledger(ledger, parcels, source=source)
    warnings = pd.DataFrame(led.attrs.get("warnings", []), columns=["row", "event_id",
                                                                    "problem"])
    led.attrs = {}
    eff = apply_corrections(led)

    if zone is not None:
        zones = sorted({str(z) for z in parcels["zone"].dropna()})
        if zone not in zones:
            raise SchemaError(
                f"zone '{zone}' has no parcels. Fix: use one of: {', '.join(zones) or '(none)'}."
            )
        parcels = parcels[parcels["zone"].astype(str) == zone]
        eff = eff[eff["parcel_id"].isin(set(parcels["parcel_id"]))]
    pidx = parcels.set_index("parcel_id", drop=False)
    area_mu = pidx["area_mu"]

    in_period = (eff["event_date"] >= start) & (eff["event_date"] <= end)
    ev = eff[in_period].copy()
    ev["_order"] = np.arange(len(ev))
    ev = ev.sort_values(["event_date", "_order"], kind="stable")
    excluded = eff[~in_period]
    state = case_state(eff, as_of=end)

    notes: list[str] = []
    zh = lang == "zh"

    # ---- 盘活 (disposed) with the once-per-parcel rule
    disp = ev[ev["stage"] == "disposed"]
    counted_rows = []
    doubles: list[dict[str, Any]] = []
    for pid, g in disp.groupby("parcel_id", sort=False):
        last = g.iloc[-1]
        area = float(g["area_m2"].max())
        counted_rows.append({"parcel_id": pid, "method": last["method"],
                             "area_m2": area, "event_date": last["event_date"],
                             "event_id": last["event_id"]})
        if len(g) > 1:
            doubles.append({"parcel_id": pid, "events": g})
    counted = pd.DataFrame(counted_rows, columns=["parcel_id", "method", "area_m2",
                                                  "event_date", "event_id"])
    reclaimed_mu = _mu(counted["area_m2"].sum())
    method_order = list(get_standard().codes["method"])
    by_method: dict[str, float] = {}
    by_method_n: dict[str, int] = {}
    for m in [*method_order, None]:
        sel = counted["method"].isna() if m is None else counted["method"] == m
        if sel.any():
            key = m or "not_recorded"
            by_method[key] = _mu(counted.loc[sel, "area_m2"].sum())
            by_method_n[key] = int(sel.sum())

    # ---- zombies and new enterprises
    zmask = ev["zombie_cleared"].fillna(False).astype(bool) if "zombie_cleared" in ev else \
        pd.Series(False, index=ev.index)
    zombie_parcels = list(dict.fromkeys(ev.loc[zmask, "parcel_id"]))
    zombie_holders = list(dict.fromkeys(
        str(pidx.at[p, "holder"]) if pd.notna(pidx.at[p, "holder"]) else f"[{p}]"
        for p in zombie_parcels
    ))
    new_holders = list(dict.fromkeys(h for h in ev["new_holder"].dropna().astype(str) if h))

    # ---- auctions
    def auction_list(stage: str) -> pd.DataFrame:
        a = ev[ev["stage"] == stage]
        return a.groupby("parcel_id", sort=False).agg(
            area_m2=("area_m2", "max"), event_date=("event_date", "last"),
            event_id=("event_id", "last")).reset_index()

    completed = auction_list("auction_completed")
    done_by_end = set(eff.loc[(eff["stage"] == "auction_completed")
                              & (eff["event_date"] <= end), "parcel_id"])
    started = auction_list("auction_started")
    started = started[~started["parcel_id"].isin(done_by_end)]

    # ---- open cases by stage at period end
    upto = eff[eff["event_date"] <= end]
    upto = upto.assign(_order=np.arange(len(upto))).sort_values(["event_date", "_order"],
                                                                 kind="stable")
    last_area = upto.groupby("parcel_id").tail(1).set_index("parcel_id")["area_m2"]
    last_area = last_area[last_area > 0] / M2_PER_MU
    state_area: dict[str, float] = {
        pid: float(last_area[pid]) if pid in last_area.index else float(area_mu.get(pid, 0.0))
        for pid in state.index
    }
    idle_by_stage: dict[str, dict[str, Any]] = {}
    for s in IDLE_STAGES:
        pids = list(state.index[state["stage"] == s])
        idle_by_stage[s] = {"parcels": len(pids),
                            "area_mu": _r1(sum(state_area[p] for p in pids)),
                            "parcel_ids": pids}

    figures: dict[str, Any] = {
        "zombie_enterprises_cleared": len(zombie_holders),
        "zombie_enterprises": zombie_holders,
        "reclaimed_mu": reclaimed_mu,
        "reclaimed_parcels": len(counted),
        "reclaimed_by_method_mu": by_method,
        "reclaimed_by_method_parcels": by_method_n,
        "new_enterprises": len(new_holders),
        "new_enterprise_names": new_holders,
        "auctions_completed": len(completed),
        "auctions_completed_mu": [_mu(a) for a in completed["area_m2"]],
        "auctions_completed_parcels": list(completed["parcel_id"]),
        "auctions_started": len(started),
        "auctions_started_mu": [_mu(a) for a in started["area_m2"]],
        "auctions_started_parcels": list(started["parcel_id"]),
        "idle_by_stage": idle_by_stage,
        "reclaimed_more_than_once": [d["parcel_id"] for d in doubles],
        "events_in_period": len(ev),
        "events_excluded": len(excluded),
    }

    # ---- notes
    for d in doubles:
        g = d["events"]
        parts = "；".join(
            f"{r.event_date.date()} {label('method', r.method, lang)} "
            f"{fmt1(r.area_m2 / M2_PER_MU)}亩"
            for r in iter_rows(g)) if zh else "; ".join(
            f"{r.event_date.date()} {label('method', r.method, lang)} "
            f"{fmt1(r.area_m2 / M2_PER_MU)} mu" for r in iter_rows(g))
        last_m = label("method", g.iloc[-1]["method"], lang)
        big = fmt1(g["area_m2"].max() / M2_PER_MU)
        notes.append(
            f"宗地 {d['parcel_id']} 在统计期内盘活 {len(g)} 次（{parts}），"
            f"面积只计 1 次（{big}亩），"
            f"计入最后一次的处置方式（{last_m}）。" if zh else
            f"Parcel {d['parcel_id']} was brought back into use {len(g)} times in the period "
            f"({parts}); its area is counted once ({big} mu), under the method of the latest "
            f"disposal ({last_m})."
        )
    if len(excluded):
        before = excluded[excluded["event_date"] < start]
        after = excluded[excluded["event_date"] > end]
        rows_txt = ", ".join(
            f"{r.event_id} ({r.event_date.date()})" for r in iter_rows(excluded.head(20)))
        more = "" if len(excluded) <= 20 else (" 等" if zh else " and more")
        notes.append(
            f"统计期外的 {len(excluded)} 条事件未计入（期前 {len(before)} 条，期后 {len(after)} "
            f"条）：{rows_txt}{more}。" if zh else
            f"{len(excluded)} events outside the period were not counted ({len(before)} "
            f"before, {len(after)} after): {rows_txt}{more}."
        )
    corr = eff[eff["corrections"] > 0]
    if len(corr):
        pairs = ", ".join(f"{r.event_id} → {r.effective_event_id}"
                          for r in iter_rows(corr.head(20)))
        notes.append(
            f"已按更正事件计算 {len(corr)} 条事件（原事件 → 生效的更正）：{pairs}。" if zh else
            f"{len(corr)} events were counted as corrected (original → correction in force): "
            f"{pairs}."
        )
    if len(warnings):
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

    headline = _headline(lang, period_label(start, end, lang),
                         zone or tx["whole_zone"], figures)

    # ---- tables
    tables: list[Table] = []
    zombie_set = set(zombie_parcels)
    h = tx

    # by method
    rows: list[list[Any]] = []
    for key, mu in by_method.items():
        sel = counted["method"].isna() if key == "not_recorded" else counted["method"] == key
        mpids = set(counted.loc[sel, "parcel_id"])
        nh = ev[ev["parcel_id"].isin(mpids)]["new_holder"].dropna().nunique()
        rows.append([label("method", None if key == "not_recorded" else key, lang),
                     by_method_n[key], mu, len(mpids & zombie_set), int(nh)])
    rows.append([h["total"], len(counted), reclaimed_mu,
                 sum(r[3] for r in rows), sum(r[4] for r in rows)])
    tables.append(Table("by_method", h["t_by_method"],
                        ["method", "parcels", "area_mu", "zombies_cleared", "new_enterprises"],
                        [h["c_method"], h["c_parcels"], h["c_area_mu"], h["c_zombies"],
                         h["c_new_ent"]], rows))

    # by stage
    rows = []
    for s in get_standard().codes["stage"]:
        pids = list(state.index[state["stage"] == s])
        rows.append([label("stage", s, lang), int((ev["stage"] == s).sum()), len(pids),
                     _r1(sum(state_area[p] for p in pids))])
    tables.append(Table("by_stage", h["t_by_stage"],
                        ["stage", "events_in_period", "parcels_at_end", "area_mu_at_end"],
                        [h["c_stage"], h["c_events"], h["c_stage_parcels"], h["c_stage_area"]],
                        rows))

    # by sub-park
    zone_col = parcels["zone"].where(parcels["zone"].notna(), None)
    zkey = zone_col.map(lambda z: h["no_zone"] if z is None else str(z))
    idle_mask = parcels["idle_type"].isin(["not_started", "stalled"])
    low_mask = parcels["low_efficiency"].fillna(False).astype(bool)
    counted_zone = counted["parcel_id"].map(dict(zip(parcels["parcel_id"], zkey, strict=True)))
    rows = []
    for z in sorted(zkey.unique()):
        sel = zkey == z
        zp = set(parcels.loc[sel, "parcel_id"])
        cz = counted[counted_zone == z]
        rows.append([z, int(sel.sum()), _r1(parcels.loc[sel, "area_mu"].sum()),
                     int((sel & idle_mask).sum()), _r1(parcels.loc[sel & idle_mask,
                                                                   "area_mu"].sum()),
                     int((sel & low_mask).sum()), _r1(parcels.loc[sel & low_mask,
                                                                  "area_mu"].sum()),
                     len(cz), _mu(cz["area_m2"].sum()),
                     len({zh_ for p, zh_ in zip(zombie_parcels, zombie_holders, strict=False)
                          if p in zp}),
                     int(ev[ev["parcel_id"].isin(zp)]["new_holder"].dropna().nunique())])
    rows.append([h["total"], *[
        _r1(sum(r[i] for r in rows)) if isinstance(rows[0][i], float) else
        sum(r[i] for r in rows) for i in range(1, 9)
    ], len(zombie_holders), len(new_holders)])
    tables.append(Table("by_zone", h["t_by_zone"],
                        ["zone", "parcels", "area_mu", "idle_parcels", "idle_mu", "low_parcels",
                         "low_mu", "reclaimed_parcels", "reclaimed_mu", "zombies_cleared",
                         "new_enterprises"],
                        [h["c_zone"], h["c_parcels_all"], h["c_area_all"], h["c_idle_n"],
                         h["c_idle_mu"], h["c_low_n"], h["c_low_mu"], h["c_reclaimed_n"],
                         h["c_reclaimed"], h["c_zombies"], h["c_new_ent"]], rows))

    # by month
    months = pd.period_range(start.to_period("M"), end.to_period("M"), freq="M")
    cm = counted["event_date"].dt.to_period("M") if len(counted) else pd.Series(dtype=object)
    em = ev["event_date"].dt.to_period("M")
    rows = []
    for mon in months:
        sel = cm == mon
        mlabel = f"{mon.year}年{mon.month}月" if zh else f"{mon.year}-{mon.month:02d}"
        rows.append([mlabel, int((em == mon).sum()), int(sel.sum()),
                     _mu(counted.loc[sel, "area_m2"].sum()) if len(counted) else 0.0])
    rows.append([h["total"], sum(r[1] for r in rows), sum(r[2] for r in rows), reclaimed_mu])
    tables.append(Table("by_month", h["t_by_month"],
                        ["month", "events", "reclaimed_parcels", "reclaimed_mu"],
                        [h["c_month"], h["c_events"], h["c_reclaimed_n"], h["c_reclaimed"]],
                        rows))

    # idle parcels
    idle = parcels[idle_mask].sort_values(["overdue_days", "parcel_id"],
                                          ascending=[False, True])
    rows = []
    for r in iter_rows(idle):
        st = state["stage"].get(r.parcel_id) if len(state) else None
        od = r.overdue_days
        rows.append([r.parcel_id, None if pd.isna(r.zone) else str(r.zone),
                     None if pd.isna(r.holder) else str(r.holder),
                     label("idle_type", r.idle_type, lang), _r1(r.area_mu),
                     None if pd.isna(od) else int(od),
                     _r1(0.0 if pd.isna(r.idle_fee_wan) else r.idle_fee_wan),
                     h["yes"] if _bool(r.recovery_candidate) else h["no"],
                     label("stage", st, lang) if st else "—"])
    tables.append(Table("idle_parcels", h["t_idle"],
                        ["parcel_id", "zone", "holder", "idle_type", "area_mu", "overdue_days",
                         "idle_fee_wan", "recovery_candidate", "case_stage"],
                        [h["c_parcel"], h["c_zone"], h["c_holder"], h["c_idle_type"],
                         h["c_area_mu"], h["c_overdue"], h["c_fee"], h["c_recovery"],
                         h["c_case"]], rows))

    # low-efficiency parcels
    low = parcels[low_mask].sort_values("parcel_id")
    sep = "、" if zh else ", "
    rows = []
    for r in iter_rows(low):
        rows.append([r.parcel_id, None if pd.isna(r.zone) else str(r.zone),
                     None if pd.isna(r.holder) else str(r.holder),
                     label("lifecycle", r.lifecycle, lang), _r1(r.area_mu),
                     sep.join(label("failed_indicator", f, lang)
                              for f in _split(r.failed_indicators)),
                     None if pd.isna(r.mujun_class) else str(r.mujun_class),
                     None if pd.isna(r.mujun_score) else _r1(r.mujun_score)])
    tables.append(Table("low_efficiency", h["t_low_eff"],
                        ["parcel_id", "zone", "holder", "lifecycle", "area_mu",
                         "failed_indicators", "mujun_class", "mujun_score"],
                        [h["c_parcel"], h["c_zone"], h["c_holder"], h["c_lifecycle"],
                         h["c_area_mu"], h["c_failed"], h["c_mujun"], h["c_mujun_score"]],
                        rows))

    # 五未 lifecycle
    rows = []
    life = parcels["lifecycle"].fillna("unknown")
    for lc in LIFECYCLES:
        sel = life == lc
        a = float(parcels.loc[sel, "area_m2"].sum())
        rows.append([label("lifecycle", lc, lang), int(sel.sum()), _r1(a / M2_PER_MU),
                     _r1(a / M2_PER_HA)])
    tot = float(parcels["area_m2"].sum())
    rows.append([h["total"], len(parcels), _r1(tot / M2_PER_MU), _r1(tot / M2_PER_HA)])
    tables.append(Table("lifecycle", h["t_lifecycle"],
                        ["lifecycle", "parcels", "area_mu", "area_ha"],
                        [h["c_lifecycle"], h["c_parcels"], h["c_area_mu"], h["c_area_ha"]],
                        rows))

    # 亩均 classes
    rows = []
    tax = pd.to_numeric(parcels["tax_wan"], errors="coerce") if "tax_wan" in parcels else \
        pd.Series(np.nan, index=parcels.index)
    mclass = parcels["mujun_class"].where(parcels["mujun_class"].notna(), None)
    for c in [*MUJUN_CLASSES, None]:
        sel = mclass.isna() if c is None else mclass == c
        if c is None and not sel.any():
            continue
        a = float(parcels.loc[sel, "area_mu"].sum())
        t = tax[sel]
        tsum = float(t.sum()) if t.notna().any() else None
        rows.append([label("mujun_class", c, lang), int(sel.sum()), _r1(a),
                     None if tsum is None else _r1(tsum),
                     None if tsum is None or a == 0 else _r1(tsum / a)])
    tables.append(Table("mujun", h["t_mujun"],
                        ["mujun_class", "parcels", "area_mu", "tax_wan", "tax_per_mu_wan"],
                        [h["c_mujun"], h["c_parcels"], h["c_area_mu"], h["c_tax"],
                         h["c_tax_mu"]], rows))

    # enforcement flags
    flag_lists = parcels["flags"].map(_split)
    flag_codes = list(dict.fromkeys(
        ["use_changed", "mortgaged_idle", "outside_supply",
         *[f for fl in flag_lists for f in fl]]))
    rows = []
    for f in flag_codes:
        sel = flag_lists.map(lambda fl, f=f: f in fl)
        rows.append([label("flag", f, lang), int(sel.sum()),
                     _r1(parcels.loc[sel, "area_mu"].sum())])
    tables.append(Table("flags", h["t_flags"], ["flag", "parcels", "area_mu"],
                        [h["c_flag"], h["c_parcels"], h["c_area_mu"]], rows))
    flagged = parcels[flag_lists.map(bool)].sort_values("parcel_id")
    rows = [[r.parcel_id, None if pd.isna(r.zone) else str(r.zone),
             None if pd.isna(r.holder) else str(r.holder), _r1(r.area_mu),
             sep.join(label("flag", f, lang) for f in _split(r.flags))]
            for r in iter_rows(flagged)]
    tables.append(Table("flagged_parcels", h["t_flagged"],
                        ["parcel_id", "zone", "holder", "area_mu", "flags"],
                        [h["c_parcel"], h["c_zone"], h["c_holder"], h["c_area_mu"],
                         h["c_flags"]], rows))

    # indicators
    ind = zone_indicators(parcels)
    rows = []
    for r in iter_rows(ind):
        rows.append([r.name_zh if zh else r.name_en, r.value, r.unit, r.formula,
                     h["computed"] if r.computed else h["not_computed"],
                     r.basis_zh if zh else r.basis_en])
    tables.append(Table("indicators", h["t_indicators"],
                        ["indicator", "value", "unit", "formula", "computed", "basis"],
                        [h["c_indicator"], h["c_value"], h["c_unit"], h["c_formula"],
                         h["c_status"], h["c_basis"]], rows))
    not_done = ind[~ind["computed"]]
    if len(not_done):
        sep2 = "；" if zh else "; "
        notes.append(
            ("以下指标无法计算：" if zh else "Indicators not computed: ")
            + sep2.join(f"{r.name_zh if zh else r.name_en}（{r.basis_zh}）" if zh else
                        f"{r.name_en} ({r.basis_en})" for r in iter_rows(not_done))
            + ("。" if zh else ".")
        )
    notes.append(
        ("评价指标的用地类别按宗地字段归类：" if zh else
         "Land categories of the indicators are derived from parcel fields: ")
        + ("；".join(v["zh"] for v in CATEGORY_MAPPING.values()) + "。" if zh else
           "; ".join(v["en"] for v in CATEGORY_MAPPING.values()) + ".")
    )

    # events in the period
    rows = [[r.effective_event_id if r.corrections else r.event_id, r.event_date.date()
             .isoformat(), r.parcel_id, label("stage", r.stage, lang),
             label("method", r.method, lang) if not pd.isna(r.method) else "—",
             None if pd.isna(r.area_m2) else _mu(r.area_m2),
             None if pd.isna(r.new_holder) else str(r.new_holder),
             h["yes"] if _bool(r.zombie_cleared) else h["no"],
             None if pd.isna(r.note) else str(r.note)]
            for r in iter_rows(ev)]
    tables.append(Table("events", h["t_events"],
                        ["event_id", "event_date", "parcel_id", "stage", "method", "area_mu",
                         "new_holder", "zombie_cleared", "note"],
                        [h["c_event"], h["c_date"], h["c_parcel"], h["c_stage"],
                         h["c_method"], h["c_area_mu"], h["c_new_holder"], h["c_zombie"],
                         h["c_note"]], rows))

    # charts
    charts = [
        Chart("by_method", h["ch_method"],
              [label("method", None if k == "not_recorded" else k, lang) for k in by_method],
              list(by_method.values()), "亩" if zh else "mu"),
        Chart("by_month", h["ch_month"], [r[0] for r in tables[3].rows[:-1]],
              [r[3] for r in tables[3].rows[:-1]], "亩" if zh else "mu"),
        Chart("lifecycle", h["ch_lifecycle"], [r[0] for r in tables[6].rows[:-1]],
              [r[2] for r in tables[6].rows[:-1]], "亩" if zh else "mu"),
        Chart("mujun", h["ch_mujun"], [r[0] for r in tables[7].rows],
              [float(r[1]) for r in tables[7].rows], "宗" if zh else "parcels"),
    ]

    # evidence: records vs imagery (after the charts, which index the tables above)
    if ev_checked is not None:
        sec = evidence_section(parcels, ev_checked, outside_supply, lang, zone, Table)
        pos = [t.key for t in tables].index("flagged_parcels") + 1
        tables[pos:pos] = sec.tables
        figures.update(sec.figures)
        headline += ("" if zh else " ") + sec.headline + ("。" if zh else ".")
        notes[-1:-1] = sec.notes

    # overview map classes
    cat = pd.Series("other", index=parcels.index)
    cat[parcels["parcel_id"].isin(set(state.index))] = "case"
    cat[low_mask] = "low"
    cat[idle_mask] = "idle"
    cat[parcels["parcel_id"].isin(set(counted["parcel_id"]))] = "disposed"
    map_frame = gpd.GeoDataFrame({"parcel_id": parcels["parcel_id"], "cat": cat},
                                 geometry=parcels.geometry, crs=parcels.crs)

    return ReportData(
        lang=lang, title=h["title"], period_from=start, period_to=end, as_of=asof, zone=zone,
        period_label=period_label(start, end, lang), zone_label=zone or h["whole_zone"],
        figures=figures, headline=headline, tables=tables, charts=charts, indicators=ind,
        notes=notes, map_frame=map_frame,
        meta={"parcels": len(parcels), "ledger_rows": len(led), "ledger_source": source},
    )


def _headline(lang: str, period: str, zone_label: str, f: dict[str, Any]) -> str:
    """The work-report paragraph, built from the figures."""
    bym: dict[str, float] = f["reclaimed_by_method_mu"]
    stages = f["idle_by_stage"]
    if lang == "zh":
        s = (f"{period}，{zone_label}清理僵尸企业{f['zombie_enterprises_cleared']}家、"
             f"盘活闲置用地{fmt1(f['reclaimed_mu'])}亩")
        items = [(label("method", None if k == "not_recorded" else k, "zh"), v)
                 for k, v in bym.items()]
        if items:
            first, *rest = items
            s += f"，其中通过{first[0]}方式盘活了{fmt1(first[1])}亩"
            s += "".join(f"、{m}{fmt1(v)}亩" for m, v in rest)
        s += f"；新入驻企业{f['new_enterprises']}家"
        auc = []
        if f["auctions_completed"]:
            auc.append(f"完成网上竞卖闲置资产{f['auctions_completed']}宗（"
                       + "、".join(f"{fmt1(a)}亩" for a in f["auctions_completed_mu"]) + "）")
        if f["auctions_started"]:
            auc.append(f"启动网上竞卖{f['auctions_started']}宗（"
                       + "、".join(f"{fmt1(a)}亩" for a in f["auctions_started_mu"]) + "）")
        if auc:
            s += "；" + "，".join(auc)
        parts = [f"{stages[k]['parcels']}宗（{fmt1(stages[k]['area_mu'])}亩）{label('stage', k)}"
                 for k in IDLE_STAGES if stages[k]["parcels"]]
        if parts:
            s += "；闲置土地中" + "，".join(parts)
        s += "。"
        if f["reclaimed_more_than_once"]:
            k = len(f["reclaimed_more_than_once"])
            s += f"（其中{k}宗地期内盘活不止一次，面积只计一次。）"
        return s

    def n(x: int, one: str, many: str) -> str:
        return f"{x} {one if x == 1 else many}"

    s = (f"In {period} the {zone_label} cleared "
         f"{n(f['zombie_enterprises_cleared'], 'zombie enterprise', 'zombie enterprises')} and "
         f"brought {fmt1(f['reclaimed_mu'])} mu of idle land back into use")
    items = [(label("method", None if k == "not_recorded" else k, "en"), v)
             for k, v in bym.items()]
    if items:
        txt = [f"{fmt1(v)} mu by {m}" for m, v in items]
        s += ": " + (", ".join(txt[:-1]) + " and " + txt[-1] if len(txt) > 1 else txt[0])
    s += f". {n(f['new_enterprises'], 'new enterprise', 'new enterprises')} moved in."
    auc = []
    k1, k2 = f["auctions_completed"], f["auctions_started"]
    if k1:
        auc.append(f"{n(k1, 'online auction', 'online auctions')} of idle assets "
                   f"{'was' if k1 == 1 else 'were'} completed ("
                   + ", ".join(f"{fmt1(a)} mu" for a in f["auctions_completed_mu"]) + ")")
    if k2:
        what = f"{k2}" if k1 else n(k2, "online auction", "online auctions")
        auc.append(f"{what} {'was' if k2 == 1 else 'were'} started ("
                   + ", ".join(f"{fmt1(a)} mu" for a in f["auctions_started_mu"]) + ")")
    if auc:
        s += " " + " and ".join(auc) + "."
    parts = [f"{n(stages[k]['parcels'], 'parcel', 'parcels')} ({fmt1(stages[k]['area_mu'])} mu) "
             f"{'is' if stages[k]['parcels'] == 1 else 'are'} {label('stage', k, 'en')}"
             for k in IDLE_STAGES if stages[k]["parcels"]]
    if parts:
        s += " Of the idle land, " + (", ".join(parts[:-1]) + " and " + parts[-1]
                                      if len(parts) > 1 else parts[0]) + "."
    if f["reclaimed_more_than_once"]:
        k = len(f["reclaimed_more_than_once"])
        s += (f" ({n(k, 'parcel was', 'parcels were')} brought back more than once in the "
              "period; each is counted once.)")
    return s
