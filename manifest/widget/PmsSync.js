/*
 * PMS Sync widget for Clio Operate (Sharedo IDE widget "PmsSync.Widget").
 *
 * Hosts the PMS Sync service in an iframe and hands it the signed-in user's Clio Operate token.
 * The token never goes into a URL. Protocol (postMessage, exact origins only):
 *   iframe -> widget   {type: "pms-sync:ready"}               (on load, and again whenever it needs a token)
 *   widget -> iframe   {type: "pms-sync:token", token: "..."}  (reply to ready, and every 5 minutes)
 *   iframe -> widget   {type: "pms-sync:open", url: "..."}    (open a page of this portal: a work item)
 * The token is the `_api` cookie the portal keeps fresh for its own API calls.
 *
 * A link to the portal page may ask for a panel of PMS Sync (Teams messages of the schedule do):
 *   ?pms-sync-panel=close-sync|auto-import|drift&pms-sync-environment=<environment id>
 * The widget passes them on to the iframe (`/embed?panel=…&environment=…`), which opens that panel
 * once the user is signed in. Anything else in them is ignored.
 */
(function (window, document) {
    "use strict";

    // Replaced by manifest/build.py with the service URL (origin plus path, no trailing slash).
    var SERVICE_URL = "__PMS_SYNC_SERVICE_URL__";
    var SERVICE_ORIGIN = new URL(SERVICE_URL).origin;
    var TOKEN_RESEND_MS = 5 * 60 * 1000;
    var PANELS = ["close-sync", "auto-import", "drift"];

    // The iframe's query for the panel the portal page's address asks for ("" for none).
    function requestedPanel(search) {
        var params = new URLSearchParams(search);
        var panel = params.get("pms-sync-panel");
        var environment = params.get("pms-sync-environment");
        if (PANELS.indexOf(panel) === -1) {
            return "";
        }
        var query = "?panel=" + encodeURIComponent(panel);
        if (environment && /^[0-9]{1,9}$/.test(environment)) {
            query += "&environment=" + environment;
        }
        return query;
    }

    function readCookie(name) {
        var prefix = name + "=";
        var parts = document.cookie ? document.cookie.split(";") : [];
        for (var i = 0; i < parts.length; i++) {
            var part = parts[i].replace(/^\s+/, "");
            if (part.indexOf(prefix) === 0) {
                return decodeURIComponent(part.substring(prefix.length));
            }
        }
        return null;
    }

    var PmsSync = window.PmsSync = window.PmsSync || {};

    /**
     * @param {HTMLElement} element   the element the portal rendered PmsSync.html into
     * @param {object} configuration  the widget configuration (none is needed)
     * @param {object} baseModel      the portal's base widget model
     */
    PmsSync.Widget = function (element, configuration, baseModel) {
        this.element = element;
        this.configuration = configuration || {};
        this.baseModel = baseModel;
        this.iframe = null;
        this.ready = false;
        this.timer = null;
        this.onMessage = this.handleMessage.bind(this);
    };

    PmsSync.Widget.prototype.loadAndBind = function () {
        var host = this.element.querySelector("[data-pms-sync-frame]") || this.element;
        var iframe = document.createElement("iframe");
        iframe.src = SERVICE_URL + "/embed" + requestedPanel(window.location.search);
        iframe.title = "PMS Sync";
        iframe.setAttribute("referrerpolicy", "origin");
        this.iframe = iframe;
        window.addEventListener("message", this.onMessage);
        host.appendChild(iframe);
        this.timer = window.setInterval(this.sendToken.bind(this), TOKEN_RESEND_MS);
    };

    PmsSync.Widget.prototype.handleMessage = function (event) {
        if (!this.iframe || event.origin !== SERVICE_ORIGIN || event.source !== this.iframe.contentWindow) {
            return;
        }
        if (event.data && event.data.type === "pms-sync:ready") {
            this.ready = true;
            this.sendToken();
        } else if (event.data && event.data.type === "pms-sync:open" && typeof event.data.url === "string") {
            this.openPortalPage(event.data.url);
        }
    };

    // The portal page the iframe asks for, never a page of another site.
    PmsSync.Widget.prototype.openPortalPage = function (address) {
        var url;
        try {
            url = new URL(address, window.location.href);
        } catch (malformed) {
            return;
        }
        if (url.origin === window.location.origin) {
            window.location.assign(url.href);
        }
    };

    PmsSync.Widget.prototype.sendToken = function () {
        var token = readCookie("_api");
        if (!this.ready || !token || !this.iframe || !this.iframe.contentWindow) {
            return;
        }
        this.iframe.contentWindow.postMessage({ type: "pms-sync:token", token: token }, SERVICE_ORIGIN);
    };

    PmsSync.Widget.prototype.onDestroy = function () {
        window.removeEventListener("message", this.onMessage);
        window.clearInterval(this.timer);
        this.timer = null;
        if (this.iframe && this.iframe.parentNode) {
            this.iframe.parentNode.removeChild(this.iframe);
        }
        this.iframe = null;
        this.ready = false;
    };
})(window, document);
