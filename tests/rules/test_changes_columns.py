"""The column-wise helpers of :mod:`landuse.rules.changes` equal the row-by-row definitions
they replace (a random synthetic register with missing values in every kind of column)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landuse.rules.changes import _differ, _records


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


def test_records_equal_to_dict() -> None:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({k: _column(k, 50, rng) for k in ("text", "date", "bool", "real")})
    frame.index = [f"P{i}" for i in range(50)]
    ids = [f"P{i}" for i in rng.permutation(50)[:20]]
    cols = ["text", "date", "bool", "real", "absent"]
    want = frame.loc[ids].reindex(columns=cols).to_dict("index")
    got = _records(frame, ids, cols)
    assert list(got) == list(want)
    for pid in ids:
        for c in cols:
            a, b = got[pid][c], want[pid][c]
            assert (pd.isna(a) and pd.isna(b)) or (a == b and type(a) is type(b)), (pid, c)
