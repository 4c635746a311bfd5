/* The party page's map: the chosen month's branch activities and the secretary-led projects, from their declarations
   (layers/party.py); a just-recorded activity opens its popup. */
(function () {
  "use strict";

  var esc = gridmap.escapeHtml;
  var T = gridmap.strings.party;
  var LABELS = gridmap.labels;
  var options = gridmap.pageOptions();
  var map = window[options.map];
  var activities = options.layers["party-activities"];
  var projects = options.layers["party-projects"];
  var groups = { activities: L.featureGroup().addTo(map), projects: L.featureGroup().addTo(map) };

  var overlays = {};
  overlays[activities.title] = groups.activities;
  overlays[projects.title] = groups.projects;
  gridmap.addOverlays(map, overlays);
  gridmap.legend(map, [
    { layer: activities, names: LABELS.activity_kind },
    { layer: projects, names: LABELS.project_status },
  ], T.legend);

  function activityPopup(p) {
    return "<b>" + esc(gridmap.format(T.activity, { kind: LABELS.activity_kind[p.kind] || p.kind, topic: p.topic })) +
      "</b><br>" + esc(gridmap.format(T.held, { day: p.held_on, place: p.place_name || "—", attendance: p.attendance, photos: p.photos })) +
      (p.demo ? '<div class="demo-note">' + esc(T.demo) + "</div>" : "");
  }

  gridmap.api("GET", activities.url + "?month=" + encodeURIComponent(options.month)).then(function (r) {
    if (!r.ok) return;
    document.getElementById("activity-count").textContent = gridmap.format(T.count, { count: r.data.features.length });
    r.data.features.forEach(function (f) {
      var latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var marker = L.circleMarker(latlng, gridmap.styleOf(activities, f.properties)).bindPopup(activityPopup(f.properties));
      marker.options.activityId = f.id;
      marker.addTo(groups.activities);
      if (String(f.id) === options.recorded) {
        map.setView(latlng, Math.max(map.getZoom(), 11));
        marker.openPopup();
      }
    });
  });

  gridmap.api("GET", projects.url).then(function (r) {
    if (!r.ok) return;
    r.data.features.forEach(function (f) {
      var p = f.properties;
      L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], gridmap.styleOf(projects, p))
        .bindPopup(esc(gridmap.format(T.project, { title: p.title, status: LABELS.project_status[p.status] || p.status, progress: p.progress })))
        .addTo(groups.projects);
    });
  });
})();
