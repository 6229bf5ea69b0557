"""The map's "changes since a date" layer, on the sample park's second register version."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from landuse.cli import cli
from landuse.rules import assess
from landuse.rules.changes import changes
from landuse.store import open_store
from landuse.webmap import make_map
from tests.builders import ROOT

GEO = ROOT / "data" / "geo"


def test_changes_since_layer(tmp_path: Path) -> None:
    store = tmp_path / "park.gpkg"
    run = CliRunner().invoke
    assert run(cli, ["load", str(GEO / "sample_park.gpkg"), "--store", str(store),
                     "--keep-problems"]).exit_code == 0
    assert run(cli, ["load", str(GEO / "sample_park_v2.gpkg"), "--store", str(store),
                     "--effective", "2023-08-15", "--keep-problems"]).exit_code == 0
    with open_store(store) as s:
        before = assess(s.parcels_frame(as_of="2023-01-01"), "2023-01-01")
        after = assess(s.parcels_frame(as_of="2023-10-31"), "2023-10-31")
        led = s.ledger_frame()
    found = changes(before, after, "2023-01-01", "2023-10-31", ledger=led)
    wm = make_map(after, led, changes=found, changes_since="2023-01-01", tiled=False)
    layer = next(x for x in wm.config["layers"] if x["key"] == "changes")
    assert layer["title"] == "2023年1月1日以来变化"
    counts = {c["code"]: c["count"] for c in layer["classes"]}
    # drawn: the current register only (retired parcels are not on the map); a parcel in
    # its first transition's class: FB-014-1, FB-014-2 split; FB-301 merged; FB-049 and
    # DZ-017 holder changed (DZ-017 also re-supplied)
    assert (counts["split"], counts["merged"], counts["retired"]) == (2, 1, 0)
    assert counts["holder_changed"] == 2 and counts["idle_cleared_resupplied"] == 0
    assert sum(counts.values()) == len(found) - 3  # every changed parcel but the 3 retired
    out = tmp_path / "m.html"
    res = run(cli, ["map", str(store), "--as-of", "2023-10-31", "--changes-since",
                    "2023-01-01", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert json.dumps("2023年1月1日以来变化", ensure_ascii=False)[1:-1] in \
        out.read_text("utf-8")
