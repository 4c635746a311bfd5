/* The phone page that records a branch activity: fills the place from the phone's position, until typed over. */
(function () {
  "use strict";

  var T = gridmap.strings.party;
  var form = document.querySelector("form.party-record");
  var status = document.getElementById("position");
  var typed = false;

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

  document.getElementById("locate").addEventListener("click", locate);
  if (!form.elements.lon.value) locate();
})();
