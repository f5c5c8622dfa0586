"""Playwright's sync API for the browser tests: importing from here skips a test module, with
the reason, on a machine without the playwright package (`.ci/run` makes the browser mandatory)."""

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser not available: install Debian's chromium and the playwright package"
)
expect = sync_api.expect
Page = sync_api.Page
Locator = sync_api.Locator
FrameLocator = sync_api.FrameLocator
