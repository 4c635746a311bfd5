/* Small helpers shared by our map pages. No framework, no CDN: Leaflet is vendored. */
(function () {
  "use strict";

  var page = document.documentElement;
  var lang = page.getAttribute("lang") === "en" ? "en" : "zh";
  /* The page's words in its language, from the server's catalogue (web/page_strings.py). */
  var strings = JSON.parse(document.getElementById("page-strings").textContent);
  var TEXT = strings.gridmap;

  /* One layer control per map: the page's own layers join the one Folium made (layers/folium_map.py), which we
     find by remembering every layer control as it is added to a map. */
  if (window.L) L.Control.Layers.addInitHook(function () {
    var control = this, onAdd = control.onAdd;
    // On a phone the list of layers would cover the map: folded behind its button there.
    if (window.innerWidth < 700) control.options.collapsed = true;
    control.onAdd = function (map) { map._gridmapLayers = control; return onAdd.call(control, map); };
  });

  /*
   * The search box of every map a signed-in user sees (small maps inside a page are left alone):
   * grid names and codes, ticket numbers, coordinates in WGS-84 or pasted from a phone map (GCJ-02,
   * BD-09). The server reads what was typed (/api/search, geo/dispatch/search.py).
   */
  var SearchControl = window.L && L.Control.extend({
    options: { position: "topleft" },
    onAdd: function (map) {
      var S = TEXT.search;
      var box = L.DomUtil.create("div", "leaflet-control gridmap-search");
      box.innerHTML =
        '<form role="search"><input type="search" name="q" maxlength="60" autocomplete="off" placeholder="' + escapeHtml(S.placeholder) +
        '" aria-label="' + escapeHtml(S.placeholder) + '"><select name="crs" aria-label="' + escapeHtml(S.crs) + '" title="' + escapeHtml(S.crs) + '">' +
        '<option value="wgs84">WGS-84</option><option value="gcj02">' + escapeHtml(S.gcj02) + '</option><option value="bd09">' + escapeHtml(S.bd09) + "</option></select>" +
        '<button type="submit">' + escapeHtml(S.go) + '</button></form><ul class="results" role="listbox"></ul>';
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var form = box.querySelector("form");
      var list = box.querySelector(".results");
      var found = [];
      var pin = null;
      function go(result) {
        list.innerHTML = "";
        if (pin) map.removeLayer(pin);
        if (result.bounds) {
          map.fitBounds([[result.bounds[1], result.bounds[0]], [result.bounds[3], result.bounds[2]]], { maxZoom: 15 });
        } else {
          map.setView([result.lat, result.lon], Math.max(map.getZoom(), 15));
        }
        pin = L.circleMarker([result.lat, result.lon], { radius: 9, color: "#c2185b", weight: 3, fillOpacity: 0.1 })
          .bindTooltip(escapeHtml(result.label), { permanent: true, direction: "right", className: "search-label" }).addTo(map);
        if (result.kind === "incident") listeners.forEach(function (listener) { listener(result.code); });
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var q = form.elements.q.value.trim();
        if (!q) return;
        api("GET", "/api/search?" + new URLSearchParams({ q: q, crs: form.elements.crs.value })).then(function (r) {
          if (!r.ok) { list.innerHTML = '<li class="error">' + escapeHtml(r.data.error) + "</li>"; return; }
          found = r.data.results;
          if (found.length === 1) { go(found[0]); return; }
          list.innerHTML = found.length ? found.map(function (f, k) {
            var what = f.kind === "grid" ? (strings.labels.level[f.level] || f.level) : f.kind === "incident" ? S.incident : S.point;
            return '<li role="option" tabindex="0" data-k="' + k + '"><b>' + escapeHtml(f.label) + "</b> <span>" + escapeHtml(what) +
              (f.detail ? " · " + escapeHtml(f.detail) : "") + (f.code && f.kind === "grid" ? " · " + escapeHtml(f.code) : "") + "</span></li>";
          }).join("") : "<li>" + escapeHtml(S.none) + "</li>";
        });
      });
      list.addEventListener("click", function (event) {
        var item = event.target.closest("li[data-k]");
        if (item) go(found[Number(item.dataset.k)]);
      });
      list.addEventListener("keydown", function (event) {
        var item = event.target.closest("li[data-k]");
        if (item && event.key === "Enter") go(found[Number(item.dataset.k)]);
      });
      return box;
    },
  });
  if (window.L) L.Map.addInitHook(function () {
    var map = this;
    var size = map.getSize();
    if (document.body.dataset.search !== "on" || size.x < 320 || size.y < 300) return;
    map.whenReady(function () { map.addControl(new SearchControl()); });
  });

  function addOverlays(map, overlays) {
    var control = map._gridmapLayers;
    if (!control) return L.control.layers(null, overlays, { collapsed: window.innerWidth < 700 }).addTo(map);
    Object.keys(overlays).forEach(function (title) { control.addOverlay(overlays[title], title); });
    return control;
  }

  /* A template from the catalogue with its named values filled in: format("{n} km", { n: 3 }). */
  function format(template, values) {
    return template.split("{").map(function (part, i) {
      if (i === 0) return part;
      var close = part.indexOf("}");
      var value = values[part.slice(0, close)];
      return (value === undefined || value === null ? "" : String(value)) + part.slice(close + 1);
    }).join("");
  }

  function escapeHtml(value) {
    return String(value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  function displayValue(prop, value) {
    if (value === null || value === undefined || value === "") return TEXT.none;
    if (prop === "level") return strings.labels.level[value] || value;
    return value;
  }

  function popupHtml(feature, fields, demo) {
    var props = feature.properties || {};
    var rows = fields
      .map(function (field) {
        return (
          "<tr><th>" + escapeHtml(field.label) + "</th><td>" +
          escapeHtml(displayValue(field.prop, props[field.prop])) + "</td></tr>"
        );
      })
      .join("");
    var note = demo || props.demo ? '<div class="demo-note">' + escapeHtml(TEXT.demo) + "</div>" : "";
    return '<table class="grid-popup">' + rows + "</table>" + note;
  }

  function labelFor(feature, prop) {
    var props = feature.properties || {};
    if (lang === "en" && props.name_en) return props.name_en;
    return props[prop];
  }

  function setStatus(id, text, failed) {
    var box = document.getElementById("map-status");
    if (!box) return;
    var item = document.getElementById("status-" + id);
    if (!text) {
      if (item) item.remove();
      return;
    }
    if (!item) {
      item = document.createElement("div");
      item.id = "status-" + id;
      box.appendChild(item);
    }
    item.textContent = text;
    item.className = failed ? "failed" : "";
  }

  /* A GeoJSON overlay that fetches its data the first time it is shown. */
  function remoteLayer(config) {
    var layer = L.geoJSON(null, {
      style: function () {
        return config.style;
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, config.style);  // point layers (the forces): no marker images to fetch
      },
      onEachFeature: function (feature, featureLayer) {
        if (config.popup.length) {
          featureLayer.bindPopup(popupHtml(feature, config.popup, config.demo), { maxWidth: 360 });
        }
        if (config.labelProp) {
          featureLayer.bindTooltip(escapeHtml(labelFor(feature, config.labelProp) || ""), {
            permanent: config.permanentLabels,
            direction: "center",
            className: config.permanentLabels ? "area-label" : "",
          });
        }
      },
    });
    layer.options.gridmapId = config.id;
    var state = "idle";
    function load() {
      if (state !== "idle") return;
      state = "loading";
      setStatus(config.id, TEXT.loading + "…");
      fetch(config.url, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + response.statusText);
          return response.json();
        })
        .then(function (data) {
          layer.addData(data);
          state = "loaded";
          layer.fire("gridmap:loaded", { count: (data.features || []).length });
          setStatus(config.id, null);
        })
        .catch(function (error) {
          state = "idle";
          setStatus(config.id, TEXT.failed + ": " + error.message, true);
        });
    }
    layer.on("add", load);
    return layer;
  }

  /*
   * Finished cases reach back to this day (the server's default until the console asks for older
   * ones): a million cases are mostly closed, and the map loads only the recent closures.
   */
  var closedSince = "";
  var feedSources = [];

  /* A leaflet-realtime source that asks only for what changed since the last answer. */
  function changesSince(url) {
    // ready: the first full load is in, so what arrives from now on is news (see onFeedChange).
    var source = { cursor: 0, restarts: 0, ready: false };
    feedSources.push(source);
    function poll(success, error) {
      var sep = url.indexOf("?") < 0 ? "?" : "&";
      var restarts = source.restarts;
      var reach = closedSince ? "&closed_since=" + closedSince : "";
      fetch(url + sep + "since=" + source.cursor + reach, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + response.statusText);
          return response.json();
        })
        .then(function (data) {
          if (restarts === source.restarts) source.cursor = data.cursor;
          if (!closedSince) closedSince = data.closed_since;
          success(data);
          if (!data.more) source.ready = true;
          // A full page: the rest follows at once, not one poll interval per page of markers.
          if (data.more && restarts === source.restarts) poll(success, error);
        })
        .catch(function (failure) {
          error(failure, failure.message);
        });
    }
    poll.source = source;
    return poll;
  }

  /* Listeners told of each change the feed brings after its first load: listener({ added, changed }),
     ``added`` the features new to the map (a case just reported in the caller's jurisdiction). */
  var feedListeners = [];

  /* Load the cases finished since ``day`` (YYYY-MM-DD) too, when it is before what the map holds. */
  function reachBack(day) {
    if (!day || !closedSince || day >= closedSince) return;
    closedSince = day;
    feedSources.forEach(function (source) {
      source.cursor = 0;
      source.restarts += 1;
    });
    liveRealtimes.forEach(function (realtime) {
      if (realtime.isRunning()) realtime.update();
    });
  }

  var STATUS_COLOURS = {
    reported: "#e08214", registered: "#fdb863", dispatched: "#2166ac", in_progress: "#4393c3",
    resolved: "#5aae61", closed: "#9e9e9e", rejected: "#bdbdbd", duplicate: "#bdbdbd",
  };

  /* One incident marker: a dot coloured by status, ringed red when overdue. */
  function incidentMarker(feature, latlng) {
    var p = feature.properties;
    // The shape tells the net (circle, square, diamond), the colour the status: three nets stay apart on one map.
    var classes = "incident-dot net-" + p.n + (p.o ? " overdue" : "") + (p.e ? " escalated" : "");
    var icon = L.divIcon({
      className: "",
      html: '<span class="' + classes + '" style="background:' + (STATUS_COLOURS[p.s] || "#666") + '"></span>',
      iconSize: [14, 14],
      iconAnchor: [7, 7],
    });
    return L.marker(latlng, { icon: icon, title: feature.id, keyboard: false });
  }

  var listeners = [];
  function onIncident(feature, layer) {
    layer.on("click", function () {
      listeners.forEach(function (listener) { listener(feature.id); });
    });
  }

  /*
   * Live incident markers: polled with leaflet-realtime, shown through a marker cluster.
   * Realtime keeps its own (hidden) layer group; changes reach the cluster in bulk
   * (addLayers/removeLayers), because adding ten thousand markers to a cluster one by
   * one takes the browser tens of seconds.
   */
  var liveLayers = [];
  var liveRealtimes = [];
  var CLUSTER_ANCHORS = { social: [36, 20], religious: [4, 20], rural: [20, 2] };
  var NET_SHAPES = ["social", "religious", "rural"];

  /* The console's key: what each colour (status), ring (overdue, escalated) and shape (net) of a marker means. */
  function incidentLegend(map) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = L.DomUtil.create("details", "map-legend incident-legend");
      if (window.matchMedia("(min-width: 700px)").matches) box.open = true;
      L.DomEvent.disableClickPropagation(box);
      var row = function (classes, style, name) {
        return '<div class="legend-row"><span class="' + classes + '" style="' + style + '"></span>' + escapeHtml(name) + "</div>";
      };
      var rows = Object.keys(STATUS_COLOURS).filter(function (s) { return s !== "duplicate"; }).map(function (status) {
        return row("incident-dot", "background:" + STATUS_COLOURS[status], strings.labels.status[status]);
      });
      rows.push(row("incident-dot overdue", "background:#2166ac", TEXT.legendOverdue));
      rows.push(row("incident-dot escalated", "background:#2166ac", TEXT.legendEscalated));
      NET_SHAPES.forEach(function (n) { rows.push(row("incident-dot net-" + n, "background:#777", strings.labels.net[n])); });
      box.innerHTML = "<summary>" + escapeHtml(TEXT.legend) + "</summary>" + rows.join("");
      return box;
    };
    return control.addTo(map);
  }

  function liveLayer(config) {
    var net = config.id.replace("incidents-", "");
    var cluster = L.markerClusterGroup({
      disableClusteringAtZoom: 13,
      chunkedLoading: true,
      // Each net's clusters in its colour and set off to one side, so one net's count never hides another's.
      iconCreateFunction: function (group) {
        var count = group.getChildCount();
        var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
        return L.divIcon({
          html: "<div><span>" + count + "</span></div>",
          className: "marker-cluster marker-cluster-" + size + " net-" + net,
          iconSize: L.point(40, 40),
          iconAnchor: CLUSTER_ANCHORS[net] || [20, 20],
        });
      },
    });
    var poll = changesSince(config.url);
    var realtime = L.realtime(poll, {
      start: false,
      interval: config.interval,
      container: L.layerGroup(),
      removeMissing: false,
      getFeatureId: function (feature) { return feature.id; },
      updateFeature: function () { return null; }, // a changed incident is drawn anew: its colour is its status
      pointToLayer: incidentMarker,
      onEachFeature: onIncident,
    });
    var shown = {};
    var filter = null;
    function passes(layer) { return !filter || filter(layer.feature.properties); }
    realtime.on("update", function (event) {
      var added = [];
      var removed = [];
      Object.keys(event.enter).concat(Object.keys(event.update)).forEach(function (id) {
        if (shown[id] && cluster.hasLayer(shown[id])) removed.push(shown[id]);
        shown[id] = realtime.getLayer(id);
        if (passes(shown[id])) added.push(shown[id]);
      });
      if (removed.length) cluster.removeLayers(removed);
      if (added.length) cluster.addLayers(added);
      cluster.fire("gridmap:loaded", { count: Object.keys(shown).length });
      var entered = Object.keys(event.enter);
      var changed = entered.length + Object.keys(event.update).length;
      if (poll.source.ready && changed) {
        var news = { added: entered.map(function (id) { return event.enter[id].feature || event.enter[id]; }), changed: changed };
        feedListeners.forEach(function (listener) { listener(news); });
      }
    });
    /* Show only the markers for which predicate(properties) is true (null: all). */
    cluster.setFilter = function (predicate) {
      filter = predicate;
      cluster.clearLayers();
      cluster.addLayers(Object.keys(shown).map(function (id) { return shown[id]; }).filter(passes));
    };
    liveLayers.push(cluster);
    liveRealtimes.push(realtime);
    cluster.on("add", function () { realtime.start(); });
    cluster.on("remove", function () { realtime.stop(); });
    return cluster;
  }

  /*
   * Incidents as vector tiles, for a console with more cases than markers can carry (the server
   * decides, CONSOLE_TILES_ABOVE): each case with its fields from z13, counts per cell below.
   * Filters reach the server as the tiles' query, so the counts follow them too.
   */
  var tileLayers = [];
  var tilesLoaded = 0;
  var tilesRefreshed = 0;

  function incidentTileStyle(p) {
    if (p.count) {
      // A cell is 8 pixels (CLUSTER_CELL): its dot grows with the count but stays inside it.
      var radius = Math.min(1.5 + Math.log(p.count), 4.5);
      return { radius: radius, fill: true, fillColor: "#7b1e1e", fillOpacity: 0.7, stroke: false };
    }
    var colour = STATUS_COLOURS[p.status] || "#666";
    return { radius: 6, fill: true, fillColor: colour, fillOpacity: 0.9, color: p.overdue ? "#000" : "#fff", weight: 1.5 };
  }

  function incidentTileLayer(config) {
    var layer = L.vectorGrid.protobuf(config.url, {
      rendererFactory: L.canvas.tile,
      interactive: true,
      maxNativeZoom: config.maxZoom,
      vectorTileLayerStyles: { incidents: incidentTileStyle },
    });
    layer.on("click", function (event) {
      var p = event.layer.properties;
      if (p.ticket) {
        listeners.forEach(function (listener) { listener(p.ticket); });
      } else {
        event.target._map.setView(event.latlng, event.target._map.getZoom() + 2);
      }
    });
    layer.on("tileload", function () { tilesLoaded += 1; });
    var filters = {};
    var seen = null; // the change number the tiles were cut at (v=): a new one fetches them past the cache
    function load() {
      var query = new URLSearchParams();
      Object.keys(filters).forEach(function (key) { if (filters[key]) query.set(key, filters[key]); });
      if (seen) query.set("v", seen);
      var text = query.toString();
      layer.setUrl(config.url + (text ? "?" + text : ""));
    }
    /* Ask the server for the incidents matching ``chosen`` (the console's form: net, status, ...). */
    layer.setQuery = function (chosen) {
      filters = chosen || {};
      load();
    };
    /* Redraw when the incidents change: ask the feed every ``interval`` ms what changed after change ``since``
       (only the changes, never every case), and tell the feed's listeners as the live markers do. */
    layer.followChanges = function (feedUrl, since, interval) {
      var cursor = since;
      function ask() {
        fetch(feedUrl + "?since=" + cursor, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            if (!data) return;
            cursor = data.cursor;
            if (!data.features.length) return; // nothing the caller sees changed
            seen = cursor;
            load();
            tilesRefreshed += 1;
            // New: what is still waiting to be registered (a changed case looks the same in the feed otherwise).
            var news = { added: data.features.filter(function (f) { return f.properties.s === "reported"; }), changed: data.features.length };
            feedListeners.forEach(function (listener) { listener(news); });
          })
          .catch(function () { /* offline for a moment: the next round asks again */ });
      }
      setInterval(ask, interval);
    };
    tileLayers.push(layer);
    return layer;
  }

  /* An ISO time as the county reads it: China Standard Time (UTC+8, no daylight saving; config LOCAL_TZ). */
  function localTime(iso) {
    if (!iso) return "—";
    return new Date(Date.parse(iso) + 8 * 3600e3).toISOString().slice(0, 16).replace("T", " ");
  }

  /* The same, as a datetime-local input's value, and such a value (county time) back as an ISO time. */
  function localInputValue(iso) { return localTime(iso).replace(" ", "T"); }
  function fromLocalInput(value) { return new Date(value + ":00+08:00").toISOString(); }

  /* A feature's style from its layer's declaration (layers/): the base style, then the one for its property's value. */
  function styleOf(layer, properties) {
    var chosen = layer.styleBy ? layer.styles[String(properties[layer.styleBy])] : null;
    return Object.assign({}, layer.style, chosen || {});
  }

  /* A legend drawn from layer declarations (layers/*.py), so the symbols on the map and their names live in one
     place: each entry is a declared layer, and a layer styled by a property lists its styles, named by ``names``
     (e.g. the labels of a labelled code). Collapsed on phones behind its title. */
  function legend(map, entries, title) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = L.DomUtil.create("details", "map-legend");
      if (window.matchMedia("(min-width: 700px)").matches) box.open = true;
      L.DomEvent.disableClickPropagation(box);
      var rows = [];
      entries.forEach(function (entry) {
        var layer = entry.layer;
        if (layer.styleBy && entry.names) {
          Object.keys(layer.styles).forEach(function (key) {
            if (entry.names[key]) rows.push(swatch(Object.assign({}, layer.style, layer.styles[key]), entry.names[key]));
          });
        } else {
          rows.push(swatch(layer.style, layer.title));
        }
      });
      box.innerHTML = "<summary>" + escapeHtml(title) + "</summary>" + rows.join("");
      return box;
    };
    control.addTo(map);
    return control;
  }

  function swatch(style, name) {
    if (style.symbol) return '<div class="legend-row"><span class="legend-symbol">' + escapeHtml(style.symbol) + "</span>" + escapeHtml(name) + "</div>";
    if (style.gradient) return '<div class="legend-row"><span class="legend-swatch legend-gradient"></span>' + escapeHtml(name) + "</div>";
    var fill = style.fill === false ? "transparent" : (style.fillColor || style.color || "#999");
    var css = "background:" + fill + ";opacity:" + (style.fillOpacity != null ? Math.max(style.fillOpacity, 0.45) : 1) +
      ";border:" + Math.min(style.weight || 1, 4) + "px " + (style.dashArray ? "dashed" : "solid") + " " + (style.color || "#333");
    return '<div class="legend-row"><span class="legend-swatch" style="' + escapeHtml(css) + '"></span>' + escapeHtml(name) + "</div>";
  }

  function csrfToken() {
    return document.querySelector('meta[name="csrf-token"]').content;
  }

  /* A JSON call to our API with the session cookie and, when it changes something, the CSRF token. */
  function api(method, url, body, headers) {
    var init = { method: method, credentials: "same-origin", headers: Object.assign({ Accept: "application/json" }, headers) };
    if (method !== "GET") init.headers["X-CSRFToken"] = csrfToken();
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      if (response.status === 204) return { ok: true, status: 204, data: {} };  // a DELETE's empty answer
      return response.json().then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  /* What the server handed the page's script: the page's <script type="application/json" id="page-options">. */
  function pageOptions() {
    return JSON.parse(document.getElementById("page-options").textContent);
  }

  /* Apply one marker filter to every live incident layer (tile layers ask for ``filters``); return how many markers are shown. */
  function filterIncidents(predicate, filters) {
    liveLayers.forEach(function (layer) { layer.setFilter(predicate); });
    tileLayers.forEach(function (layer) { layer.setQuery(filters); });
    return visibleIncidents();
  }

  function visibleIncidents() {
    return liveLayers.reduce(function (sum, layer) { return sum + layer.getLayers().length; }, 0);
  }

  window.gridmap = {
    api: api,
    pageOptions: pageOptions,
    filterIncidents: filterIncidents,
    visibleIncidents: visibleIncidents,
    csrfToken: csrfToken,
    localTime: localTime,
    localInputValue: localInputValue,
    fromLocalInput: fromLocalInput,
    styleOf: styleOf,
    legend: legend,
    addOverlays: addOverlays,
    liveLayer: liveLayer,
    incidentLegend: incidentLegend,
    incidentTileLayer: incidentTileLayer,
    tiledIncidents: function () { return { layers: tileLayers.length, loaded: tilesLoaded, refreshed: tilesRefreshed }; },
    /* Keep every incident tile layer current (see incidentTileLayer's followChanges). */
    followTiledIncidents: function (feedUrl, since, interval) {
      tileLayers.forEach(function (layer) { layer.followChanges(feedUrl, since, interval); });
    },
    remoteLayer: remoteLayer,
    escapeHtml: escapeHtml,
    lang: lang,
    strings: strings,
    labels: strings.labels,
    format: format,
    changesSince: changesSince,
    reachBack: reachBack,
    incidentMarker: incidentMarker,
    onIncident: onIncident,
    onSelect: function (listener) { listeners.push(listener); },
    onFeedChange: function (listener) { feedListeners.push(listener); },
    statusColours: STATUS_COLOURS,
  };
})();
