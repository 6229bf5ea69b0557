"""Summaries of parcel x pixel cells: pure numpy, no files.

The reader (:mod:`landuse.raster.read`) hands over *cells*: for each parcel-pixel pair the
parcel's row number ``pidx``, the exact share of the pixel the parcel covers ``weight``
(exactextract's coverage fraction, 0-1) and the pixel's value(s) with a validity mask.
Every function here turns such arrays into per-parcel sums that add up across chunks, so a
raster is summarised block by block and memory stays bounded.
"""

from __future__ import annotations

import numpy as np

from landuse.raster.classes import GROUPS

__all__ = [
    "add_class_sums",
    "class_sums",
    "normalized_difference",
    "shares_from_class_sums",
    "weighted_sums",
]

N_GROUP_COLS = len(GROUPS) + 2
"""Columns of :func:`class_sums`: one per group, then ``unmapped``, then ``nodata``."""


def class_sums(
    pidx: np.ndarray,
    weight: np.ndarray,
    group_idx: np.ndarray,
    valid: np.ndarray,
    n_parcels: int,
) -> np.ndarray:
    """Coverage-weighted pixel counts per parcel and land-cover group.

    Parameters
    ----------
    pidx : int array (m,)
        Parcel row of each cell.
    weight : float array (m,)
        Share of the pixel inside the parcel (0-1).
    group_idx : int array (m,)
        Index into :data:`~landuse.raster.classes.GROUPS`, -1 for a code the class table lacks.
    valid : bool array (m,)
        False where the pixel is nodata.
    n_parcels : int
        Number of parcels (rows of the result).

    Returns
    -------
    numpy.ndarray (n_parcels, len(GROUPS) + 2)
        Weighted pixel counts per group, then unmapped, then nodata.

    Examples
    --------
    >>> s = class_sums(np.array([0, 0, 1]), np.array([1.0, 0.5, 0.25]),
    ...                np.array([0, 1, -1]), np.array([True, True, True]), 2)
    >>> s[0, :2].tolist(), float(s[1, len(GROUPS)])
    ([1.0, 0.5], 0.25)
    """
    col = np.where(valid, np.where(group_idx < 0, len(GROUPS), group_idx), len(GROUPS) + 1)
    key = pidx.astype(np.int64) * N_GROUP_COLS + col
    sums = np.bincount(key, weights=weight, minlength=n_parcels * N_GROUP_COLS)
    return sums.reshape(n_parcels, N_GROUP_COLS)


def add_class_sums(
    sums: np.ndarray,
    ids: np.ndarray,
    local: np.ndarray,
    weight: np.ndarray,
    column: np.ndarray,
) -> None:
    """Add coverage-weighted pixel counts to ``sums`` in place (the fast form of
    :func:`class_sums` for a chunk of parcels).

    Parameters
    ----------
    sums : float64 array (n_parcels, len(GROUPS) + 2)
        Running sums, columns as in :func:`class_sums`.
    ids : int array (p,)
        Parcel rows of the chunk (each at most once).
    local : int array (m,)
        Per cell, the index into ``ids`` of its parcel.
    weight : float array (m,)
        Share of the pixel inside the parcel.
    column : int array (m,)
        Per cell, its column: group index, ``len(GROUPS)`` unmapped, ``len(GROUPS) + 1``
        nodata.

    Examples
    --------
    >>> s = np.zeros((3, N_GROUP_COLS))
    >>> add_class_sums(s, np.array([2, 0]), np.array([0, 0, 1]), np.array([1.0, 0.5, 0.25]),
    ...                np.array([0, 1, N_GROUP_COLS - 1]))
    >>> s[2, :2].tolist(), float(s[0, -1])
    ([1.0, 0.5], 0.25)
    """
    key = local.astype(np.intp) * N_GROUP_COLS
    key += column
    part = np.bincount(key, weights=weight, minlength=len(ids) * N_GROUP_COLS)
    sums[ids] += part.reshape(len(ids), N_GROUP_COLS)


def shares_from_class_sums(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Shares of each group over the parcel's valid (non-nodata) pixels.

    Returns ``<group>_share`` for each group, ``unmapped_share`` (codes missing from the class
    table: never silently counted as a group), ``valid_weight`` and ``nodata_weight``
    (coverage-weighted pixel counts). Shares are NaN where a parcel has no valid pixel, never 0.

    Examples
    --------
    >>> s = np.zeros((2, len(GROUPS) + 2)); s[0, 0] = 3; s[0, 1] = 1; s[1, -1] = 2
    >>> out = shares_from_class_sums(s)
    >>> out["builtup_share"].tolist()[0], bool(np.isnan(out["builtup_share"][1]))
    (0.75, True)
    """
    valid_w = sums[:, : len(GROUPS) + 1].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = np.where(valid_w > 0, valid_w, np.nan)
        out = {f"{g}_share": sums[:, i] / denom for i, g in enumerate(GROUPS)}
        out["unmapped_share"] = sums[:, len(GROUPS)] / denom
    out["valid_weight"] = valid_w
    out["nodata_weight"] = sums[:, len(GROUPS) + 1]
    return out


def normalized_difference(
    a: np.ndarray, b: np.ndarray, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(a - b) / (a + b)`` and its validity (False where a nodata or a + b == 0).

    NDVI is ``normalized_difference(nir, red)``; NDBI ``normalized_difference(swir1, nir)``.

    Examples
    --------
    >>> nd, ok = normalized_difference(np.array([3, 0]), np.array([1, 0]))
    >>> float(nd[0]), ok.tolist()
    (0.5, [True, False])
    """
    af = a.astype(np.float64)
    bf = b.astype(np.float64)
    s = af + bf
    ok = s != 0
    if valid is not None:
        ok &= valid
    with np.errstate(invalid="ignore", divide="ignore"):
        nd = np.where(ok, (af - bf) / np.where(ok, s, 1.0), np.nan)
    return nd, ok


def weighted_sums(
    pidx: np.ndarray,
    weight: np.ndarray,
    values: np.ndarray,
    valid: np.ndarray,
    n_parcels: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per parcel ``sum(weight * value)`` and ``sum(weight)`` over valid cells.

    The coverage-weighted mean is their ratio (NaN where the weight sum is 0).

    Examples
    --------
    >>> swx, sw = weighted_sums(np.array([0, 0]), np.array([1.0, 0.5]),
    ...                         np.array([0.2, 0.8]), np.array([True, True]), 1)
    >>> round(float(swx[0] / sw[0]), 4)
    0.4
    """
    w = np.where(valid, weight, 0.0)
    x = np.where(valid, values, 0.0)
    swx = np.bincount(pidx, weights=w * x, minlength=n_parcels)
    sw = np.bincount(pidx, weights=w, minlength=n_parcels)
    return swx, sw
