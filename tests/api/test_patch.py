"""The app's frames patched by position (landuse_api.patch): the same rows as a patch over
the whole frame, without indexing or copying the whole register per write."""

from __future__ import annotations

import numpy as np
import pandas as pd
from shapely.geometry import box

from landuse.rules.incremental import context_ids
from landuse_api.patch import context_positions, ids_index, replace_rows, replaced_since
from tests.builders import make, producing, supplied


def _register() -> pd.DataFrame:
    rows = [producing(holder="制造甲"), supplied(holder="企业乙"), producing(holder="制造甲"),
            supplied(holder="企业丙", credit_code="91330000MA0000001X"),
            supplied(holder="企业丁", credit_code="91330000MA0000001X"), supplied(holder=None)]
    return make(rows)


def test_a_patch_that_changes_nothing_is_the_frame_itself() -> None:
    g = _register()
    assert replace_rows(g, g.iloc[[1, 3]].copy()) is g
    assert len(replaced_since(g, g)) == 0  # type: ignore[arg-type]


def test_only_the_changed_columns_are_copied_and_the_ids_indexed_once() -> None:
    g = _register()
    new = g.iloc[[2]].copy()
    new["tax_wan"] = 777.0
    out = replace_rows(g, new)
    assert out is not g
    want = g["tax_wan"].copy()
    want.iloc[2] = 777.0
    pd.testing.assert_series_equal(out["tax_wan"], want)
    assert g["tax_wan"].iloc[2] != 777.0  # the older version is left as it was
    assert np.shares_memory(out["floor_area_m2"].to_numpy(), g["floor_area_m2"].to_numpy())
    assert ids_index(out) is ids_index(g)
    assert replaced_since(g, out).tolist() == [2]  # type: ignore[union-attr]
    new2 = out.iloc[[4]].copy()
    new2["holder"] = "企业戊"
    out2 = replace_rows(out, new2)
    assert replaced_since(g, out2).tolist() == [2, 4]  # type: ignore[union-attr]
    assert replaced_since(out2, g) is None  # not patched from it: compare whole


def test_an_unknown_id_is_left_out_and_types_kept() -> None:
    g = _register()
    new = g.iloc[[0]].copy()
    new["parcel_id"] = "NOT-THERE"
    assert replace_rows(g, new) is g
    new = g.iloc[[5]].copy()
    new["holder"] = "新单位"
    new["geometry"] = [box(0, 0, 1, 1)]
    out = replace_rows(g, new)
    assert out["holder"].iloc[5] == "新单位" and out["holder"].dtype == g["holder"].dtype
    assert out.geometry.iloc[5].equals(box(0, 0, 1, 1)) and out.crs == g.crs
    assert out.dtypes.equals(g.dtypes)


def test_an_all_missing_column_is_typed_as_a_whole_read_types_it() -> None:
    g = _register()
    g["extra"] = pd.Series([None] * len(g), dtype=object)
    new = g.iloc[[1]].copy()
    new["extra"] = [2.5]
    out = replace_rows(g, new)
    assert out["extra"].dtype == np.float64  # as pd.Series of the values types it
    assert out["extra"].iloc[1] == 2.5 and out["extra"].isna().sum() == len(g) - 1


def test_context_positions_are_the_enterprises_parcels() -> None:
    """By hand: 制造甲 holds the 1st and 3rd parcel; the credit code groups the 4th and
    5th whatever their holder; the 6th has no holder (rated alone)."""
    g = _register()
    pid = g["parcel_id"].tolist()
    assert context_positions(g, [pid[0]]).tolist() == [0, 2]  # type: ignore[union-attr]
    assert context_positions(g, [pid[4]]).tolist() == [3, 4]  # type: ignore[union-attr]
    assert context_positions(g, [pid[5], pid[1]]).tolist() == [1, 5]  # type: ignore[union-attr]
    assert context_positions(g, ["NOT-THERE"]) is None
    for i in range(len(g)):
        assert [pid[k] for k in context_positions(g, [pid[i]])] == \
            context_ids(g, [pid[i]])  # type: ignore[union-attr]


def test_context_follows_a_holder_change() -> None:
    g = _register()
    pid = g["parcel_id"].tolist()
    context_positions(g, [pid[0]])  # grouped once
    new = g.iloc[[1]].copy()
    new["holder"] = "制造甲"
    out = replace_rows(g, new)
    assert context_positions(out, [pid[0]]).tolist() == [0, 1, 2]  # type: ignore[union-attr]
    assert context_positions(g, [pid[0]]).tolist() == [0, 2]  # type: ignore[union-attr]
