/* The phone page that records a branch activity: fills the place from the phone's position, until typed over, and
   sends the activity through an outbox (phone.js) that keeps it, photo included, while there is no signal, and sends
   it when the signal returns: the activity with the form's own Idempotency-Key, then its photo (the same bytes sent
   again answer the photo already attached), so a retry after a lost answer records it once. Without JavaScript the
   form posts as it is. Whether the activity is valid is the server's rule. */
(function () {
  "use strict";

  var T = gridmap.strings.party;
  var options = gridmap.pageOptions();
  var box = phone.outbox("party." + options.username);
  var form = document.getElementById("activity-record");
  var fields = options.branchFields;  // the form's "<letter>:<id>" for a branch: the activity's field it fills
  var status = document.getElementById("position");
  var message = document.getElementById("record-message");
  var typed = false;
  var recorded = null;  // the last activity sent from this page: where the map opens once all is sent

  ["lon", "lat"].forEach(function (name) {
    form.elements[name].addEventListener("input", function () { typed = true; });
  });

  function show(position) {
    if (typed) return;
    form.elements.lon.value = position.coords.longitude.toFixed(6);
    form.elements.lat.value = position.coords.latitude.toFixed(6);
    status.textContent = gridmap.format(T.position, { metres: Math.round(position.coords.accuracy) });
  }

  function failed() { status.textContent = T.noPosition; }

  function locate() {
    typed = false;
    if (!navigator.geolocation) return failed();
    navigator.geolocation.getCurrentPosition(show, failed, { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
  }

  function say(text, ok) {
    message.hidden = !text;
    message.className = ok ? "ok" : "error";
    message.textContent = text;
  }

  /* ---- the outbox ---- */

  function send(item) {
    if (item.kind === "photo") return phone.sendPhoto(options.activitiesUrl + "/" + item.activity + "/photos", item);
    return gridmap.api("POST", options.activitiesUrl, item.body, { "Idempotency-Key": item.key });
  }

  function settle(item, items, answer) {
    if (!answer.ok) {
      return box.remove(item.key).then(function () {
        say(T.refused + answer.data.error);
        if (item.kind === "activity") restore(item);
        return "again";
      });
    }
    if (item.kind === "activity" && item.photo) {
      var photo = { key: item.photo.key, kind: "photo", activity: answer.data.id, blob: item.photo.blob,
        filename: item.photo.filename, month: item.month };
      return box.add(photo).then(function () { return box.remove(item.key); }).then(function () { return "again"; });
    }
    return box.remove(item.key).then(function () {
      recorded = { id: item.kind === "photo" ? item.activity : answer.data.id, month: item.month };
      return "again";
    });
  }

  var courier = phone.courier({
    box: box,
    banner: document.getElementById("outbox"),
    lock: "gridmap.party.outbox." + options.username,
    text: T,
    send: send,
    settle: settle,
    idle: allSent,
  });

  /* Everything sent: open the map on the activity, as the plain form does, unless another one is being typed. */
  function allSent(items) {
    if (items.length || !recorded) return;
    if (form.elements.topic.value) return say(T.sent, true);
    window.location.assign(options.mapUrl + "?month=" + recorded.month + "&recorded=" + recorded.id);
  }

  /* A refused activity goes back into the form, to correct and send again. */
  function restore(item) {
    var b = item.body;
    Object.keys(fields).forEach(function (letter) {
      if (b[fields[letter]]) form.elements.branch.value = letter + ":" + b[fields[letter]];
    });
    ["kind", "held_on", "topic", "attendance", "place_name", "minutes", "lon", "lat"].forEach(function (name) {
      form.elements[name].value = b[name];
    });
    typed = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var f = form.elements, branch = f.branch.value.split(":"), file = f.file.files[0];
    var body = {
      kind: f.kind.value, held_on: f.held_on.value, topic: f.topic.value, attendance: Number(f.attendance.value),
      place_name: f.place_name.value, minutes: f.minutes.value, lon: Number(f.lon.value), lat: Number(f.lat.value),
    };
    body[fields[branch[0]]] = Number(branch[1]);
    var item = {
      key: f.key.value, kind: "activity", body: body, month: body.held_on.slice(0, 7),
      photo: file ? { key: phone.newKey("photo"), blob: file, filename: file.name } : null,
    };
    f.key.value = phone.newKey("activity");  // at once: an activity sent while this one is being kept is another
    var kept = {};
    ["topic", "attendance", "place_name", "minutes", "file"].forEach(function (name) { kept[name] = f[name].value; });
    box.add(item).then(function () {
      // Clear what was kept, not what was typed for the next activity while it was being kept.
      Object.keys(kept).forEach(function (name) { if (f[name].value === kept[name]) f[name].value = ""; });
      say("");
      return courier.showCount();
    }).then(courier.flush);
  });

  document.getElementById("locate").addEventListener("click", locate);
  // The phone's position is asked for when the form is in view: at once on the record page, on opening the folded
  // form of the village page (a browser asking for the location of someone who only reads the page is not wanted).
  var folded = form.closest("details");
  function locateOnce() { if (!form.elements.lon.value) locate(); }
  if (folded && !folded.open) {
    folded.addEventListener("toggle", function () { if (folded.open) locateOnce(); });
  } else {
    locateOnce();
  }
  courier.start();
})();
