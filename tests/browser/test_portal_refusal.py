"""The widget in a real browser refuses a portal user with no PMS Sync role (user guide §9): the
sandbox's visitor@sandbox.test holds no staff role of the demo's Production environment. The demo
organisation names who to ask (Settings → Members, Who to ask)."""

from __future__ import annotations

import re

import pytest

from embed_auth.portal_access import refusal
from tests.browser.playwright import Page, expect
from tests.e2e.conftest import Demo
from views.demo import ACCESS_CONTACT

pytestmark = pytest.mark.e2e


def test_a_portal_user_without_a_staff_role_sees_the_refusal_in_the_widget(browser_demo: Demo, page: Page) -> None:
    page.goto(browser_demo.environment("Production")["portal_url"])
    page.get_by_role("button", name=re.compile(r"visitor@sandbox\.test")).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(widget.get_by_role("alert")).to_contain_text(refusal(ACCESS_CONTACT))  # names who to ask
    expect(widget.get_by_role("heading", name="Find a matter")).to_have_count(0)
