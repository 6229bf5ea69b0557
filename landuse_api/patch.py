"""Frames patched by position: the app's cached register and assessment after a write.

A write touches a few parcels of a register of up to millions. Each frame the app patches
remembers (by identity, for as long as it lives) its parcel ids as an index, made once for
the first frame of a lineage and shared by every frame patched from it, the frame it was
patched from and the positions replaced. So a patch looks the touched ids up instead of
indexing the whole register again, copies only the columns whose touched cells changed,
and the map compares only the rows replaced since the frame it was drawn from
(:func:`replaced_since`) instead of every parcel id and outline.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

__all__ = ["context_positions", "enterprise_groups", "grouped", "ids_index", "replace_rows",
           "replaced_since"]


@dataclass
class _Lineage:
    ids: pd.Index
    """The frame's parcel ids (str) in row order."""
    base: weakref.ref[Any] | None = None
    """The frame this one was patched from."""
    rows: np.ndarray | None = None
    """Positions replaced relative to ``base``."""
    groups: tuple[pd.Index, np.ndarray, np.ndarray] | None = None
    """Enterprise keys (:func:`landuse.rules.incremental.enterprise_keys`) grouped: the
    distinct keys, the positions ordered by key, and where each key's positions start."""


_LINEAGE: dict[int, _Lineage] = {}


def _forget(key: int) -> None:
    _LINEAGE.pop(key, None)


def _remember(frame: pd.DataFrame, info: _Lineage) -> None:
    key = id(frame)
    if key not in _LINEAGE:
        weakref.finalize(frame, _forget, key)
    _LINEAGE[key] = info


def _lineage(frame: pd.DataFrame) -> _Lineage:
    info = _LINEAGE.get(id(frame))
    if info is None:
        info = _Lineage(pd.Index(frame["parcel_id"].astype(str).to_numpy(dtype=object)))
        if not info.ids.is_unique:
            raise ValueError("parcel ids are not unique")
        _remember(frame, info)
    return info


def ids_index(frame: pd.DataFrame) -> pd.Index:
    """The parcel ids of ``frame`` (str, row order), indexed once per lineage."""
    return _lineage(frame).ids


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, shapely.Geometry) or isinstance(b, shapely.Geometry):
        return (a is not None and b is not None
                and bool(shapely.equals_exact(a, b, 0)) and a.geom_type == b.geom_type)
    am, bm = pd.isna(a), pd.isna(b)
    if isinstance(am, bool) and isinstance(bm, bool):
        if am or bm:
            return am and bm
        try:
            return bool(a == b) and type(a) is type(b)
        except (TypeError, ValueError):
            return False
    return False


def _str_elsewhere(values: np.ndarray, pos: np.ndarray) -> bool:
    """Whether ``values`` holds a str at a position outside ``pos`` (found near the top
    in practice)."""
    skip = set(pos.tolist())
    for i, v in enumerate(values):
        if isinstance(v, str) and i not in skip:
            return True
    return False


def _patched_column(col: pd.Series, pos: np.ndarray, new: np.ndarray) -> pd.Series:
    """``col`` with the cells at ``pos`` set to ``new`` (typed as before; an object column
    typed again as a whole read types it, unless it keeps a str, so stays object)."""
    if col.dtype == object:
        values = col.to_numpy(dtype=object).copy()
        values[pos] = new
        if all(isinstance(v, str) for v in new) or _str_elsewhere(values, pos):
            return pd.Series(values, index=col.index, name=col.name)
        return pd.Series(values.tolist(), index=col.index, name=col.name)
    out = col.copy()
    out.iloc[pos] = pd.Series(new).astype(col.dtype).to_numpy()
    return out


def replace_rows(frame: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the rows of ``new``'s parcel ids replaced (same order, same types;
    ids ``frame`` does not hold are left out).

    Only the columns whose touched cells changed are copied; the others are shared with
    ``frame``. ``frame`` itself is returned when no cell changed."""
    info = _lineage(frame)
    pos = info.ids.get_indexer(pd.Index(new["parcel_id"].astype(str).to_numpy(dtype=object)))
    keep = pos >= 0
    pos = pos[keep]
    changed: dict[str, pd.Series] = {}
    for c in new.columns:
        if c not in frame.columns:
            continue
        col = frame[c]
        vals = new[c].to_numpy(dtype=object)[keep] if col.dtype == object else \
            pd.Series(new[c].to_numpy()[keep]).astype(col.dtype).to_numpy(dtype=object)
        before = col.iloc[pos].to_numpy(dtype=object)
        if all(_same(a, b) for a, b in zip(before, vals, strict=True)):
            continue
        changed[c] = _patched_column(col, pos, new[c].to_numpy(dtype=object)[keep]
                                     if col.dtype == object else new[c].to_numpy()[keep])
    if not changed:
        return frame
    out = frame.copy(deep=False)
    for c, col in changed.items():
        out[c] = col
    _remember(out, _Lineage(info.ids, weakref.ref(frame), np.sort(pos),
                            _carried_groups(info, frame, out, pos, changed)))
    return out


def _carried_groups(info: _Lineage, frame: pd.DataFrame, out: pd.DataFrame, pos: np.ndarray,
                    changed: dict[str, pd.Series]) -> Any:
    """The enterprise groups of ``frame``, still those of ``out`` when the replaced rows'
    enterprise keys did not change (else None: grouped again when asked)."""
    from landuse.rules.incremental import enterprise_keys

    if info.groups is None or not {"credit_code", "holder", "parcel_id"} & set(changed):
        return info.groups
    if len(pos) and (enterprise_keys(frame.iloc[pos]) != enterprise_keys(out.iloc[pos])).any():
        return None
    return info.groups


def replaced_since(old: pd.DataFrame, new: pd.DataFrame) -> np.ndarray | None:
    """Positions of the rows replaced between ``old`` and ``new`` when ``new`` was patched
    from ``old`` (:func:`replace_rows`, through any number of versions); None when it was
    not (compare them whole)."""
    if new is old:
        return np.empty(0, dtype=np.int64)
    parts: list[np.ndarray] = []
    frame: Any = new
    for _ in range(64):
        info = _LINEAGE.get(id(frame))
        if info is None or info.base is None or info.rows is None:
            return None
        parts.append(info.rows)
        frame = info.base()
        if frame is None:
            return None
        if frame is old:
            return np.unique(np.concatenate(parts)).astype(np.int64)
    return None


def enterprise_groups(frame: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The enterprise groups of ``frame`` (see :class:`_Lineage`), made once per lineage
    and carried to the frames patched from it (about 2.5 s at 1 000 000 parcels: the
    server's warm-up makes them, so that no write waits for them)."""
    from landuse.rules.incremental import enterprise_keys

    info = _lineage(frame)
    if info.groups is None:
        codes, uniques = pd.factorize(pd.Series(enterprise_keys(frame), dtype=object))
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        info.groups = (pd.Index(uniques), order, starts)
    return info.groups


def grouped(frame: pd.DataFrame) -> bool:
    """Whether the enterprise groups of ``frame`` are made (:func:`enterprise_groups`)."""
    info = _LINEAGE.get(id(frame))
    return info is not None and info.groups is not None


def context_positions(parcels: pd.DataFrame, parcel_ids: Any) -> np.ndarray | None:
    """Positions (register order) of the parcels ``parcel_ids`` and every parcel of their
    enterprises, as :func:`landuse.rules.incremental.context_ids` picks them, found from
    groups made once per lineage; None when an id is not in ``parcels``."""
    ids = ids_index(parcels)
    at = ids.get_indexer(pd.Index([str(i) for i in parcel_ids], dtype=object))
    if (at < 0).any():
        return None
    keys, order, starts = enterprise_groups(parcels)
    from landuse.rules.incremental import enterprise_keys

    mine = keys.get_indexer(pd.Index(enterprise_keys(parcels.iloc[at]), dtype=object))
    out = np.concatenate([order[starts[k]:starts[k + 1]] for k in np.unique(mine)])
    return np.sort(out)
