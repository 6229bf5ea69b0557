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

    def take_zh(self, idx: np.ndarray) -> pa.Array:
        """The piece in a Chinese sentence (the same as :meth:`take` unless worded apart)."""
        return self.take(idx)


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
    """A date: ``YYYY-MM-DD`` in English, 2022年8月15日 in Chinese (no leading zeros)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def _days(self, idx: np.ndarray) -> pa.Array:
        return pa.array(self.values[idx].astype("datetime64[D]"), from_pandas=True)

    def take(self, idx: np.ndarray) -> pa.Array:
        return pc.fill_null(pc.cast(self._days(idx), pa.string()), "?")

    def take_zh(self, idx: np.ndarray) -> pa.Array:
        arr = self._days(idx)
        parts = [pc.cast(f(arr), pa.string()) for f in (pc.year, pc.month, pc.day)]
        text = pc.binary_join_element_wise(parts[0], "年", parts[1], "月", parts[2], "日", "")
        return pc.fill_null(text, "?")


class Txt(_Piece):
    """Strings taken as they are (None shown as '?'); a numpy or pyarrow array."""

    def __init__(self, values: np.ndarray | pa.Array | Sequence[Any]) -> None:
        if isinstance(values, pa.Array | pa.ChunkedArray):
            self.values: Any = values
        else:
            self.values = np.asarray(values, dtype=object)

    def take(self, idx: np.ndarray) -> pa.Array:
        if isinstance(self.values, np.ndarray):
            arr = pa.array(self.values[idx], type=pa.string(), from_pandas=True)
        else:
            arr = pc.cast(pc.take(self.values, pa.array(idx)), pa.string())
        return pc.fill_null(arr, "?")


class Label(_Piece):
    """Integer codes shown through a table of labels."""

    def __init__(self, codes: np.ndarray, labels: Sequence[str]) -> None:
        self.codes = codes
        self.labels = pa.array(list(labels), type=pa.string())

    def take(self, idx: np.ndarray) -> pa.Array:
        return pc.take(self.labels, pa.array(self.codes[idx].astype("int64")))


Piece = str | _Piece


def _repeat(text: str, k: int) -> pa.Array:
    return pc.fill_null(pa.nulls(k, pa.large_string()), text)


class _Long:
    """Values collected in long format (row, text), joined per row in one pass."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._rows: list[np.ndarray] = []
        self._vals: list[pa.Array] = []

    def append(self, idx: np.ndarray, values: pa.Array) -> None:
        self._rows.append(idx.astype(np.int64, copy=False))
        self._vals.append(pc.cast(values, pa.large_string()))

    def join(self, sep: str) -> pa.Array:
        """Per row, its values in the order added, joined with ``sep`` ('' when none)."""
        if not self._rows:
            return _repeat("", self.n)
        rows = np.concatenate(self._rows)
        self._rows = []
        order = np.argsort(rows, kind="stable")
        counts = np.bincount(rows, minlength=self.n)
        del rows
        offsets = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        # take from the chunks directly (no concatenated copy), then free the chunks
        taken = pa.chunked_array(self._vals, pa.large_string()).take(pa.array(order))
        self._vals = []
        del order
        values = taken.combine_chunks() if taken.num_chunks != 1 else taken.chunk(0)
        del taken
        lists = pa.LargeListArray.from_arrays(pa.array(offsets), values)
        return pc.binary_join(lists, pa.scalar(sep, pa.large_string()))


class Sentences:
    """Collects findings (one sentence each) per parcel and joins them.

    Every sentence is added under the key of the finding that produced it (e.g.
    ``lifecycle:in_use``, ``flag:use_changed``). With ``track_keys`` the keys are kept
    too, so that a test can check that every finding has its sentence and no sentence
    stands without its finding (:meth:`keys`).
    """

    def __init__(self, n: int, lang: str, track_keys: bool = False) -> None:
        self.n = n
        self.lang = lang
        self._long = _Long(n)
        self._keys: _Long | None = _Long(n) if track_keys else None

    def add(self, mask: np.ndarray, zh: Sequence[Piece], en: Sequence[Piece], key: str) -> None:
        """Add a sentence, produced by finding ``key``, to every parcel where ``mask`` is true."""
        pieces = zh if self.lang == "zh" else en
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return
        if all(isinstance(p, str) for p in pieces):
            values = _repeat("".join(pieces), len(idx))  # type: ignore[arg-type]
        else:
            zh_ = self.lang == "zh"
            parts = [p if isinstance(p, str) else (p.take_zh(idx) if zh_ else p.take(idx))
                     for p in pieces]
            values = pc.binary_join_element_wise(*parts, "")
        self._long.append(idx, values)
        if self._keys is not None:
            self._keys.append(idx, _repeat(key, len(idx)))

    def join(self) -> pa.Array:
        """Every parcel's sentences, joined (zh: no separator; en: a space); '' when none."""
        return self._long.join("" if self.lang == "zh" else " ")

    def keys(self) -> list[list[str]]:
        """Per parcel, the keys of its sentences in the order of the sentences."""
        if self._keys is None:
            raise ValueError("keys are kept only with Sentences(..., track_keys=True)")
        joined = self._keys.join("\n").to_pylist()
        return [k.split("\n") if k else [] for k in joined]


def join_codes(n: int, items: Mapping[str, np.ndarray], sep: str = ";") -> pa.Array:
    """``;``-joined names of the items whose mask is true, per row ('' when none)."""
    long = _Long(n)
    for name, m in items.items():
        idx = np.flatnonzero(m)
        if len(idx):
            long.append(idx, _repeat(name, len(idx)))
    return long.join(sep)
