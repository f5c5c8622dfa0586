/*
 * The bits of the Clio Operate (Sharedo) host page a widget may rely on, and the host's widget
 * lifecycle: render template (done server-side), construct, loadAndBind, onDestroy on leave.
 */
(function (window, document) {
    "use strict";

    var context = JSON.parse(document.getElementById("portal-context").textContent);

    function constant(value) {
        return function () { return value; };
    }

    window.$ui = window.$ui || {};
    window.$ui.pageContext = {
        user: {
            userid: constant(context.user.userid),
            username: constant(context.user.username),
            firstname: constant(context.user.firstname),
            lastname: constant(context.user.lastname)
        },
        sharedoId: constant(null)
    };

    function resolve(dottedName) {
        return dottedName.split(".").reduce(function (scope, name) {
            return scope ? scope[name] : undefined;
        }, window);
    }

    // The real portal refreshes its `_api` cookie in the background; so does this one.
    function keepTokenFresh() {
        window.setInterval(function () {
            window.fetch(context.refreshUrl, { credentials: "same-origin" });
        }, context.refreshSeconds * 1000);
    }

    document.addEventListener("DOMContentLoaded", function () {
        keepTokenFresh();
        if (!context.widget) {
            return;
        }
        var element = document.getElementById("widget-host");
        var Widget = resolve(context.widget.id);
        var widget = new Widget(element, context.widget.configuration, { id: element.id });
        widget.loadAndBind();
        window.addEventListener("pagehide", function () { widget.onDestroy(); });
    });
})(window, document);
