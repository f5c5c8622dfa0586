// The preview's roll-up ("N created, M linked") follows the per-party decisions; two buttons set
// every party at once (link each strong match, create each party without one); the import asks
// for confirmation with a summary of what it will create.
(function () {
  "use strict";
  var parties = document.getElementById("parties");
  if (!parties) return;
  var NOUNS = { create: ["contact", "contacts"], link: ["contact", "contacts"], teams: ["default team", "default teams"] };

  function rows() {
    return Array.prototype.slice.call(parties.querySelectorAll("tr[data-party]"));
  }

  function counts() {
    var create = 0, link = 0;
    rows().forEach(function (row) {
      var chosen = row.querySelector("input[type=radio]:checked");
      if (chosen && chosen.value !== "create") { link += 1; } else { create += 1; }
    });
    return { create: create, link: link, teams: document.querySelectorAll("#teams li[data-added=yes]").length };
  }

  function noun(name, count) {
    return NOUNS[name][count === 1 ? 0 : 1];
  }

  function update() {
    var c = counts();
    document.getElementById("count-create").textContent = c.create;
    document.getElementById("noun-create").textContent = noun("create", c.create);
    document.getElementById("count-link").textContent = c.link;
  }
  parties.addEventListener("change", update);

  // Candidates are sorted best first: the first strong one is the one to link.
  function strongest(row) {
    return row.querySelector("input[type=radio][data-strong=yes]");
  }
  document.getElementById("link-strong").addEventListener("click", function () {
    rows().forEach(function (row) {
      var best = strongest(row);
      if (best) best.checked = true;
    });
    update();
  });
  document.getElementById("create-unmatched").addEventListener("click", function () {
    rows().forEach(function (row) {
      if (!strongest(row)) row.querySelector("input[type=radio][value=create]").checked = true;
    });
    update();
  });

  var form = document.getElementById("import-form");
  var dialog = document.getElementById("confirm-import");
  var confirmed = false;
  if (!form || !dialog || typeof dialog.showModal !== "function") return;
  form.addEventListener("submit", function (event) {
    if (confirmed) return;
    event.preventDefault();
    var c = counts();
    Object.keys(c).forEach(function (name) {
      dialog.querySelector("[data-confirm=" + name + "]").textContent = c[name];
      dialog.querySelector("[data-noun=" + name + "]").textContent = noun(name, c[name]);
    });
    dialog.showModal();
  });
  dialog.addEventListener("close", function () {
    if (dialog.returnValue !== "confirm") return;
    confirmed = true;
    var button = document.getElementById("import-button");
    button.disabled = true;
    button.textContent = "Importing…";
    form.submit();
  });
})();
