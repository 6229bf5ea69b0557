"""The report's evidence section: where the records and the imagery disagree (pure).

:func:`check_evidence` validates an evidence frame (the output of
:func:`landuse.evidence.run_evidence`, §4 of the parcel standard) against the report's
parcels; :func:`evidence_section` turns it into the "记录与影像不符 / records vs imagery"
table, the table of buildings on no supplied parcel (非法占地 candidates), the figures, a
headline sentence and the notes. Reason sentences are stored bilingual ("中文 / English");
the report shows the part in its own language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.core.discrepancy import recorded_state
from landuse.errors import SchemaError
from landuse.report.model import Table
from landuse.report.sums import exact_sum
from landuse.report.text import T, fmt1, label
from landuse.units import M2_PER_MU

__all__ = ["EvidenceSection", "check_evidence", "evidence_section", "reason_in"]

_BILINGUAL = re.compile(r" ?/ ")


def reason_in(text: Any, lang: str) -> list[str]:
    """The reason sentences of an ``evidence_reasons`` cell in one language.

    Each line is "中文 / English"; a line without the separator is kept whole.

    Examples
    --------
    >>> reason_in("台账记录未动工 / recorded as not started.\\n看 / see", "en")
    ['Recorded as not started.', 'See']
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return []
    out = []
    for line in str(text).split("\n"):
        line = line.strip()
        if not line:
            continue
        parts = _BILINGUAL.split(line, maxsplit=1)
        if len(parts) == 2:
            line = parts[0] if lang == "zh" else parts[1]
        line = line.strip()
        out.append(line[:1].upper() + line[1:] if lang == "en" else line)
    return out


def _codes(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return []
    return [c.strip() for c in str(v).split(";") if c.strip()]


def check_evidence(evidence: pd.DataFrame, parcel_ids: pd.Series) -> pd.DataFrame:
    """The evidence with ``parcel_id`` as str, checked against the parcels.

    Raises :class:`~landuse.errors.SchemaError` naming the source, the field or the
    parcel ids that are not in the parcels, with the fix.
    """
    src = str(evidence.attrs.get("landuse", {}).get("source") or "evidence")
    for col in ("parcel_id", "records_disagree"):
        if col not in evidence.columns:
            raise SchemaError(
                f"{src}: column '{col}' missing: not the output of 'landuse evidence'. Fix: "
                "write the evidence with 'landuse evidence PARCELS ... -o evidence.gpkg' and "
                "give that file (证据文件缺少字段)."
            )
    ev = pd.DataFrame(evidence.drop(columns="geometry", errors="ignore")).copy()
    ev.attrs = {}
    if ev["parcel_id"].isna().any():
        rows = [int(i) + 1 for i in np.flatnonzero(ev["parcel_id"].isna().to_numpy())[:10]]
        raise SchemaError(
            f"{src}: row(s) {', '.join(map(str, rows))} have no parcel_id. Fix: rerun "
            "'landuse evidence' on the parcels of the report."
        )
    ev["parcel_id"] = ev["parcel_id"].astype(str)
    dup = ev.loc[ev["parcel_id"].duplicated(), "parcel_id"]
    if len(dup):
        raise SchemaError(
            f"{src}: parcel_id {', '.join(dict.fromkeys(dup.head(10)))} appear(s) more than "
            "once. Fix: give one evidence file per raster date (rerun 'landuse evidence')."
        )
    known = set(parcel_ids.astype(str))
    unknown = [p for p in ev["parcel_id"] if p not in known]
    if unknown:
        shown = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more"
                                           if len(unknown) > 20 else "")
        raise SchemaError(
            f"{src}: {len(unknown)} evidence parcel(s) not in the report's parcels: {shown}. "
            "Fix: run 'landuse evidence' on the same parcel layer as the report "
            "(证据中的宗地不在宗地图层中，请用同一宗地图层重新生成证据)."
        )
    return ev


@dataclass
class EvidenceSection:
    """What the evidence adds to a report."""

    tables: list[Table] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    headline: str = ""
    notes: list[str] = field(default_factory=list)


def _num(ev: pd.DataFrame, col: str) -> pd.Series:
    if col not in ev.columns:
        return pd.Series(np.nan, index=ev.index)
    return pd.to_numeric(ev[col], errors="coerce").astype(float)


def _pct1(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x) * 100, 1) + 0.0


def _r1(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 1) + 0.0


def _states(parcels: pd.DataFrame, dates: pd.Series) -> pd.Series:
    """unstarted / started / completed / unknown per parcel, as of its evidence date."""
    out = pd.Series("unknown", index=parcels.index, dtype=object)
    for d in [*dates.dropna().unique().tolist(), None]:
        sel = dates.isna() if d is None else dates == d
        if not sel.any():
            continue
        sub = parcels[sel.to_numpy()]
        st = recorded_state(sub, pd.Timestamp(d) if d is not None else None)
        started = st["recorded_built_date"].notna()
        if "start_evidence" in sub.columns:
            se = sub["start_evidence"].astype("string").str.strip().str.lower()
            started = started | (se.notna() & ~se.isin(["none", "", "nan"])).fillna(False)
        lab = np.where(st["recorded_completed"], "completed",
                       np.where(st["recorded_unstarted"], "unstarted",
                                np.where(started, "started", "unknown")))
        lab = np.where(st["progress_known"], lab, "unknown")
        out.loc[sub.index] = lab
    return out


def _lonlat(geoms: gpd.GeoSeries) -> list[str | None]:
    if geoms.crs is None or len(geoms) == 0:
        return [None] * len(geoms)
    pts = geoms.representative_point().to_crs(4490)
    return [None if p is None or p.is_empty else f"{p.x:.6f}, {p.y:.6f}" for p in pts]


@dataclass
class _Checked:
    """The evidence of the report's parcels, indexed by parcel id, with parsed columns."""

    ev: pd.DataFrame
    flags: pd.Series
    warns: pd.Series
    dates: pd.Series
    hit: list[str]
    """Parcels whose records disagree with the evidence, by id."""


def _checked(parcels: pd.DataFrame, evidence: pd.DataFrame) -> _Checked:
    ev = evidence[evidence["parcel_id"].isin(set(parcels["parcel_id"]))]
    ev = ev.set_index("parcel_id", drop=False)
    flags = ev["records_disagree"].map(_codes)
    warns = ev["evidence_warnings"].map(_codes) if "evidence_warnings" in ev.columns else \
        pd.Series([[]] * len(ev), index=ev.index, dtype=object)
    dates = pd.to_datetime(ev["evidence_date"], errors="coerce") \
        if "evidence_date" in ev.columns else pd.Series(pd.NaT, index=ev.index)
    return _Checked(ev, flags, warns, dates, sorted(ev.index[flags.map(bool)]))


def _disagree_table(parcels: pd.DataFrame, c: _Checked, lang: str) -> Table:
    """记录与影像不符 / records vs imagery: one row per disagreeing parcel."""
    tx = T[lang]
    zh = lang == "zh"
    sep = "、" if zh else ", "
    ev, hit, dates = c.ev, c.hit, c.dates
    sub = pd.DataFrame(parcels).set_index("parcel_id", drop=False).loc[hit]
    states = _states(sub, dates.reindex(hit)) if len(hit) else pd.Series(dtype=object)
    area_m2 = pd.to_numeric(sub["area_m2"], errors="coerce").astype(float)
    rec_fp = _num(sub, "footprint_m2")
    rows: list[list[Any]] = []
    for pid in hit:
        e = ev.loc[pid]
        p = sub.loc[pid]
        a = float(area_m2[pid])
        rfp = float(rec_fp[pid])
        d = dates[pid]
        reasons = reason_in(e.get("evidence_reasons"), lang)
        rows.append([
            pid,
            None if pd.isna(p.get("zone")) else str(p.get("zone")),
            None if pd.isna(p.get("holder")) else str(p.get("holder")),
            label("recorded_state", states[pid], lang),
            _pct1(_num(ev, "builtup_share")[pid]),
            _pct1(_num(ev, "bare_share")[pid]),
            _pct1(_num(ev, "builtup_change")[pid]),
            _r1(rfp),
            _r1(_num(ev, "observed_footprint_m2")[pid]),
            _pct1(rfp / a) if a > 0 else None,
            _pct1(_num(ev, "observed_coverage")[pid]),
            sep.join(label("records_disagree", f, lang) for f in c.flags[pid]),
            ("；".join(r.rstrip("。") for r in reasons) + "。") if zh and reasons
            else " ".join(reasons),
            None if pd.isna(d) else d.date().isoformat(),
        ])
    return Table(
        "records_disagree", tx["t_evidence"],
        ["parcel_id", "zone", "holder", "recorded_state", "builtup_share_pct", "bare_share_pct",
         "builtup_change_pct", "footprint_recorded_m2", "footprint_observed_m2",
         "coverage_recorded_pct", "coverage_observed_pct", "records_disagree", "reason",
         "evidence_date"],
        [tx["c_parcel"], tx["c_zone"], tx["c_holder"], tx["c_recorded_state"],
         tx["c_builtup_share"], tx["c_bare_share"], tx["c_builtup_change"], tx["c_fp_recorded"],
         tx["c_fp_observed"], tx["c_cov_recorded"], tx["c_cov_observed"], tx["c_disagree"],
         tx["c_reason"], tx["c_evidence_date"]],
        rows)


def _disagree_figures(parcels: pd.DataFrame, c: _Checked) -> dict[str, Any]:
    """Counts and 亩 of the evidence and of the disagreeing parcels, by flag."""
    by_flag: dict[str, int] = {}
    for fl in c.flags[c.hit]:
        for f in fl:
            by_flag[f] = by_flag.get(f, 0) + 1
    area = pd.to_numeric(parcels.set_index("parcel_id")["area_m2"].reindex(c.hit),
                         errors="coerce").astype(float)
    hit_mu = round(exact_sum(area) / M2_PER_MU, 1) + 0.0 if len(c.hit) else 0.0
    return {
        "evidence_parcels": len(c.ev),
        "evidence_dates": sorted({d.date().isoformat() for d in c.dates.dropna()}),
        "records_disagree_parcels": len(c.hit),
        "records_disagree_mu": hit_mu,
        "records_disagree_by_flag": by_flag,
        "records_disagree_parcel_ids": list(c.hit),
    }


def _disagree_headline(n: int, area_mu: float, lang: str) -> str:
    if lang == "zh":
        return f"经影像核查，台账记录与影像不符的宗地{n}宗（{fmt1(area_mu)}亩）"
    return (f"Imagery checks found {n} {'parcel' if n == 1 else 'parcels'} ({fmt1(area_mu)} mu) "
            "whose records disagree with the imagery")


def _sources(c: _Checked, ev_dates: list[str], lang: str) -> str:
    """What the records were compared with: the imagery (its dates), building footprints."""
    zh = lang == "zh"
    when = "、".join(ev_dates) if zh else ", ".join(ev_dates)
    has_fp = bool(_num(c.ev, "observed_footprint_m2").notna().any())
    has_img = bool(ev_dates) or any(
        _num(c.ev, k).notna().any() for k in ("builtup_share", "bare_share", "builtup_change"))
    if zh:
        return "及".join(([f"影像{f'（{when}）' if when else ''}"] if has_img else [])
                        + (["建筑轮廓"] if has_fp else [])) or "证据"
    return " and ".join(([f"the imagery{f' ({when})' if when else ''}"] if has_img else [])
                        + (["building footprints"] if has_fp else [])) or "the evidence"


def _disagree_notes(parcels: pd.DataFrame, c: _Checked, figures: dict[str, Any],
                    lang: str) -> list[str]:
    """What was compared and found, the warnings of agreeing parcels, parcels without evidence."""
    zh = lang == "zh"
    sep = "、" if zh else ", "
    notes: list[str] = []
    src = _sources(c, figures["evidence_dates"], lang)
    by_flag = figures["records_disagree_by_flag"]
    n_ev, n_hit = len(c.ev), len(c.hit)
    kinds = (sep.join(f"{label('records_disagree', k, lang)} {v} 宗" for k, v in by_flag.items())
             if zh else sep.join(f"{label('records_disagree', k, lang)}: {v}"
                                 for k, v in by_flag.items()))
    if zh:
        notes.append(
            f"“记录与影像不符”比对台账进度与{src}："
            f"{n_ev} 宗有证据，{n_hit} 宗不符"
            f"{f'（{kinds}）' if kinds else ''}；不符是核查线索，需现场核实后再定性。"
        )
    else:
        notes.append(
            f"'Records vs imagery' compares the recorded progress with {src}: {n_ev} "
            f"{'parcel has' if n_ev == 1 else 'parcels have'} evidence, {n_hit} "
            f"{'disagrees' if n_hit == 1 else 'disagree'}"
            f"{f' ({kinds})' if kinds else ''}. A discrepancy "
            "is a lead for inspection, to be confirmed on site."
        )
    wl = [(pid, w) for pid, w in zip(c.ev.index, c.warns, strict=True) if w and pid not in c.hit]
    if wl:
        items = (sep.join(f"{pid}（{sep.join(label('evidence_warning', k, lang) for k in w)}）"
                          for pid, w in wl[:20]) if zh else
                 sep.join(f"{pid} ({sep.join(label('evidence_warning', k, lang) for k in w)})"
                          for pid, w in wl[:20]))
        more = ("" if len(wl) <= 20 else (" 等" if zh else " and more"))
        notes.append(
            f"另有 {len(wl)} 宗地有影像核查提示：{items}{more}。" if zh else
            f"{len(wl)} more {'parcel has' if len(wl) == 1 else 'parcels have'} imagery "
            f"warnings: {items}{more}."
        )
    missing = len(parcels) - n_ev
    if missing:
        notes.append(
            f"{missing} 宗地无影像证据（不在证据文件中），未作比对。" if zh else
            f"{missing} parcels have no evidence (not in the evidence file) and were not "
            "compared."
        )
    return notes


def _outside_supply(outside: gpd.GeoDataFrame, lang: str) -> EvidenceSection:
    """The buildings on no supplied parcel: table, figures, headline clause and note."""
    from landuse.core.area import ellipsoidal_area_m2

    tx = T[lang]
    zh = lang == "zh"
    sec = EvidenceSection()
    og = outside.reset_index(drop=True)
    barea = ellipsoidal_area_m2(og.geometry) if og.crs is not None else \
        _num(og, "building_area_m2").to_numpy()
    ids = og["building_id"].astype(str).tolist() if "building_id" in og.columns else \
        [str(i + 1) for i in range(len(og))]
    on_unsup = (_num(og, "share_on_parcels") - _num(og, "share_on_supplied")).to_numpy()
    loc = _lonlat(og.geometry)
    orows = [[ids[i], _r1(barea[i]), _r1(barea[i] / M2_PER_MU), _pct1(on_unsup[i]), loc[i]]
             for i in range(len(og))]
    sec.tables.append(Table(
        "outside_supply", tx["t_outside"],
        ["building_id", "area_m2", "area_mu", "on_unsupplied_pct", "location"],
        [tx["c_building"], tx["c_bld_area_m2"], tx["c_bld_area_mu"], tx["c_on_unsupplied"],
         tx["c_location"]], orows))
    tot = exact_sum(barea)
    omu = round(tot / M2_PER_MU, 1) + 0.0
    sec.figures.update({
        "outside_supply_buildings": len(og),
        "outside_supply_m2": round(tot, 1) + 0.0,
        "outside_supply_mu": omu,
    })
    if len(og):
        sec.headline = (f"，供地范围外建筑{len(og)}栋（{fmt1(omu)}亩），疑似非法占地" if zh else
                        f", and {len(og)} {'building' if len(og) == 1 else 'buildings'} "
                        f"({fmt1(omu)} mu) on no supplied parcel (possible illegal "
                        "occupation)")
        sec.notes.append(
            f"供地范围外建筑：{len(og)} 栋建筑基本不在已供地宗地上（占地 {fmt1(omu)} 亩），"
            "为未供先用/非法占地线索，需核实。" if zh else
            f"Buildings on no supplied parcel: {len(og)} ({fmt1(omu)} mu), leads for "
            "building on land never supplied (非法占地), to be verified."
        )
    return sec


def evidence_section(
    parcels: pd.DataFrame,
    evidence: pd.DataFrame,
    outside: gpd.GeoDataFrame | None,
    lang: str,
    zone: str | None,
) -> EvidenceSection:
    """Tables, figures, headline sentence and notes from checked evidence.

    Parameters
    ----------
    parcels : DataFrame
        The report's parcels (after the zone filter), ``parcel_id`` as str, with
        ``area_m2`` and ``area_mu``.
    evidence : DataFrame
        From :func:`check_evidence`.
    outside : GeoDataFrame, optional
        Buildings on no supplied parcel (``outside_supply`` of the evidence run); listed
        in whole-zone reports only (a sub-park's report says so in a note).
    lang : {"zh", "en"}
    zone : str, optional
        The sub-park of the report.
    """
    c = _checked(parcels, evidence)
    figures = _disagree_figures(parcels, c)
    sec = EvidenceSection(
        tables=[_disagree_table(parcels, c, lang)],
        figures=figures,
        headline=_disagree_headline(len(c.hit), figures["records_disagree_mu"], lang),
        notes=_disagree_notes(parcels, c, figures, lang),
    )
    if outside is None:
        return sec
    if zone is not None:
        sec.notes.append(
            f"供地范围外建筑不属于任何宗地，未列入 {zone} 的报告；见全区报告。" if lang == "zh" else
            f"Buildings on no supplied parcel belong to no sub-park and are not listed in the "
            f"report for {zone}; see the whole-zone report."
        )
        return sec
    out = _outside_supply(outside, lang)
    sec.tables += out.tables
    sec.figures.update(out.figures)
    sec.headline += out.headline
    sec.notes += out.notes
    return sec
