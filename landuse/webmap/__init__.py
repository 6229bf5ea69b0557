"""Interactive HTML maps of assessed parcels (folium + Leaflet, offline, any size).

:func:`make_map` builds a map from an assessed GeoDataFrame, :func:`write_map` writes it;
:func:`write_tiles` and :func:`page_for_tile_url` serve large registers from a tile server
(:func:`write_records` when the server makes the tiles on demand).
"""

from __future__ import annotations

from landuse.webmap.build import (
    BASEMAPS,
    INLINE_MAX_PARCELS,
    WebMap,
    make_map,
    page_for_tile_url,
    write_map,
    write_records,
    write_tiles,
)
from landuse.webmap.gcj02 import to_gcj02_for_display, wgs84_to_gcj02

__all__ = [
    "BASEMAPS",
    "INLINE_MAX_PARCELS",
    "WebMap",
    "make_map",
    "page_for_tile_url",
    "to_gcj02_for_display",
    "wgs84_to_gcj02",
    "write_map",
    "write_records",
    "write_tiles",
]
