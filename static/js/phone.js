/* What the phone pages share (patrol/my.html, dispatch/my.html, party/record.html): the way from the phone to a
   place, an outbox that keeps requests made without signal on the phone (IndexedDB, so photos stay as blobs) until
   they are sent, and the courier that shows how many wait and sends them. */
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

  /* A photo kept in an outbox, sent to ``url`` as the form's ``file`` under the photo's own key. */
  function sendPhoto(url, item) {
    var form = new FormData();
    form.append("file", item.blob, item.filename);
    return gridmap.api("POST", url, form, { "Idempotency-Key": item.key });
  }

  /* What sends a page's outbox: the banner with how many wait, and the items sent oldest first, one at a time.
     ``page``: box (an outbox), banner (an element), lock (a Web Lock name: one tab at a time, since two tabs
     sending the same item at once would meet each other as a conflict), text ({waiting} with {n}, and signIn),
     send(item) (a promise of gridmap.api's answer), settle(item, items, answer) (a promise of "again" to send the
     next, "later" to stop until the next try, or null), and optionally counted(items) (after each count) and
     idle(items) (when all that could be sent was). Answers that say to try later are the courier's rule: signed
     out or a form token older than the session (kept until the page is fresh), the server failing, or too busy. */
  function courier(page) {
    var sending = false, askedAgain = false;

    /* The banner from the latest reading of the outbox only: readings run in parallel (read-only IndexedDB
       transactions) and may finish out of order, so an older, smaller count must not overwrite a newer one. */
    var countsAsked = 0;
    function showCount() {
      var asked = ++countsAsked;
      return page.box.all().then(function (items) {
        if (asked !== countsAsked) return items;
        page.banner.hidden = !items.length;
        page.banner.textContent = items.length ? gridmap.format(page.text.waiting, { n: items.length }) : "";
        if (page.counted) page.counted(items);
        return items;
      });
    }

    function settle(item, items, answer) {
      if (answer.status === 401 || (answer.status === 400 && !answer.data.field)) {
        page.banner.hidden = false;
        page.banner.textContent = page.text.signIn;
        return "later";
      }
      if (answer.status >= 500 || answer.status === 429) return "later";
      return page.settle(item, items, answer);
    }

    /* Send the oldest kept item, then the next; stop at the first failure of the network or the server. */
    function flush() {
      // Asked again while sending (the browser came back online while a send was failing): go once more after it,
      // rather than wait for the next half-minute's try.
      if (sending) { askedAgain = true; return Promise.resolve(); }
      sending = true;
      askedAgain = false;
      var sendOne = function () {
        return page.box.all().then(function (items) {
          if (!items.length) return null;
          var item = items[0];
          return page.send(item).then(function (answer) { return settle(item, items, answer); },
            function () { return "later"; });
        });
      };
      var once = navigator.locks ? navigator.locks.request(page.lock, sendOne) : sendOne();
      return once.then(function (next) {
        sending = false;
        if (next === "again" || askedAgain) {
          if (next !== "later") showCount();
          return flush();
        }
        // "later" may carry a message on the banner: leave it
        if (next !== "later") return showCount().then(function (items) { if (page.idle) page.idle(items); });
      }, function () { sending = false; });
    }

    /* Send now, whenever the browser is back online, and every half minute. */
    function start() {
      window.addEventListener("online", flush);
      setInterval(flush, 30000);
      return showCount().then(flush);
    }

    return { showCount: showCount, flush: flush, start: start };
  }

  window.phone = {
    distanceAndBearing: distanceAndBearing,
    describeDistance: describeDistance,
    describeWay: describeWay,
    newKey: newKey,
    outbox: outbox,
    sendPhoto: sendPhoto,
    courier: courier,
  };
})();
