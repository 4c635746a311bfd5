/* The patrol phone page: each task's target on a small map with the phone's position, the distance and the
   direction to walk, updated as the phone moves. No base map is needed: the target and the position are enough
   on a hill without signal. (Whether a check-in is far is the server's rule; this only guides the walk.) */
(function () {
  var options = JSON.parse(document.getElementById("page-options").textContent);
  var T = options.text;
  var maps = {};

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }

  /* Great-circle distance in metres and initial bearing in degrees from a to b ([lat, lng]). */
  function distanceAndBearing(a, b) {
    var rad = Math.PI / 180, lat1 = a[0] * rad, lat2 = b[0] * rad, dLat = lat2 - lat1, dLng = (b[1] - a[1]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLng / 2) * Math.sin(dLng / 2);
    var y = Math.sin(dLng) * Math.cos(lat2), x = Math.cos(lat1) * Math.sin(lat2) - Math.sin(lat1) * Math.cos(lat2) * Math.cos(dLng);
    return { metres: 2 * 6371008.8 * Math.asin(Math.sqrt(h)), degrees: (Math.atan2(y, x) / rad + 360) % 360 };
  }

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

  function describe(metres) {
    return metres >= 1000 ? (metres / 1000).toFixed(1) + " km" : Math.round(metres) + " m";
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
      var way = distanceAndBearing(here, [m.centre.lat, m.centre.lng]);
      var text = document.querySelector('.bearing[data-task="' + id + '"]');
      text.textContent = inside ? T.inside : format(T.bearing, {
        distance: describe(way.metres), direction: T.directions[Math.round(way.degrees / 45) % 8],
      });
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
