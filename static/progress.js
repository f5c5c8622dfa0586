// Waiting for Aderant and Clio Operate, shown at once: a form or link marked data-waits-for
// (the systems its answer needs, named by the server) turns busy when used: its button is disabled
// and relabelled, its panel is marked busy, and a status line names the systems being asked, with
// Cancel (window.stop() halts the navigation and restores the page). After SLOW_AFTER_MS the line
// says the wait is longer than usual; if a system then times out, the page that comes back is the
// service's own message naming it. A link also marked data-wait-status (a preview, which asks
// Aderant, then Clio Operate) carries a token (?wait=), and the line names the one system the
// service says the request waits for now; when the service cannot say, it names them all.
(function () {
  "use strict";
  var SLOW_AFTER_MS = 3000;
  var ASK_EVERY_MS = 400;
  var bar = document.getElementById("wait");
  var text = document.getElementById("wait-text");
  var cancel = document.getElementById("wait-cancel");
  var current = null;

  function panelOf(trigger) {
    var id = trigger.dataset.busyPanel;
    return (id && document.getElementById(id)) || null;
  }

  function say(state) {
    text.textContent = state.slow
      ? "Still waiting for " + state.systems + ": it is taking longer than usual. You can keep waiting, or cancel and try again later."
      : "Waiting for " + state.systems + "…";
  }

  function newToken() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // Asks the service which system the request sent with `token` waits for, until the page goes.
  function follow(state, statusUrl, token) {
    function ask() {
      fetch(statusUrl + token, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (current !== state) return;
          state.systems = (answer && answer.waiting_for) || state.trigger.dataset.waitsFor;
          say(state);
          state.asking = window.setTimeout(ask, ASK_EVERY_MS);
        })
        .catch(function () { if (current === state) state.asking = window.setTimeout(ask, ASK_EVERY_MS); });
    }
    state.asking = window.setTimeout(ask, ASK_EVERY_MS);
  }

  function start(trigger, button) {
    var state = { trigger: trigger, button: button, label: button ? button.textContent : null, panel: panelOf(trigger), disabled: [],
                  systems: trigger.dataset.waitsFor, slow: false };
    document.querySelectorAll("[data-waits-for]").forEach(function (el) {
      el.setAttribute("aria-disabled", "true");
      el.classList.add("busy");
      el.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        if (!b.disabled) { b.disabled = true; state.disabled.push(b); }
      });
    });
    if (button && trigger.dataset.busyLabel) button.textContent = trigger.dataset.busyLabel;
    if (state.panel) state.panel.setAttribute("aria-busy", "true");
    say(state);
    bar.hidden = false;
    state.timer = window.setTimeout(function () {
      state.slow = true;
      say(state);
      bar.classList.add("slow");
    }, SLOW_AFTER_MS);
    current = state;
    return state;
  }

  function restore(message) {
    if (!current) return;
    window.clearTimeout(current.timer);
    window.clearTimeout(current.asking);
    document.querySelectorAll("[data-waits-for]").forEach(function (el) {
      el.removeAttribute("aria-disabled");
      el.classList.remove("busy");
    });
    current.disabled.forEach(function (b) { b.disabled = false; });
    if (current.button && current.label !== null) current.button.textContent = current.label;
    if (current.panel) current.panel.removeAttribute("aria-busy");
    bar.classList.remove("slow");
    current = null;
    if (message) { text.textContent = message; cancel.hidden = true; }
    else { bar.hidden = true; }
  }

  if (!bar || !text || !cancel) return;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.waitsFor || event.defaultPrevented) return;
    if (current) { event.preventDefault(); return; }
    cancel.hidden = false;
    start(form, event.submitter || form.querySelector("button[type=submit], button:not([type])"));
    cancel.focus();
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-waits-for]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (current) { event.preventDefault(); return; }
    cancel.hidden = false;
    var statusUrl = link.dataset.waitStatus, token = statusUrl ? newToken() : null;
    if (token) {
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("wait", token);
      link.href = url.toString();
    }
    var state = start(link, link);
    if (token) follow(state, statusUrl, token);
    cancel.focus();
  });

  cancel.addEventListener("click", function () {
    window.stop();
    restore("Cancelled: nothing was changed. You can search or open the preview again.");
  });

  // Back to this page from the next one (the browser's page cache): not waiting any more.
  window.addEventListener("pageshow", function (event) { if (event.persisted) restore(null); });
})();

// The environment switcher keeps the search text: the text in the search box when there is one
// (typed but not yet searched), else the results' query the link already carries.
(function () {
  "use strict";
  var box = document.getElementById("q");
  var switcher = document.querySelector("nav.envs");
  if (!box || !switcher) return;
  switcher.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a.env") : null;
    if (!link) return;
    var url = new URL(link.href, window.location.href);
    var typed = box.value.trim();
    if (typed) { url.searchParams.set("q", typed); } else { url.searchParams.delete("q"); }
    link.href = url.toString();
  });
})();

// Counts that scripts change keep their word in step: "1 contact", "2 contacts".
(function () {
  "use strict";
  document.querySelectorAll("[data-noun-of]").forEach(function (word) {
    var count = document.getElementById(word.dataset.nounOf);
    if (!count) return;
    function follow() {
      var n = parseInt(count.textContent, 10);
      if (!isNaN(n)) word.textContent = n === 1 ? word.dataset.one : word.dataset.many;
    }
    new MutationObserver(follow).observe(count, { childList: true, characterData: true, subtree: true });
    follow();
  });
})();
