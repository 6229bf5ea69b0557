"""Build the interactive parcel map (folium + Leaflet.VectorGrid) and write it.

:func:`make_map` turns an assessed GeoDataFrame into a :class:`WebMap` (no I/O);
:func:`write_map` writes it as one self-contained HTML page (small registers) or as a
page plus a folder of tiles and chunks beside it (large ones; see
:mod:`landuse.webmap.tiles`). Every JS/CSS asset is inlined from npm packages (see
:mod:`landuse.webmap.assets`): with the default basemap ``none`` the page makes no
network request at all.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from landuse import labels
from landuse.errors import (
    CRSError,
    DataSourceError,
    GeometryError,
    OutputExistsError,
)
from landuse.io.write import atomic_path
from landuse.webmap import tiles as _tiles
from landuse.webmap.assets import load_assets
from landuse.webmap.classes import (
    LAYERS,
    LayerSpec,
    classify_layers,
    label,
    ledger_as_of,
    popup_records,
)
from landuse.webmap.evidence import EVIDENCE_LAYERS, evidence_layers
from landuse.webmap.gcj02 import to_gcj02_for_display

__all__ = [
    "BASEMAPS",
    "INLINE_MAX_PARCELS",
    "WebMap",
    "make_map",
    "page_for_tile_url",
    "stage_priority",
    "write_map",
    "write_records",
    "write_tiles",
]

INLINE_MAX_PARCELS = 5000
"""Above this many parcels the map is tiled (a page plus a folder beside it)."""

BUILDINGS_MAX = 50000
"""Buildings are embedded in the page; more than this must be clipped first."""

BASEMAPS = ("none", "osm", "tianditu-vec", "tianditu-img", "amap")

_TDT = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
    "&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)

_PAGE_WORDS = (
    "noBasemap", "zones", "buildings", "id", "holder", "zone", "history", "correctedBy",
    "searchHint", "noResult", "zoomZone", "printView", "fullscreen", "exitFullscreen",
    "shifted", "evidence", "evDate", "builtup", "bare", "vegetation", "water", "ndvi",
    "before", "change", "obsFootprint", "obsCoverage", "disagree", "evWarn", "agree",
    "outside", "compare", "reclaimDate", "reclaimed", "ledgerDate", "prevDate", "nextDate",
)
"""Words of the page script from the ``map`` group of ``landuse/data/words.toml``."""

_PAGE_REFS: dict[str, tuple[str, str]] = {
    "area": ("field", "area_m2"),
    "stage": ("field", "lifecycle"),
    "idleType": ("field", "idle_type"),
    "overdue": ("field", "overdue_days"),
    "fee": ("field", "idle_fee_wan"),
    "failed": ("field", "failed_indicators"),
    "mujun": ("field", "mujun_class"),
    "flags": ("field", "flags"),
    "mu": ("unit", "mu"),
    "days": ("unit", "day"),
    "wan": ("unit", "wan"),
    "m2": ("unit", "m2"),
    "parcels": ("common", "parcel_count"),
    "total": ("common", "total"),
    "enterprise": ("field", "enterprise"),
}
"""Words of the page script shared with other outputs: script key -> (kind, key)."""


def page_words(lang: str) -> dict[str, str]:
    """The words the page script shows (``config["t"]``), in ``lang``."""
    out = {k: label(k, lang) for k in _PAGE_WORDS}
    out.update({k: labels.label(kind, key, lang) for k, (kind, key) in _PAGE_REFS.items()})
    return out


# which parcels win a shared dot at overview zooms: idle and unsupplied land first
_PRIORITY = {
    "supplied_unused": 6, "used_incomplete": 5, "built_not_producing": 4,
    "approved_unsupplied": 3, "producing_below_target": 2, "unknown": 1, "in_use": 0,
}


def stage_priority(codes: np.ndarray, specs: list[LayerSpec]) -> np.ndarray:
    """Each parcel's drawing priority (a shared dot cell shows the highest) from its class
    in the stage layer (``codes`` and ``specs`` of
    :func:`landuse.webmap.classes.classify_layers`)."""
    j = LAYERS.index("stage")
    table = np.array([_PRIORITY.get(c.code, 1) for c in specs[j].classes], dtype=np.int16)
    return table[codes[:, j]]


@dataclass
class WebMap:
    """A map ready to write: the folium page and, for large registers, its tile data."""

    map: folium.Map
    config: dict[str, Any]
    lang: str
    title: str
    tiled: _tiles.TileSet | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    search_rows: list[list[Any]] = field(default_factory=list)

    @property
    def n_parcels(self) -> int:
        return int(self.config["n"])


def _basemaps(basemap: str, tianditu_key: str | None) -> list[dict[str, Any]]:
    if basemap not in BASEMAPS:
        raise DataSourceError(
            f"basemap '{basemap}' is not known. Fix: use one of {', '.join(BASEMAPS)}."
        )
    if basemap == "none":
        return []
    if basemap == "osm":
        return [{"name": "OpenStreetMap", "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                 "attr": "© OpenStreetMap contributors", "subdomains": "abc", "maxZoom": 19}]
    if basemap == "amap":
        return [{"name": "高德 AMap (GCJ-02)",
                 "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1"
                 "&scale=1&style=8&x={x}&y={y}&z={z}",
                 "attr": "© 高德地图 AutoNavi", "subdomains": "1234", "maxZoom": 18}]
    if not tianditu_key:
        raise DataSourceError(
            f"basemap '{basemap}' needs a Tianditu key. Fix: register at tianditu.gov.cn and "
            f"set the environment variable TIANDITU_KEY (the key is written only into the "
            f"tile URLs of the generated page)."
        )
    base, labels = ("vec", "cva") if basemap == "tianditu-vec" else ("img", "cia")
    return [{"name": "天地图 Tianditu " + ("矢量" if base == "vec" else "影像"),
             "url": _TDT.format(layer=base, key=tianditu_key),
             "labels": _TDT.format(layer=labels, key=tianditu_key),
             "attr": "© 天地图 Tianditu", "subdomains": "01234567", "maxZoom": 18}]


def _display_frame(gdf: gpd.GeoDataFrame, shift: bool) -> gpd.GeoDataFrame:
    """Longitude/latitude copy for drawing (GCJ-02-shifted if asked); checks geometry."""
    if gdf.crs is None:
        raise CRSError(
            "parcels: no CRS. Fix: set it (e.g. gdf.set_crs(4490)) or fix the .prj file."
        )
    geom = gdf.geometry
    bad = geom.isna() | geom.is_empty
    if bad.any():
        pid = gdf["parcel_id"][bad].iloc[0]
        raise GeometryError(
            f"parcels: parcel {pid} (field geometry) is empty. Fix: draw its boundary or "
            f"remove the row; {int(bad.sum())} parcel(s) affected."
        )
    kinds = set(geom.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        other = (kinds - {"Polygon", "MultiPolygon"}).pop()
        pid = gdf["parcel_id"][geom.geom_type == other].iloc[0]
        raise GeometryError(
            f"parcels: parcel {pid} (field geometry) is a {other}; parcels must be polygons."
            f" Fix: convert or remove it."
        )
    disp = gpd.GeoDataFrame({"parcel_id": gdf["parcel_id"].astype(str).to_numpy()},
                            geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    disp = disp.to_crs(4326)
    if shift:
        disp = to_gcj02_for_display(disp)
    return disp


def _round_ring(coords: np.ndarray) -> list[float]:
    return np.round(coords, 6).ravel().tolist()


def _inline_feats(geoms: np.ndarray, codes: np.ndarray) -> list[list[Any]]:
    simp = shapely.simplify(geoms, 1e-6, preserve_topology=True)
    rep = shapely.point_on_surface(geoms)
    bounds = shapely.bounds(geoms)
    out = []
    for i, g in enumerate(simp):
        rings = []
        for poly in shapely.get_parts(g):
            for ring in (poly.exterior, *poly.interiors):
                rings.append(_round_ring(np.asarray(ring.coords)[:, :2]))
        b = np.round(bounds[i], 6).tolist()
        out.append([i, *codes[i].tolist(), *b, round(rep[i].x, 6), round(rep[i].y, 6), *rings])
    return out


def _search_rows(disp: gpd.GeoDataFrame, records: list[dict[str, Any]]) -> list[list[Any]]:
    geoms = disp.geometry.to_numpy()
    b = np.round(shapely.bounds(geoms), 6)
    rep = shapely.point_on_surface(geoms)
    px = np.round(shapely.get_x(rep), 6)
    py = np.round(shapely.get_y(rep), 6)
    return [
        [i, r["id"], r["h"] or "", *b[i].tolist(), float(px[i]), float(py[i])]
        for i, r in enumerate(records)
    ]


def _geojson(gdf: gpd.GeoDataFrame, tol: float = 1e-6) -> dict[str, Any]:
    g = gdf.copy()
    simple = shapely.simplify(g.geometry.to_numpy(), tol) if tol else g.geometry.to_numpy()
    g["geometry"] = shapely.transform(simple, lambda c: np.round(c, 6))
    return json.loads(g.to_json(drop_id=True))


def _buildings_json(buildings: gpd.GeoDataFrame, what: str, shift: bool) -> dict[str, Any]:
    """Footprints as GeoJSON for the page (longitude/latitude, GCJ-02 if ``shift``)."""
    if len(buildings) > BUILDINGS_MAX:
        raise GeometryError(
            f"{what}: {len(buildings)} footprints, more than the {BUILDINGS_MAX} a page "
            f"can embed. Fix: clip the buildings to the parcels' area first."
        )
    if buildings.crs is None:
        raise CRSError(f"{what}: no CRS. Fix: set it or fix the .prj file.")
    b = gpd.GeoDataFrame(geometry=buildings.geometry.to_numpy(), crs=buildings.crs)
    b = b[~(b.geometry.isna() | b.geometry.is_empty)].to_crs(4326)
    if shift:
        b = to_gcj02_for_display(b)
    return _geojson(b)


ZONE_EXACT_MAX = 50000
"""Zones with more parcels get a gridded outline (linear time) instead of an exact union."""

ZONE_CLOSE_M = 25.0
"""Parcels are grown by this much and shrunk back: gaps (roads) up to twice it close."""

ZONE_VERTICES_MAX = 20000
"""All sub-park outlines of a page together have at most this many vertices (about 0.5 MB
of GeoJSON), whatever the parcels' count or spacing; each zone gets an equal share."""


GAP_SAMPLE = 2000
"""At most this many parcels (evenly spaced in the layer's order) estimate the median gap."""


def _median_gap(geoms: np.ndarray) -> float:
    """The median distance from a parcel to its nearest neighbour (0 when they touch),
    over at most :data:`GAP_SAMPLE` parcels."""
    if len(geoms) < 2:
        return 0.0
    tree = shapely.STRtree(geoms)
    sample = geoms[np.unique(np.linspace(0, len(geoms) - 1, GAP_SAMPLE).astype(int))]
    _, dist = tree.query_nearest(sample, exclusive=True, return_distance=True, all_matches=False)
    return float(np.median(dist)) if len(dist) else 0.0


def _grid_outline(geoms: np.ndarray, cell: float) -> Any:
    """Union of the ``cell``-sized grid squares holding a parcel's centre, smoothed."""
    b = shapely.bounds(geoms)
    cx = np.unique(np.floor(np.column_stack([(b[:, 0] + b[:, 2]) / 2,
                                             (b[:, 1] + b[:, 3]) / 2]) / cell), axis=0)
    cells = shapely.box(cx[:, 0] * cell, cx[:, 1] * cell, (cx[:, 0] + 1) * cell,
                        (cx[:, 1] + 1) * cell)
    return shapely.simplify(shapely.coverage_union_all(cells), cell / 2)


def _zone_outline(geoms: np.ndarray, budget: int) -> Any:
    """One sub-park's outline in metres, at most ``budget`` vertices.

    Parcels that gaps of at most 2 × :data:`ZONE_CLOSE_M` separate (and at most
    :data:`ZONE_EXACT_MAX` of them): their union grown and shrunk back, simplified to 5 m.
    Otherwise, or when that outline is still over ``budget`` (parcels standing apart), the
    grid outline with cells of four parcel sizes or two parcel pitches, whichever is larger,
    the cell doubled until the outline fits ``budget``: what a zoom showing the whole zone
    can draw.
    """
    b = shapely.bounds(geoms)
    size = float(np.median(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])))
    gap = _median_gap(geoms)
    if len(geoms) <= ZONE_EXACT_MAX and gap <= 2 * ZONE_CLOSE_M:
        shape = shapely.union_all(shapely.buffer(geoms, ZONE_CLOSE_M, quad_segs=2))
        shape = shapely.simplify(shapely.buffer(shape, -ZONE_CLOSE_M, quad_segs=2), 5)
        if shapely.get_num_coordinates(shape) <= budget:
            return shape
    cell = max(100.0, 4 * size, 2 * (size + gap))
    shape = shapely.simplify(_grid_outline(geoms, cell), 5)
    while shapely.get_num_coordinates(shape) > budget:
        cell *= 2
        shape = shapely.simplify(_grid_outline(geoms, cell), 5)
    return shape


def _zones(gdf: gpd.GeoDataFrame, disp: gpd.GeoDataFrame) -> dict[str, Any]:
    """Sub-park outlines: the parcels of each zone, gaps (roads) up to ~50 m closed, all
    together at most :data:`ZONE_VERTICES_MAX` vertices (:func:`_zone_outline`)."""
    if "zone" not in gdf.columns:
        return {"type": "FeatureCollection", "features": []}
    names = gdf["zone"].fillna("—").astype(str).to_numpy()
    mu = pd.to_numeric(gdf["area_mu"], errors="coerce").fillna(0).to_numpy()
    metric = disp.to_crs(disp.estimate_utm_crs())
    geoms = metric.geometry.to_numpy()
    zones = pd.unique(names)
    budget = max(50, ZONE_VERTICES_MAX // max(len(zones), 1))
    rows = []
    for name in zones:
        sel = names == name
        rows.append({"name": name, "n": int(sel.sum()), "mu": round(float(mu[sel].sum()), 2),
                     "geometry": _zone_outline(geoms[sel], budget)})
    z = gpd.GeoDataFrame(rows, geometry="geometry", crs=metric.crs).to_crs(4326)
    return _geojson(z, 0)


def make_map(
    parcels: gpd.GeoDataFrame,
    ledger: pd.DataFrame | None = None,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    basemap: str = "none",
    tianditu_key: str | None = None,
    tiled: bool | None = None,
    title: str | None = None,
    initial_layer: str = "stage",
    evidence: pd.DataFrame | None = None,
    outside_supply: gpd.GeoDataFrame | None = None,
    as_of: str | None = None,
    supply: Any = None,
    changes: pd.DataFrame | None = None,
    changes_since: str | None = None,
) -> WebMap:
    """Build the map of an assessed parcel register (no files are written).

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels with the assessment columns of the standard §3 (``landuse.rules.assess``)
        and a CRS. Areas are taken from ``area_mu``, never from display coordinates.
    ledger : DataFrame, optional
        The disposal ledger; its effective events (after corrections) make the
        "reclaimed (method)" and "reclaimed by date" layers (classes by quarter or year,
        see :func:`landuse.webmap.classes.date_classes`), each disposed parcel's date
        and method in its tooltip and popup, and each parcel's history; a date slider over
        the ledger's dates shows these as they stood on each date
        (:mod:`landuse.webmap.timeline`, ``config["timeline"]``).
    buildings : GeoDataFrame, optional
        Building footprints, drawn as their own layer.
    lang : {"zh", "en"}
        Language of the legend, popups and controls.
    basemap : {"none", "osm", "tianditu-vec", "tianditu-img", "amap"}
        ``none`` (default) needs no network. ``amap`` shifts the drawn parcels to GCJ-02.
    tianditu_key : str, optional
        Needed for the Tianditu basemaps; written only into their tile URLs.
    tiled : bool, optional
        Force tiled (True) or inline (False); by default tiled above
        :data:`INLINE_MAX_PARCELS` parcels.
    evidence : DataFrame, optional
        Evidence per parcel from :func:`landuse.evidence.run_evidence` (§4 of the parcel
        standard, keyed by ``parcel_id``). Adds the layer "影像证据 / imagery evidence"
        (parcels coloured by ``records_disagree``), built-up share layers per date and,
        with two dates, the change layer and a before/after swipe; popups show the
        observed shares and the reason sentences.
    outside_supply : GeoDataFrame, optional
        Buildings on no supplied parcel (``EvidenceResult.outside_supply``), drawn as
        their own layer. Taken from ``evidence.attrs["outside_supply"]`` when not given.
    as_of : str, optional
        Show the ledger as it stood on this date (YYYY-MM-DD): events dated later are
        left out, so the map agrees with the assessment. Defaults to the assessment's
        own date (``parcels.attrs["assessment"]["as_of"]``) when there is one.
    supply : (SupplyData, SupplySummary), optional
        The supply records and their summary: adds the overlays "报批批次（批而未供占比）",
        "储备土地（供地条件）" and "尚可供应土地" (:func:`landuse.webmap.supply.supply_overlays`),
        off until chosen in the layer control.
    changes, changes_since : DataFrame and str, optional
        :func:`landuse.rules.changes.changes` from ``changes_since`` (YYYY-MM-DD) to the
        map's date: adds the layer "changes since …" (:mod:`landuse.webmap.changes`).
    """
    if lang not in labels.LANGS:
        raise DataSourceError(f"language '{lang}' is not supported. Fix: use zh or en.")
    if initial_layer not in (*LAYERS, *EVIDENCE_LAYERS, "changes"):
        raise DataSourceError(f"layer '{initial_layer}' unknown. Fix: use one of {LAYERS}.")
    bms = _basemaps(basemap, tianditu_key)
    ledger = ledger_as_of(ledger, as_of or parcels.attrs.get("assessment", {}).get("as_of"))
    codes, specs, effective = classify_layers(parcels, ledger, lang)
    records = popup_records(parcels, effective, lang)
    timeline = _timeline(parcels, effective, specs, lang)
    ev_dates: dict[str, Any] | None = None
    if evidence is not None:
        mu = pd.to_numeric(parcels["area_mu"], errors="coerce").fillna(0.0).to_numpy()
        ev_codes, ev_specs, ev_popups, ev_dates = evidence_layers(parcels, evidence, lang, mu)
        codes = np.hstack([codes, ev_codes])
        specs = [*specs, *ev_specs]
        for rec, ev_rec in zip(records, ev_popups, strict=True):
            if ev_rec is not None:
                rec["ev"] = ev_rec
        if outside_supply is None:
            outside_supply = evidence.attrs.get("outside_supply")
    if changes is not None:
        from landuse.webmap.changes import changes_layer

        if changes_since is None:
            raise DataSourceError("changes: give changes_since, the date they are counted "
                                  "from.")
        mu = pd.to_numeric(parcels["area_mu"], errors="coerce").fillna(0.0).to_numpy()
        ch_codes, ch_spec = changes_layer(parcels, changes, changes_since, lang, mu)
        codes = np.hstack([codes, ch_codes])
        specs = [*specs, ch_spec]
    if initial_layer not in [s.key for s in specs]:
        raise DataSourceError(
            f"layer '{initial_layer}' needs the evidence. Fix: pass evidence=... or use one "
            f"of {LAYERS}."
        )
    disp = _display_frame(parcels, shift=(basemap == "amap"))
    geoms = disp.geometry.to_numpy()
    if tiled is None:
        tiled = len(parcels) > INLINE_MAX_PARCELS
    x0, y0, x1, y1 = disp.total_bounds
    title = title or ("开发区土地利用现状图" if lang == "zh" else "Development-zone land use")
    config: dict[str, Any] = {
        "lang": lang,
        "t": page_words(lang),
        "layers": [s.to_json() for s in specs],
        "nc": len(specs),
        "evDates": ev_dates,
        "outside": None,
        "initial": initial_layer,
        "bounds": np.round([[y0, x0], [y1, x1]], 6).tolist(),
        "n": len(parcels),
        "totalMu": round(float(pd.to_numeric(parcels["area_mu"], errors="coerce").sum()), 2),
        "zones": _zones(parcels, disp),
        "buildings": None,
        "basemaps": bms,
        "shifted": "gcj02" if basemap == "amap" else None,
        "timeline": timeline,
    }
    if buildings is not None:
        config["buildings"] = _buildings_json(buildings, "buildings", basemap == "amap")
    if outside_supply is not None and len(outside_supply):
        config["outside"] = _buildings_json(outside_supply, "outside_supply",
                                            basemap == "amap")
    if supply is not None:
        from landuse.webmap.supply import supply_overlays

        config["supply"] = supply_overlays(supply[0], supply[1], lang, basemap == "amap")
    tiles_set = None
    search_rows: list[list[Any]] = []
    if tiled:
        prio = np.array([_PRIORITY.get(str(v), 1) for v in parcels["lifecycle"]], dtype=np.int16)
        tiles_set = _tiles.prepare(geoms, codes, prio)
        search_rows = _search_rows(disp, records)
        config["source"] = {"kind": "chunks", "minzoom": tiles_set.minzoom,
                            "maxzoom": tiles_set.maxzoom}
    else:
        config["source"] = {"kind": "inline", "feats": _inline_feats(geoms, codes),
                            "recs": records}
    m = folium.Map(
        location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=14, tiles=None,
        control_scale=False, prefer_canvas=True, max_zoom=20,
    )
    return WebMap(m, config, lang, title, tiles_set, records if tiled else [], search_rows)


def _timeline(parcels: gpd.GeoDataFrame, effective: pd.DataFrame | None,
              specs: list[Any], lang: str) -> dict[str, Any] | None:
    """The date slider's data (:func:`landuse.webmap.timeline.ledger_timeline`)."""
    if effective is None:
        return None
    from landuse.standard import get_standard
    from landuse.webmap.classes import current_disposals, date_classes
    from landuse.webmap.timeline import ledger_timeline

    methods = list(get_standard().codes["method"])
    _, period_of = date_classes([d for d, _ in current_disposals(effective).values()], lang)
    return ledger_timeline(parcels, effective, specs, period_of, methods, lang)


class _Raw(Element):
    """Literal HTML (not parsed as a template)."""

    _template = Template("{{ this.html }}")

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html


class _App(MacroElement):
    """Our config and client script, emitted after the folium map is created."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "window.LU_CONFIG = {{ this.config_json }};\n"
        "{{ this.app_js }}\n"
        "{% endmacro %}"
    )

    def __init__(self, config_json: str, app_js: str) -> None:
        super().__init__()
        self._name = "LanduseApp"
        self.config_json = config_json
        self.app_js = app_js


def _script_safe(text: str) -> str:
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _render(webmap: WebMap, base: str | None) -> str:
    """The page's HTML, with every asset inlined and nothing fetched from a CDN."""
    assets = load_assets(webmap.lang)
    m = webmap.map
    m.default_js = []
    m.default_css = []
    cfg = dict(webmap.config)
    cfg["mapVar"] = m.get_name()
    if base is not None:
        cfg["source"] = {**cfg["source"], "base": base}
    root = m.get_root()
    assert isinstance(root, Figure)
    head = [f"<title>{webmap.title}</title>", '<meta charset="utf-8">']
    head += [f"<style>{css}</style>" for css in (*assets.lib_css, assets.app_css)]
    head += [f"<script>{_script_safe(js)}</script>" for js in assets.lib_js]
    root.header.add_child(_Raw("\n".join(head)), name="landuse_assets")
    cfg_json = json.dumps(cfg, ensure_ascii=False, separators=(",", ":"))
    m.add_child(_App(_script_safe(cfg_json), _script_safe(assets.app_js)), name="landuse_app")
    return root.render()


def write_map(
    webmap: WebMap, path: str | Path, overwrite: bool = False, progress: bool = False
) -> list[Path]:
    """Write the map: ``path`` (HTML) and, when tiled, the folder ``<stem>_files`` beside it.

    Refuses to replace existing outputs without ``overwrite``; writes to temporary names
    and renames on success, so a failure leaves nothing half-written. ``progress`` shows
    a bar on stderr while the tiles of each zoom level are written.
    """
    path = Path(path)
    folder = path.with_name(f"{path.stem}_files")
    if webmap.tiled is None:
        with atomic_path(path, overwrite) as tmp:
            tmp.write_text(_render(webmap, None), "utf-8")
        return [path]
    if folder.exists() and not overwrite:
        raise OutputExistsError(
            f"{folder}: folder exists and won't be overwritten without --overwrite."
        )
    with atomic_path(path, overwrite) as tmp_html:
        tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.stem}_files.", dir=path.parent))
        try:
            info = _tiles.write_chunks(tmp_dir, webmap.tiled, webmap.records,
                                       webmap.search_rows, progress=progress)
            webmap.config["source"].update(
                {k: info[k] for k in ("minzoom", "maxzoom", "attrChunk", "searchChunks")}
            )
            tmp_html.write_text(_render(webmap, f"{folder.name}/"), "utf-8")
            if folder.exists():
                shutil.rmtree(folder)
            tmp_dir.rename(folder)
        except BaseException:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
    return [path, folder]


def write_tiles(webmap: WebMap, folder: str | Path, fmt: str = "pbf") -> dict[str, Any]:
    """Write a tiled map's tiles and chunks into ``folder`` for a server (``landuse serve``).

    ``fmt="pbf"`` writes Mapbox Vector Tiles ``tiles/{z}/{x}/{y}.pbf`` (layer ``p``,
    properties ``f``, ``c0``..``c{k-1}``, one per layer); ``fmt="js"`` the file:// chunks.
    Popup records and the search index are written as ``attr/*.js`` and ``search/*.js``
    either way. Returns the source description that :func:`page_for_tile_url` needs.
    """
    if webmap.tiled is None:
        raise DataSourceError(
            "write_tiles needs a tiled map. Fix: call make_map(..., tiled=True)."
        )
    info = _tiles.write_chunks(Path(folder), webmap.tiled, webmap.records,
                               webmap.search_rows, fmt=fmt)
    return info


def write_records(webmap: WebMap, folder: str | Path) -> dict[str, Any]:
    """Write a tiled map's popup records and search index (``attr/*.js``,
    ``search/*.js``) into ``folder``, not its tiles: for a page whose tiles a server makes
    on demand (``landuse serve``'s ``/tiles/parcels``). Returns the source description
    that :func:`page_for_tile_url` needs (``tiles``: 0 written)."""
    if webmap.tiled is None:
        raise DataSourceError(
            "write_records needs a tiled map. Fix: call make_map(..., tiled=True)."
        )
    return _tiles.write_chunks(Path(folder), webmap.tiled, webmap.records,
                               webmap.search_rows, fmt="pbf", tiles=False)


def page_for_tile_url(webmap: WebMap, tile_url: str, base_url: str, info: dict[str, Any]) -> str:
    """HTML of a page reading MVT tiles from ``tile_url`` (``.../{z}/{x}/{y}.pbf``).

    ``base_url`` is where the ``attr/`` and ``search/`` chunks written by
    :func:`write_tiles` are served (ending with ``/``).
    """
    webmap.config["source"] = {
        "kind": "url", "tiles": tile_url, "minzoom": info["minzoom"],
        "maxzoom": info["maxzoom"], "attrChunk": info["attrChunk"],
        "searchChunks": info["searchChunks"],
    }
    return _render(webmap, base_url)
