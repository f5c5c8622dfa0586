"""The Clio Operate widget package: the builder, the manifest, and the widget's postMessage protocol."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from manifest.build import build_widget

SERVICE_URL = "https://pms-sync.example.com:8443/firm/"
BAKED_URL = "https://pms-sync.example.com:8443/firm"
ORIGIN = "https://pms-sync.example.com:8443"


@pytest.fixture
def built(tmp_path: Path) -> Path:
    return build_widget(SERVICE_URL, tmp_path)


def test_build_bakes_the_service_url_into_the_script(built: Path) -> None:
    script = (built / "PmsSync.js").read_text()

    assert built.name == "PmsSync"
    assert sorted(p.name for p in built.iterdir()) == [
        "PmsSync.css",
        "PmsSync.html",
        "PmsSync.js",
        "PmsSync.widget.json",
    ]
    assert f'var SERVICE_URL = "{BAKED_URL}";' in script
    assert "__PMS_SYNC_SERVICE_URL__" not in script


def test_the_manifest_names_the_constructor_and_files_that_exist(built: Path) -> None:
    manifest = json.loads((built / "PmsSync.widget.json").read_text())
    script = (built / "PmsSync.js").read_text()

    assert manifest["id"] == "PmsSync.Widget"
    assert "PmsSync.Widget = function (element, configuration, baseModel)" in script
    designer = manifest["designer"]
    assert (designer["allowInPortalDesigner"], designer["allowInSharedoPortalDesigner"]) == (True, True)
    assert (designer["allowAspectAdapter"], designer["isConfigurable"], designer["title"]) == (
        False,
        False,
        "PMS Sync",
    )
    files = manifest["scripts"] + manifest["styles"] + manifest["templates"]
    assert len(files) == 3
    for path in files:
        assert path.startswith("/_ideFiles/PmsSync/")
        assert (built / path.removeprefix("/_ideFiles/PmsSync/")).is_file()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://pms-sync.example.com",
        "pms-sync.example.com",
        "/embed",
        "http://",
        "https://user:pw@pms.example.com",
        "https://pms.example.com/?tenant=1",
        "https://pms.example.com/#x",
        "https://pms.example.com:99999",
        "javascript:alert(1)",
    ],
)
def test_build_refuses_a_url_that_is_not_an_absolute_http_url(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError):
        build_widget(url, tmp_path)
    assert not (tmp_path / "PmsSync").exists()


def test_the_script_never_posts_to_any_origin(built: Path) -> None:
    script = (built / "PmsSync.js").read_text()

    targets = re.findall(r"postMessage\((.*)\);", script)
    assert targets, "the widget must post the token"
    assert all(call.rstrip().endswith(", SERVICE_ORIGIN") for call in targets)
    assert '"*"' not in script and "'*'" not in script


NODE_HARNESS = r"""
const fs = require("fs");
const vm = require("vm");
const [scriptPath, token] = process.argv.slice(1);
const posted = [];
const listeners = {};
const intervals = [];
const cleared = [];
const contentWindow = { postMessage: (data, origin) => posted.push({ data, origin }) };
function makeElement(tagName) {
    return {
        tagName, children: [], attributes: {}, parentNode: null,
        setAttribute(name, value) { this.attributes[name] = value; },
        appendChild(child) {
            child.parentNode = this;
            this.children.push(child);
            if (child.tagName === "iframe") child.contentWindow = contentWindow;
            return child;
        },
        removeChild(child) { this.children = this.children.filter((c) => c !== child); child.parentNode = null; },
        querySelector(selector) { return selector === "[data-pms-sync-frame]" ? frameHost : null; },
    };
}
const frameHost = makeElement("div");
const element = makeElement("div");
const opened = [];
const window = {
    location: {
        search: process.env.PORTAL_SEARCH || "", href: "https://portal.example/production/portal/home",
        origin: "https://portal.example", assign(url) { opened.push(url); },
    },
    addEventListener(type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
    removeEventListener(type, fn) { listeners[type] = (listeners[type] || []).filter((f) => f !== fn); },
    setInterval(fn, ms) { intervals.push({ fn, ms }); return intervals.length; },
    clearInterval(id) { cleared.push(id); },
};
const document = { cookie: "theme=dark; _api=" + encodeURIComponent(token), createElement: makeElement };
vm.runInNewContext(fs.readFileSync(scriptPath, "utf8"), { window, document, URL, URLSearchParams });

const widget = new window.PmsSync.Widget(element, {}, { id: "widget-host" });
widget.loadAndBind();
const iframe = frameHost.children[0];
const origin = process.env.SERVICE_ORIGIN;
const ready = { type: "pms-sync:ready" };
const dispatch = (event) => (listeners.message || []).slice().forEach((fn) => fn(event));
const counts = {};
dispatch({ origin: "https://evil.example.com", source: contentWindow, data: ready });
counts.wrongOrigin = posted.length;
dispatch({ origin, source: {}, data: ready });
counts.wrongSource = posted.length;
dispatch({ origin, source: contentWindow, data: { type: "something-else" } });
counts.otherMessage = posted.length;
intervals[0].fn();
counts.timerBeforeReady = posted.length;
dispatch({ origin, source: contentWindow, data: ready });
counts.afterReady = posted.length;
intervals[0].fn();
counts.afterTimer = posted.length;
dispatch({ origin, source: contentWindow, data: ready });
counts.afterReadyAgain = posted.length;
const open = (url) => ({ type: "pms-sync:open", url });
dispatch({ origin, source: contentWindow, data: open("/production/portal/sharedo/wi-1") });
dispatch({ origin, source: contentWindow, data: open("https://evil.example.com/production/portal/sharedo/wi-2") });
dispatch({ origin: "https://evil.example.com", source: contentWindow, data: open("/production/portal/sharedo/wi-3") });
dispatch({ origin, source: {}, data: open("/production/portal/sharedo/wi-4") });
dispatch({ origin, source: contentWindow, data: open("http://[not-a-url") });
dispatch({ origin, source: contentWindow, data: open(42) });
widget.onDestroy();
dispatch({ origin, source: contentWindow, data: ready });
counts.afterDestroy = posted.length;
console.log(JSON.stringify({
    src: iframe.src, counts, posted, opened, intervalMs: intervals.map((i) => i.ms), cleared,
    listenersLeft: (listeners.message || []).length, framesLeft: frameHost.children.length,
}));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the widget script")
def test_the_widget_hands_the_cookie_token_only_to_its_own_iframe_and_opens_only_its_portals_pages(built: Path) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdGFmZiJ9.c2lnbmF0dXJl"

    completed = subprocess.run(
        ["node", "-e", NODE_HARNESS, str(built / "PmsSync.js"), token],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={"SERVICE_ORIGIN": ORIGIN},
    )
    result = json.loads(completed.stdout)

    assert result["src"] == f"{BAKED_URL}/embed" and token not in result["src"]
    assert result["counts"] == {
        "wrongOrigin": 0,
        "wrongSource": 0,
        "otherMessage": 0,
        "timerBeforeReady": 0,
        "afterReady": 1,
        "afterTimer": 2,
        "afterReadyAgain": 3,
        "afterDestroy": 3,
    }
    assert result["posted"] == [{"data": {"type": "pms-sync:token", "token": token}, "origin": ORIGIN}] * 3
    # its iframe may open a page of this portal (a work item), never another site's
    assert result["opened"] == ["https://portal.example/production/portal/sharedo/wi-1"]
    assert result["intervalMs"] == [5 * 60 * 1000]
    assert result["cleared"] == [1]
    assert (result["listenersLeft"], result["framesLeft"]) == (0, 0)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the widget script")
@pytest.mark.parametrize(
    ("search", "src"),
    [
        ("?pms-sync-panel=close-sync&pms-sync-environment=2", "/embed?panel=close-sync&environment=2"),
        ("?tab=1&pms-sync-panel=auto-import&pms-sync-environment=17", "/embed?panel=auto-import&environment=17"),
        ("?pms-sync-panel=auto-import", "/embed?panel=auto-import"),
        ("?pms-sync-panel=close-sync&pms-sync-environment=2%26x%3Dy", "/embed?panel=close-sync"),
        ("?pms-sync-panel=https%3A%2F%2Fevil.example", "/embed"),
        ("", "/embed"),
    ],
)
def test_the_widget_passes_the_panel_the_portal_page_asks_for_on_to_its_iframe(built: Path, search: str, src: str) -> None:
    completed = subprocess.run(
        ["node", "-e", NODE_HARNESS, str(built / "PmsSync.js"), "token"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={"SERVICE_ORIGIN": ORIGIN, "PORTAL_SEARCH": search},
    )
    assert json.loads(completed.stdout)["src"] == f"{BAKED_URL}{src}"
