"""The industry-code concordance (data) and the reading of codes in the table's edition."""

from __future__ import annotations

import numpy as np

from landuse.rules import default_ruleset
from landuse.rules.industry import concordance, edition_of, map_codes


def test_the_concordance_covers_every_2017_manufacturing_division_with_known_targets() -> None:
    con = concordance()["editions"]
    div2002 = set(con["2002"]["divisions"])
    assert div2002 == set(default_ruleset().control["industries"])  # the FAR table's rows
    rows = con["2017"]["divisions"]
    assert list(rows) == [str(c) for c in range(13, 44)]
    for code, row in rows.items():
        assert set(row["to"]) <= div2002, code
        assert row["mark"] in ("C", "S", "U", "R")
        for g, target in row.get("groups", {}).items():
            assert g.startswith(code) and len(g) == 3 and target in row["to"]
        if "other_groups" in row:
            assert row["other_groups"] in row["to"]
        if len(row["to"]) != 1:
            assert row.get("note"), f"{code}: a split or empty mapping says why"
    assert con["2011"]["same_as"] == "2017"


def test_edition_cells() -> None:
    assert [edition_of(v) for v in ("2017", "GB/T 4754-2011", "2002版", "2005", None)] == [
        "2017", "2011", "2002", None, None]


def test_codes_read_in_the_2002_table() -> None:
    codes = np.array(["C3911", "39", "3471", "34", "243", "C43", "38", "x1", None, "51"],
                     dtype=object)
    eds = np.array(["2017", "2002", "2017", "2017", "2017", "2017", "2002", None, None, "2017"],
                   dtype=object)
    r = map_codes(codes, eds, "2002", "GB/T 4754-2002")
    assert [tuple(t) for t in r.targets] == [
        ("40",), ("39",), ("41",), ("35", "41"), ("42",), (), (), (), (), ("51",)]
    assert r.ambiguous.tolist() == [False, False, False, True] + [False] * 6
    assert r.mapped.tolist() == [True, False, True, True, True, True, False, False, False,
                                 False]
    assert r.no_counterpart.tolist() == [False] * 5 + [True] + [False] * 4
    assert r.not_in_edition.tolist() == [False] * 6 + [True] + [False] * 3
    assert r.unparsed.tolist() == [False] * 7 + [True] + [False] * 2
    # a 2002 code into a table keyed by 2017 divisions: no concordance that way
    r = map_codes(np.array(["34"], dtype=object), np.array([None], dtype=object), "2002",
                  "GB/T 4754-2017")
    assert r.no_concordance.tolist() == [True]
