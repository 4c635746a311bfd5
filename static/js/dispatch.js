/* The dispatch console's side panel: queue, filters, list, details, actions, intake by map click. */
(function () {
  "use strict";

  var esc = gridmap.escapeHtml;
  var en = gridmap.lang === "en";
  var T = gridmap.strings.dispatch;
  var LABELS = gridmap.labels;

  var state = { map: null, options: null, filters: {}, selected: null };

  var api = gridmap.api;

  function query(extra) {
    var params = new URLSearchParams();
    Object.keys(state.filters).forEach(function (key) {
      if (state.filters[key]) params.set(key, state.filters[key]);
    });
    Object.keys(extra || {}).forEach(function (key) { params.set(key, extra[key]); });
    return params.toString();
  }

  /* The queue buttons, their labels and bits come with the page; only their counts are fetched. */
  function loadQueue() {
    api("GET", "/api/incidents/queue").then(function (r) {
      if (!r.ok) return;
      document.querySelectorAll("#queue button[data-queue]").forEach(function (button) {
        button.querySelector("b").textContent = r.data[button.dataset.queue];
      });
    });
  }

  function loadList() {
    api("GET", "/api/incidents?" + query({ per_page: 50 })).then(function (r) {
      var list = document.getElementById("incident-list");
      if (!r.ok) {
        list.innerHTML = '<li class="error">' + esc(r.data.error) + "</li>";
        return;
      }
      // A total past the server's cap reads "10,000+" (the exact count of a million cases is slow).
      var total = r.data.total.toLocaleString("en") + (r.data.total_capped ? "+" : "");
      document.getElementById("list-total").textContent = total + " " + T.total;
      document.getElementById("csv").href = "/api/incidents?" + query({ format: "csv" });
      list.innerHTML = r.data.items.map(function (i) {
        return (
          '<li data-ticket="' + esc(i.ticket) + '"' + (i.ticket === state.selected ? ' class="selected"' : "") + ">" +
          "<strong>" + esc(i.title) + "</strong> " +
          (i.overdue ? '<span class="badge overdue">' + T.overdue + "</span> " : "") +
          (i.escalation_level ? '<span class="badge escalated">' + T.escalated + "</span> " : "") +
          (i.suspected_duplicate ? '<span class="badge dup">' + T.dup + "</span>" : "") +
          '<div class="meta">' + esc(i.ticket) + " · " + esc(LABELS.status[i.status]) + " · " + esc(en ? i.category_en : i.category_zh) +
          (i.assignee_name ? " · " + esc(i.assignee_name) : "") + "</div></li>"
        );
      }).join("");
    });
  }

  function showDetail(ticket, notice) {
    state.selected = ticket;
    api("GET", "/api/incidents/" + encodeURIComponent(ticket)).then(function (r) {
      var box = document.getElementById("detail");
      if (!r.ok) {
        box.innerHTML = '<div class="panel error">' + esc(r.data.error) + "</div>";
        return;
      }
      renderDetail(r.data, notice);
    });
  }

  /* Time left until the deadline (or past it), in whole hours or days, beside the deadline itself. */
  function countdown(i) {
    if (!i.due_at || ["closed", "rejected", "duplicate"].indexOf(i.status) >= 0) return "";
    var hours = (new Date(i.due_at) - Date.now()) / 3600e3;
    var amount = Math.abs(hours) >= 48 ? gridmap.format(T.days, { n: Math.round(Math.abs(hours) / 24) })
      : gridmap.format(T.hours, { n: Math.max(1, Math.round(Math.abs(hours))) });
    return ' <span class="countdown ' + (hours < 0 ? "late" : "") + '">' + esc(gridmap.format(hours < 0 ? T.overdueBy : T.left, { amount: amount })) + "</span>";
  }

  function renderDetail(i, notice) {
    var box = document.getElementById("detail");
    var actions = state.options.canAct ? i.actions : [];
    box.innerHTML =
      '<div class="panel" id="incident-detail" data-ticket="' + esc(i.ticket) + '" data-version="' + i.version + '">' +
      '<button type="button" class="close" data-close aria-label="' + T.close + '">×</button>' +
      (notice ? '<p class="error">' + esc(notice) + "</p>" : "") +
      '<h3 class="case-title">' + esc(i.title) + "</h3>" +
      (i.description ? '<p class="description">' + esc(i.description) + "</p>" : "") +
      (i.attachments.length ? '<div class="thumbs">' + i.attachments.map(function (a) {
        var url = "/api/incidents/" + encodeURIComponent(i.ticket) + "/attachments/" + a.id;
        return '<a href="' + url + '" target="_blank"><img src="' + url + '" alt="' + esc(a.filename) + '"></a>';
      }).join("") + "</div>" : "") +
      "<dl>" +
      "<dt>" + esc(i.ticket) + '</dt><dd class="status">' + esc(LABELS.status[i.status]) +
      (i.overdue ? ' <span class="badge overdue">' + T.overdue + "</span>" : "") + "</dd>" +
      "<dt>" + T.category + "</dt><dd>" + esc(en ? i.category_en : i.category_zh) + "</dd>" +
      "<dt>" + T.priority + "</dt><dd>" + esc(LABELS.priority[i.priority] || i.priority) + "</dd>" +
      "<dt>" + T.assignee + '</dt><dd class="assignee">' + esc(i.assignee_name || "—") + " " + esc(i.assignee || "") + "</dd>" +
      "<dt>" + T.channel + "</dt><dd>" + esc(LABELS.channel[i.channel] || i.channel || "—") + "</dd>" +
      "<dt>" + T.due + "</dt><dd>" + esc(gridmap.localTime(i.due_at)) + countdown(i) + "</dd>" +
      "<dt>" + T.chain + "</dt><dd>" + i.chain.map(function (g) { return esc(g.name_zh); }).join(" › ") + "</dd>" +
      "<dt>" + T.reporter + "</dt><dd>" + esc(i.reporter_name || "—") + " " + esc(i.reporter_phone || "") +
        (i.callback_consent ? " · " + T.callback : "") + "</dd>" +
      "<dt>" + T.address + "</dt><dd>" + esc(i.address || "—") + "</dd>" +
      (i.from_public ? "<dt>" + T.residents + '</dt><dd class="residents">' + esc(String(i.resident_reports)) + "</dd>" : "") +
      "</dl>" +
      (i.suspected_duplicate_of ? '<p><span class="badge dup">' + T.dup + "</span> " + esc(i.suspected_duplicate_of) + "</p>" : "") +
      (actions.length
        ? '<textarea name="note" rows="2" maxlength="2000" placeholder="' + T.note + '"></textarea>' +
          '<label class="check"><input type="checkbox" name="public"> ' + T.publicNote + "</label>" +
          (actions.indexOf("reassign") >= 0 ? '<input type="text" name="worker" maxlength="20" placeholder="' + T.worker + '">' : "") +
          (actions.indexOf("duplicate") >= 0 ? '<input type="text" name="duplicate_of" maxlength="20" placeholder="' + T.original + '" value="' + esc(i.suspected_duplicate_of || "") + '">' : "") +
          '<div class="actions">' + actions.map(function (a) {
            return '<button type="button" data-action="' + a + '">' + esc(T.action[a]) + "</button>";
          }).join("") + "</div>"
        : "") +
      (i.attachments.length
        ? "<h4>" + T.photos + "</h4><ul>" + i.attachments.map(function (a) {
            return '<li><a target="_blank" href="/api/incidents/' + encodeURIComponent(i.ticket) + "/attachments/" + a.id + '">' +
              esc(a.filename) + "</a> (" + Math.round(a.size / 1024) + " KB)</li>";
          }).join("") + "</ul>"
        : "") +
      (actions.indexOf("note") >= 0
        ? '<div class="actions"><input type="file" name="photo" accept="image/jpeg,image/png,image/webp">' +
          '<button type="button" data-upload>' + T.upload + "</button></div>"
        : "") +
      "<h4>" + T.history + '</h4><ol class="history">' + i.history.map(function (h) {
        return "<li>" + esc(gridmap.localTime(h.at)) + " " + esc(h.actor) + " · " + esc(T.action[h.action] || h.action) +
          (h.note ? " — " + esc(h.note) : "") + (h.is_public ? ' <span class="badge public">' + T.publicMark + "</span>" : "") + "</li>";
      }).join("") + "</ol>" + '<section class="support" id="support"></section></div>';
    state.map.flyTo([i.lat, i.lon], Math.max(state.map.getZoom(), 12), { duration: 0.5 });
    showSupport(i);
  }

  /* Who leads and supports the case (the duty list), its co-handlers and any cross-net duplicate. */
  function showSupport(i) {
    api("GET", "/api/workforce/incidents/" + encodeURIComponent(i.ticket) + "/support").then(function (r) {
      var box = document.getElementById("support");
      if (!r.ok || !box || document.getElementById("incident-detail").dataset.ticket !== i.ticket) return;
      var s = r.data;
      var supporting = s.supporting_nets.map(function (n) { return LABELS.net[n] || n; })
        .concat(s.supporting_forces.map(function (k) { return LABELS.force[k] || k; }));
      var choices = s.forces.filter(function (f) {
        return !s.co_handlers.some(function (c) { return c.code === f.code; });
      });
      box.innerHTML = "<h4>" + T.dutyTitle + "</h4><dl>" +
        "<dt>" + T.lead + "</dt><dd>" + esc(LABELS.net[s.lead_net] || s.lead_net) + (s.lead_post ? " · " + esc(s.lead_post) : "") + "</dd>" +
        "<dt>" + T.supporting + '</dt><dd class="supporting">' + esc(supporting.join(T.separator) || "—") + "</dd>" +
        "<dt>" + T.coHandlers + '</dt><dd class="co-handlers">' + (s.co_handlers.map(function (c) {
          return esc((LABELS.force[c.kind] || c.kind) + " " + c.name);
        }).join(T.separator) || "—") + "</dd></dl>" +
        (state.options.canAct && choices.length
          ? '<div class="actions"><select name="co_handler">' + choices.map(function (f) {
              return '<option value="' + esc(f.code) + '">' + (f.supports ? "★ " : "") + esc((LABELS.force[f.kind] || f.kind) + " " + f.name) + "</option>";
            }).join("") + '</select><button type="button" data-co-handler>' + T.addCoHandler + "</button></div>"
          : "") +
        (s.cross_net_duplicates.length
          ? '<p class="cross-net"><span class="badge dup">' + T.crossNet + "</span> " + s.cross_net_duplicates.map(function (t) {
              return esc(t) + (state.options.canAct ? ' <button type="button" data-merge="' + esc(t) + '">' + T.merge + "</button>" : "");
            }).join(" ") + "</p>"
          : "");
    });
  }

  function addCoHandler() {
    var panel = document.getElementById("incident-detail");
    var member = panel.querySelector('select[name="co_handler"]').value;
    var ticket = panel.dataset.ticket;
    api("POST", "/api/workforce/incidents/" + encodeURIComponent(ticket) + "/co-handlers", { member: member }).then(function (r) {
      if (r.ok) renderDetail(r.data); else showDetail(ticket, r.data.error);
    });
  }

  /* Merge the other net's report of the same problem into this case (both at the versions read now). */
  function mergeInto(other) {
    var panel = document.getElementById("incident-detail");
    var ticket = panel.dataset.ticket;
    api("GET", "/api/incidents/" + encodeURIComponent(other)).then(function (found) {
      if (!found.ok) return showDetail(ticket, found.data.error);
      var body = { keep: ticket, merged: other, keep_version: Number(panel.dataset.version), merged_version: found.data.version };
      api("POST", "/api/workforce/duplicates/merge", body).then(function (r) {
        if (r.ok) renderDetail(r.data); else showDetail(ticket, r.data.error);
        loadQueue();
        loadList();
      });
    });
  }

  function runAction(action) {
    var panel = document.getElementById("incident-detail");
    var ticket = panel.dataset.ticket;
    var field = function (name) {
      var input = panel.querySelector('[name="' + name + '"]');
      return input && input.value ? input.value : null;
    };
    var shown = panel.querySelector('[name="public"]');
    var body = { version: Number(panel.dataset.version), note: field("note") || "", public: !!(shown && shown.checked) };
    if (action === "reassign") body.worker = field("worker");
    if (action === "duplicate") body.duplicate_of = field("duplicate_of");
    api("POST", "/api/incidents/" + encodeURIComponent(ticket) + "/" + action, body).then(function (r) {
      if (r.status === 409) {
        renderDetail(r.data.details, T.conflict);
      } else if (!r.ok) {
        showDetail(ticket, r.data.error);
      } else {
        renderDetail(r.data);
      }
      loadQueue();
      loadList();
    });
  }

  function uploadPhoto() {
    var panel = document.getElementById("incident-detail");
    var input = panel.querySelector('input[name="photo"]');
    if (!input.files.length) return;
    var form = new FormData();
    form.append("file", input.files[0]);
    fetch("/api/incidents/" + encodeURIComponent(panel.dataset.ticket) + "/attachments", {
      method: "POST", credentials: "same-origin", body: form, headers: { "X-CSRFToken": gridmap.csrfToken() },
    })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (r) { showDetail(panel.dataset.ticket, r.ok ? null : r.data.error); });
  }

  function intakeForm(latlng) {
    var cats = state.options.categories;
    var nets = state.options.nets;
    var options = function (values, labels) {
      return values.map(function (v) { return '<option value="' + esc(v) + '">' + esc(labels ? labels(v) : v) + "</option>"; }).join("");
    };
    var form = document.createElement("form");
    form.className = "panel";
    form.id = "intake";
    form.innerHTML =
      "<h3>" + T.newIncident + "</h3>" +
      '<p class="meta">' + latlng.lng.toFixed(5) + ", " + latlng.lat.toFixed(5) + "</p>" +
      "<label>" + T.net + '<select name="net">' + options(nets, function (n) { return LABELS.net[n] || n; }) + "</select></label>" +
      "<label>" + T.category + '<select name="category"></select></label>' +
      "<label>" + T.title + '<input type="text" name="title" maxlength="200" required></label>' +
      "<label>" + T.priority + '<select name="priority">' + options(state.options.priorities, function (p) { return LABELS.priority[p]; }) + "</select></label>" +
      "<label>" + T.channel + '<select name="channel">' + options(state.options.channels, function (c) { return LABELS.channel[c] || c; }) + "</select></label>" +
      "<label>" + T.description + '<textarea name="description" rows="2" maxlength="5000"></textarea></label>' +
      "<label>" + T.reporter + '<input type="text" name="reporter_name" maxlength="50"></label>' +
      '<div class="actions"><button type="submit">' + T.submit + '</button> <button type="button" data-cancel>' + T.cancel + "</button></div>";
    form.elements.priority.value = "normal";
    var fillCategories = function () {
      form.elements.category.innerHTML = options(
        cats.filter(function (c) { return c.net === form.elements.net.value; }).map(function (c) { return c.code; }),
        function (code) { return cats.filter(function (c) { return c.code === code; })[0].name; }
      );
    };
    form.elements.net.addEventListener("change", fillCategories);
    fillCategories();
    // One key per form: sending again after a lost answer returns the first incident instead of a second one.
    var idempotencyKey = "console-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
    var showError = function (message) {
      var old = form.querySelector(".error");
      if (old) old.remove();
      form.insertAdjacentHTML("afterbegin", '<p class="error" role="alert">' + esc(message) + "</p>");
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { lon: latlng.lng, lat: latlng.lat };
      ["net", "category", "title", "priority", "channel", "description", "reporter_name"].forEach(function (name) {
        body[name] = form.elements[name].value;
      });
      api("POST", "/api/incidents", body, { "Idempotency-Key": idempotencyKey }).then(function (r) {
        if (!r.ok) {
          showError(r.data.error);
          return;
        }
        form.remove();
        state.selected = r.data.ticket;
        renderDetail(r.data, null);
        loadQueue();
        loadList();
      }, function () { showError(T.network); });
    });
    form.querySelector("[data-cancel]").addEventListener("click", function () { form.remove(); });
    var detail = document.getElementById("detail");
    var old = document.getElementById("intake");
    if (old) old.remove();
    detail.parentNode.insertBefore(form, detail);
    form.elements.title.focus();
  }

  /* The side panel's filters as a test on marker properties (status s, net n, overdue o, category c, group g,
     day d, queues q: the server's queue bits, so no queue's rule is repeated here). */
  function markerFilter(filters) {
    var active = Object.keys(filters).filter(function (key) { return filters[key]; });
    if (!active.length) return null;
    var statuses = filters.status ? filters.status.split(",") : null;
    var queueButton = filters.queue ? document.querySelector('#queue button[data-queue="' + filters.queue + '"]') : null;
    var queueBit = queueButton ? Number(queueButton.dataset.bit) : 0;
    return function (p) {
      return (!queueBit || (p.q & queueBit) !== 0) &&
        (!filters.net || p.n === filters.net) &&
        (!statuses || statuses.indexOf(p.s) >= 0) &&
        (!filters.category || p.c === filters.category) &&
        (!filters.grid || p.g.indexOf(filters.grid) === 0) &&
        (!filters.since || p.d >= filters.since) &&
        (!filters.until || p.d <= filters.until) &&
        (filters.overdue !== "true" || p.o === 1);
    };
  }

  function start(map, options) {
    state.map = map;
    state.options = options;
    gridmap.onSelect(function (ticket) { showDetail(ticket); });
    document.getElementById("filters").addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(event.target);
      state.filters = {};
      data.forEach(function (value, key) { state.filters[key] = value; });
      loadList();
      gridmap.reachBack(state.filters.since);
      gridmap.filterIncidents(markerFilter(state.filters), state.filters);
    });
    document.getElementById("queue").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-queue]");
      if (!button) return;
      state.filters = { queue: button.dataset.queue };
      loadList();
      gridmap.filterIncidents(markerFilter(state.filters), state.filters);
    });
    document.getElementById("incident-list").addEventListener("click", function (event) {
      var item = event.target.closest("li[data-ticket]");
      if (item) showDetail(item.dataset.ticket);
    });
    document.getElementById("detail").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (button) runAction(button.dataset.action);
      if (event.target.closest("button[data-upload]")) uploadPhoto();
      if (event.target.closest("button[data-co-handler]")) addCoHandler();
      var merge = event.target.closest("button[data-merge]");
      if (merge) mergeInto(merge.dataset.merge);
      if (event.target.closest("button[data-close]")) document.getElementById("detail").innerHTML = "";  // back to the list
    });
    if (options.canAct) {
      map.on("click", function (event) { intakeForm(event.latlng); });
    }
    loadQueue();
    loadList();
  }

  var options = gridmap.pageOptions();
  start(window[options.map], options);
})();
