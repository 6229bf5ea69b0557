"""The browser assets of the map, from npm packages installed by the project's setup.

Leaflet and its plugins come from the npm registry: ``package.json`` and
``package-lock.json`` at the top of the checkout pin them, and ``make assets`` (run by
``make demo`` and ``make test``) installs them with ``npm ci`` into ``node_modules/``
(git-ignored). Nothing is copied into the repository and nothing is fetched from a CDN
when a map opens: the files are inlined into the page, their images as data URIs.

=========================  ==================================================
npm package                used for
=========================  ==================================================
leaflet 1.9.4              the map
leaflet.vectorgrid 1.3.0   vector-tile rendering on canvas (bundled build)
leaflet.fullscreen         full-screen button
leaflet-minimap            overview map
leaflet-measure 3.1.0      distance and area measuring (area shown in 亩)
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

__all__ = ["NODE_MODULES", "WebAssets", "find_node_modules", "load_assets"]

NODE_MODULES = Path(__file__).resolve().parent.parent.parent / "node_modules"
"""Where ``npm ci`` puts the packages in a checkout."""

_STATIC = Path(__file__).resolve().parent / "static"

_JS = (
    "leaflet/dist/leaflet.js",
    "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    "leaflet.fullscreen/dist/Control.FullScreen.umd.js",
    "leaflet-minimap/dist/Control.MiniMap.min.js",
    "leaflet-measure/dist/leaflet-measure.{lang}.js",
)
_CSS = (
    "leaflet/dist/leaflet.css",
    "leaflet.fullscreen/dist/Control.FullScreen.css",
    "leaflet-minimap/dist/Control.MiniMap.min.css",
    "leaflet-measure/dist/leaflet-measure.css",
)

_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|#)([^'\")]+)\1\s*\)")


@dataclass(frozen=True)
class WebAssets:
    """Library JS and CSS (in load order) and our own client code."""

    lib_js: tuple[str, ...]
    lib_css: tuple[str, ...]
    app_js: str
    app_css: str


def find_node_modules(node_modules: Path | None = None) -> Path:
    """The ``node_modules`` folder holding the map's npm packages, or a clear error."""
    nm = Path(node_modules) if node_modules else NODE_MODULES
    missing = [p.split("/")[0] for p in (*_JS, *_CSS) if not (nm / p.split("/")[0]).is_dir()]
    if missing:
        raise DataSourceError(
            f"{nm}: the map's browser packages are not installed (missing "
            f"{', '.join(sorted(set(missing)))}). Fix: run 'make assets' (npm ci) in the "
            f"landuse checkout."
        )
    return nm


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
def load_assets(lang: str = "zh", node_modules: Path | None = None) -> WebAssets:
    """Read (and cache) the map's JS/CSS, ready to inline into a page."""
    nm = find_node_modules(node_modules)
    measure_lang = "cn" if lang == "zh" else "en"
    js = []
    for rel in _JS:
        p = nm / rel.format(lang=measure_lang)
        if not p.is_file():
            raise DataSourceError(f"{p}: missing. Fix: run 'make assets' (npm ci) again.")
        js.append(p.read_text("utf-8"))
    # Leaflet's default marker (used by the measure tool) points at image files beside
    # the page; give it the package's images as data URIs instead.
    img = nm / "leaflet" / "dist" / "images"
    icons = {
        key: "data:image/png;base64," + base64.b64encode((img / name).read_bytes()).decode()
        for key, name in (("iconUrl", "marker-icon.png"), ("iconRetinaUrl", "marker-icon-2x.png"),
                          ("shadowUrl", "marker-shadow.png"))
    }
    js.insert(1, 'L.Icon.Default.imagePath = "";\nL.Icon.Default.mergeOptions('
              + json.dumps(icons) + ");")
    css = [_inline_css(nm / rel) for rel in _CSS]
    return WebAssets(
        lib_js=tuple(js),
        lib_css=tuple(css),
        app_js=(_STATIC / "landuse-map.js").read_text("utf-8"),
        app_css=(_STATIC / "landuse-map.css").read_text("utf-8"),
    )
