"""Class tables of categorical land-cover rasters: raster code -> land-cover group.

Tables are data (``landuse/data/classes/*.toml``): ``worldcover`` (ESA WorldCover, the
default) and ``dynamicworld`` (Dynamic World label band). A user table is a TOML or JSON file
with a ``[classes]`` table mapping each code to a group name or to a table with ``group``
(and optional ``label``/``label_zh``); an optional ``nodata`` code is ignored like nodata.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from landuse.errors import DataSourceError, RulesetError

__all__ = ["BUILTIN_TABLES", "GROUPS", "ClassTable", "load_class_table"]

GROUPS: tuple[str, ...] = ("builtup", "bare", "vegetation", "water", "other")
"""The land-cover groups reported per parcel (``<group>_share``)."""

BUILTIN_TABLES = ("worldcover", "dynamicworld")


@dataclass(frozen=True)
class ClassTable:
    """Raster codes and the group each belongs to."""

    name: str
    codes: tuple[int, ...]
    groups: tuple[str, ...]
    labels: tuple[str, ...] = ()
    nodata: int | None = None

    def group_index(self, values: np.ndarray) -> np.ndarray:
        """Index into :data:`GROUPS` of each value; -1 for codes missing from the table.

        Examples
        --------
        >>> t = ClassTable("t", (50, 60), ("builtup", "bare"))
        >>> t.group_index(np.array([50, 60, 7])).tolist()
        [0, 1, -1]
        """
        v = np.asarray(values)
        codes = np.asarray(self.codes, dtype=np.int64)
        gidx = np.array([GROUPS.index(g) for g in self.groups], dtype=np.int8)
        if v.size and codes.size and v.dtype.kind in "iub" and 0 <= v.min() and v.max() < 65536:
            lut = np.full(max(int(v.max()), int(codes.max())) + 1, -1, dtype=np.int8)
            ok = codes < lut.size
            lut[codes[ok]] = gidx[ok]
            return lut[v]
        order = np.argsort(codes)
        pos = np.searchsorted(codes[order], v)
        pos = np.clip(pos, 0, max(len(codes) - 1, 0))
        hit = codes[order][pos] == v if codes.size else np.zeros(v.shape, bool)
        out = np.where(hit, gidx[order][pos] if codes.size else -1, -1)
        return out.astype(np.int8)

    def column_lut(self, dtype: np.dtype | str) -> np.ndarray | None:
        """Lookup table from a pixel's bit pattern to its column of per-parcel class sums.

        For a raster of 8- or 16-bit integers: ``lut[v.view(unsigned)]`` is the index into
        :data:`GROUPS` of value ``v``, ``len(GROUPS)`` for a code missing from the table
        and ``len(GROUPS) + 1`` for the table's ``nodata`` code (the columns of
        :func:`~landuse.raster.summary.class_sums`). ``None`` for other types.

        Examples
        --------
        >>> t = ClassTable("t", (50, -1), ("builtup", "water"), nodata=0)
        >>> lut = t.column_lut("int8")
        >>> lut[np.array([50, -1, 0, 7], np.int8).view(np.uint8)].tolist()
        [0, 3, 6, 5]
        """
        dt = np.dtype(dtype)
        if dt.kind not in "iu" or dt.itemsize > 2:
            return None
        size = 1 << (8 * dt.itemsize)
        lut = np.full(size, len(GROUPS), dtype=np.uint8)
        info = np.iinfo(dt)
        for code, group in zip(self.codes, self.groups, strict=True):
            if info.min <= code <= info.max:
                lut[code % size] = GROUPS.index(group)
        if self.nodata is not None and info.min <= self.nodata <= info.max:
            lut[self.nodata % size] = len(GROUPS) + 1
        return lut


def _from_mapping(data: dict[str, Any], source: str) -> ClassTable:
    classes = data.get("classes")
    if not isinstance(classes, dict) or not classes:
        raise RulesetError(
            f"{source}: no [classes] table. Fix: map each raster code to a group, e.g. "
            '[classes] 50 = "builtup" (groups: ' + ", ".join(GROUPS) + ")."
        )
    codes: list[int] = []
    groups: list[str] = []
    labels: list[str] = []
    for key, val in classes.items():
        try:
            code = int(key)
        except ValueError:
            raise RulesetError(
                f"{source}: class code '{key}' is not an integer. Fix: use the raster value."
            ) from None
        group = val if isinstance(val, str) else (val or {}).get("group")
        if group not in GROUPS:
            raise RulesetError(
                f"{source}: class {code} has group {group!r}. Fix: use one of "
                + ", ".join(GROUPS)
                + "."
            )
        codes.append(code)
        groups.append(group)
        labels.append(val.get("label", str(code)) if isinstance(val, dict) else str(code))
    nodata = data.get("nodata")
    return ClassTable(
        name=str(data.get("name", source)),
        codes=tuple(codes),
        groups=tuple(groups),
        labels=tuple(labels),
        nodata=int(nodata) if nodata is not None else None,
    )


def load_class_table(spec: str | Path | dict[str, Any] | ClassTable | None = None) -> ClassTable:
    """Load a class table: a built-in name, a TOML/JSON path, a mapping, or ``None``.

    ``None`` gives ESA WorldCover.

    Examples
    --------
    >>> t = load_class_table("dynamicworld")
    >>> t.groups[t.codes.index(6)]
    'builtup'
    """
    if isinstance(spec, ClassTable):
        return spec
    if spec is None:
        spec = "worldcover"
    if isinstance(spec, dict):
        return _from_mapping(spec, "class table")
    name = str(spec)
    if name in BUILTIN_TABLES:
        txt = resources.files("landuse.data").joinpath(f"classes/{name}.toml").read_text("utf-8")
        return _from_mapping(tomllib.loads(txt), name)
    p = Path(name)
    if not p.exists():
        raise DataSourceError(
            f"{p}: class table not found. Fix: give a .toml/.json file or one of "
            + ", ".join(BUILTIN_TABLES)
            + "."
        )
    try:
        text = p.read_text("utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise RulesetError(f"{p}: cannot parse the class table ({e}).") from e
    if isinstance(data, dict) and "classes" not in data:
        data = {"classes": data, "name": p.stem}
    return _from_mapping(data, str(p))
