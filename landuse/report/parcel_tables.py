"""The report's tables from the assessed parcels: idle and low-efficiency lists, 五未,
亩均 classes, enforcement flags, zone indicators; the charts and the overview map classes.

Each builder is pure: assessed parcels (parcel standard §1 + §3, ``parcel_id`` as str,
``area_m2`` and ``area_mu``) in, one or more :class:`~landuse.report.model.Table` out, in
the report's language.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.ledger import rows as iter_rows
from landuse.report.cells import idle_mask, low_mask, r1, split_codes, text, truthy
from landuse.report.indicators import CATEGORY_MAPPING, zone_indicators
from landuse.report.model import Chart, Table
from landuse.report.text import T, label
from landuse.units import M2_PER_HA, M2_PER_MU

__all__ = [
    "ENFORCEMENT",
    "LIFECYCLES",
    "MUJUN_CLASSES",
    "enforcement_counts",
    "flag_tables",
    "idle_table",
    "indicator_section",
    "lifecycle_table",
    "low_efficiency_table",
    "map_frame",
    "mujun_enterprise_table",
    "mujun_table",
    "procedure_table",
    "recovery_lead",
    "report_charts",
]

LIFECYCLES: tuple[str, ...] = (
    "approved_unsupplied", "supplied_unused", "used_incomplete", "built_not_producing",
    "producing_below_target", "in_use", "unknown",
)
"""The 五未 lifecycle codes in the order the report lists them."""
MUJUN_CLASSES: tuple[str, ...] = ("A", "B", "C", "D", "T", "N")
"""The 亩均 classes in the order the report lists them."""

_ALWAYS_FLAGS = ("use_changed", "mortgaged_idle", "outside_supply")

ENFORCEMENT: tuple[str, ...] = ("illegal_occupation", "low_efficiency", "use_changed")
"""The enforcement counts of the work report (非法占地, 低效利用, 擅自改变用途), in its order."""


def _count(parcels: pd.DataFrame, sel: pd.Series) -> dict[str, Any]:
    return {"parcels": int(sel.sum()), "area_mu": r1(parcels.loc[sel, "area_mu"].sum()),
            "parcel_ids": sorted(parcels.loc[sel, "parcel_id"])}


def enforcement_counts(parcels: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Parcels and 亩 of each of :data:`ENFORCEMENT` from the assessment.

    非法占地: parcels flagged ``outside_supply`` (built on land not supplied to them);
    低效利用: the low-efficiency parcels; 擅自改变用途: parcels flagged ``use_changed``.
    Buildings on no parcel at all come from an evidence run and are counted there.
    """
    flags = parcels["flags"].map(split_codes)
    return {
        "illegal_occupation": _count(parcels, flags.map(lambda f: "outside_supply" in f)),
        "low_efficiency": _count(parcels, low_mask(parcels)),
        "use_changed": _count(parcels, flags.map(lambda f: "use_changed" in f)),
    }


def recovery_lead(parcels: pd.DataFrame, proc: pd.DataFrame) -> dict[str, Any]:
    """The idle land still to recover: the parcels the assessment holds idle whose case
    did not end in a disposal (``closed_by`` of :func:`landuse.ledger.procedure_state`)."""
    closed = set(proc.index[proc["closed_by"].notna()]) if len(proc) else set()
    return _count(parcels, idle_mask(parcels) & ~parcels["parcel_id"].isin(closed))


def _sep(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def _fee_state(assessed_fee: float, proc: dict[str, Any] | None, lang: str) -> str:
    """The idle-land fee's state: from the ledger's decision and payments, else from the
    disposal that ended the case, else whether the assessment finds a fee due."""
    h = T[lang]
    levied = (proc or {}).get("fee_levied_wan")
    if levied:
        paid = (proc or {}).get("fee_paid_wan") or 0.0
        return h["fee_paid_full"] if paid >= levied else \
            h["fee_part_paid"] if paid > 0 else h["fee_levied_unpaid"]
    if (proc or {}).get("closed_by"):
        return h["fee_disposed"]
    return h["fee_not_levied"] if assessed_fee > 0 else h["fee_none"]


def idle_table(parcels: pd.DataFrame, state: pd.DataFrame, proc: pd.DataFrame,
               lang: str) -> Table:
    """The idle parcels, longest overdue first, with fee, recovery and their case's stage.

    ``state`` is :func:`landuse.ledger.case_state` and ``proc``
    :func:`landuse.ledger.procedure_state` at the period's end (index ``parcel_id``); a
    parcel without a case shows "—". The fee is the assessment's (测算, 20 % of the land
    price), then the ledger's 应缴 (the fee decision) and 已缴 (payments) and the fee's
    state. A parcel whose case ended in a disposal (auction completed, recovered or
    re-supplied: ``closed_by``) is no recovery candidate, whatever the assessment says:
    the land is no longer its former holder's idle land.
    """
    h = T[lang]
    idle = parcels[idle_mask(parcels)].sort_values(["overdue_days", "parcel_id"],
                                                   ascending=[False, True])
    rows: list[list[Any]] = []
    for r in iter_rows(idle):
        st = state["stage"].get(r.parcel_id) if len(state) else None
        pr = proc.loc[r.parcel_id].to_dict() if r.parcel_id in proc.index else None
        od = r.overdue_days
        fee = 0.0 if pd.isna(r.idle_fee_wan) else float(r.idle_fee_wan)
        closed = bool(pr and pr["closed_by"])
        recovery = h["no_disposed"] if closed and truthy(r.recovery_candidate) else \
            h["yes"] if truthy(r.recovery_candidate) and not closed else h["no"]
        rows.append([r.parcel_id, text(r.zone), text(r.holder),
                     label("idle_type", r.idle_type, lang), r1(r.area_mu),
                     None if pd.isna(od) else int(od), r1(fee),
                     None if not pr or pr["fee_levied_wan"] is None else r1(pr["fee_levied_wan"]),
                     None if not pr or pr["fee_paid_wan"] is None else r1(pr["fee_paid_wan"]),
                     _fee_state(fee, pr, lang), recovery,
                     label("stage", st, lang) if st else "—"])
    return Table("idle_parcels", h["t_idle"],
                 ["parcel_id", "zone", "holder", "idle_type", "area_mu", "overdue_days",
                  "idle_fee_wan", "fee_levied_wan", "fee_paid_wan", "fee_state",
                  "recovery_candidate", "case_stage"],
                 [h["c_parcel"], h["c_zone"], h["c_holder"], h["c_idle_type"], h["c_area_mu"],
                  h["c_overdue"], h["c_fee"], h["c_fee_levied"], h["c_fee_paid"],
                  h["c_fee_state"], h["c_recovery"], h["c_case"]], rows)


def _day(d: Any) -> str | None:
    return None if d is None or pd.isna(d) else pd.Timestamp(d).date().isoformat()


def procedure_table(parcels: pd.DataFrame, state: pd.DataFrame, proc: pd.DataFrame,
                    lang: str) -> Table:
    """The open cases at the period's end with the dates of their procedure steps.

    Open: a case in the ledger whose stage is not ``disposed`` or ``auction_completed``.
    Steps (《闲置土地处置办法》, domain.md §1.6): 调查通知书, 闲置土地认定书, 处置决定书,
    then the fee decision (应缴, amount and date) and payments (已缴); an empty cell is a
    step the ledger does not record. Parcels by id.
    """
    h = T[lang]
    info = parcels.set_index("parcel_id")
    rows: list[list[Any]] = []
    for pid in sorted(set(state.index) & set(info.index)):
        st = state.at[pid, "stage"]
        if st in ("disposed", "auction_completed"):
            continue
        pr: dict[str, Any] = proc.loc[pid].to_dict() if pid in proc.index \
            else dict.fromkeys(proc.columns)
        rows.append([pid, text(info.at[pid, "zone"]), text(info.at[pid, "holder"]),
                     label("stage", st, lang) if isinstance(st, str) else "—",
                     _day(state.at[pid, "stage_date"]) if isinstance(st, str) else None,
                     _day(pr.get("investigation_notice")), _day(pr.get("idle_determined")),
                     _day(pr.get("disposal_decided")),
                     None if pr.get("fee_levied_wan") is None else r1(pr["fee_levied_wan"]),
                     _day(pr.get("fee_levied_date")),
                     None if pr.get("fee_paid_wan") is None else r1(pr["fee_paid_wan"]),
                     _day(pr.get("fee_paid_date"))])
    return Table("procedure", h["t_procedure"],
                 ["parcel_id", "zone", "holder", "case_stage", "stage_date",
                  "investigation_notice", "idle_determined", "disposal_decided",
                  "fee_levied_wan", "fee_levied_date", "fee_paid_wan", "fee_paid_date"],
                 [h["c_parcel"], h["c_zone"], h["c_holder"], h["c_case"], h["c_case_since"],
                  h["c_notice"], h["c_determined"], h["c_decided"], h["c_fee_levied"],
                  h["c_fee_levied_date"], h["c_fee_paid"], h["c_fee_paid_date"]], rows)


def low_efficiency_table(parcels: pd.DataFrame, lang: str) -> Table:
    """The low-efficiency parcels by id, with their failed indicators and 亩均 class."""
    h = T[lang]
    low = parcels[low_mask(parcels)].sort_values("parcel_id")
    rows = [[r.parcel_id, text(r.zone), text(r.holder), label("lifecycle", r.lifecycle, lang),
             r1(r.area_mu),
             _sep(lang).join(label("failed_indicator", f, lang)
                             for f in split_codes(r.failed_indicators)),
             text(r.mujun_class), None if pd.isna(r.mujun_score) else r1(r.mujun_score)]
            for r in iter_rows(low)]
    return Table("low_efficiency", h["t_low_eff"],
                 ["parcel_id", "zone", "holder", "lifecycle", "area_mu", "failed_indicators",
                  "mujun_class", "mujun_score"],
                 [h["c_parcel"], h["c_zone"], h["c_holder"], h["c_lifecycle"], h["c_area_mu"],
                  h["c_failed"], h["c_mujun"], h["c_mujun_score"]], rows)


def lifecycle_table(parcels: pd.DataFrame, lang: str) -> Table:
    """五未: parcels, 亩 and ha per lifecycle stage (missing counts as unknown); a total."""
    h = T[lang]
    life = parcels["lifecycle"].fillna("unknown")
    rows: list[list[Any]] = []
    for lc in LIFECYCLES:
        sel = life == lc
        a = float(parcels.loc[sel, "area_m2"].sum())
        rows.append([label("lifecycle", lc, lang), int(sel.sum()), r1(a / M2_PER_MU),
                     r1(a / M2_PER_HA)])
    tot = float(parcels["area_m2"].sum())
    rows.append([h["total"], len(parcels), r1(tot / M2_PER_MU), r1(tot / M2_PER_HA)])
    return Table("lifecycle", h["t_lifecycle"], ["lifecycle", "parcels", "area_mu", "area_ha"],
                 [h["c_lifecycle"], h["c_parcels"], h["c_area_mu"], h["c_area_ha"]], rows)


def mujun_table(parcels: pd.DataFrame, lang: str) -> Table:
    """亩均 classes: parcels, 亩, tax and tax per 亩; unclassed parcels last, when any.

    Tax is empty for a class where no parcel has ``tax_wan``; tax per 亩 also when the
    class has no area.
    """
    h = T[lang]
    tax = pd.to_numeric(parcels["tax_wan"], errors="coerce") if "tax_wan" in parcels else \
        pd.Series(np.nan, index=parcels.index)
    mclass = parcels["mujun_class"].where(parcels["mujun_class"].notna(), None)
    rows: list[list[Any]] = []
    for c in [*MUJUN_CLASSES, None]:
        sel = mclass.isna() if c is None else mclass == c
        if c is None and not sel.any():
            continue
        a = float(parcels.loc[sel, "area_mu"].sum())
        t = tax[sel]
        tsum = float(t.sum()) if t.notna().any() else None
        rows.append([label("mujun_class", c, lang), int(sel.sum()), r1(a),
                     None if tsum is None else r1(tsum),
                     None if tsum is None or a == 0 else r1(tsum / a)])
    return Table("mujun", h["t_mujun"],
                 ["mujun_class", "parcels", "area_mu", "tax_wan", "tax_per_mu_wan"],
                 [h["c_mujun"], h["c_parcels"], h["c_area_mu"], h["c_tax"], h["c_tax_mu"]],
                 rows)


def mujun_enterprise_table(parcels: pd.DataFrame, lang: str) -> Table:
    """亩均 by enterprise: every rated enterprise (参评企业) once, as the assessment rated it.

    An enterprise is what the assessment rated the parcel for (``enterprise``: credit code,
    else holder; a parcel with neither is an enterprise of its own). Rated: the parcel has
    a ``mujun_scheme`` (规上/规下). Columns: the holder (the first recorded on its parcels),
    the credit code (when the enterprise is keyed by it), its parcels (参评宗地数) and their
    亩, score, class, rank within its scheme (``mujun_rank``) and the scheme. Sorted by
    class (A to D), then score (highest first), then name.
    """
    h = T[lang]
    rated = parcels[parcels["mujun_scheme"].notna()]
    key = rated["enterprise"].where(rated["enterprise"].notna(), "parcel:" + rated["parcel_id"])
    cc = rated["credit_code"] if "credit_code" in rated else pd.Series(None, index=rated.index)
    rows: list[list[Any]] = []
    for g in _enterprises(rated, key, cc):
        rows.append([
            g["holder"], g["enterprise"] if g["by_code"] else None,
            g["parcels"], r1(g["area_mu"]),
            None if pd.isna(g["mujun_score"]) else r1(g["mujun_score"]),
            label("mujun_class", g["mujun_class"], lang),
            None if pd.isna(g["mujun_rank"]) else int(g["mujun_rank"]),
            label("mujun_scheme", g["mujun_scheme"], lang),
            str(g["mujun_class"]), float(g["mujun_score"]),
        ])
    order = {c: i for i, c in enumerate(MUJUN_CLASSES)}
    rows.sort(key=lambda r: (order.get(r[8], len(order)), -r[9], r[0] or "", r[1] or ""))
    return Table("mujun_enterprises", h["t_mujun_ent"],
                 ["holder", "credit_code", "parcels", "area_mu", "mujun_score", "mujun_class",
                  "mujun_rank", "mujun_scheme"],
                 [h["c_enterprise"], h["c_credit_code"], h["c_rated_parcels"], h["c_area_mu"],
                  h["c_mujun_score"], h["c_mujun"], h["c_mujun_rank"], h["c_scheme"]],
                 [r[:8] for r in rows])


def _enterprises(rated: pd.DataFrame, key: pd.Series, cc: pd.Series) -> list[dict[str, Any]]:
    """The rated enterprises of :func:`mujun_enterprise_table` in the order they first
    appear, column by column: each one's first parcel's 亩均 fields and enterprise, its
    first recorded holder (text), whether the enterprise is one of its parcels' credit
    codes, its parcels and their 亩 (summed in register order, missing as none)."""
    codes, _ = pd.factorize(key.to_numpy(dtype=object), use_na_sentinel=False)
    n = int(codes.max()) + 1 if len(codes) else 0
    _, first = np.unique(codes, return_index=True)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(n))
    area = pd.to_numeric(rated["area_mu"], errors="coerce").to_numpy(dtype=np.float64)
    area = np.where(np.isnan(area), 0.0, area)[order]
    sums = np.add.reduceat(area, starts) if n else np.zeros(0)
    counts = np.bincount(codes, minlength=n)
    holder = rated["holder"].to_numpy(dtype=object)
    has = ~pd.isna(holder)
    holders: list[str | None] = [None] * n
    hcodes = codes[has]
    _, hfirst = np.unique(hcodes, return_index=True)
    for c, v in zip(hcodes[hfirst].tolist(), holder[has][hfirst].tolist(), strict=True):
        holders[c] = text(v)
    ent = [text(v) for v in rated["enterprise"].to_numpy(dtype=object)[first].tolist()]
    ccv = cc.to_numpy(dtype=object)
    named = ~pd.isna(ccv)
    by_code = np.zeros(n, dtype=bool)
    for c, v in zip(codes[named].tolist(), ccv[named].tolist(), strict=True):
        if not by_code[c] and ent[c] is not None and str(v).strip() == ent[c]:
            by_code[c] = True
    cols = {name: rated[name].to_numpy(dtype=object)[first].tolist()
            for name in ("mujun_score", "mujun_class", "mujun_rank", "mujun_scheme")}
    return [{"holder": holders[c], "enterprise": ent[c], "by_code": bool(by_code[c]),
             "parcels": int(counts[c]), "area_mu": float(sums[c]),
             **{name: vals[c] for name, vals in cols.items()}} for c in range(n)]


def flag_tables(parcels: pd.DataFrame, lang: str) -> list[Table]:
    """Enforcement flags: parcels and 亩 per flag, then the flagged parcels by id.

    The flags ``use_changed``, ``mortgaged_idle`` and ``outside_supply`` are always listed
    (0 when none); other flags follow in the order they appear.
    """
    h = T[lang]
    flag_lists = parcels["flags"].map(split_codes)
    codes = list(dict.fromkeys([*_ALWAYS_FLAGS, *[f for fl in flag_lists for f in fl]]))
    rows: list[list[Any]] = []
    for f in codes:
        sel = flag_lists.map(lambda fl, f=f: f in fl)
        rows.append([label("flag", f, lang), int(sel.sum()),
                     r1(parcels.loc[sel, "area_mu"].sum())])
    counts = Table("flags", h["t_flags"], ["flag", "parcels", "area_mu"],
                   [h["c_flag"], h["c_parcels"], h["c_area_mu"]], rows)
    flagged = parcels[flag_lists.map(bool)].sort_values("parcel_id")
    rows = [[r.parcel_id, text(r.zone), text(r.holder), r1(r.area_mu),
             _sep(lang).join(label("flag", f, lang) for f in split_codes(r.flags))]
            for r in iter_rows(flagged)]
    listed = Table("flagged_parcels", h["t_flagged"],
                   ["parcel_id", "zone", "holder", "area_mu", "flags"],
                   [h["c_parcel"], h["c_zone"], h["c_holder"], h["c_area_mu"], h["c_flags"]],
                   rows)
    return [counts, listed]


def indicator_section(parcels: pd.DataFrame, lang: str) -> tuple[Table, pd.DataFrame, list[str]]:
    """The zone indicators as a table, the indicator frame and the notes on them.

    The notes name the indicators that could not be computed (with why), then how land
    categories are derived from parcel fields.
    """
    h = T[lang]
    zh = lang == "zh"
    ind = zone_indicators(parcels)
    rows = [[r.name_zh if zh else r.name_en, r.value, r.unit,
             r.formula_zh if zh else r.formula,
             h["computed"] if r.computed else h["not_computed"],
             r.basis_zh if zh else r.basis_en] for r in iter_rows(ind)]
    table = Table("indicators", h["t_indicators"],
                  ["indicator", "value", "unit", "formula", "computed", "basis"],
                  [h["c_indicator"], h["c_value"], h["c_unit"], h["c_formula"], h["c_status"],
                   h["c_basis"]], rows)
    notes: list[str] = []
    not_done = ind[~ind["computed"]]
    if len(not_done):
        items = [f"{r.name_zh}（{r.basis_zh}）" if zh else f"{r.name_en} ({r.basis_en})"
                 for r in iter_rows(not_done)]
        notes.append("以下指标无法计算：" + "；".join(items) + "。" if zh else
                     "Indicators not computed: " + "; ".join(items) + ".")
    cats = [v["zh" if zh else "en"] for v in CATEGORY_MAPPING.values()]
    notes.append("评价指标的用地类别按宗地字段归类：" + "；".join(cats) + "。" if zh else
                 "Land categories of the indicators are derived from parcel fields: "
                 + "; ".join(cats) + ".")
    return table, ind, notes


def report_charts(by_method_mu: dict[str, float], tables: dict[str, Table],
                  lang: str) -> list[Chart]:
    """The four bar charts: 盘活 by method and by month, 五未 area, parcels per 亩均 class.

    ``tables`` holds the ``by_month``, ``lifecycle`` and ``mujun`` tables by key; the charts
    show their rows without the total row.
    """
    h = T[lang]
    unit = "亩" if lang == "zh" else "mu"
    month, life, mujun = tables["by_month"], tables["lifecycle"], tables["mujun"]
    return [
        Chart("by_method", h["ch_method"],
              [label("method", None if k == "not_recorded" else k, lang) for k in by_method_mu],
              list(by_method_mu.values()), unit),
        Chart("by_month", h["ch_month"], [r[0] for r in month.rows[:-1]],
              [r[3] for r in month.rows[:-1]], unit),
        Chart("lifecycle", h["ch_lifecycle"], [r[0] for r in life.rows[:-1]],
              [r[2] for r in life.rows[:-1]], unit),
        Chart("mujun", h["ch_mujun"], [r[0] for r in mujun.rows],
              [float(r[1]) for r in mujun.rows], "宗" if lang == "zh" else "parcels"),
    ]


def map_frame(parcels: gpd.GeoDataFrame, case_parcels: set[str],
              disposed_parcels: set[str]) -> gpd.GeoDataFrame:
    """``parcel_id``, ``cat`` and geometry for the overview map.

    ``cat`` is, by precedence: ``disposed`` (brought back in the period), ``idle``, ``low``,
    ``case`` (an open ledger case), else ``other``.
    """
    cat = pd.Series("other", index=parcels.index)
    cat[parcels["parcel_id"].isin(case_parcels)] = "case"
    cat[low_mask(parcels)] = "low"
    cat[idle_mask(parcels)] = "idle"
    cat[parcels["parcel_id"].isin(disposed_parcels)] = "disposed"
    return gpd.GeoDataFrame({"parcel_id": parcels["parcel_id"], "cat": cat},
                            geometry=parcels.geometry, crs=parcels.crs)
