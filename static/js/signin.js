/* The sign-in page forgets every copy kept for opening pages without signal (the Cache Storage of my_sw.js):
   whoever signs in next on a shared phone must not find the last worker's cases in it. Signing out lands here
   too. The form waits until they are gone. The phones' outboxes (IndexedDB) are each worker's own and stay. */
(function () {
  "use strict";

  function forgetCopies() {
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (names) {
      return Promise.all(names.map(function (name) { return caches.delete(name); }));
    }).catch(function () {});
  }

  var forgotten = forgetCopies();
  var form = document.querySelector("form.login"), sending = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) return;
    sending = true;
    // Once more: a copy may have been written after the page opened. submit() sends the form as it is, checked.
    forgotten.then(forgetCopies).then(function () { form.submit(); });
  });
})();
