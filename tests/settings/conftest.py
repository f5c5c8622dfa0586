"""Settings pages against the in-process service and sandbox, signed in as an administrator."""

from __future__ import annotations

import re

import pytest

from tests.views.conftest import Service, aderant_db, service  # noqa: F401

ADMIN = "admin@sandbox.test"
STAFF = "staff@sandbox.test"


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form"
    return found.group(1)


@pytest.fixture
def admin(service: Service) -> str:  # noqa: F811
    """Sign the test client in as an administrator; the session's CSRF token."""
    service.sign_in(ADMIN)
    return csrf(service.client.get("/settings/teams?environment=1").text)
