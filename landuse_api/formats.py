"""Serialise features: GeoJSON, CSV, HTML, and downloads (GeoPackage, GeoJSON, CSV, XLSX)."""

from __future__ import annotations

import csv
import html
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.store import Feature

__all__ = ["DOWNLOADS", "MEDIA", "feature_json", "features_geojson", "features_html",
           "features_table", "render_download"]

MEDIA = {
    "json": "application/geo+json",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
}
DOWNLOADS = ("geojson", "csv", "xlsx", "gpkg")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# one encoder for every value (json.dumps with options makes a new one per call)
_dumps = _ENCODER.encode


def _geojson_strings(geoms: list[Any]) -> list[str]:
    arr = np.array(geoms, dtype=object)
    out = shapely.to_geojson(arr)
    return ["null" if s is None else s for s in out]


def feature_json(f: Feature, geom: Any, extra: dict[str, Any] | None = None) -> str:
    """One feature as GeoJSON text (geometry already in the output CRS)."""
    g = _geojson_strings([geom])[0]
    body = f'{{"type":"Feature","id":{_dumps(f.id)},"geometry":{g},' \
           f'"properties":{_dumps(f.properties)}'
    if extra:
        body += "," + _dumps(extra)[1:-1]
    return body + "}"


def features_geojson(
    feats: list[Feature], geoms: list[Any], meta: dict[str, Any]
) -> bytes:
    """A FeatureCollection; ``meta`` adds links, numberMatched, timeStamp, ..."""
    gj = _geojson_strings(geoms)
    parts = [
        f'{{"type":"Feature","id":{_dumps(f.id)},"geometry":{g},'
        f'"properties":{_dumps(f.properties)}}}'
        for f, g in zip(feats, gj, strict=True)
    ]
    head = _dumps({"type": "FeatureCollection", **meta})[:-1]
    return (head + ',"features":[' + ",".join(parts) + "]}").encode()


def features_table(feats: list[Feature], geoms: list[Any], with_geometry: bool) -> pd.DataFrame:
    """Properties as a table; geometry as WKT in column ``wkt`` when kept."""
    df = pd.DataFrame([f.properties for f in feats])
    if with_geometry:
        df["wkt"] = [None if g is None else g.wkt for g in geoms]
    return df


def features_csv(feats: list[Feature], geoms: list[Any], with_geometry: bool) -> bytes:
    """CSV with a BOM so that Excel reads the Chinese text."""
    df = features_table(feats, geoms, with_geometry)
    buf = io.StringIO()
    df.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def features_html(title: str, feats: list[Feature], links: list[dict[str, str]],
                  note: str = "") -> bytes:
    """A plain, offline HTML table (no scripts, no CDN)."""
    cols: list[str] = []
    for f in feats:
        for k in f.properties:
            if k not in cols:
                cols.append(k)
    esc = html.escape
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc('' if f.properties.get(c) is None else str(f.properties[c]))}"
                         "</td>" for c in cols) + "</tr>"
        for f in feats
    )
    nav = " ".join(f'<a href="{esc(x["href"])}">{esc(x.get("title", x["rel"]))}</a>'
                   for x in links)
    body = (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{esc(title)}"
            "</title><style>body{font-family:sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style></head><body>"
            f"<h1>{esc(title)}</h1><p>{esc(note)}</p><p>{nav}</p><table><thead><tr>"
            + "".join(f"<th>{esc(c)}</th>" for c in cols)
            + f"</tr></thead><tbody>{rows}</tbody></table></body></html>")
    return body.encode()


def page_html(title: str, body: dict[str, Any]) -> bytes:
    """A JSON document shown as an HTML page with its links clickable."""
    esc = html.escape
    links = "".join(f'<li><a href="{esc(x["href"])}">{esc(x.get("title") or x["rel"])}</a> '
                    f'({esc(x["rel"])})</li>' for x in body.get("links", []))
    pretty = esc(json.dumps({k: v for k, v in body.items() if k != "links"},
                            ensure_ascii=False, indent=2))
    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{esc(title)}"
            f"</title></head><body><h1>{esc(title)}</h1><ul>{links}</ul><pre>{pretty}</pre>"
            "</body></html>").encode()


def render_download(fmt: str, feats: list[Feature], geoms: list[Any], crs: str,
                    layer: str, with_geometry: bool) -> bytes:
    """Bytes of a download in ``fmt`` (geojson, csv, xlsx, gpkg)."""
    if fmt == "geojson":
        return features_geojson(feats, geoms, {"name": layer})
    if fmt == "csv":
        return features_csv(feats, geoms, with_geometry)
    if fmt == "xlsx":
        df = features_table(feats, geoms, with_geometry)
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            df.to_excel(xw, sheet_name=layer[:31], index=False)
        return buf.getvalue()
    # gpkg
    df = pd.DataFrame([f.properties for f in feats])
    gdf = gpd.GeoDataFrame(df, geometry=list(geoms) if with_geometry else [None] * len(feats),
                           crs=crs)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "download.gpkg"
        gdf.to_file(p, layer=layer, driver="GPKG", engine="pyogrio")
        return p.read_bytes()
