/* The grid worker's phone page without signal: a service worker over /my only (served at /my/sw.js with
   Service-Worker-Allowed: /my, so it can never answer for any other page of the site).

   Every GET the page makes goes to the network first; only when the network does not answer at all is the copy
   kept from the last good answer given instead, and a page given that way is marked as a copy (data-offline-copy on
   <html>, which my.js shows with the time it was read). POST and other changes are never touched: the page's outbox
   (phone.js) keeps them. Copies live in caches named after the deployment (?v=, a digest of what the app serves):
   a new deployment's worker deletes every other version's caches when it takes over.

   Copies of the pages and the case photos (personal data) are kept apart from the static files. They are
   deleted when an answer says nobody, or someone not allowed /my, is signed in; the sign-in page (signin.js)
   deletes every cache before anyone signs in, so one worker's cases never reach the next person on the phone. */
"use strict";

var VERSION = new URL(self.location.href).searchParams.get("v") || "unversioned";
var DATA = "gridmap.my.data." + VERSION;      // the pages and photos: one signed-in worker's
var ASSETS = "gridmap.my.assets." + VERSION;  // scripts, styles, fonts from static/: the same for everyone
var STATIC_PATH = "/static/";

self.addEventListener("install", function () {
  self.skipWaiting();  // a new deployment takes over at once: the old version's copies go with it
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("gridmap.my.") === 0 && name !== DATA && name !== ASSETS;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function cacheFor(url) {
  return new URL(url).pathname.indexOf(STATIC_PATH) === 0 ? ASSETS : DATA;
}

function forgetData() {
  return caches.delete(DATA);
}

/* Keep ``response`` to ``request`` if it is a good answer; an answer that says the caller is signed out (a
   redirect to the sign-in page, 401) or may not see /my (403) deletes the copies of personal data. */
function keep(request, response) {
  if (response.ok && response.type === "basic" && !response.redirected) {
    var copy = response.clone();
    return caches.open(cacheFor(request.url)).then(function (cache) { return cache.put(request, copy); });
  }
  var signedOut = response.type === "opaqueredirect" || response.redirected || response.status === 401 ||
    response.status === 403;
  return signedOut ? forgetData() : Promise.resolve();
}

/* The page as it was last read, marked as a copy for the page's script. */
function markedCopy(response) {
  var headers = new Headers(response.headers);
  headers.delete("Content-Length");  // the body is decoded, and a little longer now
  headers.delete("Content-Encoding");
  return response.text().then(function (html) {
    return new Response(html.replace("<html", "<html data-offline-copy"), {
      status: response.status, statusText: response.statusText, headers: headers,
    });
  });
}

function fromCopy(request) {
  var navigation = request.mode === "navigate";
  // A page read with another query (?lang=en) is still the worker's page.
  // Vary: Cookie on the answers means nothing here: the copies are cleared whenever the signed-in worker changes.
  return caches.match(request, { ignoreVary: true }).then(function (found) {
    return found || (navigation ? caches.match(request, { ignoreSearch: true, ignoreVary: true }) : undefined);
  }).then(function (found) {
    if (!found) return Response.error();
    return navigation ? markedCopy(found) : found;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(fetch(request).then(function (response) {
    event.waitUntil(keep(request, response));
    return response;
  }, function () {
    return fromCopy(request);
  }));
});

/* Messages from the page (my.js):
   - {copy: [urls]}: the page was opened before this worker answered for it (the first visit, or a new deployment):
     copy the page and everything it loaded, so that it opens without signal from now on, and answer for it;
   - {photos: [urls], maxBytes: n}: the photos of the cases listed, to see without signal even those never scrolled
     to; photos are never changed under their address, so one already kept is not fetched again. Those kept beyond
     the first ``maxBytes`` of the list, and those of cases no longer listed, are let go: the phone's storage is
     bounded whatever the number of cases. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.copy !== undefined) {
    event.waitUntil(self.clients.claim().then(function () { return Promise.all(sameOrigin(data.copy).map(copy)); }));
  }
  // Not waited for: a worker with an event still pending holds off a new deployment's worker from taking over
  // (skipWaiting waits for it too). Photos cut short are kept on the next visit.
  if (data.photos !== undefined) keepPhotos(sameOrigin(data.photos), Number(data.maxBytes) || 0);
});

function sameOrigin(urls) {
  return [].concat(urls).map(function (url) { return new URL(url, self.location.href); }).filter(function (url) {
    return url.origin === self.location.origin;
  }).map(function (url) { return url.href; });
}

function copy(url) {
  var request = new Request(url, { credentials: "same-origin" });
  return fetch(request).then(function (response) { return keep(request, response); }, function () {});
}

function keepPhotos(urls, maxBytes) {
  var PHOTO_PATH = /^\/api\/incidents\/[^/]+\/attachments\/\d+$/;
  return caches.open(DATA).then(function (cache) {
    var used = 0, wanted = {};
    var next = urls.reduce(function (previous, url) {  // one at a time, in the list's order (the open cases first)
      return previous.then(function () {
        if (used >= maxBytes) return;
        return cache.match(url).then(function (found) {
          return found || fetch(new Request(url, { credentials: "same-origin" })).then(function (response) {
            if (!response.ok || response.redirected) return null;
            return cache.put(url, response.clone()).then(function () { return response; });
          }, function () { return null; });
        }).then(function (response) {
          if (!response) return;
          return response.clone().blob().then(function (body) {
            used += body.size;
            if (used <= maxBytes) wanted[url] = true;
          });
        });
      });
    }, Promise.resolve());
    return next.then(function () { return cache.keys(); }).then(function (requests) {
      return Promise.all(requests.filter(function (request) {
        return PHOTO_PATH.test(new URL(request.url).pathname) && !wanted[request.url];
      }).map(function (request) { return cache.delete(request); }));
    });
  });
}

