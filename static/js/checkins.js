/* The patrol phone page (patrol/my.html): positions from the phone, check-ins kept while offline. */
/* Fill the position from the phone's GPS when it has one (works offline; no map needed). */
document.querySelectorAll("form.checkin .locate").forEach(function (button) {
  button.addEventListener("click", function () {
    var form = button.form;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.lon.value = position.coords.longitude.toFixed(6);
      form.elements.lat.value = position.coords.latitude.toFixed(6);
    });
  });
});

/* Harvest hills often have no signal. A check-in is kept on the phone (localStorage) with the time it was
   made and a key of its own, and sent when the phone is back online: the server records it once, at that time. */
(function () {
  var options = JSON.parse(document.getElementById("page-options").textContent);
  var KEY = "gridmap.checkins." + options.username;
  var T = options.text;
  var banner = document.getElementById("checkin-queue");
  var sending = false, askedAgain = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function save(queue) {
    localStorage.setItem(KEY, JSON.stringify(queue));
    banner.hidden = !queue.length;
    banner.textContent = queue.length ? T.waiting + queue.length : "";
  }
  function without(key) {
    return load().filter(function (item) { return item.key !== key; });
  }
  function post(item) {
    var body = { lon: item.lon, lat: item.lat, note: item.note };
    if (item.at) body.at = item.at;
    return fetch("/api/patrol/tasks/" + item.task + "/checkins", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content,
        "Idempotency-Key": item.key,
      },
      body: JSON.stringify(body),
    });
  }
  /* Send the oldest kept check-in, then the next; stop at the first network failure and try again later. */
  function flush() {
    var queue = load();
    // Asked while a send is failing (the browser came back online meanwhile): go once more after it.
    if (sending) { askedAgain = true; return; }
    if (!queue.length) return;
    sending = true;
    askedAgain = false;
    var item = queue[0];
    post(item).then(function (response) {
      return response.json().then(function (data) {
        sending = false;
        if (response.status === 401) { banner.textContent = T.signIn; return; }
        if (response.status >= 500 || response.status === 429) return;
        if (!response.ok && data.field === "at" && item.at) {
          // The phone's clock is off: send it again with the server's time instead.
          save(without(item.key).concat([Object.assign({}, item, { at: null })]));
          return flush();
        }
        save(without(item.key));
        if (!response.ok) return refused(item, data.error);
        if (load().length) return flush();
        window.location = window.location.pathname + "?done=" + item.task + "&far=" + (data.is_far ? 1 : 0) +
          "&m=" + Math.round(data.distance_m || 0);
      });
    }, function () {
      sending = false;
      if (askedAgain) flush();
    });
  }

  /* A refused check-in is said beside its task, and what the patrol typed goes back into the form. */
  function refused(item, error) {
    var form = document.querySelector('form.checkin[data-task="' + item.task + '"]');
    if (!form) { banner.hidden = false; banner.textContent = T.refused + error; return; }
    var box = form.parentNode.querySelector("p.refusal") || document.createElement("p");
    box.className = "error refusal";
    box.setAttribute("role", "alert");
    box.textContent = T.refused + error;
    form.parentNode.insertBefore(box, form);
    form.elements.lon.value = item.lon;
    form.elements.lat.value = item.lat;
    form.elements.note.value = item.note;
  }

  document.querySelectorAll("form.checkin").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var lon = Number(form.elements.lon.value), lat = Number(form.elements.lat.value);
      if (!isFinite(lon) || !isFinite(lat)) { form.submit(); return; }  // the server names the problem
      save(load().concat([{
        task: form.dataset.task, lon: lon, lat: lat, note: form.elements.note.value,
        at: new Date().toISOString(),
        key: phone.newKey("checkin"),
      }]));
      form.reset();
      flush();
    });
  });
  window.addEventListener("online", flush);
  setInterval(flush, 30000);
  save(load());
  flush();
})();
