"""Vectorised sentence building for the assessment's ``reasons``.

A sentence template is a list of pieces: literal strings and lazy formatters over whole
columns (numbers, dates, labels). :class:`Sentences` formats the pieces only for the rows a
finding applies to (with pyarrow compute, no per-row Python), then joins every parcel's
sentences in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Date", "Label", "Num", "Pct", "Sentences", "Txt"]


class _Piece:
    def take(self, idx: np.ndarray) -> pa.Array:  # pragma: no cover - interface
        raise NotImplementedError


class Num(_Piece):
    """A number rounded to ``decimals`` (trailing zeros dropped: 100.0 -> '100')."""

    def __init__(self, values: np.ndarray, decimals: int = 2, scale: float = 1.0) -> None:
        self.values = values
        self.decimals = decimals
        self.scale = scale

    def take(self, idx: np.ndarray) -> pa.Array:
        v = np.asarray(self.values[idx], dtype="float64") * self.scale
        v = np.round(v, self.decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
        return pc.fill_null(pc.cast(pa.array(v, from_pandas=True), pa.string()), "?")


class Pct(Num):
    """A share shown in per cent (0.25 -> '25')."""

    def __init__(self, values: np.ndarray, decimals: int = 1) -> None:
        super().__init__(values, decimals, 100.0)


class Date(_Piece):
    """A date as ``YYYY-MM-DD``."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def take(self, idx: np.ndarray) -> pa.Array:
        arr = pa.array(self.values[idx].astype("datetime64[D]"), from_pandas=True)
        return pc.fill_null(pc.cast(arr, pa.string()), "?")


class Txt(_Piece):
    """Strings taken as they are (None shown as '?')."""

    def __init__(self, values: np.ndarray | Sequence[Any]) -> None:
        self.values = np.asarray(values, dtype=object)

    def take(self, idx: np.ndarray) -> pa.Array:
        return pc.fill_null(pa.array(self.values[idx], type=pa.string(), from_pandas=True), "?")


class Label(_Piece):
    """Integer codes shown through a table of labels."""

    def __init__(self, codes: np.ndarray, labels: Sequence[str]) -> None:
        self.codes = codes
        self.labels = pa.array(list(labels), type=pa.string())

    def take(self, idx: np.ndarray) -> pa.Array:
        return pc.take(self.labels, pa.array(self.codes[idx].astype("int64")))


Piece = str | _Piece


class Sentences:
    """Collects findings (one sentence each) per parcel and joins them."""

    def __init__(self, n: int, lang: str) -> None:
        self.n = n
        self.lang = lang
        self._cols: list[pa.Array] = []

    def add(self, mask: np.ndarray, zh: Sequence[Piece], en: Sequence[Piece]) -> None:
        """Add a sentence to every parcel where ``mask`` is true."""
        pieces = zh if self.lang == "zh" else en
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return
        parts = [p if isinstance(p, str) else p.take(idx) for p in pieces]
        if all(isinstance(p, str) for p in parts):
            values = pa.array(["".join(parts)] * len(idx), type=pa.string())  # type: ignore[arg-type]
        else:
            values = pc.binary_join_element_wise(*parts, "")
        full = pc.replace_with_mask(
            pa.nulls(self.n, pa.string()), pa.array(np.asarray(mask, dtype=bool)), values
        )
        self._cols.append(full)

    def join(self) -> np.ndarray:
        """Every parcel's sentences, joined (zh: no separator; en: a space); '' when none."""
        if not self._cols:
            return np.full(self.n, "", dtype=object)
        return _join_skip(self._cols, "" if self.lang == "zh" else " ")


def _join_skip(cols: Sequence[pa.Array], sep: str) -> np.ndarray:
    """Join the non-null values of each row with ``sep`` ('' when all are null).

    pyarrow's ``binary_join_element_wise(..., null_handling="skip")`` drops rows whose
    values are all null (seen with pyarrow 26), so nulls are handled here: each value gets
    ``sep`` in front, nulls become '', and the leading ``sep`` is cut off.
    """
    if sep:
        cols = [pc.binary_join_element_wise(pa.scalar(sep), c, "") for c in cols]
    filled = [pc.fill_null(c, "") for c in cols]
    joined = filled[0] if len(filled) == 1 else pc.binary_join_element_wise(*filled, "")
    if sep:
        joined = pc.utf8_slice_codeunits(joined, start=len(sep))
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def join_codes(n: int, items: Mapping[str, np.ndarray], sep: str = ";") -> np.ndarray:
    """``;``-joined names of the items whose mask is true, per row ('' when none)."""
    cols = [
        pc.if_else(
            pa.array(np.asarray(m, dtype=bool)), pa.scalar(name), pa.scalar(None, pa.string())
        )
        for name, m in items.items()
    ]
    if not cols:
        return np.full(n, "", dtype=object)
    return _join_skip(cols, sep)
