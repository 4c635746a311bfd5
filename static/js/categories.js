/* The category admin page (admin/categories.html): each row saved on its own through PATCH /api/categories/<code>. */
(function () {
  var options = JSON.parse(document.getElementById("page-options").textContent);
  var box = document.getElementById("category-message");
  document.querySelectorAll("tr[data-code] button[data-save]").forEach(function (button) {
    button.addEventListener("click", function () {
      var row = button.closest("tr");
      var field = function (name) { return row.querySelector('[name="' + name + '"]'); };
      gridmap.api("PATCH", "/api/categories/" + encodeURIComponent(row.dataset.code), {
        name_zh: field("name_zh").value,
        name_en: field("name_en").value,
        sla_hours: +field("sla_hours").value,
        is_active: field("is_active").checked,
        is_public: field("is_public").checked,
        photo_on_resolve: field("photo_on_resolve").checked,
      }).then(function (r) {
        box.className = r.ok ? "ok" : "error";
        box.textContent = r.ok ? gridmap.format(options.saved, { code: row.dataset.code }) : r.data.error;
      });
    });
  });
})();
