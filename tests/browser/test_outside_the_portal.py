"""The service's URL opened in a real browser outside the portal (no portal token, no session): it
says PMS Sync opens inside Clio Operate and links to the portal, and "Sign in with Alterspective"
goes through the sandbox identity server's sign-in form and back, signed in."""

from __future__ import annotations

import re

import pytest

from tests.browser.playwright import Page, expect
from tests.browser.test_embedded_import import console_problems
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


def test_the_bare_service_url_says_where_pms_sync_opens_and_links_to_the_portal(browser_demo: Demo, page: Page) -> None:
    problems = console_problems(page)
    portal_url = browser_demo.environment("Production")["portal_url"]

    page.goto(browser_demo.service_url)

    expect(page.get_by_role("heading", name="PMS Sync opens inside Clio Operate")).to_be_visible()
    expect(page.get_by_text("Signing you in with your Clio Operate account")).to_be_hidden()
    expect(page.get_by_role("link", name="Sign in with Alterspective")).to_be_visible()
    portal_link = page.get_by_role("link", name="Open the Clio Operate portal")
    expect(portal_link).to_have_attribute("href", portal_url)
    portal_link.click()
    expect(page).to_have_url(portal_url)
    expect(page.get_by_role("button", name=re.compile(r"admin@sandbox\.test"))).to_be_visible()  # the portal's sign-in
    assert problems == []


def test_sign_in_with_alterspective_signs_the_administrator_in_through_the_sandbox_form(
    browser_demo: Demo, page: Page
) -> None:
    identity_url = browser_demo.environment("Production")["identity_url"]
    page.goto(browser_demo.service_url)

    page.get_by_role("link", name="Sign in with Alterspective").click()
    expect(page).to_have_url(re.compile(re.escape(f"{identity_url}/connect/authorize?")))
    expect(page.get_by_text("pms-sync-sign-in asks you to sign in")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"admin@sandbox\.test")).click()

    expect(page).to_have_url(f"{browser_demo.service_url}/")
    expect(page.locator(".who")).to_contain_text("Ada Admin")
    expect(page.locator(".who .tag")).to_have_text("Administrator")
    expect(page.get_by_role("link", name="Find a matter")).to_be_visible()
