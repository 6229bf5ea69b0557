"""What a parcel layer holds, as read: the facts ``landuse info`` shows.

:func:`describe_layer` summarises a layer read by :func:`landuse.io.read_parcels` (its
geometry types, bounds, CRS and the reader's record in ``attrs["landuse"]``: format,
encoding, fields recognised and not, unit conversions, unreadable cells).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd

__all__ = ["GEOMETRY_TYPES", "describe_layer"]

GEOMETRY_TYPES = {-1: "missing", 0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon",
                  4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon",
                  7: "GeometryCollection"}
"""shapely geometry type id -> name (-1: no geometry)."""


def describe_layer(gdf: gpd.GeoDataFrame, source: str) -> dict[str, Any]:
    """The facts about a layer read from ``source``, as a JSON-ready dict.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Parcels as :func:`landuse.io.read_parcels` returns them.
    source : str
        The file they were read from (reported as ``file``).

    Returns
    -------
    dict
        ``file format layers layer crs crs_name crs_assumed parcels geometry_types bounds
        encoding encoding_source recognised unrecognised units_converted truncated_headers
        units_inferred units_given units_unknown unreadable_cells file_problems attributes``
        (``units_inferred``: field -> header and the unit its values make plausible;
        ``units_unknown``: header -> the field it was cut from, unit not inferable);
        ``bounds`` is None when no parcel has a geometry.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(0, 0, 1, 2)], crs=4326)
    >>> d = describe_layer(g, "a.gpkg")
    >>> d["parcels"], d["geometry_types"], d["bounds"], d["crs"]
    (1, {'Polygon': 1}, [0.0, 0.0, 1.0, 2.0], 'EPSG:4326')
    """
    import shapely

    meta = gdf.attrs.get("landuse", {})
    counts: dict[str, int] = {}
    for t in shapely.get_type_id(gdf.geometry.values):
        name = GEOMETRY_TYPES.get(int(t), str(t))
        counts[name] = counts.get(name, 0) + 1
    has = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    bounds = [float(v) for v in gdf[has].total_bounds] if has.any() else None
    return {
        "file": source,
        "format": meta.get("format"),
        "layers": meta.get("layers"),
        "layer": meta.get("layer"),
        "crs": gdf.crs.to_string() if gdf.crs else None,
        "crs_name": gdf.crs.name if gdf.crs else None,
        "crs_assumed": meta.get("crs_assumed"),
        "parcels": len(gdf),
        "geometry_types": counts,
        "bounds": bounds,
        "encoding": meta.get("encoding"),
        "encoding_source": meta.get("encoding_source"),
        "recognised": meta.get("recognised", {}),
        "unrecognised": meta.get("unrecognised", []),
        "units_converted": meta.get("converted", {}),
        "truncated_headers": meta.get("truncated", []),
        "units_inferred": {
            f: {"header": v["header"], "unit": v["unit"]}
            for f, v in meta.get("units_inferred", {}).items()
        },
        "units_given": meta.get("units_given", {}),
        "units_unknown": meta.get("units_unknown", {}),
        "unreadable_cells": len(meta.get("cells", {}).get("row", [])),
        "file_problems": len(meta.get("problems", [])),
        "attributes": meta.get("attributes"),
    }
