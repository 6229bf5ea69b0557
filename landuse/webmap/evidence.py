"""The map's evidence layers: records vs imagery, and built-up share before/after (pure).

:func:`evidence_layers` turns the output of :func:`landuse.evidence.run_evidence` (§4 of
the parcel standard) into extra thematic layers for :func:`landuse.webmap.make_map`:

* ``evidence``: every parcel with evidence, coloured by its ``records_disagree`` flag
  (several flags, warnings only, or records and imagery agree);
* ``ev_after`` (titled with ``evidence_date``): built-up share of the (latest) raster;
* with two dates (``builtup_share_before`` / ``builtup_change``): ``ev_before`` (titled
  with ``evidence_date_before``) and ``ev_change``, the change in built-up share.

and gives each parcel's popup its evidence (observed shares, footprint, flags and the
reason sentences in the map's language). Parcels absent from the evidence are not drawn
in these layers; evidence for a parcel that is not on the map is an error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from landuse.labels import label
from landuse.report.evidence import check_evidence, reason_in
from landuse.report.text import day_text
from landuse.report.text import label as report_label
from landuse.webmap.classes import LayerClass, LayerSpec

__all__ = ["EVIDENCE_LAYERS", "evidence_layers"]

EVIDENCE_LAYERS = ("evidence", "ev_before", "ev_after", "ev_change")
"""Keys of the evidence layers (those present depend on the evidence given)."""

_FLAG_COLORS = {
    "built_but_recorded_unstarted": "#d7191c",
    "bare_but_recorded_completed": "#a6611a",
    "footprint_mismatch": "#7b3294",
}


_SHARE_BINS = ((0.1, "#ffffcc"), (0.3, "#fecc5c"), (0.6, "#fd8d3c"), (math.inf, "#bd0026"))
_SHARE_LABELS = ("< 10%", "10–30%", "30–60%", "≥ 60%")
_CHANGE = (("decrease", "#2c7bb6"), ("stable", "#d9d9d9"), ("rise", "#fdae61"),
           ("rise_big", "#d7191c"))


def _w(key: str, lang: str, **kw: str) -> str:
    """The evidence layer's words (``words.toml`` [map], keys ``evidence_*``)."""
    return label("map", f"evidence_{key}", lang).format(**kw)


def _day(d: str | None, lang: str) -> str | None:
    """An imagery date as the layer names show it (2023年10月31日 in Chinese)."""
    if not d:
        return None
    try:
        return day_text(pd.Timestamp(d), lang)
    except ValueError:
        return d  # not a date (a raster's own tag): shown as it is


def _codes(v: Any) -> list[str]:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return []
    return [c.strip() for c in str(v).split(";") if c.strip()]


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _one_date(ev: pd.DataFrame, col: str) -> str | None:
    if col not in ev.columns:
        return None
    d = pd.to_datetime(ev[col], errors="coerce").dropna()
    if d.empty:
        return None
    days = sorted({x.date().isoformat() for x in d})
    return days[0] if len(days) == 1 else f"{days[0]}…{days[-1]}"


def _column(ev: pd.DataFrame, col: str) -> np.ndarray:
    if col not in ev.columns:
        return np.full(len(ev), np.nan)
    return pd.to_numeric(ev[col], errors="coerce").to_numpy(dtype=float)


def evidence_layers(
    parcels: pd.DataFrame, evidence: pd.DataFrame, lang: str, mu: np.ndarray
) -> tuple[np.ndarray, list[LayerSpec], list[dict[str, Any] | None], dict[str, Any]]:
    """Class codes, legends and popup parts of the evidence layers.

    Returns ``(codes, specs, popups, dates)``: ``codes`` (n_parcels, n_layers) with -1
    where a parcel is not drawn; ``specs`` the layers (with counts and 亩 per class);
    ``popups`` one dict per parcel (None without evidence); ``dates`` the before/after
    dates shown (``{"before": ..., "after": ...}``, None when unknown).
    """
    ev = check_evidence(evidence, parcels["parcel_id"])
    ev = ev.set_index("parcel_id")
    ids = parcels["parcel_id"].astype(str).to_numpy()
    pos = ev.index.get_indexer(pd.Index(ids))  # -1: parcel without evidence
    n = len(ids)
    has = pos >= 0

    def take(col: str) -> np.ndarray:
        vals = _column(ev, col)
        out = np.full(n, np.nan)
        out[has] = vals[pos[has]]
        return out

    def take_obj(col: str) -> list[Any]:
        vals = ev[col].tolist() if col in ev.columns else [None] * len(ev)
        return [vals[p] if p >= 0 else None for p in pos]

    built = take("builtup_share")
    before = take("builtup_share_before")
    change = take("builtup_change")
    flags = [_codes(v) for v in take_obj("records_disagree")]
    warns = [_codes(v) for v in take_obj("evidence_warnings")]
    reasons = take_obj("evidence_reasons")
    two_dates = bool(np.isfinite(before).any() or np.isfinite(change).any())
    d_after = _one_date(ev, "evidence_date")
    d_before = _one_date(ev, "evidence_date_before")

    specs: list[LayerSpec] = []
    columns: list[np.ndarray] = []

    def add(spec: LayerSpec, keys: list[str | None]) -> None:
        index = {c.code: i for i, c in enumerate(spec.classes)}
        col = np.full(n, -1, dtype=np.int16)
        for row, k in enumerate(keys):
            if k is None:
                continue
            i = index[k]
            col[row] = i
            spec.classes[i].count += 1
            spec.classes[i].mu += float(mu[row])
        specs.append(spec)
        columns.append(col)

    # records vs imagery
    classes = [LayerClass(c, report_label("records_disagree", c, lang), col)
               for c, col in _FLAG_COLORS.items()]
    classes += [LayerClass("multi", _w("multi", lang), "#3f007d"),
                LayerClass("warn", _w("warn", lang), "#fee08b"),
                LayerClass("agree", _w("agree", lang), "#a6d96a")]
    keys: list[str | None] = []
    for i in range(n):
        if not has[i]:
            keys.append(None)
        elif len(flags[i]) > 1:
            keys.append("multi")
        elif flags[i]:
            keys.append(flags[i][0] if flags[i][0] in _FLAG_COLORS else "multi")
        elif warns[i]:
            keys.append("warn")
        else:
            keys.append("agree")
    add(LayerSpec("evidence", _w("evidence", lang), classes), keys)

    def share_layer(key: str, title: str, values: np.ndarray) -> None:
        cls = [LayerClass(f"s{j}", lab, col)
               for j, ((_, col), lab) in enumerate(zip(_SHARE_BINS, _SHARE_LABELS, strict=True))]
        ks: list[str | None] = []
        for v in values:
            if not math.isfinite(v):
                ks.append(None)
                continue
            j = next(j for j, (hi, _) in enumerate(_SHARE_BINS) if v < hi)
            ks.append(f"s{j}")
        add(LayerSpec(key, title, cls), ks)

    after_name = _day(d_after, lang) or _w("after_nodate", lang)
    before_name = _day(d_before, lang) or _w("before_nodate", lang)
    if two_dates:
        share_layer("ev_before", _w("before", lang, d=before_name), before)
    if np.isfinite(built).any():
        share_layer("ev_after", _w("after" if two_dates else "single", lang, d=after_name),
                    built)
    if two_dates:
        cls = [LayerClass(k, _w(k, lang), col) for k, col in _CHANGE]
        ks: list[str | None] = []
        for v in change:
            if not math.isfinite(v):
                ks.append(None)
            elif v <= -0.1:
                ks.append("decrease")
            elif v < 0.1:
                ks.append("stable")
            elif v < 0.3:
                ks.append("rise")
            else:
                ks.append("rise_big")
        add(LayerSpec("ev_change", _w("change", lang, d0=before_name, d1=after_name), cls), ks)

    # popups
    shares = {k: take(c) for k, c in (("b", "builtup_share"), ("ba", "bare_share"),
                                       ("v", "vegetation_share"), ("w", "water_share"),
                                       ("nd", "ndvi_mean"), ("fp", "observed_footprint_m2"),
                                       ("cov", "observed_coverage"))}
    dates = take_obj("evidence_date")
    popups: list[dict[str, Any] | None] = []
    for i in range(n):
        if not has[i]:
            popups.append(None)
            continue
        rec: dict[str, Any] = {}
        for k, arr in shares.items():
            v = _num(arr[i])
            if v is not None:
                rec[k] = round(v, 1) if k == "fp" else round(v, 4)
        if two_dates:
            for k, arr in (("bb", before), ("bc", change)):
                v = _num(arr[i])
                if v is not None:
                    rec[k] = round(v, 4)
        d = pd.to_datetime(dates[i], errors="coerce")
        rec["d"] = None if pd.isna(d) else d.date().isoformat()
        rec["d0"] = d_before if two_dates else None
        rec["dis"] = [report_label("records_disagree", c, lang) for c in flags[i]]
        rec["dc"] = flags[i]
        rec["wn"] = [report_label("evidence_warning", c, lang) for c in warns[i]]
        rec["r"] = reason_in(reasons[i], lang)
        popups.append(rec)
    codes = np.column_stack(columns) if columns else np.zeros((n, 0), dtype=np.int16)
    return codes.astype(np.int16), specs, popups, {"before": _day(d_before, lang),
                                                   "after": _day(d_after, lang)}
