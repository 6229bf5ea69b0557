"""Pure numpy summaries and class tables: no GeoTIFF involved."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from landuse.errors import RulesetError, SchemaError
from landuse.raster.classes import GROUPS, ClassTable, load_class_table
from landuse.raster.source import parse_band_map
from landuse.raster.summary import (
    class_sums,
    normalized_difference,
    shares_from_class_sums,
    weighted_sums,
)

B, BARE, VEG, WAT = (GROUPS.index(g) for g in ("builtup", "bare", "vegetation", "water"))


def test_partial_pixel_weights_give_exact_shares() -> None:
    # parcel 0: a whole built-up pixel and a quarter of a bare pixel -> 0.8 / 0.2
    pidx = np.array([0, 0, 1])
    w = np.array([1.0, 0.25, 0.01])
    g = np.array([B, BARE, WAT])
    sums = class_sums(pidx, w, g, np.ones(3, bool), 2)
    sh = shares_from_class_sums(sums)
    assert sh["builtup_share"][0] == pytest.approx(0.8)
    assert sh["bare_share"][0] == pytest.approx(0.2)
    # a parcel covering 1 % of one pixel still gets a value
    assert sh["water_share"][1] == pytest.approx(1.0)


def test_nodata_everywhere_is_nan_not_zero() -> None:
    sums = class_sums(
        np.array([0, 0]), np.array([1.0, 1.0]), np.array([B, B]), np.array([False, False]), 1
    )
    sh = shares_from_class_sums(sums)
    assert np.isnan(sh["builtup_share"][0])
    assert sh["nodata_weight"][0] == 2.0


def test_unmapped_codes_are_counted_apart() -> None:
    sums = class_sums(
        np.array([0, 0]), np.array([1.0, 1.0]), np.array([B, -1]), np.ones(2, bool), 1
    )
    sh = shares_from_class_sums(sums)
    assert sh["builtup_share"][0] == 0.5 and sh["unmapped_share"][0] == 0.5


@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.floats(0.001, 1.0),
            st.integers(-1, len(GROUPS) - 1),
            st.booleans(),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_shares_add_up_to_one_and_chunks_add(cells: list[tuple[int, float, int, bool]]) -> None:
    pidx, w, g, v = (np.array(x) for x in zip(*cells, strict=True))
    whole = class_sums(pidx, w, g, v, 5)
    half = len(cells) // 2
    parts = class_sums(pidx[:half], w[:half], g[:half], v[:half], 5) + class_sums(
        pidx[half:], w[half:], g[half:], v[half:], 5
    )
    assert np.allclose(whole, parts)
    sh = shares_from_class_sums(whole)
    total = sum(sh[f"{x}_share"] for x in GROUPS) + sh["unmapped_share"]
    has = sh["valid_weight"] > 0
    assert np.allclose(total[has], 1.0)
    assert np.isnan(total[~has]).all()


def test_ndvi_and_weighted_mean_respect_validity() -> None:
    nir = np.array([200, 100, 0, 50])
    red = np.array([50, 100, 0, 10])
    valid = np.array([True, True, True, False])
    nd, ok = normalized_difference(nir, red, valid)
    assert nd[0] == pytest.approx(0.6) and nd[1] == 0
    assert ok.tolist() == [True, True, False, False]  # 0/0 and nodata excluded
    swx, sw = weighted_sums(np.zeros(4, int), np.array([1.0, 0.5, 1.0, 1.0]), nd, ok, 1)
    assert swx[0] / sw[0] == pytest.approx(0.6 / 1.5)


def test_class_tables() -> None:
    wc = load_class_table()
    assert wc.group_index(np.array([50, 60, 10, 80, 70, 7])).tolist() == [
        B,
        BARE,
        VEG,
        WAT,
        GROUPS.index("other"),
        -1,
    ]
    dw = load_class_table("dynamicworld")
    assert dw.group_index(np.array([6, 7, 0])).tolist() == [B, BARE, WAT]
    custom = load_class_table({"classes": {"1": "builtup", "2": {"group": "water"}}})
    assert custom.group_index(np.array([1, 2, 3])).tolist() == [B, WAT, -1]
    big = ClassTable("t", (70000,), ("water",))
    assert big.group_index(np.array([70000, 5])).tolist() == [WAT, -1]


def test_class_table_errors(tmp_path) -> None:
    with pytest.raises(RulesetError, match="group 'roads'"):
        load_class_table({"classes": {"1": "roads"}})
    p = tmp_path / "c.json"
    p.write_text('{"classes": {"x": "builtup"}}')
    with pytest.raises(RulesetError, match="not an integer"):
        load_class_table(p)


def test_band_map_parsing() -> None:
    assert parse_band_map("red=3, nir=4") == {"red": 3, "nir": 4}
    with pytest.raises(SchemaError, match="unknown band name 'thermal'"):
        parse_band_map("thermal=6")
    with pytest.raises(SchemaError, match="not name=index"):
        parse_band_map("red3")
    with pytest.raises(SchemaError, match="numbered from 1"):
        parse_band_map("red=0")
