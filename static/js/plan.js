/* The planning pages: the list's "new plan" form, and the plan editor (draft, tools, validation, impact, review). */
(function () {
  "use strict";

  var esc = gridmap.escapeHtml;
  var en = gridmap.lang === "en";
  var T = en
    ? {
        status: { draft: "Draft", submitted: "Submitted", scheduled: "Approved, scheduled", active: "Active", rejected: "Rejected" },
        change: { new: "new", changed: "changed", unchanged: "unchanged", removed: "removed" },
        owner: "Planner", parent: "Redraws the children of", version: "version", base: "based on generation",
        selectHint: "Click a grid to select it; shift-click to add more (for merging).",
        selected: "Selected", none: "none",
        ok: "Valid: no gaps, no overlaps, every grid staffed.", errors: "Must fix", todo: "Before submitting",
        newCode: "New code", nameZh: "Name (Chinese)", nameEn: "Name (English)", target: "Give to grid",
        workerName: "Worker name", phone: "Phone", nets: "Nets", file: "File (GeoJSON, GeoPackage, zipped Shapefile)",
        crs: "Coordinates", layer: "Layer (optional)", apply: "Apply", cancel: "Cancel", drawLine: "Draw a line across the selected grid on the map; finish on the last point.",
        drawArea: "Draw the area on the map; finish by clicking the first point.", editShape: "Drag the vertices of the selected grid, then save.",
        saveShape: "Save shape", cleanOneClick: "Close seams under 10 m and preview", cleanPreview: "Preview with gaps under (m) closed", keep: "Keep this result", discard: "Discard",
        previewNote: "Preview — not saved yet.", saved: "Saved.", submit: "Submit for approval", submitted: "Submitted for approval.",
        approve: "Approve", reject: "Reject", comment: "Comment", effective: "In force from",
        approved: "Approved.", rejected: "Rejected.", activated: "Activated as generation ", rerouted: " open incidents re-routed.",
        conflict: "Conflict: ", stale: "Someone changed this plan; reloaded.", needSelection: "Select a grid first.",
        impactGrids: "Area per grid (km²)", before: "before", after: "after", gained: "gained", lost: "lost",
        incidents: "Open incidents changing grid", branches: "Party branches changing grid", workers: "Workers changing grid or appointed", sites: "Checkpoints and stations changing grid", zones: "Seasonal zones over moved areas",
        newWorker: "new", nothing: "none", review: "Review", readOnly: "This plan can no longer be edited.",
      }
    : {
        status: { draft: "草稿", submitted: "待审批", scheduled: "已批准待生效", active: "已生效", rejected: "已驳回" },
        change: { new: "新增", changed: "调整", unchanged: "未变", removed: "撤销" },
        owner: "规划员", parent: "调整下级的网格", version: "版本", base: "基于边界版本",
        selectHint: "点击网格选中；按住 Shift 点击可多选（用于合并）。",
        selected: "已选", none: "无",
        ok: "校验通过：无缝隙、无重叠，每个网格都有网格员。", errors: "必须修正", todo: "提交前需完成",
        newCode: "新编码", nameZh: "名称", nameEn: "英文名称", target: "划给网格",
        workerName: "网格员姓名", phone: "电话", nets: "所属网", file: "文件（GeoJSON、GeoPackage、Shapefile 压缩包）",
        crs: "坐标系", layer: "图层（可选）", apply: "执行", cancel: "取消", drawLine: "在地图上画一条穿过所选网格的线，在最后一点再次点击结束。",
        drawArea: "在地图上画出区域，点击起点闭合。", editShape: "拖动所选网格的顶点，然后保存。",
        saveShape: "保存边界", cleanOneClick: "清除 10 米内的缝隙并预览", cleanPreview: "预览：清除小于（米）的缝隙", keep: "采用此结果", discard: "放弃",
        previewNote: "预览——尚未保存。", saved: "已保存。", submit: "提交审批", submitted: "已提交审批。",
        approve: "批准", reject: "驳回", comment: "意见", effective: "生效日期",
        approved: "已批准。", rejected: "已驳回。", activated: "已生效为边界版本 ", rerouted: " 件开放事件已改派。",
        conflict: "冲突：", stale: "规划已被他人修改，已重新加载。", needSelection: "请先选中网格。",
        impactGrids: "各网格面积（平方公里）", before: "调整前", after: "调整后", gained: "增加", lost: "减少",
        incidents: "改变网格的开放事件", branches: "改变网格的党支部", workers: "调整或新配的网格员", sites: "改变网格的卡点与驿站", zones: "涉及调整区域的季节性区域",
        newWorker: "新配", nothing: "无", review: "审批", readOnly: "此规划已不能编辑。",
      };
  var NET_LABELS = en
    ? { social: "Social governance", religious: "Religious affairs", rural: "Rural revitalisation" }
    : { social: "社会治理网", religious: "宗教事务网", rural: "乡村振兴网" };
  /* The layers are declared on the server (layers/plan.py); what the caller may do comes with each answer. */
  function layerOf(id) { return state.options.layers[id]; }

  function $(id) { return document.getElementById(id); }

  /* The API words its rules in English; on Chinese pages the planner reads them in Chinese. */
  var ZH_PREFIXES = [["the edit breaks the grid: ", "此次编辑会破坏网格："], ["the plan cannot be submitted: ", "规划不能提交："]];
  var ZH_RULES = [
    [/^grid (\d+) overlaps or misaligns with a sibling$/, "网格 $1 与相邻网格重叠或边界未对齐"],
    [/^([\d.]+) km² lies outside parent grid (\d+)$/, "$1 平方公里超出上级网格 $2"],
    [/^a gap of ([\d.]+) km² in grid (\d+) is covered by no child$/, "网格 $2 内有 $1 平方公里的缝隙不属于任何下级网格"],
    [/^grid (\d+) has a sliver of (\d+) m² \(smaller than (\d+) m²\)$/, "网格 $1 有 $2 平方米的碎片（小于 $3 平方米）"],
    [/^grid (\d+) has no grids below it; plan them next$/, "网格 $1 还没有下级网格，请接着规划"],
    [/^grid (\d+) has no worker for the (\w+) net$/, function (_, code, net) { return "网格 " + code + " 没有" + (NET_LABELS[net] || net) + "的网格员"; }],
    [/^code '?(\w*)'? must be (\d+) digits starting with (\d+)$/, "编码 $1 须为以 $3 开头的 $2 位数字"],
    [/^code (\d+) appears more than once$/, "编码 $1 重复"],
    [/^grid (\d+) has no name$/, "网格 $1 没有名称"],
    [/^geometry is empty$/, "几何为空"],
    [/^invalid geometry: (.*)$/, "几何无效：$1"],
    [/^grids ([\d, ]+) changed after this plan was started$/, "网格 $1 在本规划开始后已有变动"],
    [/^start a new plan$/, "请新建规划"],
    [/^plan (\d+) \((.+)\) also changes (.+)$/, "规划 $1（$2）也修改了 $3"],
    [/^the plan changes nothing yet$/, "规划尚未做任何修改"],
  ];

  function say(text) {
    if (en || !text) return text;
    var head = "";
    ZH_PREFIXES.forEach(function (prefix) {
      if (text.indexOf(prefix[0]) === 0) { head = prefix[1]; text = text.slice(prefix[0].length); }
    });
    return head + String(text).split("; ").map(function (part) {
      var rule = ZH_RULES.filter(function (r) { return r[0].test(part); })[0];
      return rule ? part.replace(rule[0], rule[1]) : part;
    }).join("；");
  }

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
    load(true);
  }

  function load(fit) {
    gridmap.api("GET", layerOf("plan-draft").url).then(function (r) {
      if (!r.ok) return message(r.data.error, true);
      show(r.data, fit);
    });
  }

  function show(data, fit) {
    state.plan = data.plan;
    state.may = data.may || state.may;
    state.draft = data.draft;
    drawLayers(data);
    renderMeta();
    renderValidation(data.validation);
    renderWorkflow();
    $("reroute").checked = state.plan.reroute_open_incidents;
    if (fit && state.layers.draft.getBounds().isValid()) state.map.fitBounds(state.layers.draft.getBounds());
  }

  function editable() { return state.may.edit; }

  function drawLayers(data, preview) {
    var map = state.map;
    ["base", "draft", "edges"].forEach(function (name) {
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
          '<br><span class="demo-note">' + esc(p.is_demo ? (en ? "Demo geometry" : "演示数据") : "") + "</span>",
          { sticky: true });
        layer.on("click", function (event) {
          if (!state.drawing) select(p.code, event.originalEvent.shiftKey);  // a click while drawing places a vertex
        });
      },
    }).addTo(map);
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
      esc(T.status[p.status]) + " · " + esc(T.owner) + " " + esc(p.owner) + " · " + esc(T.parent) + " <code>" +
      esc(p.parent_code) + "</code> · " + esc(T.version) + " " + p.version + " · " + esc(T.base) + " " + p.base_generation +
      (p.review_comment ? "<br>" + esc(T.comment) + ": " + esc(p.review_comment) : "");
    $("tools").hidden = !editable();
    renderSelection();
  }

  function renderValidation(report) {
    var box = $("validation");
    if (report.ok) {
      box.innerHTML = '<p class="ok">' + esc(T.ok) + "</p>";
      return;
    }
    function list(title, problems) {
      if (!problems.length) return "";
      return "<p><b>" + esc(title) + "</b></p><ul class=\"problems\">" + problems.map(function (problem) {
        var where = problem.where ? ' data-lon="' + problem.where[0] + '" data-lat="' + problem.where[1] + '"' : "";
        return "<li" + where + ">" + esc(say(problem.message)) + "</li>";
      }).join("") + "</ul>";
    }
    box.innerHTML = list(T.errors, report.errors) + list(T.todo, report.todo);
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
    message((r.status === 409 ? T.conflict : "") + say(r.data.error), true);
    if (r.data.details && r.data.details.invalid_edges) {
      // A refused edit: show what it would have drawn, with the offending edges in red.
      drawLayers({ base: state.layers.base.toGeoJSON(), draft: r.data.details.draft || state.draft, validation: r.data.details }, true);
      renderValidation(r.data.details);
      if (body && body.op === "reshape") offerCleaning(body);
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
        return '<label><input type="checkbox" name="nets" value="' + esc(net) + '" checked> ' + esc(NET_LABELS[net]) + "</label>";
      }).join(" ") + "</fieldset>");
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
      if (!r.ok) return message(say(r.data.error), true);
      var d = r.data;
      var rows = d.grids.filter(function (g) { return g.status !== "unchanged"; }).map(function (g) {
        return "<tr><td>" + esc(g.code) + " " + esc(g.name_zh) + "</td><td>" + esc(T.change[g.status]) + "</td><td>" +
          g.before_km2 + "</td><td>" + g.after_km2 + "</td><td>+" + g.gained_km2 + " / −" + g.lost_km2 + "</td></tr>";
      }).join("");
      function moves(title, items, render) {
        return "<p><b>" + esc(title) + "</b> (" + items.length + ")</p>" +
          (items.length ? "<ul>" + items.map(function (i) { return "<li>" + render(i) + "</li>"; }).join("") + "</ul>" : "<p>" + esc(T.nothing) + "</p>");
      }
      $("impact").innerHTML =
        "<p><b>" + esc(T.impactGrids) + "</b></p><table class=\"data\"><tr><th></th><th></th><th>" + esc(T.before) + "</th><th>" +
        esc(T.after) + "</th><th>" + esc(T.gained) + "/" + esc(T.lost) + "</th></tr>" + rows + "</table>" +
        "<p><b>" + esc(T.incidents) + "</b>: " + d.incidents.count + "</p><ul>" + d.incidents.items.map(function (i) {
          return "<li>" + esc(i.ticket) + " " + esc(i.title) + ": " + esc(i.from) + " → " + esc(i.to || "—") + "</li>";
        }).join("") + "</ul>" +
        moves(T.branches, d.party_branches, function (b) { return esc(b.name) + ": " + esc(b.from) + " → " + esc(b.to); }) +
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
        '<label>' + esc(T.effective) + '<input type="date" id="effective" value="' + esc(state.options.today) + '" min="' + esc(state.options.today) + '"></label>' +
        '<label>' + esc(T.comment) + '<textarea id="review-comment"></textarea></label>' +
        '<div class="actions"><button type="button" id="approve">' + esc(T.approve) + '</button><button type="button" id="reject">' + esc(T.reject) + "</button></div>";
    } else {
      html = "<p class=\"hint\">" + esc(T.status[p.status]) + (p.status === "draft" ? "" : " — " + esc(T.readOnly)) + "</p>";
    }
    box.innerHTML = html;
    if ($("submit-plan")) $("submit-plan").addEventListener("click", function () {
      gridmap.api("POST", "/api/plans/" + p.id + "/submit", { version: p.version }).then(function (r) {
        if (!r.ok) return reportError(r);
        message(T.submitted);
        load(false);
      });
    });
    ["approve", "reject"].forEach(function (decision) {
      if (!$(decision)) return;
      $(decision).addEventListener("click", function () {
        var body = { version: p.version, approve: decision === "approve", comment: $("review-comment").value };
        if (decision === "approve") body.effective_from = $("effective").value;
        gridmap.api("POST", "/api/plans/" + p.id + "/review", body).then(function (r) {
          if (!r.ok) return reportError(r);
          var a = r.data.activation;
          message(decision === "approve"
            ? T.approved + (a ? " " + T.activated + a.generation + "; " + a.rerouted_incidents + T.rerouted : "")
            : T.rejected);
          load(false);
        });
      });
    });
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
