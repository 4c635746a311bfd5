/* The village party organisation's forms (admins of the jurisdiction): found one on the party page, correct its
   name, kind or secretary on its own page with the version read. Every rule is the API's; this only sends the
   form and shows its answer (a refusal names the field; a change made meanwhile answers 409). */
(function () {
  "use strict";

  function wire(form, method, body) {
    var box = document.getElementById("village-message");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      gridmap.api(method, form.dataset.url, body(form.elements)).then(function (r) {
        button.disabled = false;
        if (r.ok) return window.location.reload();
        box.className = "error";
        box.textContent = r.data.error;
      });
    });
  }

  var create = document.getElementById("village-create");
  if (create) wire(create, "POST", function (f) {
    return { village: f.village.value, name: f.name.value, kind: f.kind.value, secretary: f.secretary.value };
  });
  var edit = document.getElementById("village-form");
  if (edit) wire(edit, "PATCH", function (f) {
    return { version: Number(edit.dataset.version), name: f.name.value, kind: f.kind.value, secretary: f.secretary.value };
  });
})();
