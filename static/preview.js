// The preview's roll-up ("N created, M linked") follows the per-party decisions, and the import
// asks for confirmation with a summary of what it will create.
(function () {
  "use strict";
  var parties = document.getElementById("parties");
  if (!parties) return;

  function counts() {
    var create = 0, link = 0;
    parties.querySelectorAll("tr[data-party]").forEach(function (row) {
      var chosen = row.querySelector("input[type=radio]:checked");
      if (chosen && chosen.value !== "create") { link += 1; } else { create += 1; }
    });
    return { create: create, link: link, teams: document.querySelectorAll("#teams li[data-added=yes]").length };
  }

  function update() {
    var c = counts();
    document.getElementById("count-create").textContent = c.create;
    document.getElementById("count-link").textContent = c.link;
  }
  parties.addEventListener("change", update);

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
