"""What each map layer shows: the class of every parcel in every layer, and the legend.

Pure functions: an assessed GeoDataFrame (and optionally the disposal ledger) in, class
indices and legend tables out. No folium, no files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from landuse import labels
from landuse.errors import SchemaError
from landuse.standard import code_label, get_standard

__all__ = [
    "ASSESSED_COLUMNS",
    "CLASS_INPUTS",
    "LAYERS",
    "ROW_LAYERS",
    "LayerClass",
    "LayerSpec",
    "changed_rows",
    "classify_layers",
    "current_disposals",
    "date_classes",
    "effective_ledger",
    "label",
    "ledger_as_of",
    "patch_layers",
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


def _text(values: Any) -> pa.Array:
    """Cells as trimmed text, null where missing or blank (what :func:`_norm_str` makes of
    one cell), as one Arrow array: the layers are classified without a Python call per
    row."""
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    try:
        arr = pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: read cell by cell
        arr = pa.array([_norm_str(v) for v in s], type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _index_in(arr: pa.Array, codes: Sequence[str]) -> np.ndarray:
    """Position of each cell of ``arr`` in ``codes``; -1 where null or not one of them."""
    idx = pc.index_in(arr, value_set=pa.array(list(codes), type=pa.string()))
    return np.asarray(idx.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _objects(values: Any) -> np.ndarray:
    """Cells as an object array of ``str`` (for hashed look-ups)."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    return s.astype(str).to_numpy(dtype=object)


def effective_ledger(ledger: pd.DataFrame,
                     parcel_ids: pd.Series | pd.Index | None = None) -> pd.DataFrame:
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
    ev = led["event_id"].to_numpy(dtype=object)
    bad_date = led["event_date"].isna().to_numpy()
    if bad_date.any():
        k = int(np.flatnonzero(bad_date)[0])
        raise SchemaError(
            f"ledger row {led.index[k]} (event {ev[k]}): field 'event_date' is "
            f"missing or not a date. Fix: give the date as YYYY-MM-DD."
        )
    superseded: dict[str, str] = {}
    if "corrects" in led.columns:
        target = _text(led["corrects"]).to_numpy(zero_copy_only=False)
        named = np.flatnonzero(pd.notna(target))
        if len(named):
            known = pd.Series(target[named], dtype=object).isin(ev).to_numpy()
            if not known.all():
                k = int(named[np.flatnonzero(~known)[0]])
                raise SchemaError(
                    f"ledger row {led.index[k]} (event {ev[k]}): field 'corrects' names "
                    f"event '{target[k]}', which is not in the ledger. Fix: correct the "
                    f"event id."
                )
            # a later row naming the same event wins
            superseded = dict(zip(target[named].tolist(), ev[named].tolist(), strict=True))
    led["superseded_by"] = [superseded.get(e) for e in ev.tolist()] if superseded \
        else [None] * len(led)
    if parcel_ids is not None:
        pids = led["parcel_id"].to_numpy(dtype=object)
        if isinstance(parcel_ids, pd.Index) and parcel_ids.is_unique:  # indexed already
            unknown = parcel_ids.get_indexer(pd.Index(pids, dtype=object)) < 0
        else:
            unknown = ~pd.Series(pids, dtype=object).isin(_objects(parcel_ids)).to_numpy()
        if unknown.any():
            k = int(np.flatnonzero(unknown)[0])
            raise SchemaError(
                f"ledger row {led.index[k]} (event {ev[k]}): field 'parcel_id' "
                f"'{pids[k]}' is not a parcel of the register. Fix: correct "
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


ROW_LAYERS = ("stage", "idle", "low", "mujun")
"""The layers whose class a parcel's own assessment gives (the other two, reclaimed by
method and by date, come from the ledger)."""

CLASS_INPUTS = ("lifecycle", "idle_type", "overdue_days", "recovery_candidate",
                "low_efficiency", "failed_indicators", "mujun_class")
"""The assessment columns the classes of :data:`ROW_LAYERS` are read from."""

_IDLE_TYPES = ("not_started", "stalled")


def _stage_codes(gdf: pd.DataFrame) -> np.ndarray:
    keys = _text(gdf["lifecycle"]).fill_null("unknown")
    idx = _index_in(keys, list(_STAGE_COLORS))
    if (idx < 0).any():
        bad = keys[int(np.flatnonzero(idx < 0)[0])].as_py()
        raise SchemaError(
            f"parcels: field 'lifecycle' has the unknown code '{bad}'. Fix: use one of "
            f"{', '.join(_STAGE_COLORS)}."
        )
    return idx


def _idle_codes(gdf: pd.DataFrame) -> np.ndarray:
    """Idle type by time overdue: ``2 * type + over2`` (the order of the idle classes)."""
    keys = _text(gdf["idle_type"])
    idx = _index_in(keys, _IDLE_TYPES)
    drawn = pc.fill_null(pc.not_equal(keys, "none"), False).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(drawn & (idx < 0))
    if len(bad):
        k = int(bad[0])
        raise SchemaError(
            f"parcels: field 'idle_type' has the unknown code '{keys[k].as_py()}' (parcel "
            f"{gdf['parcel_id'].iloc[k]}). Fix: use none, not_started or stalled."
        )
    od = pd.to_numeric(gdf["overdue_days"], errors="coerce").to_numpy(dtype=float,
                                                                        na_value=np.nan)
    rc = gdf["recovery_candidate"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    over2 = np.where(np.isnan(od), rc, od >= 730)
    return np.where(idx >= 0, 2 * idx + over2, -1)


def _low_codes(gdf: pd.DataFrame) -> np.ndarray:
    """The failed indicator (one), ``multi`` (several) or ``unspecified`` (low efficiency
    without a known indicator); -1 where not low and none failed."""
    n = len(gdf)
    k = len(_INDICATOR)
    lists = pc.split_pattern(_text(gdf["failed_indicators"]).fill_null(""), ";")
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    part = np.flatnonzero(pc.not_equal(flat, "").to_numpy(zero_copy_only=False))
    count = np.bincount(parent[part], minlength=n)
    rows, first = np.unique(parent[part], return_index=True)
    first_idx = np.full(n, -1, dtype=np.int64)
    first_idx[rows] = _index_in(flat.take(pa.array(part[first])), _INDICATOR)
    low = gdf["low_efficiency"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    one = (count == 1) & (first_idx >= 0)
    out = np.full(n, k + 1, dtype=np.int64)  # unspecified
    out[one] = first_idx[one]
    out[count > 1] = k  # multi
    out[~low & (count == 0)] = -1
    return out


def _mujun_codes(gdf: pd.DataFrame) -> np.ndarray:
    return _index_in(_text(gdf["mujun_class"]), list(_MUJUN_COLORS))


def _row_codes(gdf: pd.DataFrame) -> np.ndarray:
    """Class index of each parcel in each of :data:`ROW_LAYERS` (shape n × 4)."""
    return np.column_stack([_stage_codes(gdf), _idle_codes(gdf), _low_codes(gdf),
                            _mujun_codes(gdf)]).reshape(len(gdf), len(ROW_LAYERS))


def _row_specs(lang: str) -> dict[str, LayerSpec]:
    """The legends of :data:`ROW_LAYERS` (counts still 0)."""
    stage = LayerSpec("stage", label("stage", lang), [
        LayerClass(c, labels.label("lifecycle", c, lang), col)
        for c, col in _STAGE_COLORS.items()
    ])
    idle_classes = []
    for t, c1, c2 in (("not_started", "#fc9272", "#cb181d"), ("stalled", "#fdd0a2", "#d94801")):
        name = labels.label("idle_type", t, lang)
        idle_classes.append(LayerClass(f"{t}:1to2", f"{name} {label('1to2', lang)}", c1))
        idle_classes.append(LayerClass(f"{t}:over2", f"{name} {label('over2', lang)}", c2))
    low_classes = [
        LayerClass(k, _indicator_label(k, lang), _LOW_PALETTE[i])
        for i, k in enumerate(_INDICATOR)
    ]
    low_classes.append(LayerClass("multi", label("multi", lang), "#543005"))
    low_classes.append(LayerClass("unspecified", label("unspecified", lang), "#969696"))
    mujun = LayerSpec("mujun", label("mujun", lang), [
        LayerClass(c, labels.label("mujun_class", c, lang, long=True), col)
        for c, col in _MUJUN_COLORS.items()
    ])
    return {"stage": stage, "idle": LayerSpec("idle", label("idle", lang), idle_classes),
            "low": LayerSpec("low", label("low", lang), low_classes), "mujun": mujun}


def _ledger_layers(
    gdf: pd.DataFrame, ledger: pd.DataFrame | None, lang: str, ids: pd.Index | None = None
) -> tuple[np.ndarray, LayerSpec, LayerSpec, pd.DataFrame | None]:
    """The reclaimed layers from the effective ledger: by method and by disposal date
    (whose classes depend on every disposal's date). Returns their codes (n × 2), the two
    legends and the effective ledger. ``ids``: ``gdf``'s parcel ids (str, unique) when
    the caller has them indexed already."""
    n = len(gdf)
    codes = np.full((n, 2), -1, dtype=np.int64)
    methods = _method_codes()
    rec_classes = [
        LayerClass(m, labels.label("method", m, lang), _METHOD_PALETTE[i % len(_METHOD_PALETTE)])
        for i, m in enumerate(methods)
    ]
    rec_classes.append(LayerClass("no_method", label("no_method", lang), "#252525"))
    rec_classes.append(LayerClass("in_progress", label("in_progress", lang), "#bcbddc"))
    rec_spec = LayerSpec("reclaim", label("reclaim", lang), rec_classes)
    effective = None
    disposed: dict[str, tuple[pd.Timestamp, str | None]] = {}
    where = np.zeros(0, dtype=np.int64)
    if ledger is not None and len(ledger):
        effective = effective_ledger(ledger, gdf["parcel_id"] if ids is None else ids)
        disposed = current_disposals(effective)
        pos = pd.Series(np.arange(n), index=_objects(gdf["parcel_id"]) if ids is None else ids)
        if ids is None:
            pos = pos[~pos.index.duplicated(keep="last")]
        live = pd.unique(effective.loc[effective["superseded_by"].isna(), "parcel_id"]
                         .to_numpy(dtype=object))
        codes[pos.reindex(live).to_numpy(dtype=np.int64), 0] = len(methods) + 1  # in progress
        if disposed:
            index = {m: i for i, m in enumerate(methods)}
            where = pos.reindex(list(disposed)).to_numpy(dtype=np.int64)
            codes[where, 0] = [len(methods) if m is None else index.get(m, len(methods))
                               for _, m in disposed.values()]
    date_spec, period_of = date_classes([d for d, _ in disposed.values()], lang)
    if disposed:
        at = {c.code: i for i, c in enumerate(date_spec.classes)}
        codes[where, 1] = [at[period_of(day)] for day, _ in disposed.values()]
    return codes, rec_spec, date_spec, effective


def _assemble(gdf: pd.DataFrame, row_codes: np.ndarray, ledger: pd.DataFrame | None,
              lang: str, ids: pd.Index | None = None,
              ) -> tuple[np.ndarray, list[LayerSpec], pd.DataFrame | None]:
    """All layers' codes and legends (counts and 亩 per class) from the row layers' codes."""
    led_codes, rec_spec, date_spec, effective = _ledger_layers(gdf, ledger, lang, ids)
    by_key = {**_row_specs(lang), "reclaim": rec_spec, "reclaim_date": date_spec}
    codes = np.full((len(gdf), len(LAYERS)), -1, dtype=np.int16)
    for j, key in enumerate(ROW_LAYERS):
        codes[:, LAYERS.index(key)] = row_codes[:, j]
    codes[:, LAYERS.index("reclaim")] = led_codes[:, 0]
    codes[:, LAYERS.index("reclaim_date")] = led_codes[:, 1]
    mu = pd.to_numeric(gdf["area_mu"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    specs = [by_key[key] for key in LAYERS]
    for j, spec in enumerate(specs):
        drawn = codes[:, j] >= 0
        k = len(spec.classes)
        counts = np.bincount(codes[drawn, j], minlength=k)
        # added in register order, as a sum row by row would
        mus = np.bincount(codes[drawn, j], weights=mu[drawn], minlength=k)
        for i, c in enumerate(spec.classes):
            c.count, c.mu = int(counts[i]), float(mus[i])
    return codes, specs, effective


def classify_layers(
    gdf: pd.DataFrame, ledger: pd.DataFrame | None = None, lang: str = "zh"
) -> tuple[np.ndarray, list[LayerSpec], pd.DataFrame | None]:
    """Class index of every parcel in every thematic layer, and the legends.

    Returns ``(codes, specs, effective)``: ``codes`` is an int array of shape
    (n_parcels, len(LAYERS)) with -1 where the parcel is not drawn in that layer; ``specs``
    the layers with counts and 亩 per class; ``effective`` the ledger with its
    ``superseded_by`` column (None without a ledger). Column by column (Arrow compute and
    numpy), without a Python call per parcel.
    """
    _require(gdf)
    return _assemble(gdf, _row_codes(gdf), ledger, lang)


def patch_layers(
    codes: np.ndarray, gdf: pd.DataFrame, rows: np.ndarray,
    ledger: pd.DataFrame | None = None, lang: str = "zh", ids: pd.Index | None = None,
) -> tuple[np.ndarray, list[LayerSpec], pd.DataFrame | None]:
    """:func:`classify_layers` of ``gdf`` from the classes ``codes`` of an earlier
    version of it (same parcels, same order) where only the parcels at positions ``rows``
    may have changed: their classes in :data:`ROW_LAYERS` are read again, the others'
    kept; the two reclaimed layers are made from the ledger (their date classes depend on
    every disposal); the legends' counts and 亩 are summed again.

    Equals ``classify_layers(gdf, ledger, lang)`` when every parcel outside ``rows`` has
    the :data:`CLASS_INPUTS` it had when ``codes`` were made (:func:`changed_rows`).
    ``ids``: ``gdf``'s parcel ids as str, when the caller has them indexed already (not
    indexed again per call).
    """
    _require(gdf)
    if codes.shape != (len(gdf), len(LAYERS)):
        raise SchemaError(
            f"parcels: {len(gdf)} parcels, but the earlier classes are of {codes.shape[0]}. "
            "Fix: classify the parcels whole (classify_layers).")
    rows = np.asarray(rows, dtype=np.int64)
    row_codes = codes[:, [LAYERS.index(k) for k in ROW_LAYERS]].astype(np.int64)
    if len(rows):
        row_codes[rows] = _row_codes(gdf.iloc[rows])
    return _assemble(gdf, row_codes, ledger, lang,
                     ids if ids is not None and ids.is_unique else None)


def changed_rows(before: pd.DataFrame, after: pd.DataFrame) -> np.ndarray:
    """Positions of the parcels whose :data:`CLASS_INPUTS` differ between two versions of
    an assessment with the same parcels in the same order (missing equals missing)."""
    n = len(after)
    if len(before) != n:
        raise SchemaError(f"parcels: {len(before)} parcels before, {n} after. Fix: classify "
                          "the parcels whole (classify_layers).")
    diff = np.zeros(n, dtype=bool)
    for c in CLASS_INPUTS:
        a, b = before[c], after[c]
        if a is b:
            continue
        try:
            x = pa.array(a, from_pandas=True)
            y = pa.array(b, type=x.type, from_pandas=True)
            same = pc.or_(pc.fill_null(pc.equal(x, y), False),
                          pc.and_(pc.is_null(x), pc.is_null(y)))
            diff |= ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            diff |= np.array([not (u == v or (pd.isna(u) and pd.isna(v)))
                              for u, v in zip(a.tolist(), b.tolist(), strict=True)],
                             dtype=bool)
    return np.flatnonzero(diff)


def current_disposals(effective: pd.DataFrame) -> dict[str, tuple[pd.Timestamp, str | None]]:
    """Parcels whose latest effective ledger event is ``disposed``: its date and method.

    ``effective`` is :func:`effective_ledger`'s output (sorted by parcel, date, event id);
    superseded rows are ignored, so a correction's date and method replace the original's.
    A parcel whose latest effective event is not ``disposed`` (disposal still in progress,
    or re-opened) is not in the result.
    """
    eff = effective[effective["superseded_by"].isna()]
    last = eff.drop_duplicates("parcel_id", keep="last")
    done = last[last["stage"].astype(str).to_numpy(dtype=object) == "disposed"]
    methods = done["method"].tolist() if "method" in done.columns else [None] * len(done)
    return {str(pid): (pd.Timestamp(day), _norm_str(m)) for pid, day, m in zip(
        done["parcel_id"].tolist(), done["event_date"].tolist(), methods, strict=True)}


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
    n = len(gdf)

    def text(col: str) -> list[str | None]:  # the column's cells as _norm_str reads them
        return _text(gdf[col]).to_pylist() if col in gdf.columns else [None] * n

    def numbers(col: str) -> list[float | None]:
        vals = pd.to_numeric(gdf[col], errors="coerce").astype(float).tolist()
        return [None if math.isnan(v) else v for v in vals]

    def labelled(kind: str, cells: Sequence[str | None]) -> list[str | None]:
        words = {v: code_label(kind, v, lang) for v in set(cells) if v}
        return [words[v] if v else None for v in cells]

    def parts(cells: Sequence[str | None], word: Any = None) -> list[list[str]]:
        split = {v: [word(k) if word else k for k in _split(v)] for v in set(cells) if v}
        return [list(split[v]) if v else [] for v in cells]

    ids = gdf["parcel_id"].astype(str).tolist()
    idle, mj, scheme = text("idle_type"), text("mujun_class"), text("mujun_scheme")
    stage = [v or "unknown" for v in text("lifecycle")]
    cols = {
        "id": ids, "h": text("holder"), "z": text("zone"),
        "mu": [round(v or 0.0, 2) for v in numbers("area_mu")],
        "st": labelled("lifecycle", stage), "it": labelled("idle_type", idle),
        "od": [None if v is None else int(v) for v in numbers("overdue_days")],
        "fee": numbers("idle_fee_wan"),
        "fi": parts(text("failed_indicators"), lambda k: _indicator_label(k, lang)),
        "mj": mj, "mjl": labelled("mujun_class", mj), "ms": labelled("mujun_scheme", scheme),
        "en": text("enterprise"), "fl": parts(text("flags")), "r": text("reasons"),
    }
    keys = list(cols)
    out = [dict(zip(keys, row, strict=True)) for row in zip(*cols.values(), strict=True)]
    for rec, pid in zip(out, ids, strict=True):
        rec["lh"] = history.get(pid, [])
        if pid in disposed:
            day, method = disposed[pid]
            rec["rd"] = _fmt_date(day)
            rec["rm"] = code_label("method", method, lang) if method else None
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
