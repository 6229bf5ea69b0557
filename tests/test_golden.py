"""The sample park's outputs are those recorded in tests/golden (behaviour unchanged)."""

from __future__ import annotations

import difflib

import pytest

from tests.golden import record

OUTPUTS = record.outputs()


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_golden(name: str) -> None:
    want = (record.HERE / name).read_text("utf-8")
    got = OUTPUTS[name]
    if got != want:
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                 "recorded", "now", n=1))[:60])
        pytest.fail(f"{name} differs from tests/golden/{name}:\n{diff}", pytrace=False)
