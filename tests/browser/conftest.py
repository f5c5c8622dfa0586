"""A real browser (Debian's chromium, driven by Playwright) against a demo process of its own.

The browser tests import matters, and an import is recorded for good in the service's store:
sharing the session-wide `demo` of tests/e2e would change what those tests see (they expect 82001
not to be imported). So these tests start their own demo, the same way (`pms-sync demo` as a
process on free loopback ports), which takes about two seconds.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Demo, running_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000  # for each action and each expect(): generous for a slow CI machine
STATUS_REFRESH_SECONDS = 1  # how often the demo's Settings → Status page refreshes itself (10 s by default)
_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium's path; the test is skipped (with "browser" in the reason) when it is missing."""
    if not Path(CHROMIUM).exists() or importlib.util.find_spec("playwright") is None:
        pytest.skip("browser not available: install Debian's chromium and the playwright package")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_demo(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`pms-sync demo` for the browser to drive, with nothing imported yet but the seeded 82003
    (not shared with tests/e2e; started only when there is a browser to drive it)."""
    with running_demo(tmp_path_factory.mktemp("browser-demo"), settings={
        "PMS_SYNC_REMOTE_TIMEOUT": "5", "PMS_SYNC_STATUS_REFRESH_SECONDS": str(STATUS_REFRESH_SECONDS),
    }) as demo:
        yield demo


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[object]:
    """Headless chromium, per module: the sync API's event loop must be gone before async tests run."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


@pytest.fixture
def page(browser, request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) and page; a screenshot is kept when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    if request.node.stash.get(_FAILED, False):
        tab.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"screenshot of the failure: {tmp_path / 'failure.png'}")
    context.close()
