"""The column-wise helpers of :mod:`landuse.rules.changes` equal the row-by-row definitions
they replace (a random synthetic register with missing values in every kind of column), and
:func:`~landuse.rules.changes.changes` equals its row-by-row definition, kept here as the
reference, on random pairs of assessed registers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from landuse.core.values import parse_parent_ids
from landuse.labels import label
from landuse.rules.changes import (
    _KEEP,
    CHANGE_COLUMNS,
    IDLE,
    _candidates,
    _closing_events,
    _day,
    _differ,
    _failed,
    _ids,
    _text,
    changes,
)
from landuse.rules.reasons import change_sentence


def _column(kind: str, n: int, rng: np.random.Generator) -> pd.Series:
    miss = rng.random(n) < 0.3
    if kind == "text":
        s = pd.Series([f"单位{v}" for v in rng.integers(0, 3, n)], dtype="string[pyarrow]")
    elif kind == "date":
        s = pd.Series(pd.Timestamp("2022-01-01")
                      + pd.to_timedelta(rng.integers(0, 3, n), "D"))
    elif kind == "bool":
        s = pd.Series(rng.random(n) < 0.5, dtype="boolean")
    elif kind == "real":
        s = pd.Series(rng.integers(0, 3, n).astype(float))
    else:
        s = pd.Series([str(v) for v in rng.integers(0, 3, n)], dtype=object)
    return s.mask(miss)


def _by_rows(x: pd.Series, y: pd.Series) -> np.ndarray:
    """The definition: missing as None, then Python's ``!=`` value by value."""
    u = x.astype(object).where(x.notna(), None).to_numpy()
    v = y.astype(object).where(y.notna(), None).to_numpy()
    return np.array([a != b for a, b in zip(u, v, strict=True)], dtype=bool)


@pytest.mark.parametrize("kind", ["text", "date", "bool", "real", "object"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_differ_equals_the_row_by_row_definition(kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = _column(kind, 400, rng), _column(kind, 400, rng)
    got = _differ(x, y)
    assert got.tolist() == _by_rows(x, y).tolist()
    assert got.any() and not got.all()  # the draw has both outcomes


def test_differ_across_kinds() -> None:
    """A column all missing in one register (read as object) against a typed one."""
    x = pd.Series(["A", None, "B"], dtype="string[pyarrow]")
    y = pd.Series([None, None, "B"], dtype=object)
    assert _differ(x, y).tolist() == [True, False, False]


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


def _changes_by_row(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, date_from: str,
            date_to: str, ledger: pd.DataFrame | None = None,
            lang: str = "zh") -> gpd.GeoDataFrame:
    """The row-by-row definition (as it stood before the columns were compared whole)."""
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


LIFE = ["supplied_unused", "used_incomplete", "in_use", None]
IDLES = ["not_started", "stalled", "none", None]
MUJUN = ["A", "B", "C", "D", None]
FAILED = [None, "far", "far;tax_per_mu"]


def _register(ids: list[str], rng: np.random.Generator, parents: dict[str, str],
              holder_dtype: str) -> gpd.GeoDataFrame:
    n = len(ids)

    def pick(values: list[Any]) -> list[Any]:
        return [values[k] for k in rng.integers(0, len(values), n)]

    supply = pd.Series(pd.Timestamp("2022-01-01")
                       + pd.to_timedelta(rng.integers(0, 900, n), "D")).mask(
                           rng.random(n) < 0.2)
    df = pd.DataFrame({
        "parcel_id": ids,
        "holder": pd.Series(pick(["甲", "乙", "丙", None]), dtype=holder_dtype),
        "lifecycle": pd.Series(pick(LIFE), dtype="str"),
        "idle_type": pd.Series(pick(IDLES), dtype="str"),
        "low_efficiency": rng.random(n) < 0.3,
        "mujun_class": pd.Series(pick(MUJUN), dtype="str"),
        "failed_indicators": pd.Series(pick(FAILED), dtype="str"),
        "supply_date": supply,
        "area_mu": rng.uniform(1, 100, n).round(3),
        "parent_ids": pd.Series([parents.get(i) for i in ids], dtype="str"),
    })
    geoms = [shapely.box(k, 0, k + 1, 1) for k in range(n)]
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4490")


def _pair(seed: int, holder_dtype: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame,
                                                 pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"P{k}" for k in range(300)]
    split, merged = ids[:10], ids[10:20]
    kept = [i for i in ids[20:] if rng.random() > 0.1]  # the others retired, no successor
    parents = {f"{p}-{k}": p for p in split for k in (1, 2)}
    parents |= {f"M{k}": f"{merged[2 * k]};{merged[2 * k + 1]}" for k in range(5)}
    new = [*parents, *(f"N{k}" for k in range(15)), "Z"]
    parents["Z"] = "GONE"  # a parent never registered
    later = list(rng.permutation(kept + new))
    before = _register(ids, rng, {}, holder_dtype)
    after = _register(later, rng, parents, holder_dtype)
    # most kept parcels keep their fields, so that rows without a change are many
    same = [i for i in kept if rng.random() < 0.6]
    a, b = after.set_index("parcel_id"), before.set_index("parcel_id")
    for c in ("holder", "lifecycle", "idle_type", "low_efficiency", "mujun_class",
              "supply_date"):
        a.loc[same, c] = b.loc[same, c]
    # and half the others their supply date, so that idle land cleared is not re-supplied
    supplied = [i for i in kept if i not in same and rng.random() < 0.5]
    a.loc[supplied, "supply_date"] = b.loc[supplied, "supply_date"]
    after = a.reset_index()[after.columns]
    events = rng.choice(ids, 200)
    ledger = pd.DataFrame({
        "event_id": [f"L{k}" for k in range(200)],
        "parcel_id": events,
        "event_date": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1000, 200),
                                                                     "D"),
        "stage": [["investigating", "disposed", "disposed", "auction_completed"][k]
                  for k in rng.integers(0, 4, 200)],
        "method": [[None, "merger", "extend_start", "free_recovery"][k]
                   for k in rng.integers(0, 4, 200)],
        "corrects": [None] * 200,
    })
    return before, after, ledger


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_changes_equal_the_row_by_row_definition(seed: int, lang: str) -> None:
    holder_dtype = "str" if seed % 2 else "object"
    before, after, ledger = _pair(seed, holder_dtype)
    got = changes(before, after, "2022-06-30", "2024-06-30", ledger=ledger, lang=lang)
    want = _changes_by_row(before, after, "2022-06-30", "2024-06-30", ledger=ledger, lang=lang)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs == want.attrs
    # every kind of transition is drawn, so each branch is compared
    seen = set(";".join(got["transitions"]).split(";"))
    assert {"split", "merged", "added", "retired", "holder_changed", "idle_new",
            "idle_cleared_started", "idle_cleared_disposed", "idle_cleared_resupplied",
            "stage_moved", "low_efficiency_found",
            "low_efficiency_cured", "mujun_class_moved"} <= seen, seen


def test_changes_of_registers_without_a_change_equal_the_definition() -> None:
    before, _, _ = _pair(5, "str")
    got = changes(before, before, "2022-06-30", "2024-06-30")
    want = _changes_by_row(before, before, "2022-06-30", "2024-06-30")
    assert len(got) == 0
    pd.testing.assert_frame_equal(got, want, check_exact=True)
