/* What the phone pages share (patrol/my.html, dispatch/my.html): the way from the phone to a place, and an outbox
   that keeps requests made without signal on the phone (IndexedDB, so photos stay as blobs) until they are sent. */
(function () {
  "use strict";

  /* Great-circle distance in metres and initial bearing in degrees from a to b ([lat, lng]). */
  function distanceAndBearing(a, b) {
    var rad = Math.PI / 180, lat1 = a[0] * rad, lat2 = b[0] * rad, dLat = lat2 - lat1, dLng = (b[1] - a[1]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLng / 2) * Math.sin(dLng / 2);
    var y = Math.sin(dLng) * Math.cos(lat2), x = Math.cos(lat1) * Math.sin(lat2) - Math.sin(lat1) * Math.cos(lat2) * Math.cos(dLng);
    return { metres: 2 * 6371008.8 * Math.asin(Math.sqrt(h)), degrees: (Math.atan2(y, x) / rad + 360) % 360 };
  }

  function describeDistance(metres) {
    return metres >= 1000 ? (metres / 1000).toFixed(1) + " km" : Math.round(metres) + " m";
  }

  /* "About 1.2 km, north-east" from the page's words: {distance} and {direction} in ``template``. */
  function describeWay(from, to, template, directions) {
    var way = distanceAndBearing(from, to);
    return template.replace("{distance}", describeDistance(way.metres))
      .replace("{direction}", directions[Math.round(way.degrees / 45) % 8]);
  }

  /* A key of its own for each request, so a request sent twice is taken once (the server's Idempotency-Key). */
  function newKey(prefix) {
    return prefix + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  /* An outbox named ``name``: items kept in order (``seq``) under their ``key`` until ``remove``d. */
  function outbox(name) {
    var opened = new Promise(function (resolve, reject) {
      var request = indexedDB.open("gridmap." + name, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("items", { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    function run(mode, work) {
      return opened.then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction("items", mode), store = tx.objectStore("items"), result;
          work(store, function (value) { result = value; });
          tx.oncomplete = function () { resolve(result); };
          tx.onerror = function () { reject(tx.error); };
        });
      });
    }
    return {
      add: function (items) {
        var base = Date.now() * 100;
        return run("readwrite", function (store) {
          [].concat(items).forEach(function (item, i) { store.put(Object.assign({ seq: base + i }, item)); });
        });
      },
      remove: function (key) { return run("readwrite", function (store) { store.delete(key); }); },
      all: function () {
        return run("readonly", function (store, done) {
          var request = store.getAll();
          request.onsuccess = function () { done(request.result.sort(function (a, b) { return a.seq - b.seq; })); };
        });
      },
    };
  }

  window.phone = {
    distanceAndBearing: distanceAndBearing,
    describeDistance: describeDistance,
    describeWay: describeWay,
    newKey: newKey,
    outbox: outbox,
  };
})();
