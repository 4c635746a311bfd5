/* The planning pages: the list's "new plan" form, and the plan editor (draft, tools, validation, impact, review). */
(function () {
  "use strict";

  var esc = gridmap.escapeHtml;
  var T = gridmap.strings.plan;
  var LABELS = gridmap.labels;
  /* The layers are declared on the server (layers/plan.py); what the caller may do comes with each answer. */
  function layerOf(id) { return state.options.layers[id]; }

  function $(id) { return document.getElementById(id); }

  function message(text, failed) {
    var box = $("plan-message");
    box.className = failed ? "error" : "ok";
    box.textContent = text || "";
  }

  /* --- the list page ------------------------------------------------------------------------------- */

  function startList(editorUrl) {
    var form = $("new-plan");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var body = { parent_code: data.get("parent_code"), title: data.get("title"), reason: data.get("reason") };
      gridmap.api("POST", "/api/plans", body).then(function (r) {
        if (!r.ok) {
          $("new-plan-error").hidden = false;
          $("new-plan-error").textContent = r.data.error;
          return;
        }
        window.location = editorUrl.replace(/0$/, String(r.data.plan.id));
      });
    });
  }

  /* --- the editor ---------------------------------------------------------------------------------- */

  var state = { map: null, options: null, plan: null, draft: null, selected: [], layers: {}, may: { edit: false, review: false }, pending: null, drawing: null };

  function startEditor(map, options) {
    state.map = map;
    state.options = options;
    map.createPane("base").style.zIndex = 410;
    map.createPane("draft").style.zIndex = 420;
    map.createPane("edges").style.zIndex = 430;
    // The drawing tools (Leaflet-Geoman) come only with a plan the caller may still edit.
    if (map.pm) {
      map.pm.setGlobalOptions({ snappable: true, snapDistance: 15 });
      map.on("pm:create", function (event) {
        var geometry = event.layer.toGeoJSON().geometry;
        map.removeLayer(event.layer);
        if (state.drawing) state.drawing(geometry);
        state.drawing = null;
      });
    }
    document.querySelectorAll("#ops button").forEach(function (button) {
      button.addEventListener("click", function () { openTool(button.dataset.op); });
    });
    $("impact-button").addEventListener("click", loadImpact);
    $("reroute").addEventListener("change", function (event) {
      gridmap.api("PATCH", "/api/plans/" + options.planId, {
        version: state.plan.version, reroute_open_incidents: event.target.checked,
      }).then(function (r) {
        if (r.ok) state.plan = r.data; else reportError(r);
      });
    });
    $("swipe-toggle").addEventListener("change", setupSwipe);
    $("swipe").addEventListener("input", clipPanes);
    map.on("move zoom resize", clipPanes);
    gridmap.legend(map, [
      { layer: layerOf("plan-base") },
      { layer: layerOf("plan-draft"), names: T.change },
      { layer: layerOf("plan-invalid-edges") },
    ], T.legend);
    // Names and codes on the draft once the grids are big enough on screen to carry them.
    var showLabels = function () { map.getContainer().classList.toggle("draft-labels", map.getZoom() >= 12); };
    map.on("zoomend", showLabels);
    showLabels();
    $("find-grid").addEventListener("input", findGrid);
    load(true);
  }

  /* Find a draft grid by name or code as the planner types; a single match is selected and shown. */
  function findGrid() {
    var wanted = $("find-grid").value.trim().toLowerCase();
    var box = $("find-results");
    if (!wanted || !state.draft) { box.innerHTML = ""; return; }
    var found = state.draft.features.filter(function (f) {
      var p = f.properties;
      return p.code.indexOf(wanted) >= 0 || p.name_zh.toLowerCase().indexOf(wanted) >= 0 || (p.name_en || "").toLowerCase().indexOf(wanted) >= 0;
    }).slice(0, 8);
    box.innerHTML = found.map(function (f) {
      return '<li><button type="button" class="link-button" data-code="' + esc(f.properties.code) + '">' +
        esc(f.properties.name_zh) + " <code>" + esc(f.properties.code) + "</code></button></li>";
    }).join("") || "<li>" + esc(T.none) + "</li>";
    box.querySelectorAll("button[data-code]").forEach(function (button) {
      button.addEventListener("click", function () { showGrid(button.dataset.code); });
    });
  }

  function showGrid(code) {
    state.layers.draft.eachLayer(function (layer) {
      if (layer.feature.properties.code === code) state.map.fitBounds(layer.getBounds(), { maxZoom: 14 });
    });
    select(code, false);
  }

  function load(fit) {
    gridmap.api("GET", layerOf("plan-draft").url).then(function (r) {
      if (!r.ok) return message(r.data.error, true);
      show(r.data, fit);
    });
  }

  function show(data, fit) {
    state.plan = data.plan;
    state.validation = data.validation;
    state.may = data.may || state.may;
    state.draft = data.draft;
    drawLayers(data);
    renderMeta();
    renderValidation(data.validation);
    renderWorkflow();
    $("reroute").checked = state.plan.reroute_open_incidents;
    // A reviewer decides on what changes: the change list and its impact are shown without asking.
    if (state.may.review && !editable()) loadImpact();
    if (fit && state.layers.draft.getBounds().isValid()) state.map.fitBounds(state.layers.draft.getBounds());
  }

  function editable() { return state.may.edit; }

  function drawLayers(data, preview) {
    var map = state.map;
    ["base", "draft", "edges", "labels"].forEach(function (name) {
      if (state.layers[name]) map.removeLayer(state.layers[name]);
    });
    state.layers.base = L.geoJSON(data.base, {
      pane: "base", pmIgnore: true, interactive: false,
      style: layerOf("plan-base").style,
    }).addTo(map);
    state.layers.draft = L.geoJSON(data.draft, {
      pane: "draft",
      style: function (feature) { return draftStyle(feature, preview); },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(
          esc(p.name_zh) + " " + esc(p.code) + "<br>" + p.area_km2 + " km² · " + esc(T.change[p.change] || "") +
          '<br><span class="demo-note">' + esc(p.is_demo ? T.demoGeometry : "") + "</span>",
          { sticky: true });
        layer.on("click", function (event) {
          if (!state.drawing) select(p.code, event.originalEvent.shiftKey);  // a click while drawing places a vertex
        });
      },
    }).addTo(map);
    // Names and codes on the draft (shown from zoom 12, see startEditor): one tooltip per grid at its centre.
    state.layers.labels = L.layerGroup(state.layers.draft.getLayers().map(function (layer) {
      var p = layer.feature.properties;
      return L.tooltip({ permanent: true, direction: "center", className: "draft-label", interactive: false })
        .setLatLng(layer.getBounds().getCenter())
        .setContent(esc(p.name_zh) + "<br><code>" + esc(p.code.slice(-3)) + "</code>");
    })).addTo(map);
    state.layers.edges = L.geoJSON(data.validation.invalid_edges, {
      pane: "edges", pmIgnore: true, interactive: false, style: layerOf("plan-invalid-edges").style,
    }).addTo(map);
    clipPanes();
  }

  function draftStyle(feature, preview) {
    var style = gridmap.styleOf(layerOf("plan-draft"), feature.properties);
    if (state.selected.indexOf(feature.properties.code) >= 0) Object.assign(style, { color: "#000", weight: 4 });
    if (preview) style.dashArray = "4 4";
    return style;
  }

  function select(code, add) {
    if (add) {
      var at = state.selected.indexOf(code);
      if (at >= 0) state.selected.splice(at, 1); else state.selected.push(code);
    } else {
      state.selected = [code];
    }
    state.layers.draft.setStyle(function (feature) { return draftStyle(feature); });
    renderSelection();
  }

  function renderSelection() {
    $("selection").textContent = T.selectHint + " " + T.selected + ": " + (state.selected.join(", ") || T.none);
  }

  function renderMeta() {
    var p = state.plan;
    $("plan-meta").innerHTML =
      esc(LABELS.plan_status[p.status]) + " · " + esc(T.owner) + " " + esc(p.owner) + " · " + esc(T.parent) + " <code>" +
      esc(p.parent_code) + "</code> · " + esc(T.version) + " " + p.version + " · " + esc(T.base) + " " + p.base_generation +
      '<div class="plan-reason"><b>' + esc(T.reason) + "</b> " + (p.reason ? esc(p.reason) : esc(T.noReason)) + "</div>" +
      (p.review_comment ? "<br>" + esc(T.comment) + ": " + esc(p.review_comment) : "");
    $("tools").hidden = !editable();
    renderSelection();
  }

  /* The plan's own validation; ``refusal`` (an edit just refused) is listed first, in red, with its places. */
  function renderValidation(report, refusal) {
    var box = $("validation");
    function list(title, problems, className) {
      if (!problems || !problems.length) return "";
      return '<p class="' + (className || "") + '"><b>' + esc(title) + "</b></p><ul class=\"problems " + (className || "") + "\">" + problems.map(function (problem) {
        var where = problem.where ? ' data-lon="' + problem.where[0] + '" data-lat="' + problem.where[1] + '"' : "";
        return "<li" + where + ">" + esc(problem.message) + "</li>";
      }).join("") + "</ul>";
    }
    var refused = refusal ? list(T.refused, refusal.errors, "error") : "";
    box.innerHTML = refused + (report.ok ? '<p class="ok">' + esc(T.ok) + "</p>" : list(T.errors, report.errors) + list(T.todo, report.todo));
    box.querySelectorAll("li[data-lon]").forEach(function (item) {
      item.addEventListener("click", function () {
        state.map.setView([+item.dataset.lat, +item.dataset.lon], Math.max(state.map.getZoom(), 14));
      });
    });
  }

  function reportError(r, body) {
    if (r.status === 409 && r.data.details && r.data.details.version !== undefined) {
      message(T.stale, true);
      load(false);
      return;
    }
    message(r.data.error, true);  // a 409 names the conflict itself
    if (r.data.details && r.data.details.invalid_edges) {
      // A refused edit changed nothing: the map and panels show the plan as it is, the refusal's places in red.
      drawLayers({ base: state.layers.base.toGeoJSON(), draft: state.draft, validation: r.data.details });
      renderValidation(state.validation, r.data.details);
      // Slivers and seams are what cleaning closes: offer it after any edit that left them.
      var cleanable = (r.data.details.errors || []).some(function (problem) { return /sliver|gap/.test(problem.template || ""); });
      if (body && !body.then_clean_m && (cleanable || body.op === "reshape")) offerCleaning(body);
    }
  }

  /* Each tool gathers its fields, maybe a drawing, then posts one edit. */
  function openTool(op) {
    var form = $("op-form");
    var code = state.selected[0];
    var fields = [];
    if (op !== "merge" && op !== "carve" && op !== "upload" && !code) return message(T.needSelection, true);
    if (op === "split" || op === "carve") {
      fields.push(field("new_code", T.newCode, suggestCode()), field("name_zh", T.nameZh, ""), field("name_en", T.nameEn, ""));
    }
    if (op === "move") fields.push(selectField("target", T.target, state.draft.features.map(function (f) { return f.properties.code; })
      .filter(function (c) { return c !== code; })));
    if (op === "rename") {
      var current = state.draft.features.filter(function (f) { return f.properties.code === code; })[0].properties;
      fields.push(field("new_code", T.newCode, current.code), field("name_zh", T.nameZh, current.name_zh), field("name_en", T.nameEn, current.name_en));
    }
    if (op === "appoint") {
      fields.push(field("name", T.workerName, ""), field("phone", T.phone, ""));
      fields.push("<fieldset><legend>" + esc(T.nets) + "</legend>" + state.options.nets.map(function (net) {
        return '<label><input type="checkbox" name="nets" value="' + esc(net) + '" checked> ' + esc(LABELS.net[net]) + "</label>";
      }).join(" ") + "</fieldset>");
    }
    if (op === "branch") {
      var group = state.draft.features.filter(function (f) { return f.properties.code === code; })[0].properties;
      fields.push(field("name", T.branchName, group.name_zh + T.branchSuffix), field("members", T.branchMembers, "0"),
        field("secretary", T.branchSecretary, ""), '<p class="hint">' + esc(T.branchSecretaryHint) + "</p>",
        field("none_reason", T.branchNoneReason, ""));
    }
    if (op === "upload") {
      fields.push('<label>' + esc(T.file) + '<input type="file" name="file" required></label>');
      fields.push(selectField("crs", T.crs, ["wgs84", "gcj02", "bd09"]), field("layer", T.layer, ""));
    }
    var hint = { split: T.drawLine, move: T.drawArea, carve: T.drawArea, reshape: T.editShape }[op] || "";
    var submit = op === "reshape" ? T.saveShape : T.apply;
    form.innerHTML = fields.join("") + (hint ? '<p class="hint">' + esc(hint) + "</p>" : "") +
      (op === "reshape" ? field("then_clean_m", T.cleanPreview, "") : "") +
      '<div class="actions"><button type="submit">' + esc(submit) + '</button><button type="button" id="op-cancel">' + esc(T.cancel) + "</button></div>";
    form.hidden = false;
    form.dataset.op = op;
    $("op-cancel").addEventListener("click", closeTool);
    if (op === "reshape") startReshape(code);
    form.onsubmit = function (event) {
      event.preventDefault();
      var values = collect(form);
      if (op === "split") return draw("Line", function (g) { edit(Object.assign(values, { op: op, code: code, geometry: g })); });
      if (op === "move") return draw("Polygon", function (g) { edit(Object.assign(values, { op: op, code: code, geometry: g })); });
      if (op === "carve") return draw("Polygon", function (g) { edit(Object.assign(values, { op: op, geometry: g })); });
      if (op === "merge") return edit({ op: op, codes: state.selected });
      if (op === "rename") return edit(Object.assign(values, { op: op, code: code }));
      if (op === "appoint") return edit({ op: op, code: code, worker: { name: values.name, phone: values.phone, nets: values.nets || [] } });
      if (op === "branch") {
        return edit(values.none_reason ? { op: op, code: code, none_reason: values.none_reason }
          : { op: op, code: code, name: values.name, members: +values.members || 0, secretary: values.secretary });
      }
      if (op === "reshape") return saveReshape(code, values);
      if (op === "upload") return upload(form);
    };
  }

  function closeTool() {
    var form = $("op-form");
    form.hidden = true;
    form.innerHTML = "";
    if (state.map.pm) state.map.pm.disableDraw();
    if (state.reshaping) state.reshaping.pm.disable();
    state.reshaping = null;
  }

  function field(name, label, value) {
    return "<label>" + esc(label) + '<input type="text" name="' + name + '" value="' + esc(value || "") + '"></label>';
  }

  function selectField(name, label, values) {
    return "<label>" + esc(label) + '<select name="' + name + '">' + values.map(function (v) {
      return '<option value="' + esc(v) + '">' + esc(v) + "</option>";
    }).join("") + "</select></label>";
  }

  function collect(form) {
    var values = {};
    new FormData(form).forEach(function (value, key) {
      if (key === "nets") (values.nets = values.nets || []).push(value);
      else if (key !== "file" && value !== "") values[key] = value;
    });
    if (values.then_clean_m) values.then_clean_m = parseFloat(values.then_clean_m);
    return values;
  }

  function suggestCode() {
    var codes = state.draft.features.map(function (f) { return f.properties.code; }).sort();
    var last = codes[codes.length - 1] || state.plan.parent_code + "000";
    var width = last.length - state.plan.parent_code.length;
    var next = String(parseInt(last.slice(state.plan.parent_code.length), 10) + 1);
    while (next.length < width) next = "0" + next;
    return state.plan.parent_code + next;
  }

  function draw(shape, done) {
    state.drawing = done;
    state.map.pm.enableDraw(shape, { snappable: true });
  }

  function startReshape(code) {
    state.layers.draft.eachLayer(function (layer) {
      if (layer.feature.properties.code === code) {
        state.reshaping = layer;
        layer.pm.enable({ snappable: true, allowSelfIntersection: false });
      }
    });
  }

  function saveReshape(code, values) {
    var geometry = state.reshaping ? state.reshaping.toGeoJSON().geometry : null;
    var body = { op: "reshape", code: code, geometry: geometry };
    if (values.then_clean_m) {
      body.then_clean_m = values.then_clean_m;
      body.preview = true;
    }
    edit(body);
  }

  /* One click: the refused reshape again, with seams under 10 m cleaned, shown before it is kept. */
  function offerCleaning(body) {
    var box = $("plan-message");
    var button = document.createElement("button");
    button.type = "button";
    button.id = "clean-preview";
    button.textContent = T.cleanOneClick;
    button.addEventListener("click", function () { edit(Object.assign({}, body, { then_clean_m: 10, preview: true })); });
    box.appendChild(document.createTextNode(" "));
    box.appendChild(button);
  }

  function edit(body) {
    body.version = state.plan.version;
    gridmap.api("POST", "/api/plans/" + state.options.planId + "/edits", body).then(function (r) {
      if (!r.ok) return reportError(r, body);
      closeTool();
      if (r.data.saved) {
        message(T.saved);
        show(r.data);
        return;
      }
      offerPreview(r.data, body);
    });
  }

  /* A preview (e.g. a reshape with gaps cleaned): show it dashed, keep or discard. */
  function offerPreview(data, body) {
    drawLayers(data, true);
    renderValidation(data.validation);
    var box = $("plan-message");
    box.className = "ok";
    box.innerHTML = esc(T.previewNote) + ' <button type="button" id="keep">' + esc(T.keep) +
      '</button> <button type="button" id="discard">' + esc(T.discard) + "</button>";
    $("keep").addEventListener("click", function () { edit(Object.assign({}, body, { preview: false })); });
    $("discard").addEventListener("click", function () { message(""); load(false); });
  }

  function upload(form) {
    var data = new FormData(form);
    data.set("version", state.plan.version);
    gridmap.api("POST", "/api/plans/" + state.options.planId + "/upload", data).then(function (r) {
      if (!r.ok) return reportError(r);
      closeTool();
      message(T.saved);
      show(r.data, true);
    });
  }

  function loadImpact() {
    gridmap.api("GET", "/api/plans/" + state.options.planId + "/impact").then(function (r) {
      if (!r.ok) return message(r.data.error, true);
      var d = r.data;
      var rows = d.grids.filter(function (g) { return g.status !== "unchanged"; }).map(function (g) {
        return "<tr><td>" + esc(g.code) + " " + esc(g.name_zh) + "</td><td>" + esc(T.change[g.status]) + "</td><td>" +
          g.before_km2 + "</td><td>" + g.after_km2 + "</td><td>+" + g.gained_km2 + " / −" + g.lost_km2 + "</td></tr>";
      }).join("");
      function moves(title, items, render) {
        return "<p><b>" + esc(title) + "</b> (" + items.length + ")</p>" +
          (items.length ? "<ul>" + items.map(function (i) { return "<li>" + render(i) + "</li>"; }).join("") + "</ul>" : "<p>" + esc(T.nothing) + "</p>");
      }
      state.impact = d;
      $("impact").innerHTML =
        "<p><b>" + esc(T.impactGrids) + "</b></p><table class=\"data\"><tr><th></th><th></th><th>" + esc(T.before) + "</th><th>" +
        esc(T.after) + "</th><th>" + esc(T.gained) + "/" + esc(T.lost) + "</th></tr>" + rows + "</table>" +
        "<p><b>" + esc(T.incidents) + "</b>: " + d.incidents.count + "</p><ul>" + d.incidents.items.map(function (i) {
          return "<li>" + esc(i.ticket) + " " + esc(i.title) + ": " + esc(i.from) + " → " + esc(i.to || "—") + "</li>";
        }).join("") + "</ul>" +
        moves(T.branches, d.party_branches, function (b) { return esc(b.name) + ": " + (b.new ? esc(T.newBranch) : esc(b.from)) + " → " + esc(b.to); }) +
        moves(T.workers, d.workers, function (w) { return esc(w.name) + ": " + (w.new ? esc(T.newWorker) : esc(w.from)) + " → " + esc(w.to); }) +
        moves(T.sites, d.sites, function (s) { return esc(s.name) + ": " + esc(s.from || "—") + " → " + esc(s.to || "—"); }) +
        moves(T.zones, d.seasonal_zones, function (z) { return esc(z.name); });
    });
  }

  function renderWorkflow() {
    var box = $("workflow");
    var p = state.plan;
    var html = "";
    if (editable()) {
      html = '<div class="actions"><button type="button" id="submit-plan">' + esc(T.submit) + "</button></div>";
    } else if (state.may.review) {
      html = "<h3>" + esc(T.review) + "</h3>" +
        '<label>' + esc(T.comment) + '<textarea id="review-comment"></textarea></label>' +
        '<div class="actions"><button type="button" id="approve">' + esc(T.approve) + '</button><button type="button" id="reject">' + esc(T.reject) + "</button></div>" +
        // Approval is confirmed in a dialog that also takes the effective date: approving for today activates at once.
        '<dialog id="approve-dialog"><form method="dialog"><h3>' + esc(T.confirmApprove) + "</h3>" +
        '<label>' + esc(T.effective) + '<input type="date" id="effective" value="' + esc(state.options.today) + '" min="' + esc(state.options.today) + '"></label>' +
        '<p id="approve-summary"></p><p class="hint" id="approve-when"></p>' +
        '<div class="actions"><button type="button" id="approve-confirm">' + esc(T.approve) + '</button><button value="cancel" id="approve-cancel">' + esc(T.cancel) + "</button></div></form></dialog>";
    } else {
      html = "<p class=\"hint\">" + esc(LABELS.plan_status[p.status]) + (p.status === "draft" ? "" : " — " + esc(T.readOnly)) + "</p>";
    }
    box.innerHTML = html;
    if ($("submit-plan")) $("submit-plan").addEventListener("click", function () {
      gridmap.api("POST", "/api/plans/" + p.id + "/submit", { version: p.version }).then(function (r) {
        if (!r.ok) return reportError(r);
        message(T.submitted);
        load(false);
      });
    });
    function decide(approve) {
      var body = { version: p.version, approve: approve, comment: $("review-comment").value };
      if (approve) body.effective_from = $("effective").value;
      gridmap.api("POST", "/api/plans/" + p.id + "/review", body).then(function (r) {
        if (!r.ok) return reportError(r);
        var a = r.data.activation;
        message(approve
          ? T.approved + (a ? " " + T.activated + a.generation + "; " + a.rerouted_incidents + T.rerouted : "")
          : T.rejected);
        load(false);
      });
    }
    if ($("reject")) $("reject").addEventListener("click", function () { decide(false); });
    if ($("approve")) {
      var dialog = $("approve-dialog");
      var describeWhen = function () {
        $("approve-when").textContent = $("effective").value === state.options.today ? T.activatesNow : gridmap.format(T.activatesOn, { day: $("effective").value });
      };
      $("effective").addEventListener("input", describeWhen);
      $("approve").addEventListener("click", function () {
        var d = state.impact;
        var changed = d ? d.grids.filter(function (g) { return g.status !== "unchanged"; }).length : "…";
        $("approve-summary").textContent = gridmap.format(T.approveSummary, { grids: changed, incidents: d ? d.incidents.count : "…" });
        describeWhen();
        dialog.showModal();
      });
      $("approve-confirm").addEventListener("click", function () { dialog.close(); decide(true); });
    }
  }

  /* Swipe comparison (a few lines instead of leaflet-side-by-side, which npm ships only as CommonJS):
     the current outlines are clipped to the left of the slider, the draft to the right. */
  function setupSwipe() {
    var on = $("swipe-toggle").checked;
    $("swipe").hidden = !on;
    clipPanes();
  }

  function clipPanes() {
    var map = state.map;
    if (!map) return;
    var base = map.getPane("base");
    var draft = map.getPane("draft");
    if (!$("swipe-toggle").checked) {
      base.style.clip = draft.style.clip = "";
      return;
    }
    var nw = map.containerPointToLayerPoint([0, 0]);
    var se = map.containerPointToLayerPoint(map.getSize());
    var x = nw.x + map.getSize().x * $("swipe").value / 100;
    base.style.clip = "rect(" + [nw.y, x, se.y, nw.x].join("px,") + "px)";
    draft.style.clip = "rect(" + [nw.y, se.x, se.y, x].join("px,") + "px)";
  }

  /* The list page's options name the editor; the editor's name its map. */
  var options = gridmap.pageOptions();
  if (options.map) startEditor(window[options.map], options);
  else startList(options.editorUrl);
})();
