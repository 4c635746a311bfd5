/* The dispatch console's side panel: queue, filters, list, details, actions, intake by map click. */
(function () {
  "use strict";

  var esc = gridmap.escapeHtml;
  var en = gridmap.lang === "en";
  var T = gridmap.strings.dispatch;
  var LABELS = gridmap.labels;

  // The default list: every open case, soonest deadline first (the queue "open", geo/dispatch/queues.py).
  var state = { map: null, options: null, filters: { queue: "open" }, selected: null, sort: "due", page: 1, pin: null };
  var PER_PAGE = 50;

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
        button.setAttribute("aria-pressed", state.filters.queue === button.dataset.queue ? "true" : "false");
      });
    });
  }

  /* How long a case has waited since it was reported, in hours or days. */
  function age(i) {
    var hours = (Date.now() - new Date(i.reported_at)) / 3600e3;
    return hours >= 48 ? gridmap.format(T.days, { n: Math.round(hours / 24) }) : gridmap.format(T.hours, { n: Math.max(1, Math.round(hours)) });
  }

  var listAsked = 0;  // only the answer to the latest question is shown (an earlier one may arrive later)
  function loadList() {
    var asked = query({ per_page: PER_PAGE, page: state.page, sort: state.sort });
    var mine = ++listAsked;
    api("GET", "/api/incidents?" + asked).then(function (r) {
      if (mine !== listAsked) return;
      var list = document.getElementById("incident-list");
      if (!r.ok) {
        list.innerHTML = '<li class="error">' + esc(r.data.error) + "</li>";
        return;
      }
      // A total past the server's cap reads "10,000+" (the exact count of a million cases is slow).
      var total = r.data.total.toLocaleString("en") + (r.data.total_capped ? "+" : "");
      document.getElementById("list-total").textContent = total + " " + T.total;
      var pages = Math.max(1, Math.ceil(r.data.total / PER_PAGE));
      document.getElementById("page-no").textContent = gridmap.format(T.page, { n: state.page, of: pages + (r.data.total_capped ? "+" : "") });
      document.getElementById("page-prev").disabled = state.page <= 1;
      document.getElementById("page-next").disabled = state.page >= pages && !r.data.total_capped;
      document.getElementById("csv").href = "/api/incidents?" + query({ format: "csv" });
      list.innerHTML = r.data.items.map(function (i) {
        return (
          '<li data-ticket="' + esc(i.ticket) + '"' + (i.ticket === state.selected ? ' class="selected"' : "") + ">" +
          "<strong>" + esc(i.title) + "</strong> " +
          (i.overdue ? '<span class="badge overdue">' + T.overdue + "</span> " : "") +
          (i.escalation_level ? '<span class="badge escalated">' + T.escalated + "</span> " : "") +
          (i.suspected_duplicate ? '<span class="badge dup">' + T.dup + "</span>" : "") +
          '<div class="meta">' + esc(i.ticket) + " · " + esc(LABELS.status[i.status]) + " · " + esc(en ? i.category_en : i.category_zh) +
          (i.assignee_name ? " · " + esc(i.assignee_name) : "") + "</div>" +
          '<div class="meta times"><span class="due">' + T.due + " " + esc(i.due_at ? gridmap.localTime(i.due_at) : "—") + countdown(i) + "</span>" +
          ' <span class="age">' + esc(gridmap.format(T.waited, { amount: age(i) })) + "</span></div></li>"
        );
      }).join("");
    });
  }

  /* Queue counts and the list again, when the map's feed says something changed (at most every 2 s). */
  var refreshTimer = null;
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () { refreshTimer = null; loadQueue(); loadList(); }, 2000);
  }

  /* A new case in the jurisdiction: a banner to open it, and a short tone unless muted (kept per browser). */
  var MUTE_KEY = "gridmap.dispatch.muted";
  function muted() { try { return localStorage.getItem(MUTE_KEY) === "1"; } catch (e) { return false; } }
  function showMute() {
    var button = document.getElementById("mute");
    button.setAttribute("aria-pressed", muted() ? "true" : "false");
    button.textContent = muted() ? T.soundOff : T.soundOn;
  }
  function tone() {
    if (muted() || !(window.AudioContext || window.webkitAudioContext)) return;
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var beep = audio.createOscillator();
      var gain = audio.createGain();
      beep.frequency.value = 880;
      gain.gain.value = 0.08;
      beep.connect(gain).connect(audio.destination);
      beep.start();
      beep.stop(audio.currentTime + 0.25);
    } catch (e) { /* no sound on this browser: the banner still shows */ }
  }
  function alertNew(features) {
    // New to this console and open: reported since the last poll (perhaps already registered or dispatched
    // by a colleague in the seconds between), or an old case reopened.
    var fresh = features.filter(function (f) { return f.properties && state.options.finished.indexOf(f.properties.s) < 0; });
    if (!fresh.length) return;
    var box = document.getElementById("new-alert");
    var first = fresh[0];
    var category = state.options.categories.filter(function (c) { return c.code === first.properties.c; })[0];
    box.querySelector("span").textContent = gridmap.format(T.newCases, { n: fresh.length }) + " " + first.id +
      (category ? " · " + category.name : "");
    box.dataset.ticket = first.id;
    box.hidden = false;
    document.body.dataset.newAlerts = String(Number(document.body.dataset.newAlerts || 0) + fresh.length);
    tone();
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
    // Only while the case is being handled: a resolved one awaits verification, its deadline met or missed.
    if (!i.due_at || state.options.running.indexOf(i.status) < 0) return "";
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
          (actions.indexOf("reassign") >= 0 ? '<div class="picker" id="picker" aria-live="polite">' + T.loadingWorkers + "</div>" : "") +
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
          (h.data && h.data.off_chain ? ' <span class="badge off-chain">' + T.offChain + "</span>" : "") +
          (h.note ? " — " + esc(h.note) : "") + (h.is_public ? ' <span class="badge public">' + T.publicMark + "</span>" : "") + "</li>";
      }).join("") + "</ol>" + '<section class="support" id="support"></section></div>';
    state.map.flyTo([i.lat, i.lon], Math.max(state.map.getZoom(), 12), { duration: 0.5 });
    highlight(i);
    if (actions.indexOf("reassign") >= 0) loadPicker(i.ticket);
    showSupport(i);
  }

  /* The selected case ringed on the map, above its marker (the cluster may hide the marker itself). */
  var ring = null;
  function highlight(i) {
    if (ring) state.map.removeLayer(ring);
    ring = L.circleMarker([i.lat, i.lon], { radius: 14, color: "#c2185b", weight: 3, fill: false, interactive: false, className: "selected-ring" })
      .addTo(state.map);
  }

  /* The workers this case may go to (GET /api/incidents/<ticket>/candidates): one to choose, none typed. The chain's
     workers first; then the others of the jurisdiction, whom the server takes only with a note saying why. */
  function loadPicker(ticket) {
    api("GET", "/api/incidents/" + encodeURIComponent(ticket) + "/candidates").then(function (r) {
      var box = document.getElementById("picker");
      if (!box) return;
      if (!r.ok) { box.innerHTML = '<p class="error">' + esc(r.data.error) + "</p>"; return; }
      var chain = r.data.workers.filter(function (w) { return w.on_chain; });
      var others = r.data.workers.filter(function (w) { return !w.on_chain; });
      box.innerHTML = "<b>" + T.pickWorker + "</b>" + (chain.length ? chain.map(candidate).join("") : "<p>" + T.noWorkers + "</p>") +
        (others.length ? '<b class="off-chain">' + T.otherWorkers + "</b>" + others.map(candidate).join("") : "");
    });
  }

  function candidate(w) {
    var distance = w.distance_m === null ? "" : " · " + (w.distance_m >= 1000 ? (w.distance_m / 1000).toFixed(1) + " km" : w.distance_m + " m");
    return '<label class="candidate' + (w.available ? "" : " away") + (w.on_chain ? "" : " off-chain") + '"><input type="radio" name="worker" value="' + esc(w.code) + '"' +
      (w.assigned ? " disabled" : "") + "> " + esc(w.name) + " <span class=\"meta\">" + esc(w.code) + " · " +
      esc(LABELS.level[w.level] || w.level) + " " + esc(w.grid_name) + " · " + esc(gridmap.format(T.openCases, { n: w.open_cases })) + distance +
      (w.assigned ? " · " + T.current : "") + (w.available ? "" : " · " + esc(gridmap.format(T.away, { until: w.away_until || "—" }))) +
      "</span></label>";
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
      var input = panel.querySelector('[name="' + name + '"]:checked') || panel.querySelector('[name="' + name + '"]:not([type=radio])');
      return input && input.value ? input.value : null;
    };
    var shown = panel.querySelector('[name="public"]');
    var body = { version: Number(panel.dataset.version), note: field("note") || "", public: !!(shown && shown.checked) };
    // Dispatching goes to the routed worker unless one is picked; reassigning needs one.
    if (action === "reassign" || action === "dispatch") body.worker = field("worker");
    if (action === "duplicate") body.duplicate_of = field("duplicate_of");
    api("POST", "/api/incidents/" + encodeURIComponent(ticket) + "/" + action, body).then(function (r) {
      if (r.status === 409) {
        renderDetail(r.data.details, T.conflict);
      } else if (!r.ok) {
        refused(panel, r.data.error);  // the note and the worker picked stay, to correct and send again
      } else {
        renderDetail(r.data);
      }
      loadQueue();
      loadList();
    });
  }

  function refused(panel, error) {
    var notice = panel.querySelector("p.refusal");
    if (!notice) {
      notice = document.createElement("p");
      notice.className = "error refusal";
      notice.setAttribute("role", "alert");
      panel.querySelector(".actions").before(notice);
    }
    notice.textContent = error;
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
      "<label>" + T.phone + '<input type="tel" name="reporter_phone" maxlength="30"></label>' +
      "<label>" + T.address + '<input type="text" name="address" maxlength="200"></label>' +
      '<p class="routing" id="routing" aria-live="polite">' + T.routingLoading + "</p>" +
      '<div class="actions"><button type="submit">' + T.submit + '</button> <button type="button" data-cancel>' + T.cancel + "</button></div>";
    form.elements.priority.value = "normal";
    var fillCategories = function () {
      form.elements.category.innerHTML = options(
        cats.filter(function (c) { return c.net === form.elements.net.value; }).map(function (c) { return c.code; }),
        function (code) { return cats.filter(function (c) { return c.code === code; })[0].name; }
      );
    };
    /* Before sending: which villager group and which worker the case will go to, by the server's own rules. */
    var preview = function () {
      var box = form.querySelector("#routing");
      var asked = new URLSearchParams({ lon: latlng.lng, lat: latlng.lat, net: form.elements.net.value, category: form.elements.category.value });
      api("GET", "/api/incidents/routing?" + asked).then(function (r) {
        if (!r.ok) { box.className = "routing error"; box.textContent = r.data.error; return; }
        box.className = "routing";
        var group = en ? (r.data.group.name_en || r.data.group.name_zh) : r.data.group.name_zh;
        box.innerHTML = T.routesTo + " <b>" + esc(group) + "</b> " + esc(r.data.group.code) + " → " +
          (r.data.assignee ? "<b>" + esc(r.data.assignee.name) + "</b> " + esc(r.data.assignee.code) : esc(T.nobody));
      });
    };
    form.elements.net.addEventListener("change", function () { fillCategories(); preview(); });
    form.elements.category.addEventListener("change", preview);  // the duty list may name another lead post
    fillCategories();
    preview();
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
      ["net", "category", "title", "priority", "channel", "description", "reporter_name", "reporter_phone", "address"].forEach(function (name) {
        body[name] = form.elements[name].value;
      });
      api("POST", "/api/incidents", body, { "Idempotency-Key": idempotencyKey }).then(function (r) {
        if (!r.ok) {
          showError(r.data.error);
          return;
        }
        closeIntake();
        state.selected = r.data.ticket;
        renderDetail(r.data, null);
        loadQueue();
        loadList();
      }, function () { showError(T.network); });
    });
    form.querySelector("[data-cancel]").addEventListener("click", closeIntake);
    var detail = document.getElementById("detail");
    closeIntake();  // a form left from another point (and its error) goes, with its pin
    state.pin = L.marker(latlng, { title: T.newIncident, icon: L.divIcon({ className: "", html: '<span class="intake-pin"></span>', iconSize: [18, 18], iconAnchor: [9, 18] }) })
      .addTo(state.map);
    detail.parentNode.insertBefore(form, detail);
    form.elements.title.focus();
  }

  function closeIntake() {
    var old = document.getElementById("intake");
    if (old) old.remove();
    if (state.pin) { state.map.removeLayer(state.pin); state.pin = null; }
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

  /* Saved filters, kept in this browser under a name the dispatcher gives. */
  var SAVED_KEY = "gridmap.dispatch.filters";
  function savedFilters() { try { return JSON.parse(localStorage.getItem(SAVED_KEY) || "{}"); } catch (e) { return {}; } }
  function showSaved() {
    var saved = savedFilters();
    var select = document.getElementById("saved-filters");
    select.innerHTML = '<option value="">' + esc(T.savedFilters) + "</option>" + Object.keys(saved).sort().map(function (name) {
      return '<option value="' + esc(name) + '">' + esc(name) + "</option>";
    }).join("");
  }

  function applyFilters(filters) {
    state.filters = filters;
    state.page = 1;
    var form = document.getElementById("filters");
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name) return;
      if (input.type === "checkbox") input.checked = filters[input.name] === input.value;
      else input.value = filters[input.name] || "";
    });
    form.classList.toggle("active", Object.keys(filters).some(function (key) { return key !== "queue" && filters[key]; }));
    loadQueue();
    loadList();
    gridmap.reachBack(filters.since);
    gridmap.filterIncidents(markerFilter(filters), filters);
  }

  function start(map, options) {
    state.map = map;
    state.options = options;
    gridmap.onSelect(function (ticket) { showDetail(ticket); });
    document.getElementById("filters").addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(event.target);
      var filters = {};
      data.forEach(function (value, key) { if (value) filters[key] = value; });
      applyFilters(filters);
    });
    document.getElementById("filters").addEventListener("reset", function () {
      setTimeout(function () { applyFilters({ queue: "open" }); }, 0);
    });
    document.getElementById("queue").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-queue]");
      if (button) applyFilters({ queue: button.dataset.queue });
    });
    document.getElementById("list-sort").addEventListener("change", function (event) {
      state.sort = event.target.value;
      state.page = 1;
      loadList();
    });
    document.getElementById("page-prev").addEventListener("click", function () { state.page = Math.max(1, state.page - 1); loadList(); });
    document.getElementById("page-next").addEventListener("click", function () { state.page += 1; loadList(); });
    document.getElementById("save-filter").addEventListener("click", function () {
      var name = document.getElementById("filter-name").value.trim();
      if (!name) { document.getElementById("filter-name").focus(); return; }
      var saved = savedFilters();
      saved[name.slice(0, 40)] = state.filters;
      try { localStorage.setItem(SAVED_KEY, JSON.stringify(saved)); } catch (e) { /* private window: not kept */ }
      document.getElementById("filter-name").value = "";
      showSaved();
    });
    document.getElementById("saved-filters").addEventListener("change", function (event) {
      var chosen = savedFilters()[event.target.value];
      if (chosen) applyFilters(chosen);
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
      if (event.target.closest("button[data-close]")) {  // back to the list
        document.getElementById("detail").innerHTML = "";
        if (ring) { state.map.removeLayer(ring); ring = null; }
      }
    });
    var alertBox = document.getElementById("new-alert");
    alertBox.querySelector("button[data-open]").addEventListener("click", function () {
      alertBox.hidden = true;
      showDetail(alertBox.dataset.ticket);
    });
    alertBox.querySelector("button[data-dismiss]").addEventListener("click", function () { alertBox.hidden = true; });
    document.getElementById("mute").addEventListener("click", function () {
      try { localStorage.setItem(MUTE_KEY, muted() ? "0" : "1"); } catch (e) { /* not kept */ }
      showMute();
    });
    // The list and counts follow the map's feed, on tiles too (the tiles ask it what changed).
    gridmap.onFeedChange(function (news) { refreshSoon(); alertNew(news.added); });
    if (options.tilesFollow) {
      gridmap.followTiledIncidents(options.tilesFollow.feed, options.tilesFollow.since, options.tilesFollow.interval);
    }
    if (options.canAct) {
      map.on("click", function (event) { intakeForm(event.latlng); });
    }
    gridmap.incidentLegend(map);
    // /dispatch?ticket=… (a link from the audit trail or elsewhere) opens that case.
    var asked = new URLSearchParams(window.location.search).get("ticket");
    if (asked) showDetail(asked);
    showMute();
    showSaved();
    loadQueue();
    loadList();
  }

  var options = gridmap.pageOptions();
  start(window[options.map], options);
})();
