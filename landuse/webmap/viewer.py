"""An offline page that opens a PMTiles archive chosen or dropped by the user.

Browsers refuse range requests on ``file://``, so a page cannot read a ``.pmtiles`` file
beside it by URL; the user picks the file (or drops it on the map) and the page reads it
from the File object with the ``pmtiles`` npm package (vendored, inlined like Leaflet and
Leaflet.VectorGrid; nothing is fetched from a CDN). The legends are the archive's own
(metadata ``landuse.layers``, written by :func:`landuse.webmap.archive.write_pmtiles`).
``landuse serve --pmtiles`` serves the same page at ``/tiles/province.html``, opening the
served archive by range requests. The page records when its first tile is drawn
(``LU_VIEWER_STATE.firstTileMs`` after opening, the performance mark ``lu-first-tile``).
"""

from __future__ import annotations

import json
from pathlib import Path

from landuse import labels
from landuse.errors import DataSourceError
from landuse.io.write import atomic_path
from landuse.webmap.assets import VIEWER_JS, find_vendor, load_assets

__all__ = ["VIEWER_WORDS", "viewer_html", "write_viewer"]

_STATIC = Path(__file__).resolve().parent / "static"

VIEWER_WORDS = ("viewer_title", "viewer_pick", "viewer_opened", "viewer_not_pmtiles",
                "viewer_layer")
"""The page's own words (``words.toml``, kind ``map``)."""


def _words(lang: str) -> dict[str, str]:
    w = {k.removeprefix("viewer_"): labels.label("map", k, lang) for k in VIEWER_WORDS}
    w["parcels"] = labels.label("common", "parcels", lang)
    w["as_of"] = labels.label("common", "as_of", lang)
    w["zoom"] = labels.label("map", "viewer_zoom", lang)
    return w


def viewer_html(lang: str = "zh", url: str | None = None) -> str:
    """The viewer page's HTML, every script and style inlined.

    With ``url`` (an archive served with range requests, e.g. ``province.pmtiles`` beside the
    page on ``landuse serve``) the page opens it at once; the file picker still works.
    """
    if lang not in labels.LANGS:
        raise DataSourceError(f"language '{lang}' is not supported. Fix: use zh or en.")
    assets = load_assets(lang)
    vendor = find_vendor()
    js = list(assets.lib_js[:3])  # Leaflet, its icons as data URIs, Leaflet.VectorGrid
    js += [(vendor / rel).read_text("utf-8") for rel in VIEWER_JS]
    own = (_STATIC / "pmtiles-viewer.js").read_text("utf-8")
    w = _words(lang)

    def safe(text: str) -> str:
        return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")

    scripts = "\n".join(f"<script>{safe(s)}</script>" for s in js)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{w['title']}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{assets.lib_css[0]}</style>
<style>html,body{{margin:0;height:100%;font:14px sans-serif}}#map{{position:absolute;top:44px;
bottom:0;left:0;right:0}}#lu-bar{{height:44px;display:flex;gap:12px;align-items:center;
padding:0 10px;background:#f4f4f4}}#lu-legend{{position:absolute;right:10px;bottom:20px;
z-index:1000;background:#fff;padding:6px 8px;border-radius:4px}}.lu-row i{{display:inline-block;
width:12px;height:12px;margin-right:6px}}</style>
{scripts}
</head><body>
<div id="lu-bar"><label>{w['pick']} <input id="lu-file" type="file" accept=".pmtiles"></label>
<label>{w['layer']} <select id="lu-layer"></select></label><span id="lu-status"></span></div>
<div id="map"></div><div id="lu-legend"></div>
<script>window.LU_VIEWER = {safe(json.dumps(w, ensure_ascii=False))};
window.LU_VIEWER_URL = {safe(json.dumps(url))};</script>
<script>{safe(own)}</script>
</body></html>
"""


def write_viewer(path: str | Path, lang: str = "zh", overwrite: bool = False) -> Path:
    """Write the viewer page to ``path`` (atomically) and return the path."""
    with atomic_path(path, overwrite) as tmp:
        tmp.write_text(viewer_html(lang), "utf-8")
    return Path(path)
