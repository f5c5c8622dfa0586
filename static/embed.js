// Signs the user in with the Clio Operate token the portal widget hands over by postMessage.
// The token is accepted only from the window that framed us, and only from an allowed portal origin.
// Signed in, it opens the panel the portal page asked for (data-after, a path the service chose), else the dashboard.
(function () {
  "use strict";
  var section = document.getElementById("embed");
  var allowed = JSON.parse(section.dataset.portalOrigins || "[]");
  var status = document.getElementById("embed-status");
  var failure = document.getElementById("embed-error");
  var after = section.dataset.after || "";
  var busy = false;

  if (window.parent === window) {
    status.hidden = true;
    document.getElementById("embed-standalone").hidden = false;
    return;
  }

  function fail(heading, message) {
    status.hidden = true;
    document.getElementById("embed-error-heading").textContent = heading;
    document.getElementById("embed-error-text").textContent = message;
    failure.hidden = false;
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || allowed.indexOf(event.origin) === -1) return;
    var data = event.data || {};
    if (data.type !== "pms-sync:token" || typeof data.token !== "string" || busy) return;
    busy = true;
    fetch("/embed/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: data.token, portal_origin: event.origin })
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (result.ok) { window.location.replace(after || result.body.redirect); }
        else { busy = false; fail("Sign-in refused", result.body.error || "Ask your administrator to check your access."); }
      })
      .catch(function () {
        busy = false;
        fail("Sign-in failed", "PMS Sync could not be reached to sign you in. Check your connection and reload the page.");
      });
  });

  // "ready" carries nothing secret, so any parent may hear it; the token reply is checked above.
  window.parent.postMessage({ type: "pms-sync:ready" }, "*");
})();
