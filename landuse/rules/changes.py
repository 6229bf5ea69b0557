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

from string import Formatter
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
from landuse.rules.reasons import CHANGE_SENTENCES, change_sentence
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
    in_b = set(b.index)
    # only registered parent ids are parsed (a missing one is no parent)
    given = a["parent_ids"][a["parent_ids"].notna()] if "parent_ids" in a else a["parcel_id"][:0]
    parents_of = {i: parse_parent_ids(v) for i, v in given.items()}
    successors: dict[str, list[str]] = {}
    for kid, ps in parents_of.items():
        if kid not in in_b:
            for p in ps:
                successors.setdefault(p, []).append(kid)
    order = _candidates(a, b)
    t = _Compared(a, b, pd.Index(order, dtype=object), lang)
    found = _transitions(t, [len(parents_of.get(pid, ())) for pid in order])
    closing = _closing_events(ledger, d1, d2)
    cleared = np.flatnonzero(found["idle_cleared"])
    supply = t.some_a("supply_date", cleared), t.some_b("supply_date", cleared)
    failed = t.some_a("failed_indicators", np.flatnonzero(found["low_efficiency_found"]))
    sep = "、" if lang == "zh" else ", "
    fill = _Fill(len(order), lang, {
        "date_from": _day(d1, lang), "date_to": _day(d2, lang),
        "parents": lambda i: sep.join(parents_of.get(order[i], ())),
        "successors": lambda i: sep.join(successors.get(order[i], ())),
        "holder_from": lambda i: t.holder_b[i] or "—",
        "holder_to": lambda i: t.holder_a[i] or "—",
        "lifecycle_from": lambda i: t.lab("lifecycle", t.lifecycle_b[i]),
        "lifecycle_to": lambda i: t.lab("lifecycle", t.lifecycle_a[i]),
        "idle_from": lambda i: t.lab("idle_type", t.idle_b[i]),
        "idle_to": lambda i: t.lab("idle_type", t.idle_a[i]),
        "failed_to": lambda i: _failed(failed[i], lang),
        "mujun_from": lambda i: t.lab("mujun_class", t.mujun_b[i]),
        "mujun_to": lambda i: t.lab("mujun_class", t.mujun_a[i]),
    })
    for key, rows in found.items():
        for i in np.flatnonzero(rows).tolist():
            if key == "idle_cleared":  # which of the three: judged row by row (few rows)
                _clear(fill, t, i, str(order[i]), (supply[0][i], supply[1][i]), d1, closing)
            elif key == "retired":
                kids = successors.get(order[i], [])
                multi = kids and any(len(parents_of[k]) > 1 for k in kids)
                fill.one("retired" if not kids else "retired:merged" if multi else
                         "retired:split", i)
            else:
                fill.one(key, i)
    keep = np.flatnonzero(fill.any())
    ids = [order[i] for i in keep]
    has_a, has_b = t.has_a[keep], t.has_b[keep]
    data: dict[str, Any] = {
        "parcel_id": ids,
        "transitions": fill.codes(keep),
        "holder_from": t.holder_b[keep].tolist(),
        "holder_to": t.holder_a[keep].tolist(),
        "lifecycle_from": t.lifecycle_b[keep].tolist(),
        "lifecycle_to": t.lifecycle_a[keep].tolist(),
        "idle_type_from": t.idle_b[keep].tolist(),
        "idle_type_to": t.idle_a[keep].tolist(),
        "low_efficiency_from": _or_none(t.low_b[keep], has_b),
        "low_efficiency_to": _or_none(t.low_a[keep], has_a),
        "mujun_class_from": t.mujun_b[keep].tolist(),
        "mujun_class_to": t.mujun_a[keep].tolist(),
        "parent_ids": [";".join(parents_of.get(pid, [])) or None for pid in ids],
        "successors": [";".join(successors.get(pid, [])) or None for pid in ids],
        "area_mu": [float(v) for v in np.where(has_a, t.at_a("area_mu", keep),
                                               t.at_b("area_mu", keep))],
        "reasons": fill.sentences(keep),
    }
    geoms = np.where(has_a, t.at_a("geometry", keep), t.at_b("geometry", keep)).tolist()
    # as the rows' records would build it (no row: every column object)
    out = (pd.DataFrame(data, columns=list(CHANGE_COLUMNS)) if ids else
           pd.DataFrame([], columns=list(CHANGE_COLUMNS)))
    gdf = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=after.crs),
                           crs=after.crs)
    gdf.attrs["changes"] = {"from": d1.date().isoformat(), "to": d2.date().isoformat()}
    return gdf


class _Compared:
    """The compared fields of the candidate rows on both dates, column by column: text as
    ``str`` or ``None`` (also where the parcel is not registered that date), flags as
    Python ``bool``; ``has_a`` / ``has_b`` where the parcel is registered on the second /
    first date."""

    def __init__(self, a: pd.DataFrame, b: pd.DataFrame, order: pd.Index, lang: str) -> None:
        self._a, self._b, self.lang = a, b, lang
        self.pos_a = a.index.get_indexer(order)
        self.pos_b = b.index.get_indexer(order)
        self.has_a, self.has_b = self.pos_a >= 0, self.pos_b >= 0
        self.holder_a, self.holder_b = self._texts("holder")
        self.lifecycle_a, self.lifecycle_b = self._texts("lifecycle")
        self.idle_a, self.idle_b = self._texts("idle_type")
        self.mujun_a, self.mujun_b = self._texts("mujun_class")
        self.low_a = self.has_a & _truth(_values(a, self.pos_a, "low_efficiency"))
        self.low_b = self.has_b & _truth(_values(b, self.pos_b, "low_efficiency"))
        self._words: dict[tuple[str, str], str] = {}

    def _texts(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return _texts(self._a, self.pos_a, name), _texts(self._b, self.pos_b, name)

    def some_a(self, name: str, rows: np.ndarray) -> dict[int, Any]:
        """Field ``name`` on the second date of the few ``rows`` that need it, by row."""
        return dict(zip(rows.tolist(), self.at_a(name, rows), strict=True))

    def some_b(self, name: str, rows: np.ndarray) -> dict[int, Any]:
        return dict(zip(rows.tolist(), self.at_b(name, rows), strict=True))

    def at_a(self, name: str, rows: np.ndarray) -> np.ndarray:
        return _values(self._a, self.pos_a[rows], name)

    def at_b(self, name: str, rows: np.ndarray) -> np.ndarray:
        return _values(self._b, self.pos_b[rows], name)

    def lab(self, kind: str, t: Any) -> str:
        """The label of code ``t`` (once per code), "—" for none."""
        if t is None:
            return "—"
        if (kind, t) not in self._words:
            self._words[kind, t] = label(kind, t, self.lang)
        return self._words[kind, t]


def _transitions(t: _Compared, n_parents: list[int]) -> dict[str, np.ndarray]:
    """Per sentence key, in the order a row lists its transitions, the rows that have it;
    ``idle_cleared`` (which of its three is judged row by row) in its place."""
    both = t.has_a & t.has_b
    new = t.has_a & ~t.has_b
    npar = np.asarray(n_parents, dtype=np.int64)
    idle_a = t.has_a & np.isin(t.idle_a, IDLE)
    idle_b = t.has_b & np.isin(t.idle_b, IDLE)
    return {
        "split": new & (npar == 1),
        "merged": new & (npar > 1),
        "added": new & (npar == 0),
        "retired": t.has_b & ~t.has_a,  # its variant by its successors, row by row
        "holder_changed": both & _ne(t.holder_a, t.holder_b),
        "idle_new": idle_a & ~idle_b & t.has_b,
        "idle_new:added": idle_a & ~idle_b & ~t.has_b,
        "idle_cleared": idle_b & both & ~idle_a,
        "stage_moved": both & _ne(t.lifecycle_a, t.lifecycle_b),
        "low_efficiency_found": t.low_a & ~t.low_b,
        "low_efficiency_cured": t.low_b & t.has_a & ~t.low_a,
        "mujun_class_moved": (both & _given(t.mujun_a) & _given(t.mujun_b)
                              & _ne(t.mujun_a, t.mujun_b)),
    }


def _clear(fill: _Fill, t: _Compared, i: int, pid: str, supply: tuple[Any, Any],
           d1: pd.Timestamp, closing: dict[str, tuple[pd.Timestamp, str]]) -> None:
    """Idle on the first date, not on the second: re-supplied (a new supply after the first
    date), else disposed (a closing disposal between the dates), else started."""
    sa, sb = supply
    lang = t.lang
    if pd.notna(sa) and pd.Timestamp(sa) > d1 and (pd.isna(sb) or sa != sb):
        fill.one("idle_cleared_resupplied", i, supply_to=_day(sa, lang))
    elif pid in closing:
        day, m = closing[pid]
        fill.one("idle_cleared_disposed", i, event_date=_day(day, lang),
                 method=t.lab("method", m) if m else "—")
    else:
        fill.one("idle_cleared_started", i)


class _Fill:
    """Each row's transition codes and sentences, added key by key in the row's order.

    ``values`` gives each ``{name}`` of the sentences: a text, or a function of the row;
    a sentence is written once per distinct set of the values it names."""

    def __init__(self, n: int, lang: str, values: dict[str, Any]) -> None:
        self._lang, self._values = lang, values
        self._codes: list[list[str]] = [[] for _ in range(n)]
        self._said: list[list[str]] = [[] for _ in range(n)]
        self._names: dict[str, list[str]] = {}
        self._memo: dict[tuple[Any, ...], str] = {}

    def _fields(self, key: str) -> list[str]:
        if key not in self._names:
            zh, en = CHANGE_SENTENCES[key]
            text = zh if self._lang == "zh" else en
            self._names[key] = [f for _, f, _, _ in Formatter().parse(text) if f]
        return self._names[key]

    def one(self, key: str, i: int, **given: str) -> None:
        """Transition ``key`` (``code`` or ``code:variant``) of row ``i``."""
        vals = tuple(given[f] if f in given else self._value(f, i) for f in self._fields(key))
        memo = (key, *vals)
        if memo not in self._memo:
            self._memo[memo] = change_sentence(key, self._lang,
                                               **dict(zip(self._fields(key), vals, strict=True)))
        self._codes[i].append(key.split(":")[0])
        self._said[i].append(self._memo[memo])

    def _value(self, name: str, i: int) -> str:
        v = self._values[name]
        return v if isinstance(v, str) else v(i)

    def any(self) -> np.ndarray:
        return np.fromiter((bool(c) for c in self._codes), dtype=bool, count=len(self._codes))

    def codes(self, rows: np.ndarray) -> list[str]:
        return [";".join(self._codes[i]) for i in rows]

    def sentences(self, rows: np.ndarray) -> list[str]:
        return ["".join(self._said[i]) for i in rows]


def _values(frame: pd.DataFrame, pos: np.ndarray, name: str) -> np.ndarray:
    """Column ``name`` at rows ``pos`` as Python values, as ``Series.tolist`` gives them
    (``None`` where ``pos`` is -1, NaN for every row if the frame has no such column)."""
    out = np.full(len(pos), None, dtype=object)
    ok = pos >= 0
    if name not in frame.columns:
        out[ok] = np.nan
    elif ok.any():
        col = frame[name].take(pos[ok])
        if isinstance(col.dtype, gpd.array.GeometryDtype):  # the shapely objects themselves
            out[ok] = np.asarray(col.array, dtype=object)
        else:
            out[ok] = np.fromiter(col.tolist(), dtype=object, count=int(ok.sum()))
    return out


def _texts(frame: pd.DataFrame, pos: np.ndarray, name: str) -> np.ndarray:
    """:func:`_text` of column ``name`` at rows ``pos`` (``None`` where ``pos`` is -1); a
    column of strings is converted as a whole (its values are ``str`` or missing)."""
    if name in frame.columns and isinstance(frame[name].dtype, pd.StringDtype):
        out = np.full(len(pos), None, dtype=object)
        ok = pos >= 0
        col = frame[name].take(pos[ok])
        out[ok] = col.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
        return out
    values = _values(frame, pos, name)
    return np.fromiter((_text(v) for v in values), dtype=object, count=len(values))


def _truth(values: np.ndarray) -> np.ndarray:
    return np.fromiter((bool(v) for v in values), dtype=bool, count=len(values))


def _ne(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elementwise ``!=`` of two object arrays of ``str`` or ``None``."""
    return np.asarray(x != y, dtype=bool)


def _given(x: np.ndarray) -> np.ndarray:
    return np.fromiter((v is not None for v in x), dtype=bool, count=len(x))


def _or_none(flags: np.ndarray, present: np.ndarray) -> list[bool | None]:
    return [bool(f) if p else None for f, p in zip(flags, present, strict=True)]


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
