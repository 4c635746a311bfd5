/* The branch page's forms (admins of the jurisdiction): enter a member with their households, start a secretary-led
   project, tick its milestones and move its status. Every rule is the API's; this only sends and shows its answer. */
(function () {
  "use strict";

  var options = gridmap.pageOptions();
  var box = document.getElementById("party-message");

  function answered(r) {
    if (r.ok) return window.location.reload();
    box.className = "error";
    box.textContent = r.data.error;
  }

  /* "name, address" lines (a comma or the full-width one). */
  function lines(text) {
    return text.split("\n").map(function (line) { return line.trim(); }).filter(Boolean).map(function (line) {
      var parts = line.split(/[,\uff0c]/);
      return [parts[0].trim(), parts.slice(1).join(",").trim()];
    });
  }

  var member = document.getElementById("member-form");
  member.addEventListener("submit", function (event) {
    event.preventDefault();
    var f = member.elements;
    gridmap.api("POST", options.membersUrl, {
      name: f.name.value, post: f.post.value, duty: f.duty.value, phone: f.phone.value,
      household_count: Number(f.household_count.value || 0),
      households: lines(f.households.value).map(function (h) { return { name: h[0], address: h[1] }; }),
    }).then(answered);
  });

  var project = document.getElementById("project-form");
  project.addEventListener("submit", function (event) {
    event.preventDefault();
    var f = project.elements;
    gridmap.api("POST", options.projectsUrl, {
      branch_id: options.branch, title: f.title.value, goal: f.goal.value,
      milestones: lines(f.milestones.value).map(function (m) { return { title: m[0], due: m[1] || null }; }),
    }).then(answered);
  });

  /* A project's PATCH replaces it whole: what was read, with the changes of its form and its ticks. */
  options.projects.forEach(function (p) {
    var section = document.querySelector('.project[data-project="' + p.id + '"]');
    var form = section.querySelector("form.project-progress");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });  // the county's day
      var milestones = p.milestones.map(function (m, i) {
        var done = section.querySelector('.milestone[data-index="' + i + '"]').checked;
        return { title: m.title, due: m.due, done: done, done_on: done ? (m.done_on || today) : null };
      });
      gridmap.api("PATCH", p.url, {
        version: p.version, title: p.title, goal: p.goal, grid_codes: p.grid_codes, incident_tickets: p.incident_tickets,
        status: form.elements.status.value, progress: Number(form.elements.progress.value), milestones: milestones,
      }).then(answered);
    });
  });
})();
