"""Register versions: what a new register changes in a store, and the checks it must pass.

A store keeps every version of every parcel in table ``parcel_history`` (append-only): one
row per change of a parcel with the date it took effect (``valid_from``, valid time) and the
time it was recorded (``recorded_at``, record time, UTC). The register as it stood on a date
V, as known at a time K, is for each parcel its last row with ``valid_from <= V`` and
``recorded_at <= K``, unless that row retires it. Because a parcel's versions may only
take effect in the order they are recorded (:func:`check_effective`), "last" is simply the
highest row number.

This module is pure: it compares the stored register (values as stored) with a new one
(:func:`landuse.store.prepare.prepare_parcels`) and checks the new version; the SQL engine
(:mod:`landuse.store.sql`) writes what it finds.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.core.values import parse_parent_ids
from landuse.errors import SchemaError
from landuse.store.schema import COLLECTIONS

__all__ = [
    "CHANGES",
    "SINCE_ALWAYS",
    "SPLIT_AREA_TOLERANCE",
    "RegisterDiff",
    "check_effective",
    "check_known_at",
    "check_lineage",
    "diff_register",
    "known_at_iso",
]

SINCE_ALWAYS = "0001-01-01"
"""``valid_from`` of a register loaded without an effective date: valid since always."""

CHANGES = ("added", "changed", "retired")
"""What a row of ``parcel_history`` records about its parcel."""

SPLIT_AREA_TOLERANCE = 1.005
"""The parts of a split may together measure up to 0.5 % more than their parent (digitising
error), as a ledger event may claim up to 0.5 % more than its parcel."""

def known_at_iso(value: str | dt.date | dt.datetime | None) -> str | None:
    """A record time as stored (ISO 8601 UTC with microseconds); None stays None (now).

    A date means the end of that day (UTC): everything recorded on it is known. A time
    without a zone is UTC.

    Examples
    --------
    >>> known_at_iso("2023-10-31")
    '2023-10-31T23:59:59.999999+00:00'
    >>> known_at_iso("2023-10-31T08:00:00+08:00")
    '2023-10-31T00:00:00.000000+00:00'
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        t = value
    elif isinstance(value, dt.date):
        t = dt.datetime.combine(value, dt.time.max)
    else:
        text = str(value).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                t = dt.datetime.combine(dt.date.fromisoformat(text), dt.time.max)
            else:
                t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise SchemaError(
                f"known-at: '{value}' is not a date or time. Fix: write YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM:SS (UTC unless it names its zone)."
            ) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).isoformat(timespec="microseconds")


def check_known_at(known_at: str | None, created_at: str | None, where: str) -> None:
    """Refuse a record time before the store existed (SchemaError naming both)."""
    if known_at is not None and created_at is not None and known_at < created_at:
        raise SchemaError(
            f"known-at {known_at}: {where} was made at {created_at}; nothing was recorded "
            f"before. Fix: give a time from {created_at[:10]} on, or leave --known-at out "
            "(now)."
        )


@dataclass
class RegisterDiff:
    """What a new register changes: ids added (never stored, or retired and back), ids
    whose fields or outline changed (field names, ``geometry`` for the outline), ids
    retired (stored, current, absent from the new register)."""

    added: list[str] = field(default_factory=list)
    readded: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)

    @property
    def touched(self) -> list[str]:
        """Every id the version changes."""
        return [*self.added, *self.readded, *self.changed, *self.retired]

    def counts(self) -> dict[str, int]:
        """Parcels per kind of change (``added`` includes the re-added)."""
        return {"added": len(self.added) + len(self.readded), "changed": len(self.changed),
                "retired": len(self.retired)}


def _canon_extra(v: Any) -> str | None:
    if v is None:
        return None
    obj = json.loads(v) if isinstance(v, str) else v
    return json.dumps(obj, sort_keys=True, ensure_ascii=False) if obj else None


def _differs(kind: str, old: pd.Series, new: pd.Series) -> np.ndarray:
    """Element-wise: the stored value ``old`` differs from the new ``new`` (None = None)."""
    if kind in ("real", "int"):
        a = pd.to_numeric(old, errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(new, errors="coerce").to_numpy(dtype=float)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        return ~same
    if kind == "bool":
        def code(s: pd.Series) -> np.ndarray:
            return np.array([-1 if v is None or v is pd.NA else int(bool(v))
                             for v in s.to_numpy(dtype=object)])
        return code(old) != code(new)
    a = old.to_numpy(dtype=object)
    b = new.to_numpy(dtype=object)
    na = pd.isna(a)
    nb = pd.isna(b)
    return ~((na & nb) | (~na & ~nb & (a.astype(str) == b.astype(str))))


def diff_register(stored: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> RegisterDiff:
    """Compare the stored register with a new one.

    Parameters
    ----------
    stored
        Every parcel of the store (retired ones too) with its stored values: the standard
        columns, ``extra``, ``retired_on`` (None while current) and the outline.
    new
        The new register, prepared (:func:`landuse.store.prepare.prepare_parcels`).

    Returns
    -------
    RegisterDiff
        Nothing in it when the new register equals the current one.
    """
    out = RegisterDiff()
    old = stored.set_index(stored["parcel_id"].astype(str), drop=False)
    nw = new.set_index(new["parcel_id"].astype(str), drop=False)
    current = old["retired_on"].isna()
    new_ids = set(nw.index)
    out.retired = [i for i in old.index[current.to_numpy()] if i not in new_ids]
    known = set(old.index)
    for i in nw.index:
        if i not in known:
            out.added.append(i)
        elif not current.loc[i]:
            out.readded.append(i)
    both = [i for i in nw.index if i in known and current.loc[i]]
    if not both:
        return out
    a = old.loc[both]
    b = nw.loc[both]
    diffs: dict[str, np.ndarray] = {}
    for col in COLLECTIONS["parcels"].columns:
        if col.name == "parcel_id":
            continue
        d = _differs(col.kind, a[col.name].astype(object), b[col.name].astype(object))
        if d.any():
            diffs[col.name] = d
    ea = np.array([_canon_extra(v) for v in a["extra"]], dtype=object)
    eb = np.array([_canon_extra(v) for v in b["extra"]], dtype=object)
    d_extra = np.array([x != y for x, y in zip(ea, eb, strict=True)], dtype=bool)
    if d_extra.any():
        diffs["extra"] = d_extra
    ga = a.geometry.to_numpy()
    gb = b.geometry.to_numpy()
    d_geom = ~shapely.equals_exact(ga, gb, tolerance=0.0)
    if d_geom.any():  # the same outline written another way (a one-part MultiPolygon for a
        # Polygon, another start vertex) is no change: only those pass the exact test
        idx = np.flatnonzero(d_geom)
        d_geom[idx] = ~shapely.equals(ga[idx], gb[idx])
    if d_geom.any():
        diffs["geometry"] = d_geom
    for pos, pid in enumerate(both):
        names = [n for n, d in diffs.items() if d[pos]]
        if names:
            out.changed[pid] = names
    return out


def check_effective(effective: str, last_valid: dict[str, str], ids: list[str],
                    where: str) -> None:
    """Refuse a version that takes effect before a recorded version of one of its parcels.

    ``last_valid`` maps a parcel id to the latest ``valid_from`` stored for it."""
    late = [(i, last_valid[i]) for i in ids if i in last_valid and last_valid[i] > effective]
    if late:
        shown = "; ".join(f"{i} (last version effective {d})" for i, d in late[:5])
        raise SchemaError(
            f"{where}: effective date {effective} precedes the last recorded version of "
            f"{len(late)} parcel(s): {shown}{' …' if len(late) > 5 else ''}. Fix: give "
            "--effective on or after that date (a version may not take effect before the "
            "one recorded before it)."
        )


def check_lineage(new: gpd.GeoDataFrame, known_ids: set[str], added: list[str],
                  parent_areas: dict[str, float], child_areas: dict[str, float],
                  where: str) -> None:
    """Check ``parent_ids``: every parent exists (in the store's history or the new
    register), and the parts split off one parent (added parcels naming it as their only
    parent) measure together no more than it, within :data:`SPLIT_AREA_TOLERANCE`.

    ``parent_areas``/``child_areas`` are measured (ellipsoidal) areas in m² by id."""
    ids = new["parcel_id"].astype(str).tolist()
    everyone = known_ids | set(ids)
    parents = {i: parse_parent_ids(v) for i, v in zip(ids, new["parent_ids"], strict=True)}
    for pid, ps in parents.items():
        missing = [p for p in ps if p not in everyone]
        if missing:
            raise SchemaError(
                f"{where}: parcel {pid}, field parent_ids (原宗地编号): "
                f"{', '.join(missing)} is not a parcel of the store or of this register. "
                "Fix: name the parcel(s) it was split from or merged from by their ids."
            )
        if pid in ps:
            raise SchemaError(
                f"{where}: parcel {pid}, field parent_ids (原宗地编号): names the parcel "
                "itself. Fix: name the parcel(s) it was split or merged from."
            )
    new_set = set(added)
    parts: dict[str, list[str]] = {}
    for pid, ps in parents.items():
        if pid in new_set and len(ps) == 1:
            parts.setdefault(ps[0], []).append(pid)
    for parent, kids in parts.items():
        if parent not in parent_areas:
            continue
        total = sum(child_areas[k] for k in kids)
        if total > parent_areas[parent] * SPLIT_AREA_TOLERANCE:
            raise SchemaError(
                f"{where}: parcels {', '.join(kids)}, field parent_ids (原宗地编号): split "
                f"from {parent} ({parent_areas[parent]:,.1f} m²) but together measure "
                f"{total:,.1f} m², more than the parent by over "
                f"{(SPLIT_AREA_TOLERANCE - 1) * 100:.1f} %. Fix: check the parts' outlines "
                "or their parent_ids."
            )
