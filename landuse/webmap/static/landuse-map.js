/* landuse web map client: thematic parcel layers on Leaflet.VectorGrid, popups, search,
 * legend, sub-park zoom, measure (亩), fullscreen, minimap, print view and #parcel=ID links.
 *
 * Data come from window.LU_CONFIG (written by landuse.webmap) in one of three forms:
 *   inline  features and popup records embedded in the page (small registers);
 *   chunks  tiles, popup records and the search index as <script> files beside the page
 *           (they register themselves through LU.tile/LU.attrs/LU.search/LU.index, which
 *           works from file:// where fetch() of neighbouring files is refused);
 *   url     Mapbox vector tiles (.pbf) from a URL template, for a server.
 * Part of landuse (MIT). */
(function () {
  "use strict";
  var EXTENT = 4096;
  var LU = (window.LU = window.LU || {});
  var cfg = window.LU_CONFIG;
  var T = cfg.t;
  var NC = cfg.nc || cfg.layers.length;   // classes per feature: one per thematic layer
  LU.errors = [];
  // Leaflet.VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed; restore
  // its 1.7 meaning (mark the DOM event as handled so the map does not also get it).
  if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = function (e) { e._stopped = true; return this; };
  LU.ready = false;

  // ---------------------------------------------------------------- script loading
  var pending = {};   // url -> [resolve...]
  var loaded = {};    // key -> data
  function loadScript(url, key) {
    if (loaded.hasOwnProperty(key)) return Promise.resolve(loaded[key]);
    return new Promise(function (resolve) {
      if (pending[key]) { pending[key].push(resolve); return; }
      pending[key] = [resolve];
      var s = document.createElement("script");
      s.src = url;
      s.async = true;
      s.onerror = function () { LU.errors.push("cannot load " + url); deliver(key, null); };
      document.head.appendChild(s);
    });
  }
  function deliver(key, data) {
    loaded[key] = data;
    var waiting = pending[key] || [];
    delete pending[key];
    waiting.forEach(function (r) { r(data); });
  }
  LU.tile = function (key, data) { deliver("t:" + key, data); };
  LU.attrs = function (k, rows) { deliver("a:" + k, rows); };
  LU.search = function (k, rows) { deliver("s:" + k, rows); };
  LU.index = function (idx) { deliver("index", idx); };

  // ---------------------------------------------------------------- projection helpers
  function lon2x(lon) { return (lon + 180) / 360; }
  function lat2y(lat) {
    var s = Math.sin(lat * Math.PI / 180);
    var y = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
    return Math.min(1, Math.max(0, y));
  }

  // ---------------------------------------------------------------- sources
  // Each source answers get(z, x, y) -> Promise of [[fid, c0..c(NC-1), ring, ring...], ...]
  // with rings as flat [x, y, x, y, ...] arrays in tile units (0..4096).
  function InlineSource(feats) {
    this.feats = feats.map(function (f) {
      var rings = [];
      for (var r = 1 + NC + 6; r < f.length; r++) {
        var src = f[r], out = new Float64Array(src.length);
        for (var i = 0; i < src.length; i += 2) { out[i] = lon2x(src[i]); out[i + 1] = lat2y(src[i + 1]); }
        rings.push(out);
      }
      var b = 1 + NC;  // bbox after the classes
      return { head: f.slice(0, b), bx0: lon2x(f[b]), by0: lat2y(f[b + 3]), bx1: lon2x(f[b + 2]), by1: lat2y(f[b + 1]), rings: rings };
    });
    this.cache = {};
  }
  InlineSource.prototype.get = function (z, x, y) {
    var key = z + "/" + x + "/" + y;
    if (this.cache[key]) return Promise.resolve(this.cache[key]);
    var n = Math.pow(2, z), buf = 8 / 256 / n;
    var x0 = x / n - buf, x1 = (x + 1) / n + buf, y0 = y / n - buf, y1 = (y + 1) / n + buf;
    var out = [];
    for (var i = 0; i < this.feats.length; i++) {
      var f = this.feats[i];
      if (f.bx1 < x0 || f.bx0 > x1 || f.by1 < y0 || f.by0 > y1) continue;
      var row = f.head.slice();
      for (var r = 0; r < f.rings.length; r++) {
        var w = f.rings[r], ring = new Array(w.length);
        for (var k = 0; k < w.length; k += 2) {
          ring[k] = (w[k] * n - x) * EXTENT;
          ring[k + 1] = (w[k + 1] * n - y) * EXTENT;
        }
        row.push(ring);
      }
      out.push(row);
    }
    var keys = Object.keys(this.cache);
    if (keys.length > 400) delete this.cache[keys[0]];
    this.cache[key] = out;
    return Promise.resolve(out);
  };

  function ChunkSource(src) {
    this.src = src;
    this.index = null;
    this._ready = this.ready();
  }
  ChunkSource.prototype.ready = function () {
    if (this._ready) return this._ready;
    var self = this;
    return loadScript(this.src.base + "index.js", "index").then(function (idx) {
      self.index = {};
      for (var z in idx || {}) {
        var set = {}, a = idx[z];
        for (var i = 0; i < a.length; i += 2) set[a[i] + "/" + a[i + 1]] = 1;
        self.index[z] = set;
      }
    });
  };
  ChunkSource.prototype.get = function (z, x, y) {
    var s = this.src;
    if (z < s.minzoom) return Promise.resolve([]);
    if (z > s.maxzoom) {
      // over-zoom: draw the parent tile of the deepest level, scaled
      var d = z - s.maxzoom, m = Math.pow(2, d);
      var px = Math.floor(x / m), py = Math.floor(y / m);
      var ox = (x - px * m) * EXTENT / m, oy = (y - py * m) * EXTENT / m;
      return this.get(s.maxzoom, px, py).then(function (rows) {
        return rows.map(function (f) {
          var row = f.slice(0, 1 + NC);
          for (var r = 1 + NC; r < f.length; r++) {
            var ring = f[r], out = new Array(ring.length);
            for (var k = 0; k < ring.length; k += 2) {
              out[k] = (ring[k] - ox) * m;
              out[k + 1] = (ring[k + 1] - oy) * m;
            }
            row.push(out);
          }
          return row;
        });
      });
    }
    var key = z + "/" + x + "/" + y, self = this;
    return this._ready.then(function () {
      if (!self.index[z] || !self.index[z][x + "/" + y]) return [];
      return loadScript(s.base + "tiles/" + key + ".js", "t:" + key).then(function (d) { return d || []; });
    });
  };

  // ---------------------------------------------------------------- popup records and search
  var recs = cfg.source.kind === "inline" ? cfg.source.recs : null;
  function getRecord(fid) {
    if (recs) return Promise.resolve(recs[fid]);
    var ch = cfg.source.attrChunk, k = Math.floor(fid / ch);
    return loadScript(cfg.source.base + "attr/" + k + ".js", "a:" + k).then(function (rows) {
      return rows ? rows[fid - k * ch] : null;
    });
  }
  var searchRows = null;  // [fid, id, holder, minx, miny, maxx, maxy, px, py]
  function getSearchRows() {
    if (searchRows) return Promise.resolve(searchRows);
    if (cfg.source.kind === "inline") {
      var b = 1 + NC;
      searchRows = cfg.source.feats.map(function (f) {
        var r = recs[f[0]];
        return [f[0], r.id, r.h || "", f[b], f[b + 1], f[b + 2], f[b + 3], f[b + 4], f[b + 5]];
      });
      return Promise.resolve(searchRows);
    }
    var jobs = [];
    for (var k = 0; k < cfg.source.searchChunks; k++) {
      jobs.push(loadScript(cfg.source.base + "search/" + k + ".js", "s:" + k));
    }
    return Promise.all(jobs).then(function (parts) {
      searchRows = [].concat.apply([], parts.map(function (p) { return p || []; }));
      return searchRows;
    });
  }
  LU.findParcels = function (text, limit) {
    var q = String(text || "").trim().toLowerCase();
    limit = limit || 20;
    return getSearchRows().then(function (rows) {
      if (!q) return [];
      var exact = [], partial = [];
      for (var i = 0; i < rows.length; i++) {
        var r = rows[i], id = String(r[1]).toLowerCase(), h = String(r[2]).toLowerCase();
        if (id === q) exact.push(r);
        else if (partial.length < limit && (id.indexOf(q) >= 0 || h.indexOf(q) >= 0)) partial.push(r);
      }
      return exact.concat(partial).slice(0, limit);
    });
  };

  // ---------------------------------------------------------------- map and layers
  var map = window[cfg.mapVar];
  LU.map = map;
  map.options.maxZoom = 20;
  map.attributionControl && map.attributionControl.setPrefix(false);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { document.body.classList.remove("lu-print"); map.invalidateSize(); }
  });

  var baseLayers = {}, firstBase = null;
  cfg.basemaps.forEach(function (b) {
    var layers = [L.tileLayer(b.url, { attribution: b.attr, subdomains: b.subdomains || "abc", maxZoom: 20, maxNativeZoom: b.maxZoom || 18 })];
    if (b.labels) layers.push(L.tileLayer(b.labels, { subdomains: b.subdomains || "abc", maxZoom: 20, maxNativeZoom: b.maxZoom || 18 }));
    var g = L.layerGroup(layers);
    baseLayers[b.name] = g;
    if (!firstBase) firstBase = g;
  });
  if (!firstBase) {
    var blank = L.layerGroup();
    baseLayers[T.noBasemap] = blank;
    firstBase = blank;
  }
  firstBase.addTo(map);

  var source;
  if (cfg.source.kind === "inline") source = new InlineSource(cfg.source.feats);
  else if (cfg.source.kind === "chunks") source = new ChunkSource(cfg.source);

  function toVectorTile(rows) {
    var feats = rows.map(function (f) {
      var geom = [];
      for (var r = 1 + NC; r < f.length; r++) {
        var ring = f[r], pts = [];
        for (var k = 0; k < ring.length; k += 2) pts.push([ring[k], ring[k + 1]]);
        geom.push(pts);
      }
      return { type: 3, properties: { f: f[0], c: f.slice(1, 1 + NC) }, geometry: geom };
    });
    return { layers: { p: { extent: EXTENT, features: feats, length: feats.length } } };
  }

  var LuGrid = L.VectorGrid.extend({
    _getVectorTilePromise: function (coords) {
      return source.get(coords.z, coords.x, coords.y).then(toVectorTile);
    }
  });
  var LuPbf = L.VectorGrid.Protobuf && L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise: function (coords) {
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, coords).then(function (vt) {
        var lay = vt.layers.p;
        if (lay) lay.features.forEach(function (ft) {
          var p = ft.properties, c = [];
          for (var j = 0; j < NC; j++) c.push(p["c" + j]);
          ft.properties = { f: p.f, c: c };
        });
        return vt;
      });
    }
  });

  var selected = null;
  var ledgerOverride = {};  // layer index -> {feature: class} while the ledger date slider is moved
  var ledgerState = null;   // feature -> timeline step at the slider's date (null: the map's own date)
  function styleFor(j, layerSpec) {
    return function (props) {
      var o = ledgerOverride[j];
      var c = o && o[props.f] !== undefined ? o[props.f] : props.c[j];
      if (c < 0 || c === undefined) return [];
      var col = layerSpec.classes[c].color;
      if (selected === props.f) return { fill: true, fillColor: col, fillOpacity: 0.85, color: "#00e5ff", weight: 3 };
      return { fill: true, fillColor: col, fillOpacity: 0.65, color: "#222", weight: 0.6, opacity: 0.8 };
    };
  }

  var thematic = {};   // key -> layer
  var overlays = {};
  var dataBounds = L.latLngBounds(cfg.bounds);
  cfg.layers.forEach(function (spec, j) {
    var opts = {
      rendererFactory: L.canvas.tile,
      interactive: true,
      getFeatureId: function (f) { return f.properties.f; },
      vectorTileLayerStyles: { p: styleFor(j, spec) },
      maxZoom: 20,
      bounds: dataBounds.pad(0.05),
      keepBuffer: 1,
      updateWhenZooming: false
    };
    var lyr;
    if (cfg.source.kind === "url") {
      opts.maxNativeZoom = cfg.source.maxzoom;
      opts.minNativeZoom = cfg.source.minzoom;
      lyr = new LuPbf(cfg.source.tiles, opts);
    } else {
      lyr = new LuGrid(opts);
    }
    lyr.luKey = spec.key;
    lyr.luIndex = j;
    lyr.on("click", function (e) {
      L.DomEvent.stop(e);
      openParcel(e.layer.properties.f, e.latlng);
    });
    lyr.on("mouseover", function (e) { hover(e.layer.properties.f, e.latlng); });
    lyr.on("mouseout", function () { map.closeTooltip(tip); });
    thematic[spec.key] = lyr;
    overlays[spec.title] = lyr;
  });

  // outlines drawn above the parcels but transparent to clicks (parcels stay clickable)
  var pane = map.createPane("luOutlines");
  pane.style.zIndex = 350;
  pane.style.pointerEvents = "none";
  var outlineRenderer = L.canvas({ pane: "luOutlines" });
  // sub-park boundaries
  var zoneLayer = L.geoJSON(cfg.zones, {
    renderer: outlineRenderer, pane: "luOutlines",
    style: { color: "#08306b", weight: 2.5, fill: false, dashArray: "6 4" },
    interactive: false
  });
  overlays[T.zones] = zoneLayer;
  // buildings
  var buildingLayer = null;
  if (cfg.buildings) {
    buildingLayer = L.geoJSON(cfg.buildings, {
      renderer: outlineRenderer, pane: "luOutlines",
      style: { color: "#525252", weight: 0.5, fillColor: "#969696", fillOpacity: 0.7 },
      interactive: false
    });
    overlays[T.buildings] = buildingLayer;
  }
  // buildings on no supplied parcel (evidence): red, above the parcels
  var outsideLayer = null;
  if (cfg.outside) {
    outsideLayer = L.geoJSON(cfg.outside, {
      renderer: outlineRenderer, pane: "luOutlines",
      style: { color: "#b10026", weight: 1.5, fillColor: "#e31a1c", fillOpacity: 0.75 },
      interactive: false
    });
    overlays[T.outside] = outsideLayer;
  }

  // supply records (batches by share not supplied, reserve, land still suppliable): off
  // until chosen; the legend is in the layer's name
  LU.supplyLayers = {};
  (cfg.supply || []).forEach(function (o) {
    var lyr = L.geoJSON(o.geojson, {
      renderer: outlineRenderer, pane: "luOutlines", interactive: false,
      style: function (f) {
        return { color: f.properties.color, weight: 1.5, fillColor: f.properties.color,
                 fillOpacity: 0.45 };
      }
    });
    var legend = o.legend.map(function (p) {
      return '<span style="display:inline-block;width:.8em;height:.8em;background:' + p[1] +
        '"></span> ' + p[0];
    }).join(" ");
    overlays[o.title + '<br><small>' + legend + '</small>'] = lyr;
    LU.supplyLayers[o.key] = lyr;
  });

  thematic[cfg.initial].addTo(map);
  zoneLayer.addTo(map);
  if (buildingLayer) buildingLayer.addTo(map);
  if (outsideLayer) outsideLayer.addTo(map);
  LU.outsideLayer = outsideLayer;
  LU.layers = thematic;
  LU.zoneLayer = zoneLayer;
  LU.buildingLayer = buildingLayer;
  var layerControl = L.control.layers(baseLayers, overlays, { collapsed: false, position: "topright" }).addTo(map);
  LU.layerControl = layerControl;

  // ---------------------------------------------------------------- popups and tooltips
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function fmt(n, d) {
    if (n === null || n === undefined) return "—";
    return Number(n).toLocaleString(cfg.lang === "zh" ? "zh-CN" : "en-US", { maximumFractionDigits: d === undefined ? 2 : d });
  }
  function pct(v, signed) {
    if (v === null || v === undefined) return "—";
    var t = fmt(v * 100, 1) + "%";
    return signed && v > 0 ? "+" + t : t;
  }
  function evidenceHtml(e) {
    var rows = [];
    if (e.b !== undefined) rows.push([T.builtup, pct(e.b)]);
    if (e.ba !== undefined) rows.push([T.bare, pct(e.ba)]);
    if (e.v !== undefined) rows.push([T.vegetation, pct(e.v)]);
    if (e.w !== undefined) rows.push([T.water, pct(e.w)]);
    if (e.nd !== undefined) rows.push([T.ndvi, fmt(e.nd, 3)]);
    if (e.bb !== undefined) rows.push([T.before + (e.d0 ? " " + esc(e.d0) : "") + " · " + T.builtup, pct(e.bb)]);
    if (e.bc !== undefined) rows.push([T.change + " · " + T.builtup, pct(e.bc, true)]);
    if (e.fp !== undefined) rows.push([T.obsFootprint, fmt(e.fp, 0) + " " + T.m2]);
    if (e.cov !== undefined) rows.push([T.obsCoverage, pct(e.cov)]);
    var h = '<div class="lu-evidence" data-disagree="' + esc((e.dc || []).join(";")) + '"><b>' +
      esc(T.evidence) + (e.d ? " · " + T.evDate + " " + esc(e.d) : "") + "</b><table>";
    rows.forEach(function (x) { h += "<tr><th>" + x[0] + "</th><td>" + x[1] + "</td></tr>"; });
    h += "</table>";
    if (e.dis && e.dis.length) h += '<p class="lu-disagree">' + esc(T.disagree) + ": " + esc(e.dis.join("; ")) + "</p>";
    else if (e.wn && e.wn.length) h += '<p class="lu-evwarn">' + esc(T.evWarn) + ": " + esc(e.wn.join("; ")) + "</p>";
    else h += '<p class="lu-agree">' + esc(T.agree) + "</p>";
    if (e.r && e.r.length) {
      h += '<ul class="lu-ev-reasons">';
      e.r.forEach(function (x) { h += "<li>" + esc(x) + "</li>"; });
      h += "</ul>";
    }
    return h + "</div>";
  }
  function popupHtml(r) {
    var rows = [
      [T.id, esc(r.id)], [T.holder, esc(r.h || "—")], [T.zone, esc(r.z || "—")],
      [T.area, fmt(r.mu) + " " + T.mu], [T.stage, esc(r.st)],
      [T.idleType, esc(r.it || "—")], [T.overdue, r.od === null ? "—" : fmt(r.od, 0) + " " + T.days],
      [T.fee, r.fee === null ? "—" : fmt(r.fee) + " " + T.wan],
      [T.failed, esc((r.fi || []).join("、") || "—")], [T.mujun, esc(r.mjl || r.mj || "—") + (r.ms ? " · " + esc(r.ms) : "")]
    ];
    if (r.en) rows.push([T.enterprise, esc(r.en)]);
    if (r.fl && r.fl.length) rows.push([T.flags, esc(r.fl.join("; "))]);
    if (r.rd) rows.push([T.reclaimDate, '<span class="lu-rdate">' + esc(r.rd) + "</span>" + (r.rm ? " · " + esc(r.rm) : "")]);
    var h = '<div class="lu-popup" data-parcel="' + esc(r.id) + '"><table>';
    rows.forEach(function (x) { h += "<tr><th>" + x[0] + "</th><td>" + x[1] + "</td></tr>"; });
    h += "</table>";
    if (r.r) h += '<p class="lu-reasons">' + esc(r.r) + "</p>";
    if (r.ev) h += evidenceHtml(r.ev);
    if (r.lh && r.lh.length) {
      h += '<div class="lu-history"><b>' + T.history + "</b><ol>";
      r.lh.forEach(function (e) {
        var txt = esc(e[0]) + " " + esc(e[1]) + (e[2] ? " · " + esc(e[2]) : "") +
          (e[3] !== null ? " · " + fmt(e[3]) + " " + T.mu : "") + (e[4] ? " · " + esc(e[4]) : "") +
          (e[5] ? " · " + esc(e[5]) : "");
        if (e[6]) h += '<li class="lu-superseded" title="' + T.correctedBy + " " + esc(e[6]) + '"><s>' + txt + "</s> (" + T.correctedBy + " " + esc(e[6]) + ")</li>";
        else h += "<li>" + txt + "</li>";
      });
      h += "</ol></div>";
    }
    return h + "</div>";
  }
  var popup = L.popup({ maxWidth: 380, autoPanPadding: [30, 30] });
  function setSelected(fid) {
    var prev = selected;
    selected = fid;
    Object.keys(thematic).forEach(function (k) {
      var l = thematic[k];
      if (!map.hasLayer(l)) return;
      if (prev !== null) l.resetFeatureStyle(prev);
      if (fid !== null) {
        var j = l.luIndex, spec = cfg.layers[j];
        l.setFeatureStyle(fid, { p: styleFor(j, spec) });
      }
    });
  }
  function atLedgerDay(r, fid) {
    if (!r || !ledgerState) return r;
    var day = cfg.timeline.dates[LU.ledgerDay], shown = {}, v = {};
    Object.keys(r).forEach(function (k) { v[k] = r[k]; });
    (r.lh || []).forEach(function (e) { shown[e[7]] = e[0] <= day; });
    v.lh = (r.lh || []).filter(function (e) { return e[0] <= day; }).map(function (e) {
      var later = e[6] && shown[e[6]] === false;   // its correction is dated after the slider's date
      return later ? e.slice(0, 6).concat([null, e[7]]) : e;
    });
    var st = ledgerState[fid];
    v.rd = st && st[3] ? st[3] : null;
    v.rm = st && st[3] ? st[4] : null;
    return v;
  }
  var popupFid = null;
  function openParcel(fid, latlng) {
    return getRecord(fid).then(function (r) {
      if (!r) return;
      r = atLedgerDay(r, fid);
      popupFid = fid;
      setSelected(fid);
      popup.setLatLng(latlng).setContent(popupHtml(r)).openOn(map);
      LU.openParcelId = r.id;
    });
  }
  map.on("popupclose", function () { setSelected(null); LU.openParcelId = null; popupFid = null; });
  var tip = L.tooltip({ sticky: true, direction: "top", offset: [0, -6] });
  var hoverFid = null;
  function hover(fid, latlng) {
    hoverFid = fid;
    getRecord(fid).then(function (r) {
      if (!r || hoverFid !== fid) return;
      r = atLedgerDay(r, fid);
      tip.setLatLng(latlng).setContent("<b>" + esc(r.id) + "</b> " + esc(r.h || "") + "<br>" + esc(r.st) + (r.it ? " · " + esc(r.it) : "") +
        (r.rd ? '<br><span class="lu-tip-reclaim">' + esc(T.reclaimed) + " " + esc(r.rd) + (r.rm ? " · " + esc(r.rm) : "") + "</span>" : ""));
      map.openTooltip(tip);
    });
  }

  // ---------------------------------------------------------------- legend
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    this._div = L.DomUtil.create("div", "lu-legend leaflet-control");
    L.DomEvent.disableClickPropagation(this._div);
    L.DomEvent.disableScrollPropagation(this._div);
    return this._div;
  };
  legend.update = function () {
    var h = "";
    cfg.layers.forEach(function (spec) {
      if (!map.hasLayer(thematic[spec.key])) return;
      h += '<div class="lu-legend-layer" data-layer="' + spec.key + '"><b>' + esc(spec.title) + "</b>";
      spec.classes.forEach(function (c) {
        if (!c.count) return;
        h += '<div class="lu-legend-row" data-code="' + esc(c.code) + '" data-count="' + c.count + '" data-mu="' + c.mu + '">' +
          '<i style="background:' + c.color + '"></i><span class="lu-l">' + esc(c.label) + "</span>" +
          '<span class="lu-n">' + fmt(c.count, 0) + " " + T.parcels + " · " + fmt(c.mu, 1) + " " + T.mu + "</span></div>";
      });
      h += "</div>";
    });
    h += '<div class="lu-legend-foot">' + esc(T.total) + " " + fmt(cfg.n, 0) + " " + T.parcels + " · " + fmt(cfg.totalMu, 1) + " " + T.mu + "</div>";
    if (cfg.shifted) h += '<div class="lu-legend-foot">' + esc(T.shifted) + "</div>";
    this._div.innerHTML = h;
  };
  legend.addTo(map);
  legend.update();
  map.on("overlayadd overlayremove", function () { legend.update(); });

  // ---------------------------------------------------------------- ledger date slider
  // The "reclaimed" layers, their legend and the popups' ledger as they stood on a ledger date.
  LU.ledgerDay = null;
  var TL = cfg.timeline;
  function layerAt(key) {
    for (var j = 0; j < cfg.layers.length; j++) if (cfg.layers[j].key === key) return j;
    return -1;
  }
  LU.setLedgerDay = function (k) {
    var jr = layerAt("reclaim"), jd = layerAt("reclaim_date");
    k = Math.max(0, Math.min(TL.dates.length - 1, k));
    LU.ledgerDay = k;
    ledgerOverride = {};
    ledgerOverride[jr] = {};
    ledgerOverride[jd] = {};
    ledgerState = {};
    [jr, jd].forEach(function (j) {
      cfg.layers[j].classes.forEach(function (c) { c.count = 0; c.mu = 0; });
    });
    TL.p.forEach(function (p) {
      var st = null;
      p[2].forEach(function (s) { if (s[0] <= k) st = s; });
      var cr = st ? st[1] : -1, cd = st ? st[2] : -1;
      ledgerOverride[jr][p[0]] = cr;
      ledgerOverride[jd][p[0]] = cd;
      ledgerState[p[0]] = st;
      if (cr >= 0) { cfg.layers[jr].classes[cr].count += 1; cfg.layers[jr].classes[cr].mu += p[1]; }
      if (cd >= 0) { cfg.layers[jd].classes[cd].count += 1; cfg.layers[jd].classes[cd].mu += p[1]; }
    });
    [jr, jd].forEach(function (j) {
      var l = thematic[cfg.layers[j].key];
      if (map.hasLayer(l)) l.redraw();
    });
    if (slider) {
      slider.querySelector(".lu-ledger-range").value = k;
      slider.querySelector(".lu-ledger-day").textContent = TL.dates[k];
    }
    legend.update();
    if (map.hasLayer(popup) && popupFid !== null) {
      var fid = popupFid;
      getRecord(fid).then(function (r) { if (r && popupFid === fid) popup.setContent(popupHtml(atLedgerDay(r, fid))); });
    }
    return TL.dates[k];
  };
  var slider = null;
  if (TL && TL.dates.length) {
    var ctl = L.control({ position: "bottomleft" });
    ctl.onAdd = function () {
      var d = L.DomUtil.create("div", "lu-ledger-slider leaflet-bar leaflet-control");
      var last = TL.dates.length - 1;
      d.innerHTML = "<b>" + esc(T.ledgerDate) + '</b> <span class="lu-ledger-day">' + esc(TL.dates[last]) + "</span><br>" +
        '<button type="button" class="lu-ledger-prev" title="' + esc(T.prevDate) + '">&#9664;</button>' +
        '<input type="range" class="lu-ledger-range" min="0" max="' + last + '" step="1" value="' + last + '" title="' + esc(T.ledgerDate) + '">' +
        '<button type="button" class="lu-ledger-next" title="' + esc(T.nextDate) + '">&#9654;</button>';
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      var range = d.querySelector(".lu-ledger-range");
      range.addEventListener("input", function () { LU.setLedgerDay(parseInt(range.value, 10)); });
      d.querySelector(".lu-ledger-prev").addEventListener("click", function () { LU.setLedgerDay(parseInt(range.value, 10) - 1); });
      d.querySelector(".lu-ledger-next").addEventListener("click", function () { LU.setLedgerDay(parseInt(range.value, 10) + 1); });
      return d;
    };
    ctl.addTo(map);
    slider = ctl.getContainer();
  }

  // ---------------------------------------------------------------- search and sub-park zoom
  var tools = L.control({ position: "topleft" });
  tools.onAdd = function () {
    var d = L.DomUtil.create("div", "lu-tools leaflet-bar leaflet-control");
    d.innerHTML = '<input type="search" class="lu-search" placeholder="' + esc(T.searchHint) + '">' +
      '<div class="lu-results"></div>' +
      '<select class="lu-zone"><option value="">' + esc(T.zoomZone) + "</option></select>" +
      '<button type="button" class="lu-print-btn" title="' + esc(T.printView) + '">' + esc(T.printView) + "</button>";
    L.DomEvent.disableClickPropagation(d);
    L.DomEvent.disableScrollPropagation(d);
    return d;
  };
  tools.addTo(map);
  var toolsDiv = tools.getContainer();
  var input = toolsDiv.querySelector(".lu-search"), results = toolsDiv.querySelector(".lu-results");
  var zoneSel = toolsDiv.querySelector(".lu-zone");

  function goTo(row) {
    var b = L.latLngBounds([row[4], row[3]], [row[6], row[5]]);
    map.fitBounds(b, { maxZoom: 18, padding: [40, 40], animate: false });
    return openParcel(row[0], L.latLng(row[8], row[7]));
  }
  LU.goTo = goTo;
  function runSearch() {
    var q = input.value;
    LU.findParcels(q, 20).then(function (rows) {
      results.innerHTML = "";
      if (!q.trim()) return;
      if (!rows.length) { results.innerHTML = '<div class="lu-none">' + esc(T.noResult) + "</div>"; return; }
      rows.forEach(function (r) {
        var a = document.createElement("a");
        a.href = "#parcel=" + encodeURIComponent(r[1]);
        a.className = "lu-result";
        a.textContent = r[1] + (r[2] ? " · " + r[2] : "");
        a.onclick = function (ev) { ev.preventDefault(); results.innerHTML = ""; goTo(r); };
        results.appendChild(a);
      });
    });
  }
  var searchTimer = null;
  input.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 200); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      ev.preventDefault();
      LU.findParcels(input.value, 1).then(function (rows) { if (rows.length) { results.innerHTML = ""; goTo(rows[0]); } });
    }
  });

  var zoneBounds = {};
  zoneLayer.eachLayer(function (l) {
    var name = l.feature.properties.name;
    zoneBounds[name] = l.getBounds();
    var o = document.createElement("option");
    o.value = name;
    o.textContent = name + " (" + fmt(l.feature.properties.n, 0) + " " + T.parcels + ")";
    zoneSel.appendChild(o);
  });
  zoneSel.addEventListener("change", function () {
    if (zoneBounds[zoneSel.value]) map.fitBounds(zoneBounds[zoneSel.value], { padding: [20, 20] });
  });
  LU.zoomToZone = function (name) { map.fitBounds(zoneBounds[name], { padding: [20, 20], animate: false }); };

  // print-friendly view
  toolsDiv.querySelector(".lu-print-btn").addEventListener("click", function () {
    document.body.classList.toggle("lu-print");
    map.invalidateSize();
  });

  // ---------------------------------------------------------------- plugins from npm
  if (L.Control.FullScreen) {
    map.addControl(new L.Control.FullScreen({ position: "topleft", title: T.fullscreen, titleCancel: T.exitFullscreen }));
  }
  if (L.Control.Measure) {
    map.addControl(new L.Control.Measure({
      position: "topleft",
      primaryLengthUnit: "meters", secondaryLengthUnit: "kilometers",
      primaryAreaUnit: "mu", secondaryAreaUnit: "sqmeters",
      units: { mu: { factor: 0.0015, display: T.mu, decimals: 2 } },
      activeColor: "#d7191c", completedColor: "#08519c"
    }));
  }
  if (L.Control.MiniMap) {
    var mini = L.geoJSON(cfg.zones, { style: { color: "#08306b", weight: 1, fillOpacity: 0.2 }, interactive: false });
    new L.Control.MiniMap(mini, { position: "bottomleft", toggleDisplay: true, zoomLevelOffset: -4, width: 140, height: 110 }).addTo(map);
  }

  // ---------------------------------------------------------------- before/after swipe
  // With two imagery dates: the "before" layer left of a draggable divider, the "after"
  // layer right of it (each layer's container clipped, nothing re-rendered).
  var swipe = null;
  if (thematic.ev_before && thematic.ev_after) {
    var bar = L.DomUtil.create("div", "lu-swipe", map.getContainer());
    bar.innerHTML = '<div class="lu-swipe-line"><span class="lu-swipe-tag lu-swipe-l"></span>' +
      '<span class="lu-swipe-tag lu-swipe-r"></span></div><input type="range" min="0" max="1" step="0.001" value="0.5" class="lu-swipe-range" aria-label="' + esc(T.compare) + '">';
    bar.style.display = "none";
    L.DomEvent.disableClickPropagation(bar);
    L.DomEvent.disableScrollPropagation(bar);
    var range = bar.querySelector(".lu-swipe-range"), line = bar.querySelector(".lu-swipe-line");
    bar.querySelector(".lu-swipe-l").textContent = "◀ " + (cfg.evDates && cfg.evDates.before || T.before);
    bar.querySelector(".lu-swipe-r").textContent = (cfg.evDates && cfg.evDates.after || "") + " ▶";
    ["mousedown", "touchstart", "pointerdown"].forEach(function (ev) {
      range.addEventListener(ev, function (e) { e.stopPropagation(); map.dragging.disable(); });
    });
    ["mouseup", "touchend", "pointerup"].forEach(function (ev) {
      range.addEventListener(ev, function () { map.dragging.enable(); });
    });
    swipe = { on: false };
    var clip = function () {
      if (!swipe.on) return;
      var nw = map.containerPointToLayerPoint([0, 0]), se = map.containerPointToLayerPoint(map.getSize());
      var x = nw.x + map.getSize().x * Number(range.value);
      thematic.ev_before.getContainer().style.clip = "rect(" + [nw.y, x, se.y, nw.x].join("px,") + "px)";
      thematic.ev_after.getContainer().style.clip = "rect(" + [nw.y, se.x, se.y, x].join("px,") + "px)";
      line.style.left = (100 * Number(range.value)) + "%";
    };
    range.addEventListener("input", clip);
    map.on("move zoomend resize", clip);
    LU.compare = function (on, frac) {
      if (frac !== undefined) range.value = frac;
      swipe.on = !!on;
      bar.style.display = on ? "" : "none";
      if (on) {
        // only the two dates: other thematic layers would tint them
        Object.keys(thematic).forEach(function (k) {
          if (k !== "ev_before" && k !== "ev_after" && map.hasLayer(thematic[k])) map.removeLayer(thematic[k]);
        });
        if (!map.hasLayer(thematic.ev_before)) map.addLayer(thematic.ev_before);
        if (!map.hasLayer(thematic.ev_after)) map.addLayer(thematic.ev_after);
        clip();
      } else {
        [thematic.ev_before, thematic.ev_after].forEach(function (l) { if (l.getContainer()) l.getContainer().style.clip = ""; });
      }
      compareBtn.classList.toggle("lu-on", swipe.on);
      legend.update();
    };
    var compareBtn = L.DomUtil.create("button", "lu-compare-btn", toolsDiv);
    compareBtn.type = "button";
    compareBtn.textContent = T.compare;
    compareBtn.addEventListener("click", function () { LU.compare(!swipe.on); });
    map.on("overlayremove", function (e) {
      if (swipe.on && (e.layer === thematic.ev_before || e.layer === thematic.ev_after)) LU.compare(false);
    });
  }

  // ---------------------------------------------------------------- introspection for tests
  LU.renderedInView = function (key) { return LU.renderedIdsInView(key).length; };
  LU.renderedIdsInView = function (key) {
    var lyr = thematic[key || cfg.initial], ids = {};
    if (!lyr._vectorTiles || !map.hasLayer(lyr)) return [];
    var view = map.getPixelBounds(), z = map.getZoom(), size = lyr.getTileSize();
    for (var k in lyr._vectorTiles) {
      var tile = lyr._vectorTiles[k], c = tile.getCoord();
      if (c.z !== z) continue;
      var ox = c.x * size.x, oy = c.y * size.y;
      for (var fid in tile._features) {
        var b = tile._features[fid].feature._pxBounds;
        if (!b) continue;
        if (b.max.x + ox < view.min.x || b.min.x + ox > view.max.x || b.max.y + oy < view.min.y || b.min.y + oy > view.max.y) continue;
        ids[fid] = 1;
      }
    }
    return Object.keys(ids).map(Number);
  };
  LU.tilesLoading = function () {
    var busy = 0;
    Object.keys(thematic).forEach(function (k) { if (map.hasLayer(thematic[k]) && thematic[k].isLoading()) busy++; });
    return busy;
  };

  // ---------------------------------------------------------------- #parcel=ID links
  function fromHash() {
    var m = /(?:^#|&)parcel=([^&]+)/.exec(window.location.hash);
    if (!m) return Promise.resolve(false);
    var id = decodeURIComponent(m[1]);
    return getSearchRows().then(function (rows) {
      for (var i = 0; i < rows.length; i++) if (String(rows[i][1]) === id) return goTo(rows[i]).then(function () { return true; });
      LU.errors.push("parcel " + id + " not found");
      return false;
    });
  }
  window.addEventListener("hashchange", fromHash);

  function start() {
    map.fitBounds(dataBounds, { animate: false });
    thematic[cfg.initial].once("load", function () { LU.firstRender = performance.now(); LU.ready = true; });
    fromHash();
  }
  if (source && source.ready) source.ready().then(start);
  else start();
})();
