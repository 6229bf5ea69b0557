"""Exact sums: the same value whatever the order and the split of the terms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from landuse.report.sums import ExactSum, exact_sum


def test_cancelling_terms_give_the_exact_answer_in_every_order_and_split() -> None:
    terms = [1e16, 1.0, -1e16]
    # naive float sums depend on the order: 1e16 + 1.0 rounds the 1.0 away
    assert (1e16 + 1.0) - 1e16 == 0.0 and (1e16 - 1e16) + 1.0 == 1.0
    for order in itertools.permutations(terms):
        assert exact_sum(order) == 1.0
        for cut in range(len(order) + 1):  # two partials, merged either way round
            a, b = ExactSum.of(order[:cut]), ExactSum.of(order[cut:])
            assert (a + b).value == (b + a).value == 1.0


def test_tenths_round_once() -> None:
    # ten float 0.1 sum exactly to 1.000000000000000055511151231257827 (each 0.1 is
    # 0.1000000000000000055511151231257827), which rounds to 1.0; adding them one by one
    # rounds ten times and gives 0.9999999999999999
    assert sum([0.1] * 10) == 0.9999999999999999
    assert exact_sum([0.1] * 10) == 1.0
    assert ExactSum.total(ExactSum.of([0.1]) for _ in range(10)).value == 1.0


def test_missing_skipped_empty_zero_infinite_kept() -> None:
    assert exact_sum([]) == 0.0 and exact_sum([np.nan]) == 0.0
    assert exact_sum([2.5, np.nan, 0.5]) == 3.0
    assert exact_sum([1.0, np.inf]) == np.inf and exact_sum([-np.inf, 3.0]) == -np.inf
    assert math.isnan(exact_sum([np.inf, -np.inf]))
    # the smallest subnormal and the largest finite values are whole units
    assert exact_sum([5e-324, 5e-324]) == 1e-323
    assert exact_sum([1.7e308, 1.7e308, -1.7e308]) == 1.7e308  # no intermediate overflow


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_the_correctly_rounded_sum_for_any_split(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(3000) * 10.0 ** rng.integers(-200, 200, 3000)
    want = math.fsum(x.tolist())  # correctly rounded too
    assert exact_sum(x) == want
    cuts = sorted(rng.integers(0, len(x), 7).tolist())
    parts = [ExactSum.of(p) for p in np.split(rng.permutation(x), cuts)]
    assert ExactSum.total(reversed(parts)).value == want


def test_a_few_terms_one_by_one_equal_many_at_once() -> None:
    rng = np.random.default_rng(7)
    for k in range(1, 40):  # up to 16 terms are added one by one, more with numpy
        x = rng.standard_normal(k) * 10.0 ** rng.integers(-320, 300, k)
        assert exact_sum(x) == math.fsum(x.tolist())
        assert (ExactSum.of(x[:1]) + ExactSum.of(x[1:])).value == exact_sum(x)


def test_a_sum_beyond_the_largest_float_is_infinite_not_an_error() -> None:
    """1.7e308 + 1.7e308 exceeds the largest float64 (about 1.798e308): the rounded sum is
    +inf (as a float sum gives), -inf for the negatives, and the exact units still cancel."""
    from landuse.report.sums import ExactSum, exact_sum

    assert exact_sum([1.7e308, 1.7e308]) == float("inf")
    assert exact_sum([-1.7e308, -1.7e308]) == float("-inf")
    assert (ExactSum.of([1.7e308, 1.7e308]) + ExactSum.of([-1.7e308, -1.7e308])).value == 0.0
