"""Small parcel layers built in code for the rules tests (EPSG:4527, 100 m squares)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

DATE_FIELDS = (
    "approval_date",
    "supply_date",
    "delivery_date",
    "agreed_start_date",
    "agreed_completion_date",
    "permit_date",
    "start_date",
    "suspended_since",
    "completion_date",
    "production_date",
    "extension_until",
)
BOOL_FIELDS = ("mortgaged", "above_scale")


def make(rows: list[dict[str, Any]], registered: float | None = 10000.0) -> gpd.GeoDataFrame:
    """Parcels P0, P1, ... as 100 m squares; dates/bools typed as the reader contract says."""
    df = pd.DataFrame(rows)
    if "parcel_id" not in df.columns:
        df["parcel_id"] = [f"P{i}" for i in range(len(df))]
    for c in DATE_FIELDS:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c])
    for c in BOOL_FIELDS:
        if c in df.columns:
            df[c] = df[c].astype("boolean")
    if registered is not None and "registered_area_m2" not in df.columns:
        df["registered_area_m2"] = registered
    geoms = [
        box(39500000 + i * 200, 3100000, 39500100 + i * 200, 3100100) for i in range(len(df))
    ]
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4527")


def supplied(**kw: Any) -> dict[str, Any]:
    """A supplied industrial parcel; keyword arguments override."""
    row: dict[str, Any] = {
        "supply_date": "2020-01-01",
        "land_price_wan": 500.0,
        "delay_cause": "holder",
        "land_use": "industrial",
    }
    row.update(kw)
    return row


def producing(**kw: Any) -> dict[str, Any]:
    """A producing parcel (since 2015) passing every indicator; keyword arguments override."""
    row = supplied(
        start_date="2013-01-01",
        completion_date="2014-01-01",
        production_date="2015-01-01",
        industry_code="34",
        floor_area_m2=10000.0,
        footprint_m2=5000.0,
        yard_area_m2=0.0,
        admin_area_m2=500.0,
        green_area_m2=1000.0,
        invested_wan=6000.0,
        tax_wan=600.0,
        target_invest_intensity_wan_per_mu=300.0,
        target_tax_per_mu_wan=30.0,
        enterprise_status="operating",
        value_added_wan=3000.0,
        energy_tce=1000.0,
        employees=100.0,
        rd_wan=100.0,
        revenue_wan=5000.0,
    )
    row.update(kw)
    return row
