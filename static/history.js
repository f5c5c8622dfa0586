// History: a click anywhere on a row opens that attempt's details (the matter and "Details →"
// are links too, for the keyboard and for opening in a new tab).
(function () {
  "use strict";
  var table = document.getElementById("history");
  if (!table) return;
  table.addEventListener("click", function (event) {
    if (event.target.closest("a, button, input, select, label")) return;
    var row = event.target.closest("tr[data-href]");
    if (row) window.location.assign(row.getAttribute("data-href"));
  });
})();
