/* The branch page's forms (admins of the jurisdiction): enter, correct or remove a member with their households,
   start a secretary-led project, tick its milestones and move its status. Every rule is the API's; this only sends
   and shows its answer. */
(function () {
  "use strict";

  var options = gridmap.pageOptions();
  var box = document.getElementById("party-message");
  var T = gridmap.strings.party;

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

  /* One form enters a member or, after "edit" on a row, replaces that member whole with the version read:
     someone's change in between answers 409, shown here, and nothing is overwritten. */
  var member = document.getElementById("member-form");
  var editing = null;
  var editingNote = member.querySelector(".editing");
  var cancel = member.querySelector(".member-cancel");

  function edit(m) {
    editing = m;
    var f = member.elements;
    f.name.value = m.name; f.post.value = m.post; f.duty.value = m.duty; f.phone.value = m.phone || "";
    f.household_count.value = m.household_count;
    f.households.value = m.households.map(function (h) { return h.name + (h.address ? ", " + h.address : ""); }).join("\n");
    editingNote.querySelector("b").textContent = m.name;
    editingNote.hidden = cancel.hidden = false;
    document.getElementById("member-add").open = true;
    f.name.focus();
  }

  cancel.addEventListener("click", function () {
    editing = null;
    member.reset();
    editingNote.hidden = cancel.hidden = true;
  });

  member.addEventListener("submit", function (event) {
    event.preventDefault();
    var f = member.elements;
    var body = {
      name: f.name.value, post: f.post.value, duty: f.duty.value, phone: f.phone.value,
      household_count: Number(f.household_count.value || 0),
      households: lines(f.households.value).map(function (h) { return { name: h[0], address: h[1] }; }),
    };
    if (!editing) return gridmap.api("POST", options.membersUrl, body).then(answered);
    body.version = editing.version;
    gridmap.api("PATCH", editing.url, body).then(answered);
  });

  options.members.forEach(function (m) {
    var row = document.querySelector('tr[data-member="' + m.id + '"]');
    var editButton = row.querySelector(".member-edit");
    if (!editButton) return;  // personal data outside the jurisdiction: not shown, so not editable
    editButton.addEventListener("click", function () { edit(m); });
    row.querySelector(".member-remove").addEventListener("click", function () {
      if (!window.confirm(gridmap.format(T.removeMember, { name: m.name }))) return;
      gridmap.api("DELETE", m.url + "?version=" + encodeURIComponent(m.version)).then(answered);
    });
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
