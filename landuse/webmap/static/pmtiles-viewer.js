/* landuse PMTiles viewer: opens a .pmtiles archive chosen or dropped by the user, offline.
   Browsers refuse range reads on file://, so the archive is read from the File object
   (pmtiles.FileSource); its tiles go to Leaflet.VectorGrid through "pmtiles:z/x/y" URLs
   answered here, and the legends come from the archive's metadata (landuse.layers). */
(function () {
  "use strict";
  var W = window.LU_VIEWER;
  if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = function (e) { e._stopped = true; return this; };
  // firstTileMs: from opening the archive to the first tile drawn; firstTileAt: the same
  // moment since the page began loading (performance.now(); also the mark "lu-first-tile")
  var state = window.LU_VIEWER_STATE = { opened: null, tiles: 0, bytes: 0, errors: [],
                                         firstTileMs: null, firstTileAt: null };
  var map = L.map("map", { preferCanvas: true, maxZoom: 20 }).setView([30, 115], 5);
  var archive = null, grid = null, specs = [], current = 0;
  var status = document.getElementById("lu-status");
  var legend = document.getElementById("lu-legend");
  var pick = document.getElementById("lu-layer");

  var nativeFetch = window.fetch;
  window.fetch = function (url, opts) {
    if (typeof url === "string" && url.indexOf("pmtiles:") === 0 && archive) {
      var zxy = url.slice(8).split("/").map(Number);
      return archive.getZxy(zxy[0], zxy[1], zxy[2]).then(function (t) {
        if (!t || !t.data || !t.data.byteLength) return new Response(null, { status: 404 });
        state.tiles += 1;
        state.bytes += t.data.byteLength;
        return new Response(t.data, { status: 200 });
      });
    }
    return nativeFetch.apply(this, arguments);
  };

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function style(props) {
    var c = props["c" + current];
    var spec = specs[current];
    if (c === undefined || c < 0 || !spec || !spec.classes[c]) return [];
    return { fill: true, fillColor: spec.classes[c].color, fillOpacity: 0.65, color: "#222",
             weight: 0.6, opacity: 0.8 };
  }

  function showLegend() {
    var spec = specs[current];
    if (!spec) { legend.innerHTML = ""; return; }
    legend.innerHTML = "<b>" + esc(spec.title) + "</b>" + spec.classes.map(function (c) {
      return '<div class="lu-row"><i style="background:' + c.color + '"></i>' + esc(c.label) +
        " <span>" + c.count + " " + esc(W.parcels) + "</span></div>";
    }).join("");
  }

  function open(file) {
    state.opened = null;
    // a File chosen or dropped, or the URL of an archive served with range requests
    var served = typeof file === "string";
    var t0 = performance.now();
    state.firstTileMs = state.firstTileAt = null;
    archive = new pmtiles.PMTiles(served ? file : new pmtiles.FileSource(file));
    if (served) file = { name: file.split("/").pop() };
    Promise.all([archive.getHeader(), archive.getMetadata()]).then(function (hm) {
      var h = hm[0], meta = hm[1] || {};
      var info = meta.landuse || {};
      specs = info.layers || [];
      current = 0;
      pick.innerHTML = specs.map(function (s, j) {
        return '<option value="' + j + '">' + esc(s.title) + "</option>";
      }).join("");
      if (grid) map.removeLayer(grid);
      // zoom to the archive first: added at a far smaller zoom, a layer whose tiles start
      // at minZoom would ask for every minZoom tile of the view at once
      map.fitBounds([[h.minLat, h.minLon], [h.maxLat, h.maxLon]]);
      grid = L.vectorGrid.protobuf("pmtiles:{z}/{x}/{y}", {
        rendererFactory: L.canvas.tile,
        vectorTileLayerStyles: { p: style },
        maxNativeZoom: h.maxZoom, minNativeZoom: h.minZoom, minZoom: h.minZoom, maxZoom: 20
      });
      grid.on("tileload", function () {
        if (state.firstTileAt !== null) return;
        state.firstTileAt = performance.now();
        state.firstTileMs = state.firstTileAt - t0;
        if (performance.mark) performance.mark("lu-first-tile");
      });
      grid.addTo(map);
      showLegend();
      status.textContent = W.opened + " " + file.name + ": " + (info.n || "?") + " " +
        W.parcels + (info.as_of ? ", " + W.as_of + " " + info.as_of : "") + ", " + W.zoom +
        " " + h.minZoom + "–" + h.maxZoom;
      state.opened = { name: file.name, n: info.n, minZoom: h.minZoom, maxZoom: h.maxZoom };
    }).catch(function (e) {
      state.errors.push(String(e));
      status.textContent = W.not_pmtiles + " " + file.name + " (" + e + ")";
    });
  }

  pick.addEventListener("change", function () {
    current = Number(pick.value);
    showLegend();
    if (grid) grid.redraw();
  });
  document.getElementById("lu-file").addEventListener("change", function (ev) {
    if (ev.target.files.length) open(ev.target.files[0]);
  });
  if (window.LU_VIEWER_URL) open(window.LU_VIEWER_URL);
  var drop = document.getElementById("map");
  drop.addEventListener("dragover", function (ev) { ev.preventDefault(); });
  drop.addEventListener("drop", function (ev) {
    ev.preventDefault();
    if (ev.dataTransfer.files.length) open(ev.dataTransfer.files[0]);
  });
})();
