/* The grid worker's phone page (dispatch/my.html): each case opens with its map, the phone's position, the
   distance and a countdown; accept, note, resolve and reports from the phone go through an outbox (phone.js) that
   keeps them, photos included, while there is no signal, and sends them in order, each with its own
   Idempotency-Key. A case someone changed meanwhile (409) is shown to the worker with their note kept: never
   sent again over the other change. Whether a step is allowed, needs a note or a photo is the server's rule.
   The page itself opens without signal from the copy its service worker (my_sw.js) keeps, marked as a copy. */
(function () {
  "use strict";

  var options = gridmap.pageOptions();
  var T = options.text;
  var box = phone.outbox("my." + options.username);
  var message = document.getElementById("my-message");
  var maps = {};
  var here = null;

  function say(text, ok) {
    message.className = ok ? "ok" : "error";
    message.textContent = text;
  }

  function caseOf(ticket) { return document.querySelector('li.case[data-ticket="' + CSS.escape(ticket) + '"]'); }

  /* Time left until the deadline (or past it), in whole hours or days. */
  function countdowns() {
    document.querySelectorAll(".countdown[data-due]").forEach(function (span) {
      var hours = (new Date(span.dataset.due) - Date.now()) / 3600e3, size = Math.abs(hours);
      var amount = size >= 48 ? gridmap.format(T.days, { n: Math.round(size / 24) })
        : gridmap.format(T.hours, { n: Math.max(1, Math.round(size)) });
      span.textContent = gridmap.format(hours < 0 ? T.overdueBy : T.left, { amount: amount });
      span.classList.toggle("late", hours < 0);
    });
  }

  /* A case's small map, drawn when it is first opened (Leaflet needs a visible box). */
  function drawMap(li) {
    var ticket = li.dataset.ticket;
    if (maps[ticket]) return;
    var place = [Number(li.dataset.lat), Number(li.dataset.lon)];
    var map = L.map(li.querySelector(".case-map"), { attributionControl: false }).setView(place, 15);
    L.circleMarker(place, { radius: 9, color: "#d7191c", fillColor: "#d7191c", fillOpacity: 0.8 }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    maps[ticket] = { map: map, place: place, me: null, line: null };
    if (here) showWay(ticket);
  }

  function showWay(ticket) {
    var m = maps[ticket];
    if (!m.me) {
      m.me = L.circleMarker(here, { radius: 7, color: "#2166ac", fillColor: "#2166ac", fillOpacity: 0.9 }).addTo(m.map);
      m.line = L.polyline([here, m.place], { color: "#2166ac", dashArray: "4 6", weight: 2 }).addTo(m.map);
      m.map.fitBounds(L.latLngBounds([here, m.place]), { padding: [20, 20], maxZoom: 16 });
    }
    m.me.setLatLng(here);
    m.line.setLatLngs([here, m.place]);
  }

  function located(position) {
    here = [position.coords.latitude, position.coords.longitude];
    document.querySelectorAll("li.case").forEach(function (li) {
      li.querySelector(".distance").textContent =
        phone.describeWay(here, [Number(li.dataset.lat), Number(li.dataset.lon)], T.distance, T.directions);
    });
    Object.keys(maps).forEach(showWay);
    var form = document.getElementById("report-form");
    if (!form.dataset.typed) {  // follow the phone until the worker types a position
      form.elements.lon.value = here[1].toFixed(6);
      form.elements.lat.value = here[0].toFixed(6);
      form.querySelector(".position-note").textContent = gridmap.format(T.located, { m: Math.round(position.coords.accuracy) });
    }
  }

  function notLocated() {
    document.querySelectorAll(".distance, .position-note").forEach(function (p) { p.textContent = T.noPosition; });
  }

  function open(li, opened) {
    li.classList.toggle("open", opened);
    li.querySelector(".case-head").setAttribute("aria-expanded", opened ? "true" : "false");
    if (opened) {
      drawMap(li);
      maps[li.dataset.ticket].map.invalidateSize();
    }
  }

  document.querySelector(".my-cases").classList.add("scripted");
  document.querySelectorAll("li.case").forEach(function (li) {
    li.querySelector(".case-head").addEventListener("click", function () { open(li, !li.classList.contains("open")); });
  });
  /* A link to a case (/my#DQ-…) opens it. */
  function openLinked() {
    var li = location.hash && caseOf(decodeURIComponent(location.hash.slice(1)));
    if (li) open(li, true);
  }
  window.addEventListener("hashchange", openLinked);
  openLinked();

  /* Photos: a thumbnail opens full size over the page. */
  var viewer = document.getElementById("photo-view");
  document.querySelectorAll(".thumbs a[data-full]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!viewer.showModal) return;
      event.preventDefault();
      viewer.querySelector("img").src = link.dataset.full;
      viewer.showModal();
    });
  });
  viewer.addEventListener("click", function (event) { if (event.target === viewer) viewer.close(); });

  /* ---- the outbox ---- */

  function send(item) {
    var headers = { "Idempotency-Key": item.key };
    var incident = "/api/incidents/" + encodeURIComponent(item.ticket);
    if (item.kind === "photo") return phone.sendPhoto(incident + "/attachments", item);
    if (item.kind === "action") {
      return gridmap.api("POST", incident + "/" + item.action, { version: item.version, note: item.note }, headers);
    }
    return gridmap.api("POST", "/api/incidents", item.body, headers);
  }

  var courier = phone.courier({
    box: box,
    banner: document.getElementById("outbox"),
    lock: "gridmap.my.outbox." + options.username,
    text: T,
    send: send,
    settle: settle,
    counted: function (items) {
      document.querySelectorAll("li.case").forEach(function (li) {
        li.classList.toggle("waiting", items.some(function (item) { return item.ticket === li.dataset.ticket; }));
      });
    },
  });

  function settle(item, items, answer) {
    if (!answer.ok && item.ticket) {
      // Refused, or the case changed on the server since the worker acted (409): take this step and their later
      // steps on the case off the outbox (they followed it) and give them back beside the case, to decide again.
      var taken = items.filter(function (other) { return other.ticket === item.ticket && other.seq >= item.seq; });
      return Promise.all(taken.map(function (x) { return box.remove(x.key); })).then(function () {
        givenBack(item, taken, answer);
        return "again";
      });
    }
    if (!answer.ok) {
      return box.remove(item.key).then(function () {
        say(T.refused + answer.data.error);
        restoreReport(item, answer.data.field !== "observed_at");  // a time refused is not kept
        return "again";
      });
    }
    if (item.kind === "report") {
      var photos = (item.photos || []).map(function (p) {
        return { key: p.key, kind: "photo", ticket: answer.data.ticket, blob: p.blob, filename: p.filename };
      });
      return box.add(photos).then(function () { return box.remove(item.key); }).then(function () {
        say(gridmap.format(T.reported, { ticket: answer.data.ticket }), true);
        return "again";
      });
    }
    return box.remove(item.key).then(function () {
      if (item.kind === "action") applied(answer.data);
      return "again";
    });
  }

  /* The case as the server answered it after a step: status, version, history and the steps still open. */
  function applied(detail) {
    var li = caseOf(detail.ticket);
    if (!li) return;
    li.querySelector(".status").textContent = T.status[detail.status] || detail.status;
    li.className = li.className.replace(/\b(dispatched|in_progress|resolved)\b/, detail.status);
    var last = detail.history[detail.history.length - 1];
    var row = document.createElement("li");
    row.textContent = gridmap.localTime(last.at) + " · " + last.actor + " · " + (T.action[last.action] || last.action) +
      (last.note ? " — " + last.note : "");
    li.querySelector(".history").appendChild(row);
    li.querySelectorAll(".case-action button[name=action]").forEach(function (button) {
      button.hidden = detail.actions.indexOf(button.value) < 0;
    });
    say(T.sent, true);
  }

  function givenBack(item, taken, answer) {
    var li = caseOf(item.ticket), form = li && li.querySelector("form.case-action");
    var notes = taken.map(function (x) { return x.note; }).filter(Boolean).join("\n");
    if (!form) { say(T.refused + answer.data.error + (notes ? " — " + notes : "")); return; }
    var alert = form.querySelector(".refusal"), current = answer.status === 409 && answer.data.details;
    alert.hidden = false;
    if (current) {
      var last = current.history[current.history.length - 1];
      alert.textContent = gridmap.format(T.conflict, {
        status: T.status[current.status] || current.status,
        last: gridmap.localTime(last.at) + " " + last.actor + " " + (T.action[last.action] || last.action),
      });
      form.elements.version.value = current.version;  // what the worker now sends over, knowingly
      form.querySelectorAll("button[name=action]").forEach(function (button) {
        button.hidden = current.actions.indexOf(button.value) < 0;
      });
    } else {
      alert.textContent = T.refused + answer.data.error;
      form.elements.version.value = item.version;  // nothing of it was taken
    }
    if (notes) form.elements.note.value = notes;
    open(li, true);
  }

  function restoreReport(item, keepTime) {
    var form = document.getElementById("report-form");
    ["category", "title", "description", "lon", "lat"].forEach(function (name) { form.elements[name].value = item.body[name]; });
    form.dataset.typed = "1";
    if (keepTime && item.body.observed_at) form.dataset.observedAt = item.body.observed_at;
    document.getElementById("report").hidden = false;
  }

  /* ---- what the worker does ---- */

  document.querySelectorAll("form.case-action").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var action = event.submitter && event.submitter.value;
      var li = form.closest("li.case"), ticket = li.dataset.ticket;
      var note = form.elements.note.value.trim();
      if (action !== "accept" && !note) {  // an empty note says nothing; the server also asks for one
        form.querySelector(".refusal").hidden = false;
        form.querySelector(".refusal").textContent = T.noteNeeded;
        return;
      }
      var version = Number(form.elements.version.value), items = [];
      var file = form.elements.file.files[0];
      if (file) {
        items.push({ key: phone.newKey("photo"), kind: "photo", ticket: ticket, version: version, blob: file, filename: file.name });
        version += 1;  // attaching a photo is a change of the case too
      }
      items.push({ key: phone.newKey(action), kind: "action", ticket: ticket, action: action, version: version, note: note });
      form.elements.version.value = version + 1;  // a next step made before this one is sent follows it
      form.querySelector(".refusal").hidden = true;
      box.add(items).then(function () {
        // Clear what was kept, not what the worker typed or chose while it was being kept (the next step's note).
        if (form.elements.note.value.trim() === note) form.elements.note.value = "";
        if (file && form.elements.file.files[0] === file) form.elements.file.value = "";
        return courier.showCount();
      }).then(courier.flush);
    });
  });

  var reportForm = document.getElementById("report-form");
  document.getElementById("open-report").addEventListener("click", function (event) {
    event.preventDefault();
    document.getElementById("report").hidden = false;
    reportForm.elements.title.focus();
  });
  reportForm.querySelector("[data-close-report]").addEventListener("click", function () {
    document.getElementById("report").hidden = true;
  });
  ["lon", "lat"].forEach(function (name) {
    reportForm.elements[name].addEventListener("input", function () { reportForm.dataset.typed = "1"; });
  });
  reportForm.querySelector(".locate").addEventListener("click", function () {
    delete reportForm.dataset.typed;
    navigator.geolocation.getCurrentPosition(located, notLocated, { enableHighAccuracy: true });
  });
  reportForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var f = reportForm.elements, chosen = f.category.selectedOptions[0];
    var item = {
      key: phone.newKey("report"),
      kind: "report",
      body: {
        net: chosen.dataset.net, category: f.category.value, title: f.title.value, description: f.description.value,
        lon: Number(f.lon.value), lat: Number(f.lat.value), channel: options.channel,
        // The time it was made, kept as the report's time however late the outbox sends it (a report given back
        // to correct keeps its first time).
        observed_at: reportForm.dataset.observedAt || new Date().toISOString(),
      },
      photos: Array.prototype.map.call(f.photos.files, function (file) {
        return { key: phone.newKey("photo"), blob: file, filename: file.name };
      }),
    };
    box.add(item).then(function () {
      reportForm.reset();
      delete reportForm.dataset.typed;
      delete reportForm.dataset.observedAt;
      document.getElementById("report").hidden = true;
      if (here) located({ coords: { latitude: here[0], longitude: here[1], accuracy: 0 } });
      return courier.showCount();
    }).then(courier.flush);
  });

  countdowns();
  setInterval(countdowns, 60000);
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(located, notLocated, { enableHighAccuracy: true, maximumAge: 10000 });
  } else {
    notLocated();
  }
  courier.start();

  /* ---- without signal ---- */

  /* A page opened from the copy its service worker (my_sw.js) kept says so, with the time the copy was read. */
  if (document.documentElement.hasAttribute("data-offline-copy")) {
    var copy = document.getElementById("offline-copy");
    copy.hidden = false;
    copy.textContent = gridmap.format(T.offlineCopy, { time: gridmap.localTime(options.readAt) });
  }

  /* What the page loaded that it needs again without signal (not the requests its script sent). */
  var LOADED_BY = ["link", "script", "css", "img"];
  function loaded() {
    return [location.href.split("#")[0]].concat(performance.getEntriesByType("resource")
      .filter(function (entry) { return LOADED_BY.indexOf(entry.initiatorType) >= 0; })
      .map(function (entry) { return entry.name; }));
  }

  /* A worker that did not answer for the page as it loaded (the first visit, a new deployment taking over) has
     not seen it: it copies it now, once. Pages it answers from then on are copied on the way. */
  var copiedBy = null;
  function askForCopy(worker) {
    if (!worker || worker === copiedBy) return;
    copiedBy = worker;
    worker.postMessage({ copy: loaded() });
  }
  /* Whether a worker answered for this page as it loaded. Not "is there a controller now": a worker that took the
     page over while it was loading (before this script listened for that) controls it without having seen it. */
  function answeredByWorker() {
    var navigation = performance.getEntriesByType("navigation")[0];
    return navigation ? navigation.workerStart > 0 : Boolean(navigator.serviceWorker.controller);
  }

  /* The photos of the cases listed, open cases first, for the worker to keep within the phone's bound. */
  function keepPhotos(worker) {
    if (!worker || !navigator.onLine) return;
    var photos = Array.prototype.map.call(document.querySelectorAll(".thumbs a[data-full]"), function (link) {
      return new URL(link.dataset.full, location.href).href;
    });
    worker.postMessage({ photos: photos, maxBytes: options.offlinePhotoBytes });
  }

  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      askForCopy(navigator.serviceWorker.controller);
      keepPhotos(navigator.serviceWorker.controller);
    });
    navigator.serviceWorker.register(options.serviceWorker, { scope: options.scope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (!answeredByWorker()) askForCopy(registration.active);
      // Not while a new deployment's worker is on its way in: it takes the page over first, and is asked then.
      var settled = !registration.installing && !registration.waiting;
      if (settled && navigator.serviceWorker.controller === registration.active) keepPhotos(registration.active);
    }, function () {});  // no worker (the browser refused it): the page works as before, with signal only
  }
})();
