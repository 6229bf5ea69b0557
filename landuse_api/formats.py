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

from landuse.labels import has_label, header, label
from landuse.report.text import day_text
from landuse.standard import code_label, field_name_zh, get_standard
from landuse.store import Feature
from landuse.store.schema import Collection, Column

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
                  note: str = "", coll: Collection | None = None, lang: str = "zh") -> bytes:
    """A plain, offline HTML table (no scripts, no CDN), for people to read.

    With the collection, in Chinese the headers are the fields' Chinese names, codes
    their Chinese words, dates 2023年5月8日 and booleans 是/否 (English: the field names,
    English code words, ISO dates, yes/no).
    """
    cols: list[str] = []
    for f in feats:
        for k in f.properties:
            if k not in cols:
                cols.append(k)
    esc = html.escape
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(_cell(coll, c, f.properties.get(c), lang))}</td>"
                         for c in cols) + "</tr>"
        for f in feats
    )
    nav = " ".join(f'<a href="{esc(x["href"])}">{esc(_link_title(x, lang))}</a>'
                   for x in links)
    body = (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>{esc(title)}"
            "</title><style>body{font-family:sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style></head><body>"
            f"<h1>{esc(title)}</h1><p>{esc(note)}</p><p>{nav}</p><table><thead><tr>"
            + "".join(f"<th>{esc(_head(coll, c, lang))}</th>" for c in cols)
            + f"</tr></thead><tbody>{rows}</tbody></table></body></html>")
    return body.encode()


def _link_title(link: dict[str, str], lang: str) -> str:
    """A link's words: a format's name (JSON, CSV …) as it is, else its relation in words."""
    title = link.get("title") or ""
    if title.lower() in MEDIA:
        return title.upper()
    rel = link["rel"]
    if has_label("store", f"link_{rel}"):
        return label("store", f"link_{rel}", lang)
    return title or rel


def _codes(coll: Collection | None, col: Column) -> str | None:
    """The code list of a column: its own, or that of a list field of the assessment."""
    if col.codes:
        return col.codes
    if coll is not None and any(c.name == col.name for c in coll.derived):
        return get_standard().field("assessment", col.name).codes
    return None


def _column(coll: Collection | None, name: str) -> Column | None:
    if coll is None:
        return None
    try:
        return coll.column(name)
    except KeyError:
        return None


def _head(coll: Collection | None, name: str, lang: str) -> str:
    """A column header: the field's Chinese name (with its unit) in zh, its name in en."""
    if lang != "zh" or _column(coll, name) is None:
        return name
    if any(c.name == name for c in coll.derived):  # type: ignore[union-attr]
        return header(name, lang)
    return field_name_zh(name)


def _cell(coll: Collection | None, name: str, v: Any, lang: str) -> str:
    """A value as people read it: code words, dates as a land office writes them, 是/否."""
    if v is None:
        return ""
    col = _column(coll, name)
    if col is None:
        return str(v)
    if col.kind == "bool":
        return label("common", "yes" if v else "no", lang)
    if col.kind == "date":
        day = pd.Timestamp(str(v))
        return str(v) if pd.isna(day) else day_text(day, lang)
    codes = _codes(coll, col)
    if codes:
        words = [code_label(codes, c.strip(), lang) if has_label(codes, c.strip())
                 else c.strip() for c in str(v).split(";") if c.strip()]
        return ("、" if lang == "zh" else "; ").join(words)
    return str(v)


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
