// Search's View, once the service has found the work item in Clio Operate: the portal page of the
// work item replaces the portal page hosting PMS Sync, as the link below would. A browser that
// does not let the frame do it leaves the link to click.
(function () {
  "use strict";
  var link = document.getElementById("open-work-item");
  if (!link) return;
  try { window.top.location.href = link.href; } catch (refused) { link.focus(); }
})();
