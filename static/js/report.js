/* The residents' place picker (township → village → villager group), GPS and an optional small map.
   Works on a weak connection: the lists are a few hundred bytes each; Leaflet loads only when asked. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("page-strings").textContent).public;
  var options = JSON.parse(document.getElementById("report-options").textContent);
  var township = document.getElementById("township");
  var village = document.getElementById("village");
  var group = document.getElementById("group");
  var lon = document.getElementById("lon");
  var lat = document.getElementById("lat");
  var note = document.getElementById("place-note");

  function fill(select, code, then) {
    select.disabled = true;
    select.innerHTML = '<option value="">' + T.loading + "</option>";
    if (!code) { select.innerHTML = '<option value="">' + T.choose + "</option>"; return; }
    fetch(options.places.replace("CODE", encodeURIComponent(code)), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (places) {
        select.innerHTML = '<option value="">' + T.choose + "</option>";
        places.forEach(function (place) {
          var option = document.createElement("option");
          option.value = place.code;
          option.textContent = place.name;
          select.appendChild(option);
        });
        select.disabled = false;
        if (then) then();
      });
  }

  function clearPoint() { lon.value = ""; lat.value = ""; note.textContent = ""; }

  township.addEventListener("change", function () {
    fill(village, township.value);
    group.innerHTML = '<option value="">' + T.choose + "</option>";
    group.disabled = true;
  });
  village.addEventListener("change", function () { fill(group, village.value); });
  group.addEventListener("change", function () { if (group.value) clearPoint(); });
  if (township.value && village.options.length <= 1 && !group.value) fill(village, township.value);

  function setPoint(latitude, longitude, said) {
    lat.value = latitude.toFixed(6);
    lon.value = longitude.toFixed(6);
    group.value = "";
    note.textContent = said + " " + lat.value + ", " + lon.value;
  }

  var gps = document.getElementById("use-gps");
  gps.addEventListener("click", function () {
    if (!navigator.geolocation) { note.textContent = T.noGps; return; }
    note.textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      setPoint(position.coords.latitude, position.coords.longitude, T.located);
      if (options.submitOnGps) document.getElementById("grid-form").submit();
    }, function () { note.textContent = T.noGps; }, { enableHighAccuracy: true, timeout: 15000 });
  });

  var mapButton = document.getElementById("show-map");
  if (!mapButton) return;
  var mapStarted = false;
  mapButton.addEventListener("click", function () {
    var box = document.getElementById("report-map");
    box.hidden = false;
    if (mapStarted) return;
    mapStarted = true;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = options.leafletCss;
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = options.leaflet;
    script.onerror = function () { note.textContent = T.offline; };
    script.onload = function () {
      var map = L.map(box, { zoomControl: true }).setView([28.3, 99.1], 8);
      var marker = null;
      fetch(options.outlines).then(function (r) { return r.json(); }).then(function (outlines) {
        var layer = L.geoJSON(outlines, { style: { color: "#1d4ed8", weight: 1, fillOpacity: 0.05 } }).addTo(map);
        map.fitBounds(layer.getBounds());
      }, function () { note.textContent = T.offline; });
      map.on("click", function (event) {
        if (marker) marker.setLatLng(event.latlng); else marker = L.marker(event.latlng).addTo(map);
        setPoint(event.latlng.lat, event.latlng.lng, T.tapped);
      });
    };
    document.body.appendChild(script);
  });
})();
