"""Map overlays of the supply records: batches by 批而未供 share, reserve land by readiness,
land still suppliable (E1/E21/E22). Each is GeoJSON for the page with a colour and a
tooltip per feature (longitude/latitude; GCJ-02 when the basemap needs it)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.errors import CRSError
from landuse.labels import label
from landuse.supply.compute import reserve_stage
from landuse.supply.model import SupplyData
from landuse.supply.summary import SupplySummary

__all__ = ["SHARE_CLASSES", "supply_overlays"]

SHARE_CLASSES: tuple[tuple[str, float, str], ...] = (
    ("sup_share_none", 0.0, "#c7e9c0"),
    ("sup_share_low", 0.25, "#fdd0a2"),
    ("sup_share_mid", 0.5, "#fd8d3c"),
    ("sup_share_high", 1.0, "#d94801"),
)
"""Classes of a batch's 批而未供 share: (word key, upper bound inclusive, colour)."""

_STAGE_COLOURS = {"acquiring": "#bdbdbd", "expropriating": "#9e9ac8", "ready": "#41ab5d",
                  "supplied": "#2171b5"}
_CATEGORY_COLOURS = {"E1": "#6baed6", "E21": "#fd8d3c", "E22": "#e7298a"}


def _share_class(share: float) -> int:
    if not np.isfinite(share) or share <= 0:
        return 0
    for i, (_, hi, _) in enumerate(SHARE_CLASSES[1:], start=1):
        if share <= hi + 1e-12:
            return i
    return len(SHARE_CLASSES) - 1


def _features(frame: gpd.GeoDataFrame, colours: list[str], tips: list[str],
              shift: bool) -> dict[str, Any]:
    if frame.crs is None and frame.geometry.notna().any():
        raise CRSError("supply records: the geometries have no CRS. Fix: give the layer its CRS.")
    g = gpd.GeoDataFrame({"color": colours, "tip": tips}, geometry=frame.geometry.to_numpy(),
                         crs=frame.crs)
    g = g[~(g.geometry.isna() | g.geometry.is_empty)]
    if not len(g):
        return {"type": "FeatureCollection", "features": []}
    g = g.to_crs(4326)
    if shift:
        from landuse.webmap.gcj02 import to_gcj02_for_display

        g = to_gcj02_for_display(g)
    import json

    import shapely

    g["geometry"] = shapely.transform(g.geometry.to_numpy(), lambda c: np.round(c, 6))
    out: dict[str, Any] = json.loads(g.to_json(drop_id=True))
    return out


def supply_overlays(d: SupplyData, s: SupplySummary, lang: str,
                    shift: bool = False) -> list[dict[str, Any]]:
    """The three overlays (``title``, ``geojson``, ``legend`` as [word, colour] pairs)."""
    out: list[dict[str, Any]] = []
    b = d.batches
    if isinstance(b, gpd.GeoDataFrame) and len(b):
        per = s.batches.set_index("batch_id")
        ids = b["batch_id"].astype(str)
        share = pd.to_numeric(ids.map(per["unsupplied_share"].to_dict()), errors="coerce")
        left = pd.to_numeric(ids.map(per["unsupplied_m2"].to_dict()), errors="coerce")
        cls = [_share_class(x) for x in share.fillna(np.nan).to_numpy(dtype=float)]
        tips = [label("map", "sup_tip_batch", lang).format(
            batch=i, approved=s.mu(a), left=s.mu(lv) if np.isfinite(lv) else "—",
            share=s.pct(sh) if np.isfinite(sh) else "—")
            for i, a, lv, sh in zip(ids, pd.to_numeric(b["approved_area_m2"]), left, share,
                                    strict=True)]
        out.append({"key": "batches", "title": label("map", "sup_batches", lang),
                    "geojson": _features(b, [SHARE_CLASSES[c][2] for c in cls], tips, shift),
                    "legend": [[label("map", k, lang), col] for k, _, col in SHARE_CLASSES]})
    r = d.reserve
    if isinstance(r, gpd.GeoDataFrame) and len(r):
        stage = reserve_stage(d, s.as_of)
        words = [label("reserve_stage", x, lang) for x in stage]
        tips = [label("map", "sup_tip_reserve", lang).format(rid=i, area=s.mu(a), stage=w)
                for i, a, w in zip(r["reserve_id"], pd.to_numeric(r["area_m2"]), words,
                                   strict=True)]
        out.append({"key": "reserve", "title": label("map", "sup_reserve", lang),
                    "geojson": _features(r, [_STAGE_COLOURS[x] for x in stage], tips, shift),
                    "legend": [[label("reserve_stage", k, lang), c]
                               for k, c in _STAGE_COLOURS.items()]})
        ready = s.suppliable.set_index("reserve_id")["category"].to_dict()
        keep = r["reserve_id"].isin(list(ready)).to_numpy()
        rr = r[keep]
        cats = [str(ready[i]) for i in rr["reserve_id"]]
        tips = [label("map", "sup_tip_suppliable", lang).format(
            rid=i, area=s.mu(a), cat=label("supply_category", c, lang))
            for i, a, c in zip(rr["reserve_id"], pd.to_numeric(rr["area_m2"]), cats,
                               strict=True)]
        out.append({"key": "suppliable", "title": label("map", "sup_suppliable", lang),
                    "geojson": _features(rr, [_CATEGORY_COLOURS[c] for c in cats], tips, shift),
                    "legend": [[label("supply_category", k, lang), c]
                               for k, c in _CATEGORY_COLOURS.items()]})
    return out
