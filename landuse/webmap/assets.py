"""The browser assets of the map, shipped inside the package (``static/vendor/``).

Leaflet and its plugins come from the npm registry, pinned by ``package.json`` and
``package-lock.json`` at the top of the checkout. The files the map uses, each package's
licence and its ``package.json`` are copied into ``landuse/webmap/static/vendor/<package>/``
(committed, and part of the wheel) by ``make assets`` (``npm ci``, then
``scripts/vendor_assets.py``); npm is needed only to refresh them. Nothing is fetched from a
CDN when a map opens: the files are inlined into the page, their images as data URIs.

=========================  ==================================================
npm package                used for
=========================  ==================================================
leaflet 1.9.4              the map
leaflet.vectorgrid 1.3.0   vector-tile rendering on canvas (bundled build)
leaflet.fullscreen         full-screen button
leaflet-minimap            overview map
leaflet-measure 3.1.0      distance and area measuring (area shown in 亩)
pmtiles 4.5.0              reading a PMTiles archive the user opens (viewer page)
=========================  ==================================================
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from landuse.errors import DataSourceError

__all__ = [
    "LEAFLET_ICONS",
    "LIB_CSS",
    "LIB_JS",
    "MEASURE_LANGS",
    "VENDOR",
    "VIEWER_JS",
    "WebAssets",
    "css_references",
    "find_vendor",
    "load_assets",
    "required_files",
]

_STATIC = Path(__file__).resolve().parent / "static"

VENDOR = _STATIC / "vendor"
"""Package data: one folder per npm package, holding the files below, licence, package.json."""

LIB_JS = (
    "leaflet/dist/leaflet.js",
    "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    "leaflet.fullscreen/dist/Control.FullScreen.umd.js",
    "leaflet-minimap/dist/Control.MiniMap.min.js",
    "leaflet-measure/dist/leaflet-measure.{lang}.js",
)
"""Library scripts in load order, relative to :data:`VENDOR` (``{lang}``: measure's language)."""
LIB_CSS = (
    "leaflet/dist/leaflet.css",
    "leaflet.fullscreen/dist/Control.FullScreen.css",
    "leaflet-minimap/dist/Control.MiniMap.min.css",
    "leaflet-measure/dist/leaflet-measure.css",
)
"""Library style sheets, relative to :data:`VENDOR`; the images they reference ship too."""
VIEWER_JS = ("pmtiles/dist/pmtiles.js",)
"""Scripts the PMTiles viewer page adds to the map's (:mod:`landuse.webmap.viewer`)."""
MEASURE_LANGS = {"zh": "cn", "en": "en"}
"""leaflet-measure's language file for each map language."""
LEAFLET_ICONS = (("iconUrl", "marker-icon.png"), ("iconRetinaUrl", "marker-icon-2x.png"),
                 ("shadowUrl", "marker-shadow.png"))
"""Leaflet's default marker images (``leaflet/dist/images/``), given to it as data URIs."""

_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|#)([^'\")]+)\1\s*\)")


@dataclass(frozen=True)
class WebAssets:
    """Library JS and CSS (in load order) and our own client code."""

    lib_js: tuple[str, ...]
    lib_css: tuple[str, ...]
    app_js: str
    app_css: str


def required_files() -> list[str]:
    """Every vendored file the map reads, relative to :data:`VENDOR` (CSS images apart)."""
    js = [r.format(lang=m) for r in LIB_JS for m in MEASURE_LANGS.values()]
    icons = [f"leaflet/dist/images/{name}" for _, name in LEAFLET_ICONS]
    return list(dict.fromkeys([*js, *LIB_CSS, *icons, *VIEWER_JS]))  # load order, no duplicates


def find_vendor(vendor: Path | None = None) -> Path:
    """The folder holding the map's browser packages, or a clear error.

    Parameters
    ----------
    vendor
        Where to look; the package data (:data:`VENDOR`) by default.

    Raises
    ------
    DataSourceError
        When a file is missing. The message names the files relative to the package
        (``landuse/webmap/static/vendor/...``), never a path of the machine, since the web
        service shows it to its clients.
    """
    v = Path(vendor) if vendor is not None else VENDOR
    missing = [rel for rel in required_files() if not (v / rel).is_file()]
    if missing:
        shown = ", ".join(f"landuse/webmap/static/vendor/{m}" for m in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise DataSourceError(
            f"The map's browser files are missing from this landuse installation ({shown}"
            f"{more}). 地图所需的浏览器文件缺失。Fix: reinstall landuse, or in a checkout run "
            "'make assets'."
        )
    return v


def css_references(path: Path) -> list[str]:
    """The relative ``url(...)`` references of a style sheet (data URIs apart), in order."""
    text = path.read_text("utf-8")
    return [m.group(2).split("?")[0].split("#")[0] for m in _URL.finditer(text)]


def _inline_css(path: Path) -> str:
    """CSS text with every relative url(...) replaced by a data URI."""
    text = path.read_text("utf-8")

    def repl(m: re.Match[str]) -> str:
        ref = m.group(2).split("?")[0].split("#")[0]
        target = (path.parent / ref).resolve()
        if not target.is_file():
            return "url(data:,)"  # an image the plugin never ships; nothing to fetch
        mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:{mime};base64,{data})"

    return _URL.sub(repl, text)


@cache
def load_assets(lang: str = "zh", vendor: Path | None = None) -> WebAssets:
    """Read (and cache) the map's JS/CSS, ready to inline into a page.

    Parameters
    ----------
    lang
        ``"zh"`` or ``"en"``: the language of the measuring tool.
    vendor
        Folder of the browser packages; the package data by default.
    """
    v = find_vendor(vendor)
    measure_lang = MEASURE_LANGS.get(lang, "en")
    js = [(v / rel.format(lang=measure_lang)).read_text("utf-8") for rel in LIB_JS]
    # Leaflet's default marker (used by the measure tool) points at image files beside
    # the page; give it the package's images as data URIs instead.
    img = v / "leaflet" / "dist" / "images"
    icons = {
        key: "data:image/png;base64," + base64.b64encode((img / name).read_bytes()).decode()
        for key, name in LEAFLET_ICONS
    }
    js.insert(1, 'L.Icon.Default.imagePath = "";\nL.Icon.Default.mergeOptions('
              + json.dumps(icons) + ");")
    css = [_inline_css(v / rel) for rel in LIB_CSS]
    return WebAssets(
        lib_js=tuple(js),
        lib_css=tuple(css),
        app_js=(_STATIC / "landuse-map.js").read_text("utf-8"),
        app_css=(_STATIC / "landuse-map.css").read_text("utf-8"),
    )
