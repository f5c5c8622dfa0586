// Settings → Status: fetch the page again every few seconds and swap in its figures, so the page
// stays live without reloading (it reads the same without this script).
(function () {
  "use strict";
  var live = document.getElementById("status-live");
  if (!live) return;
  var seconds = Number(live.getAttribute("data-refresh")) || 10;

  function refresh() {
    if (document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("status-live");
        var current = document.getElementById("status-live");
        if (fresh && current) current.replaceWith(fresh);
      })
      .catch(function () { /* the next refresh tries again */ });
  }

  window.setInterval(refresh, seconds * 1000);
})();
