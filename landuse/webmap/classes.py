"""What each map layer shows: the class of every parcel in every layer, and the legend.

Pure functions: an assessed GeoDataFrame (and optionally the disposal ledger) in, class
indices and legend tables out. No folium, no files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from landuse import labels
from landuse.errors import SchemaError
from landuse.standard import code_label, get_standard

__all__ = [
    "ASSESSED_COLUMNS",
    "LAYERS",
    "LayerClass",
    "LayerSpec",
    "classify_layers",
    "current_disposals",
    "date_classes",
    "effective_ledger",
    "label",
    "ledger_as_of",
    "popup_records",
]

ASSESSED_COLUMNS = (
    "area_mu",
    "lifecycle",
    "idle_type",
    "overdue_days",
    "idle_fee_wan",
    "recovery_candidate",
    "low_efficiency",
    "failed_indicators",
    "mujun_class",
    "flags",
    "reasons",
)
"""The §3 columns the map shows; ``make_map`` refuses a frame without them."""

_INDICATOR: tuple[str, ...] = tuple(get_standard().codes["failed_indicator"])
"""Low-efficiency indicators in legend order: the standard's failed_indicator list."""

_FIELD_TITLES = {"stage": "lifecycle", "mujun": "mujun_class"}
"""Layers titled by the assessment field they show."""


def label(key: str, lang: str) -> str:
    """A word of the map (layer titles, generic classes) in ``lang``.

    Words are in ``landuse/data/words.toml`` (group ``map``); the layers of one assessment
    field (``stage``, ``mujun``) carry the field's label. Read through
    :func:`landuse.labels.label`; an unknown key is a SchemaError.
    """
    if key in _FIELD_TITLES:
        return labels.label("field", _FIELD_TITLES[key], lang)
    return labels.label("map", key, lang)


def _indicator_label(code: str, lang: str) -> str:
    return labels.label("failed_indicator", code, lang) if code in _INDICATOR else code


@dataclass
class LayerClass:
    """One legend entry: a class of a layer."""

    code: str
    label: str
    color: str
    count: int = 0
    mu: float = 0.0


@dataclass
class LayerSpec:
    """A thematic layer: key, title and ordered classes."""

    key: str
    title: str
    classes: list[LayerClass] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "classes": [
                {"code": c.code, "label": c.label, "color": c.color, "count": c.count,
                 "mu": round(c.mu, 2)}
                for c in self.classes
            ],
        }


LAYERS = ("stage", "idle", "low", "reclaim", "reclaim_date", "mujun")
"""Thematic layers, in the order of the layer control."""

_STAGE_COLORS = {
    "approved_unsupplied": "#9e9ac8",
    "supplied_unused": "#e31a1c",
    "used_incomplete": "#fd8d3c",
    "built_not_producing": "#fecc5c",
    "producing_below_target": "#41b6c4",
    "in_use": "#31a354",
    "unknown": "#bdbdbd",
}
_MUJUN_COLORS = {"A": "#1a9641", "B": "#a6d96a", "C": "#fdae61", "D": "#d7191c", "T": "#756bb1",
                 "N": "#bdbdbd"}
_METHOD_PALETTE = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
    "#a6761d", "#1f78b4", "#b15928", "#6a3d9a", "#33a02c",
]
_DATE_PALETTE = ["#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443", "#006837", "#004529"]
"""Disposal periods, oldest (light) to most recent (dark)."""
YEARS_MAX = 6
"""At most this many single-year classes; older disposals share one "… and earlier" class."""
_LOW_PALETTE = ["#8c510a", "#bf812d", "#dfc27d", "#80cdc1", "#35978f", "#01665e"]


def _norm_str(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def _split(v: Any) -> list[str]:
    s = _norm_str(v)
    return [p.strip() for p in s.split(";") if p.strip()] if s else []


def effective_ledger(ledger: pd.DataFrame, parcel_ids: pd.Series | None = None) -> pd.DataFrame:
    """The ledger with a ``superseded_by`` column; effective rows have it empty.

    A row is superseded when a later row names it in ``corrects``; chains of corrections
    resolve to the last one. Rows naming an unknown ``event_id`` in ``corrects``, or an
    unknown parcel (when ``parcel_ids`` is given), are errors, not guesses.
    """
    for col in ("event_id", "parcel_id", "event_date", "stage"):
        if col not in ledger.columns:
            raise SchemaError(
                f"ledger: required field '{col}' is missing. Fix: add the column "
                f"(see the parcel standard §2)."
            )
    led = ledger.copy()
    led["event_id"] = led["event_id"].astype(str)
    led["parcel_id"] = led["parcel_id"].astype(str)
    led["event_date"] = pd.to_datetime(led["event_date"], errors="coerce")
    ev: dict[Any, str] = dict(zip(led.index, led["event_id"], strict=True))
    bad_date = led["event_date"].isna()
    if bad_date.any():
        row = led.index[bad_date][0]
        raise SchemaError(
            f"ledger row {row} (event {ev[row]}): field 'event_date' is "
            f"missing or not a date. Fix: give the date as YYYY-MM-DD."
        )
    known = set(led["event_id"])
    corrects = led["corrects"] if "corrects" in led.columns else pd.Series(None, index=led.index)
    superseded: dict[str, str] = {}
    for row, target in corrects.items():
        t = _norm_str(target)
        if t is None:
            continue
        if t not in known:
            raise SchemaError(
                f"ledger row {row} (event {ev[row]}): field 'corrects' names "
                f"event '{t}', which is not in the ledger. Fix: correct the event id."
            )
        superseded[t] = ev[row]
    led["superseded_by"] = [superseded.get(e) for e in led["event_id"]]
    if parcel_ids is not None:
        ids = set(parcel_ids.astype(str))
        unknown = ~led["parcel_id"].isin(ids)
        if unknown.any():
            row = led.index[unknown][0]
            pid = str(led["parcel_id"][unknown].iloc[0])
            raise SchemaError(
                f"ledger row {row} (event {ev[row]}): field 'parcel_id' "
                f"'{pid}' is not a parcel of the register. Fix: correct "
                f"the parcel id or pass the matching register."
            )
    return led.sort_values(["parcel_id", "event_date", "event_id"], kind="stable")


def _require(gdf: pd.DataFrame) -> None:
    missing = [c for c in ("parcel_id", *ASSESSED_COLUMNS) if c not in gdf.columns]
    if missing:
        raise SchemaError(
            f"parcels: the map needs the assessment columns {', '.join(missing)}. "
            f"Fix: run the assessment first (landuse.rules.assess, or 'landuse map INPUT "
            f"--as-of DATE')."
        )


def classify_layers(
    gdf: pd.DataFrame, ledger: pd.DataFrame | None = None, lang: str = "zh"
) -> tuple[np.ndarray, list[LayerSpec], pd.DataFrame | None]:
    """Class index of every parcel in every thematic layer, and the legends.

    Returns ``(codes, specs, effective)``: ``codes`` is an int array of shape
    (n_parcels, len(LAYERS)) with -1 where the parcel is not drawn in that layer; ``specs``
    the layers with counts and 亩 per class; ``effective`` the ledger with its
    ``superseded_by`` column (None without a ledger).
    """
    _require(gdf)
    n = len(gdf)
    codes = np.full((n, len(LAYERS)), -1, dtype=np.int16)
    mu = pd.to_numeric(gdf["area_mu"], errors="coerce").fillna(0.0).to_numpy()
    specs: list[LayerSpec] = []

    def fill(j: int, spec: LayerSpec, keys: list[str | None]) -> None:
        index = {c.code: i for i, c in enumerate(spec.classes)}
        for row, k in enumerate(keys):
            if k is None:
                continue
            i = index[k]
            codes[row, j] = i
            spec.classes[i].count += 1
            spec.classes[i].mu += float(mu[row])
        specs.append(spec)

    # 1. 五未 stage
    spec = LayerSpec("stage", label("stage", lang), [
        LayerClass(c, labels.label("lifecycle", c, lang), col)
        for c, col in _STAGE_COLORS.items()
    ])
    keys: list[str | None] = []
    for v in gdf["lifecycle"]:
        s = _norm_str(v) or "unknown"
        if s not in _STAGE_COLORS:
            raise SchemaError(
                f"parcels: field 'lifecycle' has the unknown code '{s}'. Fix: use one of "
                f"{', '.join(_STAGE_COLORS)}."
            )
        keys.append(s)
    fill(0, spec, keys)

    # 2. idle by type and time overdue
    idle_classes = []
    for t, c1, c2 in (("not_started", "#fc9272", "#cb181d"), ("stalled", "#fdd0a2", "#d94801")):
        name = labels.label("idle_type", t, lang)
        idle_classes.append(LayerClass(f"{t}:1to2", f"{name} {label('1to2', lang)}", c1))
        idle_classes.append(LayerClass(f"{t}:over2", f"{name} {label('over2', lang)}", c2))
    spec = LayerSpec("idle", label("idle", lang), idle_classes)
    keys = []
    od = pd.to_numeric(gdf["overdue_days"], errors="coerce").to_numpy(dtype=float)
    rc = gdf["recovery_candidate"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    for row, v in enumerate(gdf["idle_type"]):
        t2 = _norm_str(v)
        if t2 in (None, "none"):
            keys.append(None)
            continue
        if t2 not in ("not_started", "stalled"):
            raise SchemaError(
                f"parcels: field 'idle_type' has the unknown code '{t2}' (parcel "
                f"{gdf['parcel_id'].iloc[row]}). Fix: use none, not_started or stalled."
            )
        over2 = od[row] >= 730 if not math.isnan(od[row]) else bool(rc[row])
        keys.append(f"{t2}:{'over2' if over2 else '1to2'}")
    fill(1, spec, keys)

    # 3. low efficiency by failed indicator
    low_classes = [
        LayerClass(k, _indicator_label(k, lang), _LOW_PALETTE[i])
        for i, k in enumerate(_INDICATOR)
    ]
    low_classes.append(LayerClass("multi", label("multi", lang), "#543005"))
    low_classes.append(LayerClass("unspecified", label("unspecified", lang), "#969696"))
    spec = LayerSpec("low", label("low", lang), low_classes)
    keys = []
    low = gdf["low_efficiency"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    for row, v in enumerate(gdf["failed_indicators"]):
        parts = _split(v)
        if not low[row] and not parts:
            keys.append(None)
        elif len(parts) > 1:
            keys.append("multi")
        elif parts and parts[0] in _INDICATOR:
            keys.append(parts[0])
        else:
            keys.append("unspecified")
    fill(2, spec, keys)

    # 4. reclaimed, from the effective ledger: by method, and (5) by disposal date
    effective = None
    methods = list(_method_codes())
    rec_classes = [
        LayerClass(m, labels.label("method", m, lang), _METHOD_PALETTE[i % len(_METHOD_PALETTE)])
        for i, m in enumerate(methods)
    ]
    rec_classes.append(LayerClass("no_method", label("no_method", lang), "#252525"))
    rec_classes.append(LayerClass("in_progress", label("in_progress", lang), "#bcbddc"))
    spec = LayerSpec("reclaim", label("reclaim", lang), rec_classes)
    keys = [None] * n
    date_keys: list[str | None] = [None] * n
    disposed: dict[str, tuple[pd.Timestamp, str | None]] = {}
    pos = {pid: i for i, pid in enumerate(gdf["parcel_id"].astype(str))}
    if ledger is not None and len(ledger):
        effective = effective_ledger(ledger, gdf["parcel_id"])
        disposed = current_disposals(effective)
        for pid in effective.loc[effective["superseded_by"].isna(), "parcel_id"].unique():
            where = pos[str(pid)]
            if pid in disposed:
                m = disposed[pid][1]
                keys[where] = m if m in methods else "no_method"
            else:
                keys[where] = "in_progress"
    fill(LAYERS.index("reclaim"), spec, keys)
    date_spec, period_of = date_classes([d for d, _ in disposed.values()], lang)
    for pid, (day, _m) in disposed.items():
        date_keys[pos[pid]] = period_of(day)
    fill(LAYERS.index("reclaim_date"), date_spec, date_keys)

    # 5. 亩均 class
    spec = LayerSpec("mujun", label("mujun", lang), [
        LayerClass(c, labels.label("mujun_class", c, lang, long=True), col)
        for c, col in _MUJUN_COLORS.items()
    ])
    keys = []
    for v in gdf["mujun_class"]:
        mj = _norm_str(v)
        keys.append(mj if mj in _MUJUN_COLORS else None)
    fill(LAYERS.index("mujun"), spec, keys)
    return codes, specs, effective


def current_disposals(effective: pd.DataFrame) -> dict[str, tuple[pd.Timestamp, str | None]]:
    """Parcels whose latest effective ledger event is ``disposed``: its date and method.

    ``effective`` is :func:`effective_ledger`'s output (sorted by parcel, date, event id);
    superseded rows are ignored, so a correction's date and method replace the original's.
    A parcel whose latest effective event is not ``disposed`` (disposal still in progress,
    or re-opened) is not in the result.
    """
    eff = effective[effective["superseded_by"].isna()]
    out: dict[str, tuple[pd.Timestamp, str | None]] = {}
    for pid, events in eff.groupby("parcel_id", sort=False):
        last = events.iloc[-1]
        if str(last["stage"]) == "disposed":
            out[str(pid)] = (pd.Timestamp(last["event_date"]), _norm_str(last.get("method")))
    return out


def _period_label(kind: str, year: int, q: int, lang: str) -> str:
    if kind == "q":
        return f"{year}年第{q}季度" if lang == "zh" else f"{year} Q{q}"
    if kind == "y":
        return f"{year}年" if lang == "zh" else str(year)
    return f"{year}年及以前" if lang == "zh" else f"{year} and earlier"


def date_classes(
    dates: list[pd.Timestamp], lang: str = "zh"
) -> tuple[LayerSpec, Any]:
    """Classes of the "reclaimed by date" layer, chosen from the disposal dates themselves.

    Rule (Y = the latest year with a disposal):

    * disposals in at most two calendar years (Y-1..Y): the four quarters of Y
      (``Y-Q1`` .. ``Y-Q4``) plus one class ``Y-1`` for the year before, so the most
      recent year is read quarter by quarter;
    * disposals over three or more years: one class per year, the latest
      :data:`YEARS_MAX` years, and one class ``<=Y-YEARS_MAX`` for everything older.

    Returns the layer (classes ordered oldest to newest, colours light to dark; counts
    still 0) and a function mapping a date to its class code. Without dates the layer has
    no classes.
    """
    spec = LayerSpec("reclaim_date", label("reclaim_date", lang))
    if not dates:
        return spec, lambda day: None
    years = [d.year for d in dates]
    last, first = max(years), min(years)
    defs: list[tuple[str, str]] = []
    if last - first <= 1:
        if first < last:
            defs.append((str(first), _period_label("y", first, 0, lang)))
        defs += [(f"{last}-Q{q}", _period_label("q", last, q, lang)) for q in range(1, 5)]

        def period_of(day: pd.Timestamp) -> str:
            return f"{last}-Q{(day.month - 1) // 3 + 1}" if day.year == last else str(day.year)
    else:
        oldest = max(first, last - YEARS_MAX + 1)
        if first < oldest:
            defs.append((f"<={oldest - 1}", _period_label("e", oldest - 1, 0, lang)))
        defs += [(str(y), _period_label("y", y, 0, lang)) for y in range(oldest, last + 1)]

        def period_of(day: pd.Timestamp) -> str:
            return str(day.year) if day.year >= oldest else f"<={oldest - 1}"
    k = len(defs)
    top = len(_DATE_PALETTE) - 1
    for i, (code, text) in enumerate(defs):
        color = _DATE_PALETTE[round(i * top / (k - 1)) if k > 1 else top]
        spec.classes.append(LayerClass(code, text, color))
    return spec, period_of


def _method_codes() -> list[str]:
    from landuse.standard import get_standard

    return list(get_standard().codes["method"])


def _fmt_date(v: Any) -> str | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    try:
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    except (ValueError, TypeError):
        return str(v)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def popup_records(
    gdf: pd.DataFrame, effective: pd.DataFrame | None, lang: str = "zh"
) -> list[dict[str, Any]]:
    """One small record per parcel for its popup (short keys keep the page small).

    Disposed parcels (latest effective ledger event ``disposed``) also carry ``rd``, the
    disposal date (YYYY-MM-DD), and ``rm``, the method's label.
    """
    history: dict[str, list[list[Any]]] = {}
    disposed = current_disposals(effective) if effective is not None else {}
    if effective is not None:
        for r in effective.itertuples(index=False):
            method = _norm_str(getattr(r, "method", None))
            area = _num(getattr(r, "area_m2", None))
            history.setdefault(str(r.parcel_id), []).append([
                _fmt_date(r.event_date),
                code_label("stage", str(r.stage), lang),
                code_label("method", method, lang) if method else None,
                round(area / (10000 / 15), 2) if area is not None else None,
                _norm_str(getattr(r, "new_holder", None)),
                _norm_str(getattr(r, "note", None)),
                _norm_str(r.superseded_by),
                str(r.event_id),
            ])
    out = []
    n = len(gdf)
    zone = gdf["zone"].tolist() if "zone" in gdf.columns else [None] * n
    holder = gdf["holder"].tolist() if "holder" in gdf.columns else [None] * n
    for i, row in enumerate(gdf.itertuples(index=False)):
        pid = str(row.parcel_id)
        idle = _norm_str(row.idle_type)
        failed = [_indicator_label(k, lang) for k in _split(row.failed_indicators)]
        od = _num(row.overdue_days)
        out.append({
            "id": pid,
            "h": _norm_str(holder[i]),
            "z": _norm_str(zone[i]),
            "mu": round(_num(row.area_mu) or 0.0, 2),
            "st": code_label("lifecycle", _norm_str(row.lifecycle) or "unknown", lang),
            "it": code_label("idle_type", idle, lang) if idle else None,
            "od": int(od) if od is not None else None,
            "fee": _num(row.idle_fee_wan),
            "fi": failed,
            "mj": _norm_str(row.mujun_class),
            **_mujun_popup(row, lang),
            "fl": _split(row.flags),
            "r": _norm_str(row.reasons),
            "lh": history.get(pid, []),
        })
        if pid in disposed:
            day, method = disposed[pid]
            out[-1]["rd"] = _fmt_date(day)
            out[-1]["rm"] = code_label("method", method, lang) if method else None
    return out


def _mujun_popup(row: Any, lang: str) -> dict[str, Any]:
    """The popup's 亩均 words: class label, scheme (规上/规下) and the rated enterprise."""
    mj = _norm_str(row.mujun_class)
    scheme = _norm_str(getattr(row, "mujun_scheme", None))
    return {
        "mjl": code_label("mujun_class", mj, lang) if mj else None,
        "ms": code_label("mujun_scheme", scheme, lang) if scheme else None,
        "en": _norm_str(getattr(row, "enterprise", None)),
    }


def ledger_as_of(ledger: pd.DataFrame | None, as_of: str | None) -> pd.DataFrame | None:
    """The ledger as it stood on ``as_of``: events dated later are left out.

    Unreadable dates are kept, so that the ledger check still reports them.
    """
    if ledger is None or not as_of or "event_date" not in ledger.columns:
        return ledger
    try:
        limit = pd.Timestamp(as_of)
    except (ValueError, TypeError) as e:
        raise SchemaError(f"as_of '{as_of}' is not a date. Fix: give YYYY-MM-DD.") from e
    dates = pd.to_datetime(ledger["event_date"], errors="coerce")
    return ledger[~(dates > limit)]
