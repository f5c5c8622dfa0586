// Settings → Mapping's form editor: a party role row offers the roles its chosen work type allows
// (every loaded party role when the rule is for every work type).
(function () {
  "use strict";
  var form = document.getElementById("mapping-form");
  if (!form) return;
  var byType = JSON.parse(form.getAttribute("data-party-roles") || "{}");

  function offered(workType) {
    if (workType) return byType[workType] || [];
    var all = {};
    Object.keys(byType).forEach(function (name) { byType[name].forEach(function (role) { all[role] = true; }); });
    return Object.keys(all).sort();
  }

  form.addEventListener("change", function (event) {
    var changed = event.target;
    if (changed.name !== "role_work_type") return;
    var select = changed.closest("tr").querySelector("select[data-role-select]");
    var chosen = select.value;
    var roles = offered(changed.value);
    if (chosen && roles.indexOf(chosen) < 0) roles = roles.concat([chosen]);
    select.replaceChildren(new Option("", ""));
    roles.forEach(function (role) { select.add(new Option(role, role, false, role === chosen)); });
  });
})();
