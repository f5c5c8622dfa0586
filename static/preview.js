// Keeps the preview's roll-up ("N created, M linked") in step with the per-party decisions.
(function () {
  "use strict";
  var parties = document.getElementById("parties");
  if (!parties) return;
  function update() {
    var create = 0, link = 0;
    parties.querySelectorAll("tr[data-party]").forEach(function (row) {
      var chosen = row.querySelector("input[type=radio]:checked");
      if (chosen && chosen.value !== "create") { link += 1; } else { create += 1; }
    });
    document.getElementById("count-create").textContent = create;
    document.getElementById("count-link").textContent = link;
  }
  parties.addEventListener("change", update);
})();
