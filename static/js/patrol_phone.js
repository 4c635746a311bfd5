/* The patrol phone page: each task's target on a small map with the phone's position, the distance and the
   direction to walk, updated as the phone moves. No base map is needed: the target and the position are enough
   on a hill without signal. (Whether a check-in is far is the server's rule; this only guides the walk.) */
(function () {
  var options = JSON.parse(document.getElementById("page-options").textContent);
  var T = options.text;
  var maps = {};

  /* Whether a point ([lat, lng]) lies in a GeoJSON (Multi)Polygon: ray casting over every ring (holes flip it). */
  function contains(geometry, point) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    var x = point[1], y = point[0], inside = false;
    polygons.forEach(function (rings) {
      rings.forEach(function (ring) {
        for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
          if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
        }
      });
    });
    return inside;
  }

  document.querySelectorAll(".task-map").forEach(function (box) {
    var id = box.dataset.task;
    var target = L.geoJSON(options.targets[id], { style: { color: "#d7191c", weight: 2, fillOpacity: 0.15 } });
    var map = L.map(box, { attributionControl: false, zoomControl: true });
    target.addTo(map);
    map.fitBounds(target.getBounds(), { padding: [16, 16] });
    L.control.scale({ imperial: false }).addTo(map);
    maps[id] = { map: map, target: target, centre: target.getBounds().getCenter(), me: null, line: null };
  });

  function show(position) {
    var here = [position.coords.latitude, position.coords.longitude];
    Object.keys(maps).forEach(function (id) {
      var m = maps[id];
      if (!m.me) {
        m.me = L.circleMarker(here, { radius: 7, color: "#2166ac", fillColor: "#2166ac", fillOpacity: 0.9 }).addTo(m.map);
        m.line = L.polyline([here, m.centre], { color: "#2166ac", dashArray: "4 6", weight: 2 }).addTo(m.map);
        m.map.fitBounds(m.target.getBounds().extend(here), { padding: [16, 16] });
      }
      m.me.setLatLng(here);
      m.line.setLatLngs([here, m.centre]);
      var inside = contains(options.targets[id], here);
      var text = document.querySelector('.bearing[data-task="' + id + '"]');
      text.textContent = inside ? T.inside : phone.describeWay(here, [m.centre.lat, m.centre.lng], T.bearing, T.directions);
      var form = document.querySelector('form.checkin[data-task="' + id + '"]');
      if (form && !form.dataset.typed) {  // follow the phone until the patrol types a position
        form.elements.lon.value = here[1].toFixed(6);
        form.elements.lat.value = here[0].toFixed(6);
      }
    });
  }

  document.querySelectorAll("form.checkin").forEach(function (form) {
    ["lon", "lat"].forEach(function (name) {
      form.elements[name].addEventListener("input", function () { form.dataset.typed = "1"; });
    });
  });

  function failed() {
    document.querySelectorAll(".bearing").forEach(function (text) { text.textContent = T.noPosition; });
  }

  if (navigator.geolocation && Object.keys(maps).length) {
    navigator.geolocation.watchPosition(show, failed, { enableHighAccuracy: true, maximumAge: 10000 });
  } else {
    failed();
  }
})();
