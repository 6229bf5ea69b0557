"""What changed between two dates: one row per parcel that changed, with its transitions.

Pure: two assessed registers in (the register valid on the first date assessed as of it,
the register valid on the second assessed as of it) and the ledger, a frame out. The
transitions are the codes of list ``transition`` of the parcel standard; their sentences
are in :data:`landuse.rules.reasons.CHANGE_SENTENCES`.

* lineage: ``split`` / ``merged`` (a new parcel naming one / several parents in
  ``parent_ids``), ``added`` (a new parcel without parents), ``retired`` (a parcel no
  longer in the register; its successors are the parcels naming it as parent);
* ``holder_changed``: 用地单位 differs;
* idle land (《闲置土地处置办法》 Art. 2, as the assessment finds it, ``idle_type``):
  ``idle_new`` (idle on the second date, not on the first or not registered), and idle on
  the first date but not on the second: ``idle_cleared_resupplied`` (a new supply after the
  first date), else ``idle_cleared_disposed`` (a closing disposal in the ledger between the
  dates: an auction completed, or disposed by a closing method), else
  ``idle_cleared_started``;
* ``stage_moved`` (五未 ``lifecycle`` differs), ``low_efficiency_found`` /
  ``low_efficiency_cured``, ``mujun_class_moved`` (亩均 class differs, both rated).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.core.area import shared_areas_m2
from landuse.core.values import parse_parent_ids
from landuse.labels import label
from landuse.ledger import apply_corrections, closes
from landuse.report.text import day_text
from landuse.rules.assess import assess_fields
from landuse.rules.reasons import change_sentence
from landuse.rules.ruleset import Ruleset
from landuse.standard import get_standard

__all__ = ["CHANGE_COLUMNS", "COMPARED_INPUTS", "changes", "changes_between", "summarise_changes"]

IDLE = ("not_started", "stalled")

_KEEP = ("holder", "lifecycle", "idle_type", "low_efficiency", "mujun_class",
         "failed_indicators", "supply_date", "area_mu")

CHANGE_COLUMNS = (
    "parcel_id", "transitions", "holder_from", "holder_to", "lifecycle_from",
    "lifecycle_to", "idle_type_from", "idle_type_to", "low_efficiency_from",
    "low_efficiency_to", "mujun_class_from", "mujun_class_to", "parent_ids", "successors",
    "area_mu", "reasons",
)
"""The columns of :func:`changes` (before the geometry)."""


def _text(v: Any) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return str(v)


def _day(v: Any, lang: str) -> str:
    return day_text(pd.Timestamp(v), lang)


def _closing_events(ledger: pd.DataFrame | None, d1: pd.Timestamp,
                    d2: pd.Timestamp) -> dict[str, tuple[pd.Timestamp, str]]:
    """parcel id -> (date, method) of its last closing disposal after ``d1`` up to ``d2``."""
    if ledger is None or not len(ledger):
        return {}
    led = apply_corrections(ledger)
    dates = pd.to_datetime(led["event_date"], errors="coerce")
    method = led["method"] if "method" in led else pd.Series([None] * len(led))
    ok = np.array([closes(s, m) for s, m in zip(led["stage"], method, strict=True)],
                  dtype=bool)
    sel = ok & (dates > d1).to_numpy() & (dates <= d2).to_numpy()
    out: dict[str, tuple[pd.Timestamp, str]] = {}
    for pid, d, m in sorted(zip(led["parcel_id"][sel].astype(str), dates[sel],
                                method[sel], strict=True), key=lambda t: t[1]):
        out[pid] = (d, "" if _text(m) is None else str(m))
    return out


def changes(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, date_from: str,
            date_to: str, ledger: pd.DataFrame | None = None,
            lang: str = "zh") -> gpd.GeoDataFrame:
    """One row per parcel that changed between ``date_from`` and ``date_to``.

    Parameters
    ----------
    before, after : geopandas.GeoDataFrame
        The register valid on ``date_from`` assessed as of it, and the register valid on
        ``date_to`` assessed as of it (:func:`landuse.rules.assess`), in one CRS.
    ledger : pandas.DataFrame, optional
        The disposal ledger (corrections applied here), for ``idle_cleared_disposed``.
    lang : {"zh", "en"}
        Language of ``reasons``.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`CHANGE_COLUMNS` and the parcel's outline (on ``date_to``, or on
        ``date_from`` for a retired parcel); ``transitions`` holds the codes separated by
        ``;``. No row for a parcel that did not change.
    """
    d1, d2 = pd.Timestamp(date_from), pd.Timestamp(date_to)
    b = before.set_index(_ids(before), drop=False)
    a = after.set_index(_ids(after), drop=False)
    in_b, in_a = set(b.index), set(a.index)
    # only registered parent ids are parsed (a missing one is no parent)
    given = a["parent_ids"][a["parent_ids"].notna()] if "parent_ids" in a else a["parcel_id"][:0]
    parents_of = {i: parse_parent_ids(v) for i, v in given.items()}
    successors: dict[str, list[str]] = {}
    for kid, ps in parents_of.items():
        if kid not in in_b:
            for p in ps:
                successors.setdefault(p, []).append(kid)
    closing = _closing_events(ledger, d1, d2)
    words = {"date_from": _day(d1, lang), "date_to": _day(d2, lang)}

    words_of: dict[tuple[str, str], str] = {}

    def lab(kind: str, v: Any) -> str:
        t = _text(v)
        if t is None:
            return "—"
        if (kind, t) not in words_of:
            words_of[kind, t] = label(kind, t, lang)
        return words_of[kind, t]

    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    order = _candidates(a, b)
    cols = [c for c in (*_KEEP, "parent_ids", "geometry") if c in a.columns or c in b.columns]
    rec_a = _records(a, [i for i in order if i in in_a], cols)
    rec_b = _records(b, [i for i in order if i in in_b], cols)
    for pid in order:
        ra = rec_a.get(pid)
        rb = rec_b.get(pid)
        found: list[tuple[str, str]] = []  # (transition, sentence key)
        val: dict[str, str] = dict(words)
        if rb is None and ra is not None:
            ps = parents_of.get(pid, [])
            val["parents"] = "、".join(ps) if lang == "zh" else ", ".join(ps)
            found.append(("split", "split") if len(ps) == 1 else
                         ("merged", "merged") if ps else ("added", "added"))
        elif ra is None and rb is not None:
            kids = successors.get(pid, [])
            val["successors"] = "、".join(kids) if lang == "zh" else ", ".join(kids)
            multi = kids and any(len(parents_of[k]) > 1 for k in kids)
            found.append(("retired", "retired" if not kids else
                          "retired:merged" if multi else "retired:split"))
        if ra is not None and rb is not None:
            hb, ha = _text(rb["holder"]), _text(ra["holder"])
            if hb != ha:
                val |= {"holder_from": hb or "—", "holder_to": ha or "—"}
                found.append(("holder_changed", "holder_changed"))
        idle_b = rb is not None and rb["idle_type"] in IDLE
        idle_a = ra is not None and ra["idle_type"] in IDLE
        if ra is not None:
            val |= {"lifecycle_to": lab("lifecycle", ra["lifecycle"]),
                    "idle_to": lab("idle_type", ra["idle_type"]),
                    "holder_to": val.get("holder_to", _text(ra["holder"]) or "—")}
        if rb is not None:
            val |= {"lifecycle_from": lab("lifecycle", rb["lifecycle"]),
                    "idle_from": lab("idle_type", rb["idle_type"])}
        if idle_a and not idle_b:
            found.append(("idle_new", "idle_new" if rb is not None else "idle_new:added"))
        if idle_b and ra is not None and rb is not None and not idle_a:
            sa, sb = ra.get("supply_date"), rb.get("supply_date")
            if pd.notna(sa) and pd.Timestamp(sa) > d1 and (pd.isna(sb) or sa != sb):
                val["supply_to"] = _day(sa, lang)
                found.append(("idle_cleared_resupplied", "idle_cleared_resupplied"))
            elif pid in closing:
                day, m = closing[pid]
                val |= {"event_date": _day(day, lang),
                        "method": lab("method", m) if m else "—"}
                found.append(("idle_cleared_disposed", "idle_cleared_disposed"))
            else:
                found.append(("idle_cleared_started", "idle_cleared_started"))
        if ra is not None and rb is not None:
            if _text(ra["lifecycle"]) != _text(rb["lifecycle"]):
                found.append(("stage_moved", "stage_moved"))
        low_a = ra is not None and bool(ra["low_efficiency"])
        low_b = rb is not None and bool(rb["low_efficiency"])
        if low_a and ra is not None and not low_b:
            val["failed_to"] = _failed(ra["failed_indicators"], lang)
            found.append(("low_efficiency_found", "low_efficiency_found"))
        if low_b and ra is not None and not low_a:
            found.append(("low_efficiency_cured", "low_efficiency_cured"))
        if ra is not None and rb is not None:
            ma, mb = _text(ra["mujun_class"]), _text(rb["mujun_class"])
            if ma is not None and mb is not None and ma != mb:
                val |= {"mujun_from": label("mujun_class", mb, lang),
                        "mujun_to": label("mujun_class", ma, lang)}
                found.append(("mujun_class_moved", "mujun_class_moved"))
        if not found:
            continue
        r = ra if ra is not None else rb
        assert r is not None
        rows.append({
            "parcel_id": pid,
            "transitions": ";".join(t for t, _ in found),
            "holder_from": None if rb is None else _text(rb["holder"]),
            "holder_to": None if ra is None else _text(ra["holder"]),
            "lifecycle_from": None if rb is None else _text(rb["lifecycle"]),
            "lifecycle_to": None if ra is None else _text(ra["lifecycle"]),
            "idle_type_from": None if rb is None else _text(rb["idle_type"]),
            "idle_type_to": None if ra is None else _text(ra["idle_type"]),
            "low_efficiency_from": None if rb is None else bool(rb["low_efficiency"]),
            "low_efficiency_to": None if ra is None else bool(ra["low_efficiency"]),
            "mujun_class_from": None if rb is None else _text(rb["mujun_class"]),
            "mujun_class_to": None if ra is None else _text(ra["mujun_class"]),
            "parent_ids": ";".join(parents_of.get(pid, [])) or None,
            "successors": ";".join(successors.get(pid, [])) or None,
            "area_mu": float(r["area_mu"]),
            "reasons": "".join(change_sentence(k, lang, **val) for _, k in found),
        })
        geoms.append(r["geometry"])
    out = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    gdf = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=after.crs),
                           crs=after.crs)
    gdf.attrs["changes"] = {"from": d1.date().isoformat(), "to": d2.date().isoformat()}
    return gdf


COMPARED_INPUTS = ("parcel_id", "holder", "supply_date", "parent_ids")
"""The register's fields :func:`changes` reads besides the assessment's."""


def changes_between(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, date_from: str,
                    date_to: str, ledger: pd.DataFrame | None = None,
                    ruleset: Ruleset | str | None = None,
                    lang: str = "zh") -> gpd.GeoDataFrame:
    """:func:`changes` of two registers, each assessed as of its date.

    The same as ``changes(assess(before, date_from, ruleset), assess(after, date_to,
    ruleset), date_from, date_to, ledger, lang)``, with every parcel judged on both dates
    (a parcel that did not change in the register may still become idle), but a parcel
    whose outline is identical on both dates is measured once
    (:func:`landuse.core.area.shared_areas_m2`, the same bytes) and the assessments write
    no ``reasons`` (:func:`landuse.rules.assess.assess_fields`): :func:`changes` reads
    none, it writes its own.

    Parameters
    ----------
    before, after : geopandas.GeoDataFrame
        The register valid on ``date_from`` and the one valid on ``date_to``, in one CRS.
    ledger, lang
        As for :func:`changes`.
    ruleset : Ruleset or path, optional
        The rules (default the national ruleset).
    """
    keep = list(COMPARED_INPUTS)
    m2_before, m2_after = _areas(before, after)
    a1 = assess_fields(before, date_from, ruleset, keep=keep, area_m2=m2_before)
    a2 = assess_fields(after, date_to, ruleset, keep=keep, area_m2=m2_after)
    return changes(a1, a2, date_from, date_to, ledger=ledger, lang=lang)


def _areas(before: gpd.GeoDataFrame,
           after: gpd.GeoDataFrame) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Both registers' areas, an outline identical on both dates measured once; ``None``
    (each measured by its assessment, which then says what is wrong) where a register has
    no ids or no CRS."""
    if any("parcel_id" not in f.columns or f.crs is None for f in (before, after)):
        return None, None
    return shared_areas_m2(before.geometry, after.geometry, _ids(before), _ids(after))


def _records(frame: pd.DataFrame, ids: list[str], cols: list[str]) -> Mapping[str, dict[str, Any]]:
    """Rows ``ids`` of ``frame`` as ``{id: {column: value}}`` (Python values, missing
    columns as NaN), column by column rather than row by row; each row's dict is made when
    it is asked for, not all held at once."""
    sub = frame.reindex(columns=cols).loc[ids]
    return _Rows(ids, cols, [sub[c].tolist() for c in cols])


class _Rows(Mapping[str, dict[str, Any]]):
    """Rows by id over one list of values per column."""

    def __init__(self, ids: list[str], cols: list[str], lists: list[list[Any]]) -> None:
        self._at = {pid: k for k, pid in enumerate(ids)}
        self._cols = cols
        self._lists = lists

    def __getitem__(self, pid: str) -> dict[str, Any]:
        k = self._at[pid]
        return dict(zip(self._cols, [values[k] for values in self._lists], strict=True))

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


def _candidates(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Ids that may have changed, in output order (the second register's order, then the
    retired): in one register only, or differing in a compared field (vectorised; the
    row-by-row pass decides)."""
    compared = ["holder", "lifecycle", "idle_type", "low_efficiency", "mujun_class",
                "supply_date"]
    common = a.index.intersection(b.index)
    A, B = a[compared].loc[common], b[compared].loc[common]
    differ = np.zeros(len(common), dtype=bool)
    for c in compared:
        differ |= _differ(A[c], B[c])
    first = a.index.isin(common[differ]) | ~a.index.isin(b.index)
    return a.index[first].tolist() + b.index[~b.index.isin(a.index)].tolist()


def _ids(frame: pd.DataFrame) -> pd.Index:
    """The parcel ids as an index of Python strings."""
    return pd.Index(frame["parcel_id"].astype(str).to_numpy(dtype=object), dtype=object)


def _differ(x: pd.Series, y: pd.Series) -> np.ndarray:
    """Where two aligned columns differ: one missing and the other not, or both given and
    unequal (both missing is no difference)."""
    nx, ny = x.isna().to_numpy(dtype=bool), y.isna().to_numpy(dtype=bool)
    both = ~nx & ~ny
    if x.dtype == y.dtype and x.dtype != object:
        ne = (x != y).to_numpy(dtype=bool, na_value=False)
    else:
        ne = np.not_equal(x.astype(object).to_numpy(), y.astype(object).to_numpy())
    return (nx ^ ny) | (both & np.asarray(ne, dtype=bool))


def _failed(v: Any, lang: str) -> str:
    codes = [c for c in str(_text(v) or "").split(";") if c]
    sep = "、" if lang == "zh" else ", "
    return sep.join(label("failed_indicator", c, lang) for c in codes) or "—"


def summarise_changes(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Parcels and 亩 per transition, in the order of list ``transition`` of the standard:
    ``transition`` (code), its label in ``lang``, ``parcels`` and ``area_mu`` (a parcel
    with several transitions counts in each)."""
    codes = list(get_standard().codes["transition"])
    per = frame[["transitions", "area_mu"]].assign(
        transition=frame["transitions"].str.split(";")).explode("transition")
    g = per.groupby("transition")["area_mu"].agg(["count", "sum"])
    return pd.DataFrame({
        "transition": codes,
        "label": [label("transition", c, lang) for c in codes],
        "parcels": [int(g["count"].get(c, 0)) for c in codes],
        "area_mu": [round(float(g["sum"].get(c, 0.0)), 2) for c in codes],
    })
