/* The planner's workbench (/app): plain JavaScript over the server's API; every word comes
   from /app/words (landuse/data/words.toml and the parcel standard), none is kept here. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  var S = {
    lang: params.get("lang") || sessionStorage.getItem("lu-lang") || "zh",
    key: sessionStorage.getItem("lu-key") || "",
    role: null, W: null, filter: "", pages: [], page: null, selected: null,
    map: null, tiles: null, overlay: null, version: 0,
    tilesAt: 0, base: 0, stamps: {}
  };
  var LIST_FIELDS = ["parcel_id", "holder", "zone", "lifecycle", "idle_type", "overdue_days",
                     "area_mu", "mujun_class"];
  var CODED = {lifecycle: "lifecycle", idle_type: "idle_type", mujun_class: "mujun_class",
               stage: "stage", method: "method", land_use: "land_use",
               supply_method: "supply_method", enterprise_status: "enterprise_status",
               start_evidence: "start_evidence", delay_cause: "delay_cause"};
  function show(n, v) {
    if (v == null) return "";
    if (CODED[n]) return code(CODED[n], v);
    if (typeof v === "boolean") return v ? "✔" : "✘";
    if (typeof v === "number" && !Number.isInteger(v)) return v.toFixed(2);
    return v;
  }

  function w(key, vars) {
    var t = (S.W && S.W.app[key]) || key;
    Object.keys(vars || {}).forEach(function (k) { t = t.replace("{" + k + "}", vars[k]); });
    return t;
  }
  function code(list, c) { return (S.W && S.W.codes[list] && S.W.codes[list][c]) || c; }
  function field(name) { return (S.W && S.W.fields[name]) || name; }
  function headers(extra) {
    var h = Object.assign({"Accept": "application/json", "Accept-Language": S.lang}, extra || {});
    if (S.key) h.Authorization = "Bearer " + S.key;
    return h;
  }
  function api(url, opts) {
    opts = opts || {};
    opts.headers = headers(opts.headers);
    return settle(url, opts).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      var body = type.indexOf("json") >= 0 ? r.json() : r.text();
      return body.then(function (b) {
        if (!r.ok) { var e = new Error((b && b.detail) || r.statusText); e.status = r.status; e.body = b; throw e; }
        return {body: b, headers: r.headers};
      });
    });
  }
  /* a report over a large register is a job (202 + Location): wait for it, then its file */
  function settle(url, opts) {
    return fetch(url, opts).then(function (r) {
      if (r.status !== 202) return r;
      var status = r.headers.get("Location");
      var poll = function () {
        return fetch(status, {headers: opts.headers}).then(function (s) { return s.json(); })
          .then(function (b) {
            if (b.status === "done") return fetch(status + "/result", {headers: opts.headers});
            if (b.status === "failed") throw new Error(b.detail || "job failed");
            return new Promise(function (ok) { setTimeout(ok, 500); }).then(poll);
          });
      };
      return poll();
    });
  }
  function text(el, t) { el.textContent = t == null ? "" : String(t); }
  function fail(e) { text($("summary"), w("error") + ": " + e.message); }

  /* words -------------------------------------------------------------------------------- */
  function applyWords() {
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    document.title = w("title");
    document.querySelectorAll("[data-w]").forEach(function (el) { text(el, w(el.dataset.w)); });
    text($("lang"), w("switch_lang"));
    $("lang").setAttribute("aria-label", w("language") + ": " + w("switch_lang"));
    document.querySelectorAll("select[data-codes]").forEach(function (sel) {
      var list = sel.dataset.codes, keep = sel.value;
      sel.innerHTML = "";
      var any = document.createElement("option");
      any.value = ""; text(any, sel.closest("#record") ? "—" : w("any")); sel.appendChild(any);
      Object.keys(S.W.codes[list]).forEach(function (c) {
        var o = document.createElement("option"); o.value = c; text(o, S.W.codes[list][c]);
        sel.appendChild(o);
      });
      sel.value = keep;
    });
    var head = $("list-head"); head.innerHTML = "";
    LIST_FIELDS.forEach(function (f) {
      var th = document.createElement("th"); th.scope = "col"; text(th, field(f)); head.appendChild(th);
    });
  }
  function loadWords() {
    return api("/app/words?lang=" + S.lang).then(function (r) { S.W = r.body; applyWords(); });
  }
  function loadZones() {
    return api("/app/zones").then(function (r) {
      var sel = $("f-zone"), keep = sel.value; sel.innerHTML = "";
      var any = document.createElement("option"); any.value = ""; any.dataset.w = "any";
      text(any, w("any")); sel.appendChild(any);
      r.body.zones.forEach(function (z) {
        var o = document.createElement("option"); o.value = z; text(o, z); sel.appendChild(o);
      });
      sel.value = keep;
    });
  }

  /* filter ------------------------------------------------------------------------------- */
  function quote(v) { return "'" + String(v).replace(/'/g, "''") + "'"; }
  function buildFilter() {
    var f = $("filters").elements, parts = [];
    ["zone", "lifecycle", "idle_type", "mujun_class"].forEach(function (n) {
      if (f[n].value) parts.push(n + " = " + quote(f[n].value));
    });
    if (f.overdue.value !== "") {
      var d = Number(f.overdue.value);
      parts.push(d === 0 ? "overdue_days > 0" : "overdue_days >= " + d);
    }
    if (f.indicator.value) parts.push("failed_indicators LIKE " + quote("%" + f.indicator.value + "%"));
    if (f.flag.value) parts.push("flags LIKE " + quote("%" + f.flag.value + "%"));
    return parts.join(" AND ");
  }
  function withFilter(url) {
    return S.filter ? url + "&filter=" + encodeURIComponent(S.filter) + "&filter-lang=cql2-text" : url;
  }
  function refreshAll() {
    S.filter = buildFilter();
    S.pages = [];
    if (S.map && S.mapFilter !== undefined && S.filter !== S.mapFilter) drawTiles();
    exportLinks();
    return Promise.all([loadSummary(), loadPage(firstPage())]);
  }
  function loadSummary() {
    return api(withFilter("/app/summary?x=1")).then(function (r) {
      text($("summary"), w("count") + " " + r.body.parcels + " " + w("common.parcel_count") +
           " · " + r.body.area_mu.toFixed(2) + " " + w("mu"));
      $("summary").dataset.parcels = r.body.parcels;
      $("stale").hidden = !(r.body.assessment && r.body.assessment.ranks_stale);
    }).catch(fail);
  }
  function exportLinks() {
    ["xlsx", "gpkg"].forEach(function (f) {
      $("x-" + f).href = withFilter("/collections/parcels/items?f=" + f + "&limit=1000000&lang=" + S.lang);
    });
  }

  /* list --------------------------------------------------------------------------------- */
  function firstPage() {
    var sort = $("sort").value;
    return withFilter("/collections/parcels/items?f=json&limit=20&skipGeometry=true&lang=" + S.lang +
      "&properties=" + LIST_FIELDS.join(",") + "&sortby=" + encodeURIComponent(sort));
  }
  function loadPage(url) {
    return api(url).then(function (r) {
      S.page = url;
      var rows = $("rows"); rows.innerHTML = "";
      r.body.features.forEach(function (f) {
        var tr = document.createElement("tr");
        LIST_FIELDS.forEach(function (n, i) {
          var td = document.createElement(i === 0 ? "th" : "td");
          var v = f.properties[n];
          if (i === 0) {
            td.scope = "row";
            var b = document.createElement("button"); b.type = "button"; b.className = "link";
            text(b, v); b.addEventListener("click", function () { openParcel(v); });
            td.appendChild(b);
          } else {
            text(td, show(n, v));
          }
          tr.appendChild(td);
        });
        rows.appendChild(tr);
      });
      var next = (r.body.links || []).filter(function (l) { return l.rel === "next"; })[0];
      S.next = next ? next.href : null;
      $("next").disabled = !S.next;
      $("prev").disabled = S.pages.length === 0;
      text($("pageno"), w("page", {n: S.pages.length + 1}));
      drawPage(r.body.features.map(function (f) { return f.id; }));
      document.body.dataset.lists = String(Number(document.body.dataset.lists || 0) + 1);
    }).catch(fail);
  }

  /* map ---------------------------------------------------------------------------------- */
  var PALETTE = ["#9e9e9e", "#d73027", "#fc8d59", "#fee08b", "#91bfdb", "#4575b4", "#1a9850", "#762a83"];
  function initMap() {
    S.map = L.map("map", {zoomControl: true, keyboard: true, attributionControl: false});
    /* the extent comes with the map's levels (/app/map): the collection's document also
       reads the register's dates, a pass over every parcel */
    loadLegend().then(function (b) {
      if (b) S.map.fitBounds([[b[1], b[0]], [b[3], b[2]]]); else S.map.setView([30, 120], 12);
      drawTiles();
    }).catch(function (e) { S.map.setView([30, 120], 12); fail(e); });
    S.overlay = L.geoJSON(null, {style: function (f) {
      return f.id === S.selected ? {color: "#000", weight: 4, fillOpacity: 0.1}
                                 : {color: "#1565c0", weight: 2, fillOpacity: 0.05};
    }, onEachFeature: function (f, layer) { layer.on("click", function () { openParcel(f.id); }); }
    }).addTo(S.map);
  }
  function loadLegend() {
    return api("/app/map?lang=" + S.lang).then(function (r) {
      S.maxzoom = r.body.maxzoom; S.layer = r.body.layer; S.tilesAt = r.body.version;
      var ul = $("legend-items"); ul.innerHTML = "";
      S.layer.classes.forEach(function (c) {
        var li = document.createElement("li"), sw = document.createElement("span");
        sw.style.background = c.color; sw.setAttribute("aria-hidden", "true");
        li.appendChild(sw); li.appendChild(document.createTextNode(c.label));
        li.dataset.code = c.code; ul.appendChild(li);
      });
      return r.body.bbox;
    });
  }
  function colour(c) {
    var k = S.layer && S.layer.classes[c];
    return k ? k.color : PALETTE[(c || 0) % PALETTE.length];
  }
  function drawTiles() {
    if (S.tiles) S.map.removeLayer(S.tiles);
    S.mapFilter = S.filter;
    $("map-filtered").hidden = !S.filter;
    /* each tile's URL names the store version it is of: a tile a write changed gets the
       new version (redrawChanged), the others keep theirs */
    S.base = S.tilesAt; S.stamps = {};
    var url = withFilter("/tiles/parcels/{z}/{x}/{y}.mvt?lang=" + S.lang + "&v={v}");
    S.tiles = L.vectorGrid.protobuf(url, {
      v: function (d) { return S.stamps[d.z + "/" + d.x + "/" + d.y] || S.base; },
      vectorTileLayerStyles: {p: function (p) {
        var cls = Object.keys(p).filter(function (k) { return /^c\d+$/.test(k); }).sort()
          .map(function (k) { return "lu-" + k + "-" + p[k]; });
        return {fill: true, fillColor: colour(p.c0), fillOpacity: 0.6,
                color: "#555", weight: 0.5,
                className: "lu-p lu-id-" + String(p.id).replace(/[^\w-]/g, "_") + " " +
                           cls.join(" ")};
      }},
      fetchOptions: {headers: headers()}, maxNativeZoom: S.maxzoom || 16, maxZoom: 20
    });
    var v = S.version;
    var f = S.filter;
    S.tiles.once("load", function () {
      document.body.dataset.tiles = String(v); document.body.dataset.tilesFilter = f;
    });
    S.tiles.addTo(S.map);
    S.tiles.bringToBack();
  }
  /* after a write: ask the server which tiles changed since the version drawn and fetch
     those alone again (the map's other tiles stay); every tile when it says all */
  function redrawChanged() {
    var done = S.version, url = "/app/tiles?since=" + S.tilesAt + "&lang=" + S.lang;
    if (S.filter) url += "&filter=" + encodeURIComponent(S.filter);
    return api(url).then(function (r) {
      S.tilesAt = r.body.version;
      if (r.body.all) { drawTiles(); return; }
      var keys = [];
      r.body.tiles.forEach(function (t) {
        S.stamps[t[0] + "/" + t[1] + "/" + t[2]] = r.body.version;
        var key = t[1] + ":" + t[2] + ":" + t[0];  /* Leaflet's tile key: x:y:z */
        if (S.tiles._tiles[key]) keys.push(key);
      });
      document.body.dataset.refetched = keys.map(function (k) {
        var p = k.split(":"); return p[2] + "/" + p[0] + "/" + p[1];
      }).join(" ");
      if (!keys.length) { document.body.dataset.tiles = String(done); return; }
      S.tiles.once("load", function () { document.body.dataset.tiles = String(done); });
      /* Leaflet's GridLayer: drop the tiles, then let it load what the view lacks */
      keys.forEach(function (k) { S.tiles._removeTile(k); });
      S.tiles._update();
    }).catch(fail);
  }
  function drawPage(ids) {
    if (!ids.length) { S.overlay.clearLayers(); return; }
    var f = "parcel_id IN (" + ids.map(quote).join(",") + ")";
    api("/collections/parcels/items?f=json&limit=100&properties=parcel_id&filter=" +
        encodeURIComponent(f)).then(function (r) {
      S.overlay.clearLayers(); S.overlay.addData(r.body);
    }).catch(fail);
  }

  /* parcel panel ------------------------------------------------------------------------- */
  function dl(el, obj, names) {
    el.innerHTML = "";
    names.forEach(function (n) {
      var v = obj[n]; if (v == null || v === "") return;
      var dt = document.createElement("dt"); text(dt, field(n));
      var dd = document.createElement("dd");
      text(dd, show(n, v));
      el.appendChild(dt); el.appendChild(dd);
    });
  }
  function openParcel(id) {
    S.selected = id;
    return Promise.all([
      api("/collections/parcels/items/" + encodeURIComponent(id) + "?f=json&lang=" + S.lang),
      api("/collections/ledger/items?f=json&limit=200&skipGeometry=true&parcel_id=" + encodeURIComponent(id))
    ]).then(function (rs) {
      var p = rs[0].body, props = p.properties;
      $("panel").hidden = false;
      text($("p-title"), w("panel") + " " + id + (props.holder ? " · " + props.holder : ""));
      dl($("p-assess"), props, ["lifecycle", "idle_type", "overdue_days", "idle_fee_wan",
        "recovery_candidate", "low_efficiency", "failed_indicators", "mujun_score", "mujun_class", "flags", "area_mu"]);
      text($("p-reasons"), props.reasons);
      var skip = {reasons: 1, geometry: 1};
      var names = Object.keys(props).filter(function (n) { return !skip[n] && !(S.W.app[n]) && !(n in {lifecycle:1, idle_type:1, overdue_days:1, idle_fee_wan:1, recovery_candidate:1, low_efficiency:1, failed_indicators:1, mujun_score:1, mujun_class:1, flags:1, area_mu:1, area_m2:1, area_ha:1, ruleset:1}); });
      dl($("p-attrs"), props, names);
      var ev = Object.keys(props).filter(function (n) { return /evidence|built_share|records_disagree/.test(n) && n !== "start_evidence"; });
      text($("p-evidence"), ev.length ? ev.map(function (n) { return field(n) + ": " + props[n]; }).join("; ") : w("no_evidence"));
      history(rs[1].body.features);
      $("record").hidden = S.role !== "editor";
      if (S.role === "editor") resetRecord(id);
      if (p.geometry) {
        S.overlay.clearLayers(); S.overlay.addData(p);
        S.map.fitBounds(S.overlay.getBounds(), {maxZoom: 17});
      }
      $("panel").focus();
    }).catch(fail);
  }
  function history(events) {
    var ol = $("p-history"); ol.innerHTML = "";
    if (!events.length) { var li0 = document.createElement("li"); text(li0, w("no_history")); ol.appendChild(li0); return; }
    var corrected = {};
    events.forEach(function (e) { if (e.properties.corrects) corrected[e.properties.corrects] = e.id; });
    events.sort(function (a, b) { return String(a.properties.event_date).localeCompare(String(b.properties.event_date)); });
    events.forEach(function (e) {
      var p = e.properties, li = document.createElement("li");
      var t = p.event_date + " " + code("stage", p.stage) + (p.method ? " · " + code("method", p.method) : "") +
              (p.area_m2 ? " · " + p.area_m2 + " m²" : "") + " (" + e.id + ")";
      if (p.corrects) t += " — " + w("corrects") + " " + p.corrects;
      if (corrected[e.id]) { li.className = "corrected"; t += " — " + w("corrected") + " (" + corrected[e.id] + ")"; }
      text(li, t); ol.appendChild(li);
    });
  }

  /* record ------------------------------------------------------------------------------- */
  function resetRecord(id) {
    var f = $("record"); f.reset(); f.dataset.parcel = id;
    f.elements.event_id.value = id + "-" + new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    clearErrors(); text($("r-saved"), "");
  }
  function clearErrors() {
    text($("r-errors"), "");
    document.querySelectorAll("#record .err").forEach(function (e) { text(e, ""); });
    document.querySelectorAll("#record [aria-invalid]").forEach(function (e) {
      e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby");
    });
  }
  function showProblems(body) {
    var list = (body && body["invalid-params"]) || [];
    var zh = S.lang === "zh" && list.length && list.every(function (p) { return p.reason_zh; });
    function reason(p) { return zh ? p.reason_zh : p.reason; }
    text($("r-errors"), w("fix_fields") + (zh ? "：" + list.map(reason).join(" ")
                                              : ": " + ((body && body.detail) || "")));
    var first = null;
    list.forEach(function (p) {
      var input = $("r-" + p.name), slot = $("e-" + p.name);
      if (!input || !slot) return;
      text(slot, reason(p)); input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "e-" + p.name);
      first = first || input;
    });
    if (!list.length && body && body.parameter && $("r-" + body.parameter)) {
      text($("e-" + body.parameter), body.detail); first = $("r-" + body.parameter);
    }
    (first || $("r-errors")).focus();
  }
  function saveRecord(ev) {
    ev.preventDefault(); clearErrors();
    var f = $("record").elements, props = {parcel_id: $("record").dataset.parcel};
    ["event_id", "event_date", "stage", "method", "area_m2", "corrects", "note"].forEach(function (n) {
      var v = f[n].value.trim(); if (v !== "") props[n] = n === "area_m2" && !isNaN(Number(v)) ? Number(v) : v;
    });
    api("/collections/ledger/items", {method: "POST", headers: {"Content-Type": "application/geo+json"},
      body: JSON.stringify({type: "Feature", geometry: null, properties: props})})
      .then(function () {
        text($("r-saved"), w("saved", {id: props.event_id}));
        S.version += 1; redrawChanged();
        return Promise.all([loadSummary(), loadPage(S.page), openParcel(props.parcel_id)]);
      }).then(function () { text($("r-saved"), w("saved", {id: props.event_id})); })
      .catch(function (e) { if (e.body) showProblems(e.body); else fail(e); });
  }

  /* sign in ------------------------------------------------------------------------------ */
  function signIn(key) {
    S.key = key;
    return api("/app/whoami").then(function (r) {
      S.role = r.body.role; sessionStorage.setItem("lu-key", key);
      text($("who"), w("signed_in", {role: r.body.role}) + (r.body.role !== "editor" ? " — " + w("viewer_key") : ""));
      $("signout").hidden = false;
      if (S.selected) { $("record").hidden = S.role !== "editor"; if (S.role === "editor") resetRecord(S.selected); }
    }).catch(function () {
      S.key = ""; S.role = null; sessionStorage.removeItem("lu-key"); text($("who"), w("bad_key"));
    });
  }

  /* report ------------------------------------------------------------------------------- */
  function period() {
    var kind = document.querySelector("input[name=period]:checked").value;
    var y = $("rp-year").value || String(new Date().getFullYear());
    if (kind === "janoct") return [y + "-01-01", y + "-10-31"];
    if (kind === "year") return [y + "-01-01", y + "-12-31"];
    return [$("rp-from").value.trim(), $("rp-to").value.trim()];
  }
  function reportUrl(f) {
    var p = period();
    return "/reports/reclamation?from=" + encodeURIComponent(p[0]) + "&to=" + encodeURIComponent(p[1]) +
      "&lang=" + $("rp-lang").value + "&f=" + f;
  }
  function download(url, name) {
    return settle(url, {headers: headers({Accept: "*/*"})}).then(function (r) {
      if (!r.ok) return r.json().then(function (b) { throw new Error(b.detail || r.statusText); });
      return r.blob().then(function (b) {
        var a = document.createElement("a"); a.href = URL.createObjectURL(b); a.download = name;
        document.body.appendChild(a); a.click(); a.remove();
      });
    }).catch(function (e) { text($("headline"), w("error") + ": " + e.message); });
  }
  function showHeadline(ev) {
    if (ev) ev.preventDefault();
    text($("headline"), w("loading"));
    return api(reportUrl("json")).then(function (r) { text($("headline"), r.body.headline); })
      .catch(function (e) { text($("headline"), w("error") + ": " + e.message); });
  }

  /* start -------------------------------------------------------------------------------- */
  function bind() {
    $("lang").addEventListener("click", function () {
      S.lang = S.lang === "zh" ? "en" : "zh"; sessionStorage.setItem("lu-lang", S.lang);
      $("rp-lang").value = S.lang;
      loadWords().then(function () {
        loadLegend().then(drawTiles).catch(fail); refreshAll(); if (S.selected) openParcel(S.selected);
      });
    });
    $("filters").addEventListener("submit", function (e) { e.preventDefault(); refreshAll(); });
    $("filters").addEventListener("reset", function () { setTimeout(refreshAll, 0); });
    $("sort").addEventListener("change", function () { S.pages = []; loadPage(firstPage()); });
    $("next").addEventListener("click", function () { if (S.next) { S.pages.push(S.page); loadPage(S.next); } });
    $("prev").addEventListener("click", function () { if (S.pages.length) loadPage(S.pages.pop()); });
    $("p-close").addEventListener("click", function () { $("panel").hidden = true; S.selected = null; $("list").focus(); });
    $("record").addEventListener("submit", saveRecord);
    $("signin").addEventListener("submit", function (e) { e.preventDefault(); signIn($("key").value.trim()); });
    $("signout").addEventListener("click", function () {
      S.key = ""; S.role = null; sessionStorage.removeItem("lu-key"); text($("who"), "");
      $("signout").hidden = true; $("record").hidden = true;
    });
    var typed = null;
    $("q").addEventListener("input", function () {
      clearTimeout(typed);
      typed = setTimeout(function () {
        var v = $("q").value.trim(); if (!v) return;
        api("/parcels/search?q=" + encodeURIComponent(v) + "&limit=10").then(function (r) {
          var dlist = $("q-hits"); dlist.innerHTML = "";
          (r.body.results || r.body).forEach(function (h) {
            var o = document.createElement("option"); o.value = h.parcel_id; o.label = (h.holder || "") + " " + (h.zone || "");
            dlist.appendChild(o);
          });
        }).catch(function () {});
      }, 200);
    });
    $("search").addEventListener("submit", function (e) {
      e.preventDefault();
      var v = $("q").value.trim(); if (!v) return;
      api("/parcels/search?q=" + encodeURIComponent(v) + "&limit=10").then(function (r) {
        var hits = r.body.results || r.body;
        if (hits.length) openParcel(hits[0].parcel_id); else text($("summary"), w("no_history"));
      }).catch(fail);
    });
    $("report").addEventListener("submit", showHeadline);
    ["html", "xlsx", "docx"].forEach(function (f) {
      $("rp-" + f).addEventListener("click", function (e) {
        e.preventDefault(); var p = period();
        download(reportUrl(f), "report-" + p[0] + "-" + p[1] + "." + f);
      });
    });
    ["xlsx", "gpkg"].forEach(function (f) {
      $("x-" + f).addEventListener("click", function (e) { e.preventDefault(); download($("x-" + f).href, "parcels." + f); });
    });
  }
  $("rp-year").value = String(new Date().getFullYear());
  $("rp-lang").value = S.lang;
  bind();
  loadWords().then(function () {
    initMap();
    return Promise.all([loadZones(), refreshAll(), S.key ? signIn(S.key) : null]);
  }).then(function () { document.body.dataset.ready = "1"; }).catch(fail);
}());
