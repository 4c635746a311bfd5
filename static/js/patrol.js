/* The patrol map: zones active on a date, their people and sites, incidents near them, hotspots, tasks. */
(function () {
  "use strict";

  var esc = gridmap.escapeHtml;
  var en = gridmap.lang === "en";
  var T = gridmap.strings.patrol;
  var LABELS = gridmap.labels;
  /* The layers are declared on the server (layers/patrol.py): titles, URLs and styles arrive with the page. */
  var LAYER_IDS = { zones: "patrol-zones", sites: "patrol-sites", incidents: "patrol-incidents",
    heat: "patrol-density", cells: "patrol-cells", tasks: "patrol-tasks" };

  function layerOf(name) { return state.options.layers[LAYER_IDS[name]]; }

  var state = { map: null, options: null, zones: null, layers: {}, outlines: {}, drawn: null, teams: [] };

  function $(id) { return document.getElementById(id); }

  function message(text, failed) {
    var box = $("patrol-message");
    box.className = failed ? "error" : "ok";
    box.textContent = text || "";
  }

  function start(map, options) {
    state.map = map;
    state.options = options;
    ["zones", "incidents", "cells", "sites", "tasks"].forEach(function (name) { state.layers[name] = L.featureGroup().addTo(map); });
    state.layers.heat = L.heatLayer([], layerOf("heat").style).addTo(map);
    map.on("zoomend", fitHeatToCells);
    var overlays = {};
    ["zones", "sites", "incidents", "heat", "cells", "tasks"].forEach(function (name) { overlays[layerOf(name).title] = state.layers[name]; });
    gridmap.addOverlays(map, overlays);
    gridmap.legend(map, [
      { layer: layerOf("zones"), names: T.legendNames.zones },
      { layer: layerOf("sites"), names: LABELS.site_kind },
      { layer: layerOf("incidents"), names: T.legendNames.incidents },
      { layer: Object.assign({}, layerOf("heat"), { style: { gradient: true }, title: T.legendNames.density }) },
      { layer: layerOf("cells"), names: T.legendNames.cells },
      { layer: layerOf("tasks"), names: LABELS.task_state },
    ], T.legend);
    $("hotspot-filters").addEventListener("submit", function (event) { event.preventDefault(); loadHotspots(); });
    if (options.canDraw) setupDrawing();
    loadZones();
    loadTasks();
  }

  /* Heat points are cell centres: draw each about a cell wide at every zoom, so the surface stays continuous. */
  function fitHeatToCells() {
    var cell = state.cellMetres || 2000;
    var metresPerPixel = 40075016.686 * Math.cos(state.map.getCenter().lat * Math.PI / 180) / Math.pow(2, state.map.getZoom() + 8);
    var radius = Math.max(8, Math.min(150, cell / metresPerPixel));
    state.layers.heat.setOptions({ radius: radius, blur: radius * 0.9 });
  }

  function loadZones() {
    gridmap.api("GET", layerOf("zones").url + "?on=" + state.options.day).then(function (r) {
      if (!r.ok) return message(r.data.error, true);
      state.zones = r.data.features;
      state.zoneVisit = r.data.visit;
      drawZones();
      listZones();
      loadHotspots();
      loadIncidents();  // the zones open that day may have changed
    });
  }

  function drawZones() {
    state.layers.zones.clearLayers();
    state.layers.sites.clearLayers();
    state.outlines = {};
    state.teams = [];
    state.zones.forEach(function (feature) {
      var p = feature.properties;
      var outline = L.geoJSON(feature, {
        pmIgnore: !state.options.canDraw,
        style: gridmap.styleOf(layerOf("zones"), p),
      }).bindTooltip(esc(zoneName(p)) + (p.is_demo ? " (" + T.demo + ")" : ""), { sticky: true }).addTo(state.layers.zones);
      state.outlines[feature.id] = outline;
      if (state.options.canDraw) outline.on("click", function () { selectZone(feature, outline); });
      p.sites.forEach(function (site) {
        var symbol = gridmap.styleOf(layerOf("sites"), site).symbol;
        L.marker([site.lat, site.lon], {
          icon: L.divIcon({ className: "site-icon " + site.kind, html: symbol, iconSize: [16, 16] }),
          pmIgnore: true,
        }).bindPopup(esc(gridmap.format(T.siteName, { kind: LABELS.site_kind[site.kind], name: site.name }))).addTo(state.layers.sites);
      });
      p.teams.forEach(function (team) { state.teams.push({ id: team.id, name: team.name, zone: feature.id }); });
    });
  }

  function statsLine(s) {
    return gridmap.format(T.stats, {
      since: s.since, until: s.until, incidents: s.incidents, last_year_incidents: s.last_year_incidents,
      cells: s.cells || 0, cell_km: s.cell_m / 1000, hot_cells: s.hot_cells || 0, cold_cells: s.cold_cells || 0,
      permutations: s.permutations, alpha: s.alpha,
    });
  }

  function zoneName(p) { return en && p.name_en ? p.name_en : p.name_zh; }

  function zoneItem(feature) {
    var p = feature.properties;
    var people = p.branches.map(function (b) {
      return "<div>" + esc(T.branch) + " " + esc(b.name) + " · " + esc(T.secretary) + " " + esc(b.secretary) + (b.phone ? " " + esc(b.phone) : "") + "</div>";
    }).concat(p.teams.map(function (t) {
      return "<div>" + esc(T.team) + " " + esc(t.name) + " · " + esc(T.leader) + " " + esc(t.leader) + (t.phone ? " " + esc(t.phone) : "") + "</div>";
    })).join("");
    var windows = p.active_window ? p.active_window.join(" – ") : p.windows.map(function (w) { return w.start + "–" + w.end; }).join(", ");
    return '<li data-zone="' + feature.id + '"><b>' + esc(zoneName(p)) + "</b> " + (p.is_demo ? '<span class="tag">' + esc(T.demo) + "</span> " : "") +
      '<span class="meta">' + esc(LABELS.zone_kind[p.kind]) + " · " + esc(T.window) + " " + esc(windows) +
      (p.altitude_min_m ? " · " + p.altitude_min_m + "–" + p.altitude_max_m + " m" : "") + "</span>" +
      (p.is_border ? '<div class="badge escalated">' + esc(T.border) + " " + esc(p.border_with.map(function (n) { return en ? n.name_en : n.name_zh; }).join(T.listSeparator)) +
        (p.crosses_county_line ? " · " + esc(T.crosses) : "") + "</div>" : "") +
      '<div class="meta">' + people + "</div>" +
      '<a class="briefing" href="' + state.options.briefingUrl + "?zone=" + feature.id + '">' + esc(T.briefing) + "</a>" +
      (state.options.canAssign && p.active && p.teams.length ? ' <button type="button" class="link-button" data-assign-zone>' + esc(T.assign) + "</button>" : "") +
      (state.options.canDraw ? ' <button type="button" class="link-button" data-edit-zone>' + esc(T.editZone) + "</button>" : "") + "</li>";
  }

  function listZones() {
    var taskForm = $("task-form");
    if (taskForm) { taskForm.hidden = true; $("tasks").after(taskForm); }  // out of the lists before they are redrawn
    var active = state.zones.filter(function (f) { return f.properties.active; });
    var inactive = state.zones.filter(function (f) { return !f.properties.active; });
    $("active-zones").innerHTML = active.map(zoneItem).join("") || "<li>" + esc(T.none) + "</li>";
    $("inactive-zones").innerHTML = inactive.map(zoneItem).join("") || "<li>" + esc(T.none) + "</li>";
    document.querySelectorAll(".zone-list li[data-zone]").forEach(function (item) {
      item.addEventListener("click", function (event) {
        if (event.target.closest("a") || event.target.closest("#task-form")) return;
        var feature = state.zones.filter(function (f) { return String(f.id) === item.dataset.zone; })[0];
        state.map.fitBounds(L.geoJSON(feature).getBounds(), { maxZoom: 12 });
        if (event.target.closest("[data-assign-zone]")) {
          item.appendChild($("task-form"));  // next to the zone it is for
          return assignForm({ zone: feature, visit: state.zoneVisit, title: T.visit + " " + zoneName(feature.properties) });
        }
        if (event.target.closest("[data-edit-zone]")) {
          selectZone(feature, state.outlines[feature.id]);
          $("zone-edit").scrollIntoView();
        }
      });
    });
  }

  function loadHotspots() {
    var params = new URLSearchParams(new FormData($("hotspot-filters")));
    Array.from(params.keys()).forEach(function (key) { if (!params.get(key)) params.delete(key); });
    $("hotspot-stats").textContent = "…";
    gridmap.api("GET", layerOf("cells").url + "?" + params.toString()).then(function (r) {
      if (!r.ok) return message(r.data.error, true);
      var d = r.data;
      $("hotspot-stats").textContent = statsLine(d.stats) + (d.note ? " — " + T.notes[d.note] : "");
      state.cellMetres = d.stats.cell_m;
      state.layers.heat.setLatLngs(d.heat);
      fitHeatToCells();
      state.layers.cells.clearLayers();
      L.geoJSON(d.cells, {
        pmIgnore: true,
        style: function (f) { return gridmap.styleOf(layerOf("cells"), f.properties); },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(esc(gridmap.format(T.cellPlain, { count: p.count, last: p.last_count })) +
            '<div class="meta">Gi* z = ' + p.z + ", p = " + p.p + "</div>");
        },
      }).addTo(state.layers.cells);
      state.hotspots = d.hotspots;
      var taskForm = $("task-form");
      if (taskForm) { taskForm.hidden = true; $("tasks").after(taskForm); }  // out of the list before it is redrawn
      $("hotspots").innerHTML = d.hotspots.map(function (h, i) {
        return '<li data-index="' + i + '"><b>' + esc(h.grid ? h.grid.name : h.lat + ", " + h.lon) + "</b> " +
          '<div class="plain">' + esc(gridmap.format(T.plain, { count: h.incidents, last: h.last_year, trend: T.plainTrend[h.trend] })) + "</div>" +
          '<details class="statistics"><summary>' + esc(T.statistics) + "</summary>" +
          esc(gridmap.format(T.hotspotStats, { z: h.max_z, permutations: d.stats.permutations })) + "</details><div class=\"meta\">" +
          (h.nearest_site ? esc(T.nearest) + " " + esc(h.nearest_site.name) + " " + h.nearest_site.distance_km + " km · " : "") +
          (h.worker ? esc(T.worker) + " " + esc(h.worker.name) + " (" + esc(h.grid.code) + ")" : "") + "</div>" +
          (state.options.canAssign ? '<button type="button" data-assign="' + i + '">' + esc(T.assign) + "</button>" : "") + "</li>";
      }).join("") || "<li>" + esc(d.note ? T.notes[d.note] : T.none) + "</li>";
      $("hotspots").querySelectorAll("li[data-index]").forEach(function (item) {
        item.addEventListener("click", function (event) {
          var h = d.hotspots[+item.dataset.index];
          if (event.target.closest("#task-form")) return;  // typing in the form opened below this hotspot
          if (event.target.dataset.assign !== undefined) {
            item.appendChild($("task-form"));  // next to the hotspot it is for, not at the bottom of the panel
            return assignForm(h);
          }
          state.map.setView([h.lat, h.lon], 12);
        });
      });
    });
  }

  function loadIncidents() {
    gridmap.api("GET", layerOf("incidents").url + "?on=" + state.options.day).then(function (r) {
      if (!r.ok) return;
      state.layers.incidents.clearLayers();
      L.geoJSON(r.data, {
        pmIgnore: true,
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, gridmap.styleOf(layerOf("incidents"), f.properties)); },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(esc(p.ticket) + " " + esc(en ? p.category_en : p.category_zh) + " · " + esc(p.title));
        },
      }).addTo(state.layers.incidents);
    });
  }

  function loadTasks() {
    gridmap.api("GET", layerOf("tasks").url).then(function (r) {
      if (!r.ok) return;
      state.layers.tasks.clearLayers();
      $("tasks").innerHTML = r.data.map(function (t) {
        L.circleMarker([t.lat, t.lon], Object.assign({ pmIgnore: true }, gridmap.styleOf(layerOf("tasks"), t)))
          .bindTooltip(esc(t.title) + " · " + esc(LABELS.task_state[t.state])).addTo(state.layers.tasks);
        return '<li class="task ' + t.state + '"><details><summary><b>' + esc(t.title) + "</b> <span class=\"meta\">" + esc(t.team) + " · " +
          esc(gridmap.localTime(t.starts_at)) + " – " + esc(gridmap.localTime(t.ends_at)) + " · " +
          '<span class="state">' + esc(LABELS.task_state[t.state]) + "</span> · " + t.checkins.length + " " + esc(T.checkins) +
          "</span></summary>" + checkinTable(t) + "</details></li>";
      }).join("") || "<li>" + esc(T.none) + "</li>";
    });
  }

  /* The leader's view of what happened: each check-in's time, distance and the flags that keep it from counting. */
  function checkinTable(task) {
    if (!task.checkins.length) return '<p class="meta">' + esc(T.noCheckins) + "</p>";
    return '<table class="checkins"><thead><tr><th>' + esc(T.checkinAt) + "</th><th>" + esc(T.checkinBy) + "</th><th>" +
      esc(T.distance) + "</th><th>" + esc(T.flags) + "</th></tr></thead><tbody>" + task.checkins.map(function (c) {
        var flags = c.flags.map(function (f) { return '<span class="flag ' + f + '">' + esc(LABELS.checkin_flag[f]) + "</span>"; });
        return "<tr><td>" + esc(gridmap.localTime(c.at)) + "</td><td>" + esc(c.by) + "</td><td>" +
          gridmap.format(T.metres, { m: c.distance_m }) + "</td><td>" + (flags.join(" ") || esc(T.counts)) +
          (c.note ? '<div class="meta">' + esc(c.note) + "</div>" : "") + "</td></tr>";
      }).join("") + "</tbody></table>";
  }

  function assignForm(place) {
    var form = $("task-form");
    var visit = place.visit;  // a hotspot (its target square) or a zone, with the hours the server proposes (geo/patrol/tasks.py)
    // The team proposed: one of the zone clicked, or of the zone of the hotspot's nearest checkpoint or station, if open.
    var near = place.zone ? place.zone.id : (place.nearest_site ? place.nearest_site.zone_id : null);
    var open = state.zones.filter(function (z) { return z.properties.active; }).map(function (z) { return z.id; });
    var proposed = state.teams.filter(function (t) { return t.zone === near && open.indexOf(near) >= 0; })[0] ||
      state.teams.filter(function (t) { return open.indexOf(t.zone) >= 0; })[0];
    form.innerHTML = "<label>" + esc(T.team) + '<select name="team_id">' + state.teams.map(function (t) {
      return '<option value="' + t.id + '"' + (proposed && proposed.id === t.id ? " selected" : "") + ">" + esc(t.name) + "</option>";
    }).join("") + "</select></label>" +
      "<label>" + esc(T.from) + '<input type="datetime-local" name="starts_at" value="' + gridmap.localInputValue(visit.starts_at) + '"></label>' +
      "<label>" + esc(T.to) + '<input type="datetime-local" name="ends_at" value="' + gridmap.localInputValue(visit.ends_at) + '"></label>' +
      "<label>" + esc(T.instructions) + '<textarea name="instructions" maxlength="2000" rows="2"></textarea></label>' +
      '<div class="actions"><button type="submit">' + esc(T.save) + '</button><button type="button" id="task-cancel">' + esc(T.cancel) + "</button></div>";
    form.hidden = false;
    $("task-cancel").addEventListener("click", function () { form.hidden = true; });
    form.onsubmit = function (event) {
      event.preventDefault();
      var data = new FormData(form);
      gridmap.api("POST", "/api/patrol/tasks", {
        team_id: +data.get("team_id"),
        title: place.title || T.visit + " " + (place.grid ? place.grid.name : "#" + place.rank),
        zone_id: place.zone ? place.zone.id : undefined,
        target: place.zone ? undefined : visit.target,
        starts_at: gridmap.fromLocalInput(data.get("starts_at")),
        ends_at: gridmap.fromLocalInput(data.get("ends_at")),
        instructions: data.get("instructions") || "",
      }).then(function (r) {
        if (!r.ok) return message(r.data.error, true);
        form.hidden = true;
        message(T.saved);
        loadTasks();
      });
    };
  }

  /* Reshape a zone's outline with Geoman's vertex editing, then save it with the version read (409 if stale). */
  function selectZone(feature, outline) {
    if (state.editing) state.editing.eachLayer(function (layer) { layer.pm.disable(); });
    state.editing = outline;
    state.editingZone = feature;
    $("zone-edit").hidden = false;
    $("zone-edit-name").textContent = zoneName(feature.properties);
    $("zone-edit-save").hidden = true;
    $("override-form").elements.year.value = state.options.day.slice(0, 4);
  }

  function patchZone(changes) {
    changes.version = state.editingZone.properties.version;
    return gridmap.api("PATCH", "/api/patrol/zones/" + state.editingZone.id, changes).then(function (r) {
      if (!r.ok) return message(r.data.error, true);
      message(T.saved);
      loadZones();
    });
  }

  function postToZone(what, body) {
    return gridmap.api("POST", "/api/patrol/zones/" + state.editingZone.id + "/" + what, body).then(function (r) {
      if (!r.ok) return message(r.data.error, true);
      message(T.saved);
      loadZones();
    });
  }

  function setupZoneEditing() {
    $("zone-edit-start").addEventListener("click", function () {
      state.editing.eachLayer(function (layer) { layer.pm.enable({ allowSelfIntersection: false }); });
      $("zone-edit-save").hidden = false;
    });
    $("zone-edit-save").addEventListener("click", function () {
      patchZone({ geometry: state.editing.getLayers()[0].toGeoJSON().geometry });
      $("zone-edit").hidden = true;
    });
    /* One year's own dates (a township opens the hill late), or closed that year. */
    $("override-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target.elements;
      var overrides = Object.assign({}, state.editingZone.properties.overrides);
      overrides[form.year.value] = form.closed.checked ? null : { start: form.start.value, end: form.end.value };
      patchZone({ overrides: overrides });
    });
    $("team-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target.elements;
      postToZone("teams", { name: form.name.value, leader: form.leader.value, phone: form.phone.value });
    });
    $("site-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target.elements;
      message(T.pickSite);
      state.map.once("click", function (click) {
        postToZone("sites", { kind: form.kind.value, name: form.name.value, lon: click.latlng.lng, lat: click.latlng.lat });
      });
    });
  }

  function setupDrawing() {
    setupZoneEditing();
    var form = $("zone-form");
    $("draw-zone").addEventListener("click", function () {
      message(T.drawHint);
      state.map.pm.enableDraw("Polygon", { snappable: false });
    });
    state.map.on("pm:create", function (event) {
      if (state.drawn) state.map.removeLayer(state.drawn);
      state.drawn = event.layer;
      form.hidden = false;
      form.elements.name_zh.focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      gridmap.api("POST", "/api/patrol/zones", {
        name_zh: data.get("name_zh"),
        kind: data.get("kind"),
        geometry: state.drawn.toGeoJSON().geometry,
        windows: [{ start: data.get("start"), end: data.get("end") }],
      }).then(function (r) {
        if (!r.ok) return message(r.data.error, true);
        state.map.removeLayer(state.drawn);
        state.drawn = null;
        form.hidden = true;
        message(T.saved);
        loadZones();
      });
    });
  }

  var options = gridmap.pageOptions();
  start(window[options.map], options);
})();
