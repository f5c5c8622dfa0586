// Search's View, once the service has found the work item in Clio Operate: the portal's widget
// (manifest/widget/PmsSync.js) opens the work item's portal page in place of the page hosting
// PMS Sync. A frame may not navigate the portal page itself without a fresh click, so it asks the
// widget, which opens only pages of its own portal. The link stays for a portal without the widget.
(function () {
  "use strict";
  var link = document.getElementById("open-work-item");
  if (!link || window.parent === window) return;
  window.parent.postMessage({ type: "pms-sync:open", url: link.href }, new URL(link.href).origin);
})();
