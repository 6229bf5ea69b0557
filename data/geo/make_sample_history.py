"""Generate ``data/geo/sample_park_v2.gpkg``: the sample park's register, second version.

The first version is ``sample_park.gpkg`` (not changed here). The second takes effect on
2023-08-15 and differs from it in four edits, chosen on parcels whose assessment does not
move between 2023-01-01 and 2023-10-31 by itself, so that each edit's transitions can be
worked out by hand (``sample_history_expected.json``):

* a split: FB-014 (绿地, 33 495.12 m²) into its west and east halves FB-014-1 and FB-014-2
  (原宗地编号 FB-014; areas and amounts shared by measured area);
* a merge: FB-053 and FB-068 (both 绿地 of the 管委会) into FB-301 (原宗地编号
  FB-053;FB-068; areas and amounts added);
* a holder change: FB-049 (商服) passes from 抚州珩杉商贸有限公司 to 抚州珩杉商业管理有限公司;
* a re-supply: DZ-017, idle and not started since 2021 (case ``delay_cause_missing``; no
  ledger events), recovered and supplied again on 2023-08-15 to 抚州岚杉微电子科技有限公司,
  start agreed for 2024-08-15, nothing built yet.

Deterministic: no clock, no network; GDAL's ``OGR_CURRENT_DATE`` pinned as for the sample
park. Run ``python data/geo/make_sample_history.py [--out-dir DIR]``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

HERE = Path(__file__).resolve().parent
EFFECTIVE = "2023-08-15"

SHARED = ("registered_area_m2", "land_price_wan", "total_investment_wan", "developed_area_m2",
          "invested_wan", "footprint_m2", "yard_area_m2", "floor_area_m2", "admin_area_m2",
          "green_area_m2", "tax_wan", "output_wan", "revenue_wan", "value_added_wan",
          "energy_tce", "rd_wan")
"""Amounts that a split shares by measured area and a merge adds up."""

RESUPPLY_CLEARED = ("credit_code", "industry_code", "enterprise_status", "above_scale",
                    "permit_date", "start_date", "start_evidence", "developed_area_m2",
                    "invested_wan", "suspended_since", "completion_date", "production_date",
                    "footprint_m2", "yard_area_m2", "floor_area_m2", "admin_area_m2",
                    "green_area_m2", "delay_cause", "extension_until", "observed_use",
                    "stat_year", "tax_wan", "output_wan", "revenue_wan", "value_added_wan",
                    "energy_tce", "employees", "rd_wan", "total_investment_wan",
                    "target_far", "target_invest_intensity_wan_per_mu",
                    "target_tax_per_mu_wan")
"""What the former holder's project recorded, gone with the re-supply."""


def _split(row: pd.Series, crs: object) -> gpd.GeoDataFrame:
    g = row.geometry
    x0, y0, x1, y1 = g.bounds
    xm = (x0 + x1) / 2
    parts = [shapely.intersection(g, shapely.box(x0, y0, xm, y1)),
             shapely.intersection(g, shapely.box(xm, y0, x1, y1))]
    total = g.area
    rows = []
    for k, part in enumerate(parts, start=1):
        r = row.copy()
        r["parcel_id"] = f"{row['parcel_id']}-{k}"
        r["parent_ids"] = row["parcel_id"]
        share = part.area / total
        for f in SHARED:
            if pd.notna(r[f]):
                r[f] = round(float(r[f]) * share, 2)
        r["geometry"] = part
        rows.append(r)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def _merge(a: pd.Series, b: pd.Series, new_id: str, crs: object) -> gpd.GeoDataFrame:
    r = a.copy()
    r["parcel_id"] = new_id
    r["parent_ids"] = f"{a['parcel_id']};{b['parcel_id']}"
    for f in SHARED:
        vals = [v for v in (a[f], b[f]) if pd.notna(v)]
        r[f] = round(float(sum(vals)), 2) if vals else np.nan
    r["geometry"] = shapely.union(a.geometry, b.geometry)
    return gpd.GeoDataFrame([r], geometry="geometry", crs=crs)


def second_version(first: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The second version of the register made from the first (see the module docstring)."""
    reg = first.copy()
    reg["parent_ids"] = None
    by_id = reg.set_index("parcel_id", drop=False)
    split = _split(by_id.loc["FB-014"], reg.crs)
    merged = _merge(by_id.loc["FB-053"], by_id.loc["FB-068"], "FB-301", reg.crs)
    keep = reg[~reg["parcel_id"].isin(["FB-014", "FB-053", "FB-068"])].copy()
    keep.loc[keep.parcel_id == "FB-049", "holder"] = "抚州珩杉商业管理有限公司"
    ys = keep.parcel_id == "DZ-017"
    for f in RESUPPLY_CLEARED:
        keep.loc[ys, f] = None
    keep.loc[ys, "holder"] = "抚州岚杉微电子科技有限公司"
    for f, day in (("supply_date", EFFECTIVE), ("delivery_date", EFFECTIVE),
                   ("agreed_start_date", "2024-08-15"),
                   ("agreed_completion_date", "2026-08-15")):
        keep.loc[ys, f] = pd.Timestamp(day)
    keep.loc[ys, "mortgaged"] = False
    out = pd.concat([keep, split, merged], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=reg.crs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=HERE)
    args = ap.parse_args()
    os.environ["OGR_CURRENT_DATE"] = "2023-10-31T00:00:00Z"
    from landuse.io import read_parcels

    first = read_parcels(HERE / "sample_park.gpkg")
    v2 = second_version(first)
    assert len(v2) == len(first) - 3 + 3
    out = args.out_dir / "sample_park_v2.gpkg"
    if out.exists():
        out.unlink()
    pyogrio.write_dataframe(v2, out, layer="parcels")
    print(f"wrote {out} ({len(v2)} parcels, effective {EFFECTIVE})")


if __name__ == "__main__":
    main()
